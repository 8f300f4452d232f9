#ifndef LAYER_VAULT_VAULTD_TOKEN_KEYRING_H_
#define LAYER_VAULT_VAULTD_TOKEN_KEYRING_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vaultd/crypto/ed25519.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::token {

// KeyIdFor returns the key id ("kid") of `key`: unpadded base64url of the
// first 16 bytes of SHA-256 over the 32 raw public key bytes (22 chars).
std::string KeyIdFor(const crypto::Ed25519PublicKey& key);

struct KeyringOptions {
  // The current key is retired by MaybeRotate once it is this old.
  absl::Duration rotation_period = absl::Hours(24);
  // Longest token lifetime any issuer using this keyring grants, and the
  // clock leeway its verifier allows. A retired key keeps verifying until
  // retired_at + max_token_ttl + leeway, then is dropped.
  absl::Duration max_token_ttl = absl::Seconds(900);
  absl::Duration leeway = absl::Seconds(30);
};

// A public key that verifies tokens, with its validity window.
struct VerificationKeyInfo {
  std::string kid;
  crypto::Ed25519PublicKey public_key;
  absl::Time created;                 // whole seconds
  std::optional<absl::Time> retired;  // unset for the current key
  // Tokens signed by this key verify in [not_before, not_after]:
  // not_before = created; not_after = retired + max_token_ttl + leeway, or
  // for the current key max(created + rotation_period, now) + max_token_ttl
  // + leeway (its expected retirement under daily rotation).
  absl::Time not_before;
  absl::Time not_after;
  bool current = false;
};

// The key that signs new tokens. `key` stays valid while the caller holds
// it, even if the keyring rotates meanwhile.
struct Signer {
  std::string kid;
  std::shared_ptr<const crypto::Ed25519PrivateKey> key;
  absl::Time created;
};

struct Rotation {
  std::string new_kid;
  std::string previous_kid;
};

// Keyring holds vaultd's Ed25519 token signing keys: exactly one current key
// that signs, plus retired keys that only verify (their private halves are
// dropped at retirement) until the last token they could have signed has
// expired. Seeds exist only inside crypto::Ed25519PrivateKey (SecretBytes)
// and in the SecretBytes that Export returns.
//
// Thread-safe: all methods may be called concurrently (an absl::Mutex guards
// the key set; signing happens outside it on a Signer the caller holds).
// Time is always passed in; nothing here reads a clock.
class Keyring {
 public:
  // A keyring with one new CSPRNG key, current from `now`.
  // INVALID_ARGUMENT if an option is not positive (leeway may be zero).
  static absl::StatusOr<std::unique_ptr<Keyring>> Create(
      absl::Time now, KeyringOptions options = {});

  // Rebuilds a keyring from Export's output (read from the encrypted store).
  // Retired keys already past their window at `now` are dropped.
  // INVALID_ARGUMENT (the message never contains key material) if `exported`
  // is not what Export writes: the format tag, one current key with a seed,
  // retired keys with public keys only, each kid equal to KeyIdFor of its
  // key, the seed's public key equal to the stored one, retired >= created.
  static absl::StatusOr<std::unique_ptr<Keyring>> Import(
      const crypto::SecretBytes& exported, absl::Time now,
      KeyringOptions options = {});

  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  // The key set as JSON text, for the daemon to encrypt and persist:
  //   {"format":"layer-vault.token-keyring.v1","keys":[
  //     {"kid":K,"public_key":B64,"created":UNIX,"seed":B64},      // current
  //     {"kid":K,"public_key":B64,"created":UNIX,"retired":UNIX}, ...]}
  // Binary fields are unpadded base64url; times are Unix seconds. The whole
  // text is in SecretBytes because it contains the current seed.
  crypto::SecretBytes Export() const;

  // The current signing key.
  Signer CurrentSigner() const;

  // Retires the current key at `now` and makes a new CSPRNG key current.
  // Also prunes expired retired keys.
  Rotation Rotate(absl::Time now);

  // Rotates if the current key is at least rotation_period old at `now`
  // (call it periodically, e.g. every minute: "automatic daily rotation"),
  // and prunes. Returns the rotation if one happened.
  std::optional<Rotation> MaybeRotate(absl::Time now);

  // Drops retired keys whose window ended before `now`.
  void Prune(absl::Time now);

  // The key `kid` if it may verify tokens at `now` (current, or retired and
  // now <= not_after). NOT_FOUND otherwise (unknown, or retired too long).
  absl::StatusOr<VerificationKeyInfo> FindVerificationKey(absl::string_view kid,
                                                          absl::Time now) const;

  // All keys that may verify tokens at `now`, current first, then retired
  // keys newest first (for GetVerificationKeys).
  std::vector<VerificationKeyInfo> VerificationKeys(absl::Time now) const;

  const KeyringOptions& options() const { return options_; }

 private:
  struct Entry {
    std::string kid;
    crypto::Ed25519PublicKey public_key;
    std::shared_ptr<const crypto::Ed25519PrivateKey> private_key;  // current
    absl::Time created;
    std::optional<absl::Time> retired;
  };

  Keyring(KeyringOptions options, Entry current)
      : options_(options), current_(std::move(current)) {}

  static Entry NewEntry(std::unique_ptr<crypto::Ed25519PrivateKey> key,
                        absl::Time created);
  VerificationKeyInfo Info(const Entry& entry, absl::Time now) const;
  absl::Time NotAfter(const Entry& entry, absl::Time now) const;
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Rotation RotateLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const KeyringOptions options_;
  mutable absl::Mutex mu_;
  Entry current_ ABSL_GUARDED_BY(mu_);
  std::vector<Entry> retired_ ABSL_GUARDED_BY(mu_);  // newest first
};

}  // namespace layer_vault::token

#endif  // LAYER_VAULT_VAULTD_TOKEN_KEYRING_H_
