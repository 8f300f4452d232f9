#ifndef LAYER_VAULT_VAULTD_CRYPTO_ED25519_H_
#define LAYER_VAULT_VAULTD_CRYPTO_ED25519_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::crypto {

// Ed25519PublicKey is a verification key and nothing else: it can only be
// built from exactly 32 bytes of an Ed25519 public key, and it cannot sign.
// Immutable and thread-safe.
class Ed25519PublicKey {
 public:
  static constexpr size_t kSize = 32;
  static constexpr size_t kSignatureSize = 64;

  // INVALID_ARGUMENT unless `raw` is 32 bytes the library accepts as an
  // Ed25519 public key.
  static absl::StatusOr<Ed25519PublicKey> FromBytes(absl::string_view raw);

  // OK if `signature` is a valid Ed25519 signature of `message`;
  // UNAUTHENTICATED otherwise (including a wrong-length signature).
  absl::Status Verify(absl::string_view message,
                      absl::string_view signature) const;

  // The 32 raw public key bytes.
  const std::string& bytes() const { return raw_; }

 private:
  explicit Ed25519PublicKey(std::string raw) : raw_(std::move(raw)) {}
  std::string raw_;
};

// Ed25519PrivateKey signs. It holds its 32-byte seed in SecretBytes.
// Not copyable; thread-safe for concurrent Sign calls.
class Ed25519PrivateKey {
 public:
  static constexpr size_t kSeedSize = 32;

  // A new key from the CSPRNG.
  static std::unique_ptr<Ed25519PrivateKey> Generate();

  // The key for an RFC 8032 32-byte seed. INVALID_ARGUMENT unless 32 bytes.
  static absl::StatusOr<std::unique_ptr<Ed25519PrivateKey>> FromSeed(
      const SecretBytes& seed);

  // The 64-byte signature of `message`. INTERNAL only if the library fails.
  absl::StatusOr<std::string> Sign(absl::string_view message) const;

  const Ed25519PublicKey& public_key() const { return public_key_; }

  // The seed, for persisting in the encrypted store only.
  const SecretBytes& UnsafeSeed() const { return seed_; }

 private:
  Ed25519PrivateKey(SecretBytes seed, Ed25519PublicKey public_key)
      : seed_(std::move(seed)), public_key_(std::move(public_key)) {}
  SecretBytes seed_;
  Ed25519PublicKey public_key_;
};

}  // namespace layer_vault::crypto

#endif  // LAYER_VAULT_VAULTD_CRYPTO_ED25519_H_
