#ifndef LAYER_VAULT_VAULTD_POLICY_POLICY_H_
#define LAYER_VAULT_VAULTD_POLICY_POLICY_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "vaultd/peer/peer_identity.h"

namespace layer_vault::policy {

// Scopes a rule may grant. Any other scope in a policy file is an error.
inline constexpr absl::string_view kScopeLayerRead = "layer:read";
inline constexpr absl::string_view kScopeLayerGenerate = "layer:generate";
inline constexpr absl::string_view kScopeLayerUpload = "layer:upload";
bool IsKnownScope(absl::string_view scope);

// Largest policy file accepted.
inline constexpr size_t kMaxPolicyBytes = size_t{1} << 20;
// Token lifetime no policy can exceed.
inline constexpr absl::Duration kHardMaxTokenTtl = absl::Seconds(900);

// Token lifetimes (global section).
struct TokenLimits {
  absl::Duration default_ttl = absl::Seconds(300);
  absl::Duration max_ttl = absl::Seconds(900);
};

// Per-caller request rate: a token bucket refilled at requests_per_second
// holding at most `burst` requests.
struct RateLimit {
  double requests_per_second = 10;
  int64_t burst = 20;
};

// Budget periods, in UTC calendar units.
enum class BudgetPeriod { kHour, kDay, kWeek, kMonth };
absl::string_view BudgetPeriodName(BudgetPeriod period);

// Spend limits in Creative Units (fractional). 0 means "no limit".
struct Budget {
  BudgetPeriod period = BudgetPeriod::kDay;
  double creative_units_per_period = 100;
  double max_creative_units_per_run = 10;
};

// One allowed executable: its resolved path, its SHA-256, or both.
struct ExecutableMatch {
  std::optional<std::string> path;    // absolute, canonical
  std::optional<std::string> sha256;  // 64 lower-case hex digits
};

// Rule is one parsed entry of "rules".
struct Rule {
  std::string name;
  std::vector<uid_t> uids;  // sorted
  std::vector<gid_t> gids;  // sorted; primary or supplementary
  // Empty: any executable. Otherwise one entry must match.
  std::vector<ExecutableMatch> executables;
  std::vector<std::string> scopes;  // sorted, known, unique
  // Effective limits: the rule's overrides merged over the global defaults.
  RateLimit rate_limit;
  Budget budget;
};

// Decision is the answer of Policy::Decide for one caller.
struct Decision {
  bool allowed = false;
  // Granted scopes (sorted); empty when denied.
  std::vector<std::string> scopes;
  // Name of the rule that allowed the caller; empty when denied.
  std::string matched_rule;
  // Why, for logs and the audit trail (not for the caller: it names rules).
  std::string reason;
  // Limits that apply to the caller (meaningful when allowed).
  RateLimit rate_limit;
  Budget budget;

  bool HasScope(absl::string_view scope) const;
};

// Policy is an immutable, validated policy (format: vaultd/policy/POLICY.md).
// Decisions deny by default: a caller is allowed only through a rule that
// matches it. Rules are tried in file order; the first match decides.
//
// Thread-safe: all methods are const. Typically held in a PolicyHolder.
class Policy {
 public:
  // Parse validates policy JSON text. Strict: unknown keys, duplicate keys,
  // wrong types, out-of-range numbers, unknown scopes, non-canonical paths,
  // malformed digests, and duplicate rule names are INVALID_ARGUMENT whose
  // message starts with "policy: " and the JSON pointer of the offending
  // value (e.g. "policy: /rules/2/scopes/0: unknown scope \"layer:admin\"").
  // Text over kMaxPolicyBytes is INVALID_ARGUMENT too.
  static absl::StatusOr<std::unique_ptr<Policy>> Parse(absl::string_view text);

  // Decide returns whether `peer` may use the workload API, with which scopes
  // and limits. Never fails: problems (such as an unreadable executable for
  // a rule that pins one) make the rule not match and are named in
  // `reason`. Computes the peer's executable digest only if a rule that
  // otherwise matches pins one (see PeerIdentity::ExeSha256).
  Decision Decide(const peer::PeerIdentity& peer) const;

  // IsAdmin returns true if `uid` may use the admin socket: root, the uid
  // that owns vaultd's sockets (`socket_owner_uid`), or a uid listed in the
  // global admin_uids.
  bool IsAdmin(uid_t uid, uid_t socket_owner_uid) const;

  const TokenLimits& token_limits() const { return token_limits_; }
  const RateLimit& default_rate_limit() const { return default_rate_limit_; }
  const Budget& default_budget() const { return default_budget_; }
  const std::vector<uid_t>& admin_uids() const { return admin_uids_; }
  const std::vector<Rule>& rules() const { return rules_; }

 private:
  Policy() = default;
  friend class PolicyParser;

  TokenLimits token_limits_;
  RateLimit default_rate_limit_;
  Budget default_budget_;
  std::vector<uid_t> admin_uids_;  // sorted
  std::vector<Rule> rules_;
};

// Where a policy file may come from.
struct PolicyFileOptions {
  // The file must be owned by root or by this uid (default: vaultd's euid)
  // and not be writable by group or others: whoever can write the policy
  // can grant themselves access.
  std::optional<uid_t> trusted_owner;
};

// LoadPolicyFile reads and parses the policy at `path` (symlinks are
// followed; the checks apply to the file finally opened).
//
// Errors: NOT_FOUND if it does not exist; FAILED_PRECONDITION if it is not a
// regular file or its owner or mode are unsafe (the message carries the fix
// command); INVALID_ARGUMENT for a file over kMaxPolicyBytes or any Parse
// error; INTERNAL for other I/O errors. Thread-safe.
absl::StatusOr<std::unique_ptr<Policy>> LoadPolicyFile(
    const std::string& path, const PolicyFileOptions& options = {});

}  // namespace layer_vault::policy

#endif  // LAYER_VAULT_VAULTD_POLICY_POLICY_H_
