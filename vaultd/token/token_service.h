#ifndef LAYER_VAULT_VAULTD_TOKEN_TOKEN_SERVICE_H_
#define LAYER_VAULT_VAULTD_TOKEN_TOKEN_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vaultd/token/claims.h"
#include "vaultd/token/keyring.h"

namespace layer_vault::token {

// Longest token string Verify looks at (larger input is refused unread).
inline constexpr size_t kMaxTokenSize = 12 * 1024;

// CallerIdentity is the kernel-attested peer of a workload connection
// (SO_PEERCRED, /proc/<pid>/stat, SO_PEERPIDFD), filled in by vaultd/peer.
struct CallerIdentity {
  uint32_t uid = 0;
  uint32_t gid = 0;
  int32_t pid = 0;
  // Field 22 of /proc/<pid>/stat (start time in clock ticks since boot): with
  // the pid it names one process for the lifetime of the boot.
  uint64_t process_start_time = 0;
  // /proc/sys/kernel/random/boot_id: pid and start time are unique only
  // within one boot, so the binding names the boot too.
  std::string boot_id;
  // Optional; informational here, NOT part of the binding (its stability
  // across connections of one process depends on the kernel).
  std::string pidfd_identity;
};

// CallerBinding returns the implicit assertion that binds a token to
// `caller`: PAE(["layer-vault.caller-binding.v1", boot_id, uid, pid,
// process_start_time]) with the numbers in canonical decimal. It is signed
// but never carried in the token, so a token presented by another uid, pid
// or process incarnation fails signature verification.
std::string CallerBinding(const CallerIdentity& caller);

// ReadUntrustedKeyId returns the footer "kid" of a v4.public token without
// verifying it, for key lookup only. UNAUTHENTICATED if the token is
// malformed or its footer is not {"kid":"..."}.
absl::StatusOr<std::string> ReadUntrustedKeyId(absl::string_view token);

struct TokenServiceOptions {
  std::string issuer = "vaultd";
  // The only audience Issue grants and Verify accepts.
  std::string audience = "layer-relay";
  absl::Duration default_ttl = absl::Seconds(300);
  // Hard cap: longer requests are clamped; longer tokens are refused.
  absl::Duration max_ttl = absl::Seconds(900);
  // Clock skew allowed on exp, nbf and iat (and on key windows).
  absl::Duration leeway = absl::Seconds(30);
};

struct IssueRequest {
  // Scopes to grant: 1..kMaxScopes distinct names. Whether the caller may
  // have them is the caller's policy check, done before Issue.
  std::vector<std::string> scopes;
  // Empty means options.audience; anything else must equal it.
  std::string audience;
  // <= 0 means options.default_ttl; clamped to options.max_ttl; whole
  // seconds.
  absl::Duration ttl = absl::ZeroDuration();
};

struct IssuedToken {
  std::string token;  // secret to the caller: never log it
  std::string jti;    // safe to log
  std::string kid;
  std::vector<std::string> scopes;
  absl::Time issued_at;
  absl::Time expires_at;
};

struct VerifiedToken {
  Claims claims;
  std::string kid;
};

// TokenService issues and verifies vaultd's PASETO v4.public tokens and keeps
// their revocation state. Payload: the claims of claims.h; footer:
// {"kid":"<kid>"}; implicit assertion: CallerBinding(caller).
//
// Thread-safe: Issue and Verify may run concurrently from gRPC threads
// (they take a reader lock on the revocation state and the keyring's own
// mutex briefly; signing and verification run outside both). Revocation
// methods take the writer lock. The clock is always passed in.
//
// Errors never contain the token or key material.
class TokenService {
 public:
  // INVALID_ARGUMENT if the options are inconsistent (TTLs not whole
  // positive seconds, default_ttl > max_ttl, negative leeway, empty issuer/audience) or exceed
  // what the keyring keeps retired keys for (max_ttl or leeway larger than
  // the keyring's).
  static absl::StatusOr<std::unique_ptr<TokenService>> Create(
      std::unique_ptr<Keyring> keyring, TokenServiceOptions options = {});

  // Issues a token for `caller` signed with the keyring's current key:
  // iat = nbf = `now` (whole seconds), exp = iat + clamped TTL, fresh
  // 128-bit jti. INVALID_ARGUMENT for a bad scope list, another audience, or
  // a caller without a pid; INTERNAL if signing fails.
  absl::StatusOr<IssuedToken> Issue(const CallerIdentity& caller,
                                    const IssueRequest& request,
                                    absl::Time now) const;

  // Verifies `token` as presented by `caller` at `now` and, if
  // `required_scope` is not empty, that it grants that scope. Checks, in
  // order (each failure has its own message):
  //   UNAUTHENTICATED: oversized or malformed token (header other than
  //   "v4.public.", not 2 segments, non-strict base64url, footer other than
  //   {"kid":...}); unknown or expired kid; bad signature, which includes
  //   a token issued to another uid/pid/process (the binding is signed);
  //   malformed claims; wrong issuer; wrong audience; subject other than
  //   the caller's uid; lifetime over max_ttl; issued outside the signing
  //   key's window; expired (now > exp + leeway); not yet valid (now < nbf -
  //   leeway; since iat <= nbf this also refuses iat > now + leeway);
  //   revoked by revoke-all (iat < epoch); revoked jti.
  //   PERMISSION_DENIED: valid token without `required_scope`.
  absl::StatusOr<VerifiedToken> Verify(absl::string_view token,
                                       const CallerIdentity& caller,
                                       absl::string_view required_scope,
                                       absl::Time now) const;

  // Denies `jti` until every token that can carry it has expired (now +
  // max_ttl + leeway; issue times are at most `now`), then forgets it.
  // INVALID_ARGUMENT if `jti` is not a token id. Also prunes.
  absl::Status RevokeJti(absl::string_view jti, absl::Time now);

  // Rejects every token issued before `now` (iat < the epoch, rounded up
  // to the next whole second so that tokens issued earlier in the current
  // second are rejected too). Returns the new epoch; never lowers it.
  absl::Time RevokeAll(absl::Time now);

  // Restores a persisted revocation epoch (never lowers the current one).
  void RestoreRevocationEpoch(absl::Time epoch);
  absl::Time revocation_epoch() const;

  // Forgets revoked jtis whose tokens have all expired and retired keys past
  // their window.
  void Prune(absl::Time now);

  // Number of jtis currently denied (after the last prune).
  size_t revoked_jti_count() const;

  // The keyring (rotation, export, verification keys). Thread-safe itself.
  Keyring& keyring() const { return *keyring_; }
  const TokenServiceOptions& options() const { return options_; }

 private:
  TokenService(std::unique_ptr<Keyring> keyring, TokenServiceOptions options)
      : keyring_(std::move(keyring)), options_(std::move(options)) {}

  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<Keyring> keyring_;
  const TokenServiceOptions options_;

  mutable absl::Mutex mu_;
  absl::Time revocation_epoch_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // jti -> time after which no token carrying it can still verify.
  absl::flat_hash_map<std::string, absl::Time> revoked_jtis_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace layer_vault::token

#endif  // LAYER_VAULT_VAULTD_TOKEN_TOKEN_SERVICE_H_
