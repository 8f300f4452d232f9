#include "vaultd/policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "vaultd/store/permissions.h"

namespace layer_vault::policy {

using Json = nlohmann::json;

namespace {

constexpr int kMaxDepth = 16;
constexpr uint64_t kMaxId = std::numeric_limits<uint32_t>::max() - 1;
constexpr size_t kMaxPathBytes = 4096;
constexpr double kMaxRequestsPerSecond = 10000;
constexpr int64_t kMaxBurst = 100000;
constexpr double kMaxCreativeUnits = 1e9;

std::string EscapePointerToken(absl::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

absl::Status Error(absl::string_view pointer, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(
      "policy: ", pointer.empty() ? "(root)" : pointer, ": ", message));
}

// First pass over the text: syntax, duplicate keys and depth, with the
// JSON pointer of the problem. nlohmann::json keeps only the last of
// duplicate keys, which would silently drop half of a rule.
class StrictSax : public nlohmann::json_sax<Json> {
 public:
  absl::Status status() const { return status_; }

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override {
    return Value();
  }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }

  bool start_object(std::size_t) override { return Push(true); }
  bool key(string_t& key) override {
    Frame& f = frames_.back();
    f.key = key;
    if (!f.keys.insert(key).second) {
      return Fail(Pointer(), "duplicate key");
    }
    return true;
  }
  bool end_object() override { return Pop(); }
  bool start_array(std::size_t) override { return Push(false); }
  bool end_array() override { return Pop(); }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    // ex.what() names the token nlohmann choked on, never more than a few
    // characters; the byte offset locates it.
    status_ = absl::InvalidArgumentError(
        absl::StrCat("policy: malformed JSON at byte ", position, ": ",
                     ex.what()));
    return false;
  }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string key;
    int64_t index = -1;
  };

  // The pointer of the value being visited.
  std::string Pointer() const {
    std::string p;
    for (const Frame& f : frames_) {
      absl::StrAppend(&p, "/",
                      f.object ? EscapePointerToken(f.key)
                               : absl::StrCat(f.index));
    }
    return p;
  }
  void Advance() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }
  bool Value() {
    Advance();
    return true;
  }
  bool Push(bool object) {
    Advance();
    if (static_cast<int>(frames_.size()) >= kMaxDepth) {
      return Fail(Pointer(), "nested too deeply");
    }
    frames_.push_back(Frame{object, {}, "", -1});
    return true;
  }
  bool Pop() {
    frames_.pop_back();
    return true;
  }
  bool Fail(const std::string& pointer, absl::string_view message) {
    status_ = Error(pointer, message);
    return false;
  }

  std::vector<Frame> frames_;
  absl::Status status_;
};

// A value and its JSON pointer.
struct Node {
  const Json& value;
  std::string pointer;

  Node Child(absl::string_view key) const {
    return Node{value.at(std::string(key)),
                absl::StrCat(pointer, "/", EscapePointerToken(key))};
  }
  Node Item(size_t i) const {
    return Node{value.at(i), absl::StrCat(pointer, "/", i)};
  }
  bool Has(absl::string_view key) const {
    return value.contains(std::string(key));
  }
};

absl::Status ExpectObject(const Node& node,
                          std::initializer_list<absl::string_view> allowed) {
  if (!node.value.is_object()) return Error(node.pointer, "expected an object");
  for (const auto& item : node.value.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) ==
        allowed.end()) {
      return Error(absl::StrCat(node.pointer, "/", EscapePointerToken(item.key())),
                   absl::StrCat("unknown key (allowed: ",
                                absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ExpectArray(const Node& node, bool non_empty) {
  if (!node.value.is_array()) return Error(node.pointer, "expected an array");
  if (non_empty && node.value.empty()) {
    return Error(node.pointer, "must not be empty");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GetString(const Node& node) {
  if (!node.value.is_string()) return Error(node.pointer, "expected a string");
  return node.value.get<std::string>();
}

// An integer (no fraction, no exponent form with a fraction) in [lo, hi].
absl::StatusOr<int64_t> GetInteger(const Node& node, int64_t lo, int64_t hi,
                                   absl::string_view what) {
  const std::string expected =
      absl::StrCat("expected ", what, ": an integer in [", lo, ", ", hi, "]");
  if (node.value.is_number_unsigned()) {
    const uint64_t v = node.value.get<uint64_t>();
    if (v > static_cast<uint64_t>(hi) || static_cast<int64_t>(v) < lo) {
      return Error(node.pointer, expected);
    }
    return static_cast<int64_t>(v);
  }
  if (node.value.is_number_integer()) {
    const int64_t v = node.value.get<int64_t>();
    if (v < lo || v > hi) return Error(node.pointer, expected);
    return v;
  }
  return Error(node.pointer, expected);
}

absl::StatusOr<double> GetNumber(const Node& node, double lo, double hi,
                                 bool lo_exclusive, absl::string_view what) {
  const std::string expected =
      absl::StrCat("expected ", what, ": a number ", lo_exclusive ? "> " : ">= ",
                   lo, " and <= ", hi);
  if (!node.value.is_number()) return Error(node.pointer, expected);
  const double v = node.value.get<double>();
  if (!std::isfinite(v) || v > hi || v < lo || (lo_exclusive && v == lo)) {
    return Error(node.pointer, expected);
  }
  return v;
}

template <typename Id>
absl::StatusOr<std::vector<Id>> GetIdList(const Node& node,
                                          absl::string_view what) {
  if (absl::Status s = ExpectArray(node, /*non_empty=*/false); !s.ok()) return s;
  std::vector<Id> ids;
  for (size_t i = 0; i < node.value.size(); ++i) {
    absl::StatusOr<int64_t> id =
        GetInteger(node.Item(i), 0, static_cast<int64_t>(kMaxId), what);
    if (!id.ok()) return id.status();
    if (std::find(ids.begin(), ids.end(), static_cast<Id>(*id)) != ids.end()) {
      return Error(node.Item(i).pointer, absl::StrCat("duplicate ", what));
    }
    ids.push_back(static_cast<Id>(*id));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// The kernel reports /proc/<pid>/exe as an absolute path without ".", ".."
// or empty segments; anything else could never match.
absl::Status CheckExecutablePath(const Node& node, const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return Error(node.pointer, "must be an absolute path");
  }
  if (path.size() > kMaxPathBytes) return Error(node.pointer, "path too long");
  if (path.find('\0') != std::string::npos) {
    return Error(node.pointer, "path contains NUL");
  }
  if (path.size() > 1 && path.back() == '/') {
    return Error(node.pointer, "path must not end with '/'");
  }
  if (absl::StrContains(path, "//") || absl::StrContains(path, "/./") ||
      absl::StrContains(path, "/../") || absl::EndsWith(path, "/.") ||
      absl::EndsWith(path, "/..")) {
    return Error(node.pointer,
                 "path must be canonical (no '//', '.' or '..' segments)");
  }
  if (absl::EndsWith(path, " (deleted)")) {
    return Error(node.pointer,
                 "path must not end with \" (deleted)\" (the kernel's marker "
                 "for a replaced executable)");
  }
  return absl::OkStatus();
}

absl::Status CheckSha256(const Node& node, const std::string& hex) {
  if (hex.size() != 64 ||
      !std::all_of(hex.begin(), hex.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
               (c >= 'a' && c <= 'f');
      })) {
    return Error(node.pointer, "expected 64 lower-case hex digits (SHA-256)");
  }
  return absl::OkStatus();
}

absl::Status CheckRuleName(const Node& node, const std::string& name) {
  if (name.empty() || name.size() > 64 ||
      !std::all_of(name.begin(), name.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
               c == '_' || c == '.';
      })) {
    return Error(node.pointer, "expected 1 to 64 of [A-Za-z0-9._-]");
  }
  return absl::OkStatus();
}

absl::Status ParseRateLimit(const Node& node, RateLimit* out) {
  if (absl::Status s = ExpectObject(node, {"requests_per_second", "burst"});
      !s.ok()) {
    return s;
  }
  if (node.Has("requests_per_second")) {
    absl::StatusOr<double> rps =
        GetNumber(node.Child("requests_per_second"), 0, kMaxRequestsPerSecond,
                  /*lo_exclusive=*/true, "requests per second");
    if (!rps.ok()) return rps.status();
    out->requests_per_second = *rps;
  }
  if (node.Has("burst")) {
    absl::StatusOr<int64_t> burst =
        GetInteger(node.Child("burst"), 1, kMaxBurst, "burst");
    if (!burst.ok()) return burst.status();
    out->burst = *burst;
  }
  return absl::OkStatus();
}

absl::Status ParseBudget(const Node& node, bool allow_period, Budget* out) {
  absl::Status s =
      allow_period
          ? ExpectObject(node, {"period", "creative_units_per_period",
                                "max_creative_units_per_run"})
          : ExpectObject(node, {"creative_units_per_period",
                                "max_creative_units_per_run"});
  if (!s.ok()) return s;
  if (node.Has("period")) {
    absl::StatusOr<std::string> period = GetString(node.Child("period"));
    if (!period.ok()) return period.status();
    if (*period == "hour") {
      out->period = BudgetPeriod::kHour;
    } else if (*period == "day") {
      out->period = BudgetPeriod::kDay;
    } else if (*period == "week") {
      out->period = BudgetPeriod::kWeek;
    } else if (*period == "month") {
      out->period = BudgetPeriod::kMonth;
    } else {
      return Error(node.Child("period").pointer,
                   "expected one of \"hour\", \"day\", \"week\", \"month\"");
    }
  }
  for (const auto& [key, field] :
       {std::make_pair("creative_units_per_period",
                       &out->creative_units_per_period),
        std::make_pair("max_creative_units_per_run",
                       &out->max_creative_units_per_run)}) {
    if (!node.Has(key)) continue;
    absl::StatusOr<double> cu =
        GetNumber(node.Child(key), 0, kMaxCreativeUnits,
                  /*lo_exclusive=*/false, "Creative Units (0: no limit)");
    if (!cu.ok()) return cu.status();
    *field = *cu;
  }
  return absl::OkStatus();
}

}  // namespace

// Builds a Policy from a DOM that passed StrictSax.
class PolicyParser {
 public:
  static absl::StatusOr<std::unique_ptr<Policy>> Run(const Json& root_value) {
    std::unique_ptr<Policy> policy(new Policy());
    const Node root{root_value, ""};
    if (absl::Status s = ExpectObject(root, {"version", "global", "rules"});
        !s.ok()) {
      return s;
    }
    if (!root.Has("version")) return Error("/version", "required");
    absl::StatusOr<int64_t> version =
        GetInteger(root.Child("version"), 1, 1, "the format version");
    if (!version.ok()) return version.status();

    if (root.Has("global")) {
      if (absl::Status s = ParseGlobal(root.Child("global"), policy.get());
          !s.ok()) {
        return s;
      }
    }

    if (!root.Has("rules")) return Error("/rules", "required");
    const Node rules = root.Child("rules");
    if (absl::Status s = ExpectArray(rules, /*non_empty=*/false); !s.ok()) {
      return s;
    }
    absl::flat_hash_set<std::string> names;
    for (size_t i = 0; i < rules.value.size(); ++i) {
      absl::StatusOr<Rule> rule = ParseRule(rules.Item(i), *policy);
      if (!rule.ok()) return rule.status();
      if (!names.insert(rule->name).second) {
        return Error(rules.Item(i).Child("name").pointer,
                     absl::StrCat("duplicate rule name \"", rule->name, "\""));
      }
      policy->rules_.push_back(*std::move(rule));
    }
    return policy;
  }

 private:
  static absl::Status ParseGlobal(const Node& global, Policy* policy) {
    if (absl::Status s = ExpectObject(
            global, {"token", "rate_limit", "budget", "admin_uids"});
        !s.ok()) {
      return s;
    }
    if (global.Has("token")) {
      const Node token = global.Child("token");
      if (absl::Status s =
              ExpectObject(token, {"default_ttl_seconds", "max_ttl_seconds"});
          !s.ok()) {
        return s;
      }
      const int64_t hard = absl::ToInt64Seconds(kHardMaxTokenTtl);
      TokenLimits& limits = policy->token_limits_;
      if (token.Has("max_ttl_seconds")) {
        absl::StatusOr<int64_t> v = GetInteger(token.Child("max_ttl_seconds"),
                                               1, hard, "seconds");
        if (!v.ok()) return v.status();
        limits.max_ttl = absl::Seconds(*v);
      }
      if (token.Has("default_ttl_seconds")) {
        absl::StatusOr<int64_t> v = GetInteger(
            token.Child("default_ttl_seconds"), 1, hard, "seconds");
        if (!v.ok()) return v.status();
        limits.default_ttl = absl::Seconds(*v);
      } else {
        limits.default_ttl = std::min(limits.default_ttl, limits.max_ttl);
      }
      if (limits.default_ttl > limits.max_ttl) {
        return Error(token.Child("default_ttl_seconds").pointer,
                     "must not exceed max_ttl_seconds");
      }
    }
    if (global.Has("rate_limit")) {
      if (absl::Status s = ParseRateLimit(global.Child("rate_limit"),
                                          &policy->default_rate_limit_);
          !s.ok()) {
        return s;
      }
    }
    if (global.Has("budget")) {
      if (absl::Status s = ParseBudget(global.Child("budget"),
                                       /*allow_period=*/true,
                                       &policy->default_budget_);
          !s.ok()) {
        return s;
      }
    }
    if (global.Has("admin_uids")) {
      absl::StatusOr<std::vector<uid_t>> uids =
          GetIdList<uid_t>(global.Child("admin_uids"), "uid");
      if (!uids.ok()) return uids.status();
      policy->admin_uids_ = *std::move(uids);
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<Rule> ParseRule(const Node& node,
                                        const Policy& policy) {
    if (absl::Status s = ExpectObject(
            node, {"name", "match", "scopes", "rate_limit", "budget"});
        !s.ok()) {
      return s;
    }
    Rule rule;
    for (absl::string_view required : {"name", "match", "scopes"}) {
      if (!node.Has(required)) {
        return Error(absl::StrCat(node.pointer, "/", required), "required");
      }
    }
    absl::StatusOr<std::string> name = GetString(node.Child("name"));
    if (!name.ok()) return name.status();
    if (absl::Status s = CheckRuleName(node.Child("name"), *name); !s.ok()) {
      return s;
    }
    rule.name = *name;

    const Node match = node.Child("match");
    if (absl::Status s = ExpectObject(match, {"uids", "gids", "executables"});
        !s.ok()) {
      return s;
    }
    if (match.Has("uids")) {
      absl::StatusOr<std::vector<uid_t>> uids =
          GetIdList<uid_t>(match.Child("uids"), "uid");
      if (!uids.ok()) return uids.status();
      rule.uids = *std::move(uids);
    }
    if (match.Has("gids")) {
      absl::StatusOr<std::vector<gid_t>> gids =
          GetIdList<gid_t>(match.Child("gids"), "gid");
      if (!gids.ok()) return gids.status();
      rule.gids = *std::move(gids);
    }
    if (rule.uids.empty() && rule.gids.empty()) {
      return Error(match.pointer,
                   "needs at least one uid or gid (a rule never matches "
                   "everyone)");
    }
    if (match.Has("executables")) {
      const Node exes = match.Child("executables");
      if (absl::Status s = ExpectArray(exes, /*non_empty=*/true); !s.ok()) {
        return s;
      }
      for (size_t i = 0; i < exes.value.size(); ++i) {
        const Node exe = exes.Item(i);
        if (absl::Status s = ExpectObject(exe, {"path", "sha256"}); !s.ok()) {
          return s;
        }
        if (!exe.Has("path") && !exe.Has("sha256")) {
          return Error(exe.pointer, "needs \"path\", \"sha256\" or both");
        }
        ExecutableMatch m;
        if (exe.Has("path")) {
          absl::StatusOr<std::string> path = GetString(exe.Child("path"));
          if (!path.ok()) return path.status();
          if (absl::Status s = CheckExecutablePath(exe.Child("path"), *path);
              !s.ok()) {
            return s;
          }
          m.path = *path;
        }
        if (exe.Has("sha256")) {
          absl::StatusOr<std::string> sha = GetString(exe.Child("sha256"));
          if (!sha.ok()) return sha.status();
          if (absl::Status s = CheckSha256(exe.Child("sha256"), *sha);
              !s.ok()) {
            return s;
          }
          m.sha256 = *sha;
        }
        rule.executables.push_back(std::move(m));
      }
    }

    const Node scopes = node.Child("scopes");
    if (absl::Status s = ExpectArray(scopes, /*non_empty=*/true); !s.ok()) {
      return s;
    }
    for (size_t i = 0; i < scopes.value.size(); ++i) {
      absl::StatusOr<std::string> scope = GetString(scopes.Item(i));
      if (!scope.ok()) return scope.status();
      if (!IsKnownScope(*scope)) {
        return Error(scopes.Item(i).pointer,
                     absl::StrCat("unknown scope \"", absl::CEscape(*scope),
                                  "\" (known: layer:read, layer:generate, "
                                  "layer:upload)"));
      }
      if (std::find(rule.scopes.begin(), rule.scopes.end(), *scope) !=
          rule.scopes.end()) {
        return Error(scopes.Item(i).pointer, "duplicate scope");
      }
      rule.scopes.push_back(*scope);
    }
    std::sort(rule.scopes.begin(), rule.scopes.end());

    rule.rate_limit = policy.default_rate_limit_;
    if (node.Has("rate_limit")) {
      if (absl::Status s =
              ParseRateLimit(node.Child("rate_limit"), &rule.rate_limit);
          !s.ok()) {
        return s;
      }
    }
    rule.budget = policy.default_budget_;
    if (node.Has("budget")) {
      if (absl::Status s = ParseBudget(node.Child("budget"),
                                       /*allow_period=*/false, &rule.budget);
          !s.ok()) {
        return s;
      }
    }
    return rule;
  }
};

bool IsKnownScope(absl::string_view scope) {
  return scope == kScopeLayerRead || scope == kScopeLayerGenerate ||
         scope == kScopeLayerUpload;
}

absl::string_view BudgetPeriodName(BudgetPeriod period) {
  switch (period) {
    case BudgetPeriod::kHour:
      return "hour";
    case BudgetPeriod::kDay:
      return "day";
    case BudgetPeriod::kWeek:
      return "week";
    case BudgetPeriod::kMonth:
      return "month";
  }
  return "day";
}

bool Decision::HasScope(absl::string_view scope) const {
  return allowed && std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

absl::StatusOr<std::unique_ptr<Policy>> Policy::Parse(absl::string_view text) {
  if (text.size() > kMaxPolicyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy: ", text.size(), " bytes, over the limit of ",
                     kMaxPolicyBytes));
  }
  StrictSax sax;
  // sax_parse reports errors through the handler; it does not throw.
  if (!Json::sax_parse(text.begin(), text.end(), &sax,
                       Json::input_format_t::json, /*strict=*/true)) {
    absl::Status s = sax.status();
    return s.ok() ? absl::InvalidArgumentError("policy: malformed JSON") : s;
  }
  Json root = Json::parse(text.begin(), text.end(), nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return absl::InvalidArgumentError("policy: malformed JSON");
  }
  return PolicyParser::Run(root);
}

namespace {

bool IdMatches(const Rule& rule, const peer::PeerIdentity& peer) {
  if (std::binary_search(rule.uids.begin(), rule.uids.end(), peer.uid)) {
    return true;
  }
  for (gid_t g : rule.gids) {
    if (peer.InGroup(g)) return true;
  }
  return false;
}

std::string DescribePeer(const peer::PeerIdentity& peer) {
  return absl::StrCat("uid=", peer.uid, " gid=", peer.gid, " groups=[",
                      absl::StrJoin(peer.supplementary_gids, ","), "]");
}

}  // namespace

Decision Policy::Decide(const peer::PeerIdentity& peer) const {
  Decision decision;
  std::vector<std::string> notes;
  // The digest is computed at most once per decision, and only if needed.
  std::optional<absl::StatusOr<std::string>> digest;

  for (const Rule& rule : rules_) {
    if (!IdMatches(rule, peer)) continue;
    bool exe_ok = rule.executables.empty();
    std::string why_not;
    for (const ExecutableMatch& m : rule.executables) {
      if (m.path.has_value()) {
        if (!peer.exe_status.ok()) {
          why_not = absl::StrCat("executable unknown: ",
                                 peer.exe_status.message());
          continue;
        }
        if (peer.exe_path != *m.path) {
          why_not = absl::StrCat("executable \"", absl::CEscape(peer.exe_path),
                                 "\" not allowed");
          continue;
        }
      }
      if (m.sha256.has_value()) {
        if (!digest.has_value()) digest = peer.ExeSha256();
        if (!digest->ok()) {
          why_not = absl::StrCat("executable digest unavailable: ",
                                 digest->status().message());
          continue;
        }
        if (**digest != *m.sha256) {
          why_not = absl::StrCat("executable digest ", **digest,
                                 " does not match");
          continue;
        }
      }
      exe_ok = true;
      break;
    }
    if (!exe_ok) {
      notes.push_back(absl::StrCat("rule \"", rule.name, "\": ", why_not));
      continue;
    }
    decision.allowed = true;
    decision.scopes = rule.scopes;
    decision.matched_rule = rule.name;
    decision.rate_limit = rule.rate_limit;
    decision.budget = rule.budget;
    decision.reason = absl::StrCat("allowed by rule \"", rule.name, "\"");
    return decision;
  }
  decision.rate_limit = default_rate_limit_;
  decision.budget = default_budget_;
  decision.reason = absl::StrCat("no rule allows ", DescribePeer(peer));
  if (!notes.empty()) {
    absl::StrAppend(&decision.reason, " (", absl::StrJoin(notes, "; "), ")");
  }
  return decision;
}

bool Policy::IsAdmin(uid_t uid, uid_t socket_owner_uid) const {
  return uid == 0 || uid == socket_owner_uid ||
         std::binary_search(admin_uids_.begin(), admin_uids_.end(), uid);
}

absl::StatusOr<std::unique_ptr<Policy>> LoadPolicyFile(
    const std::string& path, const PolicyFileOptions& options) {
  // O_NONBLOCK: opening a FIFO planted at the path must not hang the daemon.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    const std::string msg =
        absl::StrCat("policy file ", path, ": ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::InternalError(msg);
  }
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};

  struct stat st;
  if (fstat(fd, &st) != 0) {
    return absl::InternalError(
        absl::StrCat("policy file ", path, ": fstat: ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("policy file ", path, " is not a regular file"));
  }
  const uid_t trusted = options.trusted_owner.value_or(geteuid());
  if (st.st_uid != 0 && st.st_uid != trusted) {
    return absl::FailedPreconditionError(absl::StrCat(
        "policy file ", path, " is owned by uid ", st.st_uid,
        "; only root or uid ", trusted,
        " may own it (fix: chown root: ", store::ShellQuote(path), ")"));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "policy file ", path, " is writable by group or others (mode ",
        absl::StrFormat("%04o", st.st_mode & 07777),
        "); anyone who can write it can grant themselves access (fix: chmod "
        "go-w ",
        store::ShellQuote(path), ")"));
  }
  if (st.st_size > static_cast<off_t>(kMaxPolicyBytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy file ", path, " is ", st.st_size,
                     " bytes, over the limit of ", kMaxPolicyBytes));
  }
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(
          absl::StrCat("policy file ", path, ": read: ", std::strerror(errno)));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxPolicyBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "policy file ", path, " grew over the limit of ", kMaxPolicyBytes,
          " bytes while being read"));
    }
  }
  absl::StatusOr<std::unique_ptr<Policy>> policy = Policy::Parse(text);
  if (!policy.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", policy.status().message()));
  }
  return policy;
}

}  // namespace layer_vault::policy
