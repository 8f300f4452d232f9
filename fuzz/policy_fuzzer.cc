// Fuzz target: the policy file parser (vaultd/policy/policy.h), and
// decisions of the policies it accepts for a few fixed callers (with a known
// executable digest, so Decide never touches /proc).
//
// Input: policy JSON text.
// Properties: an accepted policy satisfies what POLICY.md promises (limits
// in range, sorted ids, known sorted unique scopes, unique rule names), and
// Decide grants only what the matched rule lists.

#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_util.h"
#include "vaultd/peer/peer_identity.h"
#include "vaultd/policy/policy.h"

namespace layer_vault::fuzz {
namespace {

std::vector<peer::PeerIdentity> Callers() {
  std::vector<peer::PeerIdentity> callers;
  const struct {
    uid_t uid;
    gid_t gid;
    std::vector<gid_t> groups;
    const char* exe;
  } kCallers[] = {
      {1000, 1000, {}, "/usr/lib/layer-vault/mcp_frontend"},
      {1001, 1001, {2001, 2002}, "/usr/bin/python3"},
      {0, 0, {}, "/usr/sbin/vaultctl"},
  };
  for (const auto& c : kCallers) {
    peer::PeerIdentity p;
    p.pid = 4242;
    p.uid = c.uid;
    p.gid = c.gid;
    p.supplementary_gids = c.groups;
    p.exe_path = c.exe;
    p.known_exe_sha256 = std::string(64, '0');
    callers.push_back(p);
  }
  return callers;
}

void CheckPolicy(const policy::Policy& p) {
  const policy::TokenLimits& t = p.token_limits();
  FUZZ_CHECK(t.default_ttl > absl::ZeroDuration() &&
                 t.default_ttl <= t.max_ttl &&
                 t.max_ttl <= policy::kHardMaxTokenTtl,
             "token lifetimes out of range");
  FUZZ_CHECK(std::is_sorted(p.admin_uids().begin(), p.admin_uids().end()),
             "admin_uids not sorted");
  std::set<std::string> names;
  for (const policy::Rule& rule : p.rules()) {
    FUZZ_CHECK(!rule.name.empty() && rule.name.size() <= 64,
               "rule name length");
    FUZZ_CHECK(names.insert(rule.name).second, "duplicate rule name");
    FUZZ_CHECK(std::is_sorted(rule.uids.begin(), rule.uids.end()) &&
                   std::is_sorted(rule.gids.begin(), rule.gids.end()),
               "rule ids not sorted");
    FUZZ_CHECK(!rule.scopes.empty(), "rule without scopes");
    FUZZ_CHECK(!rule.uids.empty() || !rule.gids.empty(),
               "a rule without uids or gids (an 'everyone' rule)");
    FUZZ_CHECK(std::adjacent_find(rule.scopes.begin(), rule.scopes.end()) ==
                       rule.scopes.end() &&
                   std::is_sorted(rule.scopes.begin(), rule.scopes.end()),
               "rule scopes not sorted and unique");
    for (const std::string& scope : rule.scopes) {
      FUZZ_CHECK(policy::IsKnownScope(scope), "unknown scope accepted");
    }
    FUZZ_CHECK(rule.rate_limit.requests_per_second > 0 &&
                   rule.rate_limit.requests_per_second <= 10000 &&
                   rule.rate_limit.burst >= 1 &&
                   rule.rate_limit.burst <= 100000,
               "rate limit out of range");
    FUZZ_CHECK(rule.budget.creative_units_per_period >= 0 &&
                   rule.budget.creative_units_per_period <= 1e9 &&
                   rule.budget.max_creative_units_per_run >= 0 &&
                   rule.budget.max_creative_units_per_run <= 1e9,
               "budget out of range");
    for (const policy::ExecutableMatch& exe : rule.executables) {
      FUZZ_CHECK(exe.path.has_value() || exe.sha256.has_value(),
                 "executable match with neither path nor digest");
      if (exe.path) {
        FUZZ_CHECK(absl::StartsWith(*exe.path, "/"), "relative exe path");
      }
      if (exe.sha256) FUZZ_CHECK(exe.sha256->size() == 64, "bad digest");
    }
  }
  static const std::vector<peer::PeerIdentity>* callers =
      new std::vector<peer::PeerIdentity>(Callers());
  for (const peer::PeerIdentity& caller : *callers) {
    const policy::Decision d = p.Decide(caller);
    if (!d.allowed) {
      FUZZ_CHECK(d.scopes.empty() && d.matched_rule.empty(),
                 "a denial carries scopes or a rule");
      continue;
    }
    const policy::Rule* rule = nullptr;
    for (const policy::Rule& r : p.rules()) {
      if (r.name == d.matched_rule) rule = &r;
    }
    FUZZ_CHECK(rule != nullptr, "allowed by a rule that does not exist");
    FUZZ_CHECK(d.scopes == rule->scopes, "granted scopes differ from the rule");
    bool id_matches =
        std::binary_search(rule->uids.begin(), rule->uids.end(), caller.uid);
    for (gid_t g : rule->gids) id_matches = id_matches || caller.InGroup(g);
    FUZZ_CHECK(id_matches, "allowed a caller whose uid and groups the rule "
                           "does not list");
    if (!rule->executables.empty()) {
      bool exe_matches = false;
      for (const policy::ExecutableMatch& exe : rule->executables) {
        exe_matches = exe_matches ||
                      ((!exe.path || *exe.path == caller.exe_path) &&
                       (!exe.sha256 || *exe.sha256 == *caller.known_exe_sha256));
      }
      FUZZ_CHECK(exe_matches, "allowed an executable the rule does not pin");
    }
    FUZZ_CHECK(d.rate_limit.requests_per_second ==
                       rule->rate_limit.requests_per_second &&
                   d.rate_limit.burst == rule->rate_limit.burst &&
                   d.budget.creative_units_per_period ==
                       rule->budget.creative_units_per_period,
               "decision limits differ from the rule's");
    p.IsAdmin(caller.uid, 999);
  }
}

}  // namespace
}  // namespace layer_vault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace layer_vault;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::unique_ptr<policy::Policy>> parsed =
      policy::Policy::Parse(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument &&
                   absl::StartsWith(parsed.status().message(), "policy: "),
               "Parse failed without an INVALID_ARGUMENT \"policy: \" error");
    return 0;
  }
  layer_vault::fuzz::CheckPolicy(**parsed);
  return 0;
}
