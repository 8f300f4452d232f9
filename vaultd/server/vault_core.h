#ifndef LAYER_VAULT_VAULTD_SERVER_VAULT_CORE_H_
#define LAYER_VAULT_VAULTD_SERVER_VAULT_CORE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"
#include "vaultd/store/store.h"
#include "vaultd/token/keyring.h"
#include "vaultd/token/token_service.h"

namespace layer_vault::server {

// Credential is the PAT in locked memory with its non-secret metadata. Held
// through shared_ptr: a rotation swaps the pointer, calls in flight keep the
// old credential until they finish, and the last holder wipes it.
struct Credential {
  crypto::SecretBytes pat;
  std::string workspace_id;
  store::TokenFingerprint fingerprint;
  absl::Time rotated_at;
  absl::Time rotation_due;
};

struct CoreOptions {
  std::string state_dir;
  store::KeySource key_source = store::KeySource::Passphrase();
  store::KeyEnvironment key_environment;
  store::StoreOptions store_options;
  token::TokenServiceOptions token_options;
  token::KeyringOptions keyring_options;
  absl::Duration pat_rotation_period = store::kDefaultRotationPeriod;
};

// What Status reports (no secrets).
struct CoreStatus {
  bool sealed = true;
  std::string key_source;  // kind name
  bool credential_present = false;
  std::string fingerprint;
  std::string workspace_id;
  absl::Time created_at;
  absl::Time rotated_at;
  absl::Time rotation_due;
  uint64_t tokens_issued = 0;
  uint64_t tokens_revoked = 0;
  std::vector<std::string> signing_key_ids;  // current first
};

// VaultCore is vaultd's state machine: the encrypted store, the sealed and
// unsealed states, the PAT, the token service and its persisted revocation
// state. It knows nothing of gRPC; the services translate.
//
// States: sealed (nothing secret in memory) and unsealed (record, PAT and
// signing keys in locked memory). Every operation other than Unlock/Status
// answers FAILED_PRECONDITION "vaultd is sealed: run vaultctl unlock" while
// sealed.
//
// Persistence: the PAT and signing keys live in the encrypted store; the
// revocation state (revoke-all epoch, revoked jtis) in `revocations.json`
// beside it (not secret, written atomically, 0600), so a restart keeps both.
//
// Thread-safe: every method may be called from any gRPC thread.
class VaultCore {
 public:
  // Opens the store in options.state_dir (it must exist: `vaultctl init`).
  // The core starts sealed. Errors are the store's (see store.h).
  static absl::StatusOr<std::unique_ptr<VaultCore>> Open(CoreOptions options,
                                                         const common::Clock& clock);

  // Unseals with the configured systemd-credential or key-file source.
  // FAILED_PRECONDITION for a passphrase source; store errors otherwise.
  absl::Status UnsealFromKeySource();
  // Unseals with a passphrase; a store with another key source is unsealed
  // from that source instead (after a Lock) and `passphrase` is ignored.
  // FAILED_PRECONDITION if already unsealed; UNAUTHENTICATED for a wrong
  // passphrase or tampered store.
  absl::Status Unlock(crypto::SecretBytes passphrase);
  // Wipes the PAT, record and signing keys from memory. Idempotent.
  void Lock() ABSL_LOCKS_EXCLUDED(mu_);
  bool sealed() const;
  bool uses_passphrase() const;

  // Tokens. `caller` is the attested peer; the policy check that it may have
  // the scopes is the caller's job.
  absl::StatusOr<token::IssuedToken> IssueToken(
      const token::CallerIdentity& caller, const token::IssueRequest& request);
  absl::StatusOr<token::VerifiedToken> VerifyToken(
      absl::string_view token, const token::CallerIdentity& caller,
      absl::string_view required_scope) const;
  absl::StatusOr<std::vector<token::VerificationKeyInfo>> VerificationKeys()
      const;

  // The current credential; FAILED_PRECONDITION if sealed or none is set
  // ("no Layer.ai token stored: run vaultctl set-token").
  absl::StatusOr<std::shared_ptr<const Credential>> CurrentCredential() const;

  // Checks a new PAT before it is committed (e.g. a cheap Layer.ai read).
  using PatVerifier = std::function<absl::Status(const crypto::SecretBytes&)>;

  // Validates and stores `pat` (atomically on disk, then swapped in memory;
  // calls in flight finish on the old one). `rotate` requires an existing
  // credential. An empty `workspace_id` keeps the stored one. `verifier`, if
  // set, runs before anything changes. INVALID_ARGUMENT for a bad PAT or
  // workspace id (message without the PAT).
  absl::StatusOr<std::shared_ptr<const Credential>> SetCredential(
      crypto::SecretBytes pat, const std::string& workspace_id, bool rotate,
      const PatVerifier& verifier);

  absl::Status RevokeToken(absl::string_view jti);
  absl::StatusOr<absl::Time> RevokeAll();
  absl::StatusOr<token::Rotation> RotateSigningKey();

  // Periodic work (call about once a minute): automatic signing-key
  // rotation, pruning of expired revocations and retired keys.
  absl::Status Maintenance();

  CoreStatus Status() const;
  const common::Clock& clock() const { return clock_; }

 private:
  VaultCore(CoreOptions options, const common::Clock& clock,
            std::unique_ptr<store::Store> store, int state_dir_fd);

  absl::Status UnsealLocked(const store::KeyMaterial& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes record_ (with the current keyring) to the store.
  absl::Status PersistRecordLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PersistRevocationsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadRevocationsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PruneRevokedLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SealLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<const Credential> CredentialFromRecordLocked() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::shared_ptr<token::TokenService>> Tokens() const;

  const CoreOptions options_;
  const common::Clock& clock_;
  const int state_dir_fd_;

  mutable absl::Mutex mu_;
  std::unique_ptr<store::Store> store_ ABSL_GUARDED_BY(mu_);
  // Unsealed state: all null/empty while sealed.
  std::unique_ptr<store::Record> record_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<token::TokenService> tokens_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const Credential> credential_ ABSL_GUARDED_BY(mu_);
  // Revoked jtis with the time they were revoked, for persistence.
  std::vector<std::pair<std::string, absl::Time>> revoked_
      ABSL_GUARDED_BY(mu_);
  absl::Time revocation_epoch_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  std::atomic<uint64_t> tokens_issued_{0};
  std::atomic<uint64_t> tokens_revoked_{0};
};

// The message every sealed-state error carries.
inline constexpr char kSealedMessage[] = "vaultd is sealed: run vaultctl unlock";

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_VAULT_CORE_H_
