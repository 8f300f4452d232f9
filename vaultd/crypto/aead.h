#ifndef LAYER_VAULT_VAULTD_CRYPTO_AEAD_H_
#define LAYER_VAULT_VAULTD_CRYPTO_AEAD_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::crypto {

// Aead is AES-256-GCM with a random 96-bit nonce generated inside Encrypt.
//
// Ciphertext layout: nonce (12 bytes) || encrypted plaintext || tag (16).
// There is no nonce parameter anywhere: with random nonces a key must not
// encrypt more than 2^32 messages (far beyond this project's use).
//
// The associated data is required by contract: it names what the ciphertext
// belongs to (for example the store header) and must be given again to
// Decrypt. It may be empty only where nothing else is bound.
//
// Thread-safe: an Aead holds only its key; every call uses its own context.
class Aead {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;
  static constexpr size_t kOverhead = kNonceSize + kTagSize;

  // Creates an Aead over a copy of `key`.
  // INVALID_ARGUMENT if key is not 32 bytes.
  static absl::StatusOr<std::unique_ptr<Aead>> New(const SecretBytes& key);

  // Encrypts `plaintext`, binding `associated_data`. INTERNAL only if the
  // crypto library fails.
  absl::StatusOr<std::string> Encrypt(absl::string_view plaintext,
                                      absl::string_view associated_data) const;

  // Decrypts and authenticates. INVALID_ARGUMENT if the ciphertext is shorter
  // than kOverhead; DATA_LOSS if authentication fails (wrong key, tampered
  // ciphertext or wrong associated data: indistinguishable by design). Never
  // returns unauthenticated plaintext.
  absl::StatusOr<SecretBytes> Decrypt(absl::string_view ciphertext,
                                      absl::string_view associated_data) const;

  // Test seam for published vectors only: encrypts with a caller-chosen
  // nonce. Never call outside tests; nonce reuse breaks GCM.
  absl::StatusOr<std::string> EncryptWithNonceForTesting(
      absl::string_view nonce, absl::string_view plaintext,
      absl::string_view associated_data) const;

 private:
  explicit Aead(SecretBytes key) : key_(std::move(key)) {}
  absl::StatusOr<std::string> EncryptWithNonce(
      absl::string_view nonce, absl::string_view plaintext,
      absl::string_view associated_data) const;

  SecretBytes key_;
};

}  // namespace layer_vault::crypto

#endif  // LAYER_VAULT_VAULTD_CRYPTO_AEAD_H_
