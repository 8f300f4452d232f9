#include "vaultd/policy/policy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/peer/peer_identity.h"

namespace layer_vault::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Builds policy text: `rules` is the inside of the rules array, `global` the
// inside of the global object (both may be empty). Single quotes become
// double quotes to keep the tables readable.
std::string PolicyJson(const std::string& rules, const std::string& global = "") {
  std::string text = "{'version': 1, ";
  if (!global.empty()) absl::StrAppend(&text, "'global': {", global, "}, ");
  absl::StrAppend(&text, "'rules': [", rules, "]}");
  return absl::StrReplaceAll(text, {{"'", "\""}});
}

std::string Q(const std::string& s) {
  return absl::StrReplaceAll(s, {{"'", "\""}});
}

constexpr char kOkRule[] =
    "{'name': 'r', 'match': {'uids': [1000]}, 'scopes': ['layer:read']}";

const std::string kShaA(64, 'a');
const std::string kShaB(64, 'b');

// --- Parsing: rejected documents -------------------------------------------

struct BadCase {
  std::string name;
  std::string text;
  std::string want;  // substring of the error message (pointer and reason)
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class RejectTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(RejectTest, NamesThePointer) {
  absl::StatusOr<std::unique_ptr<Policy>> p = Policy::Parse(GetParam().text);
  ASSERT_FALSE(p.ok()) << "accepted: " << GetParam().text;
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), StartsWith("policy: "));
  EXPECT_THAT(std::string(p.status().message()), HasSubstr(GetParam().want));
}

std::string RuleJson(const std::string& body) { return Q("{" + body + "}"); }

std::vector<BadCase> BadCases() {
  const std::string nm = "'name': 'r', ";
  const std::string sc = ", 'scopes': ['layer:read']";
  return {
      {"not_object", "[]", "(root): expected an object"},
      {"malformed", "{\"version\": 1,", "malformed JSON at byte"},
      {"trailing_comma", Q("{'version': 1, 'rules': [],}"), "malformed JSON"},
      {"comment", "{\"version\": 1, /* x */ \"rules\": []}", "malformed JSON"},
      {"bad_utf8", "{\"version\": 1, \"rules\": [], \"\xff\": 1}",
       "malformed JSON"},
      {"missing_version", Q("{'rules': []}"), "/version: required"},
      {"version_2", Q("{'version': 2, 'rules': []}"), "/version: expected"},
      {"version_string", Q("{'version': '1', 'rules': []}"), "/version"},
      {"missing_rules", Q("{'version': 1}"), "/rules: required"},
      {"rules_object", Q("{'version': 1, 'rules': {}}"),
       "/rules: expected an array"},
      {"unknown_top_key", Q("{'version': 1, 'rules': [], 'rule': []}"),
       "/rule: unknown key"},
      {"pointer_escaping", Q("{'version': 1, 'rules': [], 'a/b~c': 1}"),
       "/a~1b~0c: unknown key"},
      {"duplicate_top_key", Q("{'version': 1, 'version': 1, 'rules': []}"),
       "/version: duplicate key"},
      {"duplicate_nested_key",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1], 'uids': [2]}" + sc)),
       "/rules/0/match/uids: duplicate key"},
      {"too_deep",
       Q("{'version': 1, 'rules': [], 'x': ") + std::string(40, '[') +
           std::string(40, ']') + "}",
       "nested too deeply"},
      {"rule_not_object", PolicyJson("1"), "/rules/0: expected an object"},
      {"rule_unknown_key",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1]}, 'scope': ['layer:read']")),
       "/rules/0/scope: unknown key"},
      {"rule_missing_name", PolicyJson(RuleJson("'match': {'uids': [1]}" + sc)),
       "/rules/0/name: required"},
      {"rule_missing_match", PolicyJson(RuleJson(nm + "'scopes': ['layer:read']")),
       "/rules/0/match: required"},
      {"rule_missing_scopes", PolicyJson(RuleJson(nm + "'match': {'uids': [1]}")),
       "/rules/0/scopes: required"},
      {"rule_bad_name",
       PolicyJson(RuleJson("'name': 'a b', 'match': {'uids': [1]}" + sc)),
       "/rules/0/name: expected 1 to 64"},
      {"rule_empty_name",
       PolicyJson(RuleJson("'name': '', 'match': {'uids': [1]}" + sc)),
       "/rules/0/name"},
      {"duplicate_rule_name", PolicyJson(Q(kOkRule) + "," + Q(kOkRule)),
       "/rules/1/name: duplicate rule name"},
      {"match_nobody", PolicyJson(RuleJson(nm + "'match': {}" + sc)),
       "/rules/0/match: needs at least one uid or gid"},
      {"match_empty_lists",
       PolicyJson(RuleJson(nm + "'match': {'uids': [], 'gids': []}" + sc)),
       "/rules/0/match: needs at least one uid or gid"},
      {"match_unknown_key",
       PolicyJson(RuleJson(nm + "'match': {'users': [1]}" + sc)),
       "/rules/0/match/users: unknown key"},
      {"uid_negative", PolicyJson(RuleJson(nm + "'match': {'uids': [-1]}" + sc)),
       "/rules/0/match/uids/0: expected uid"},
      {"uid_float", PolicyJson(RuleJson(nm + "'match': {'uids': [1000.0]}" + sc)),
       "/rules/0/match/uids/0: expected uid"},
      {"uid_string", PolicyJson(RuleJson(nm + "'match': {'uids': ['1000']}" + sc)),
       "/rules/0/match/uids/0: expected uid"},
      {"uid_invalid",
       PolicyJson(RuleJson(nm + "'match': {'uids': [4294967295]}" + sc)),
       "/rules/0/match/uids/0: expected uid"},
      {"uid_duplicate",
       PolicyJson(RuleJson(nm + "'match': {'uids': [5, 6, 5]}" + sc)),
       "/rules/0/match/uids/2: duplicate uid"},
      {"gid_not_array", PolicyJson(RuleJson(nm + "'match': {'gids': 5}" + sc)),
       "/rules/0/match/gids: expected an array"},
      {"exes_empty",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1], 'executables': []}" + sc)),
       "/rules/0/match/executables: must not be empty"},
      {"exe_empty_entry",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1], 'executables': [{}]}" + sc)),
       "/rules/0/match/executables/0: needs"},
      {"exe_unknown_key",
       PolicyJson(RuleJson(nm +
                       "'match': {'uids': [1], 'executables': [{'hash': 'x'}]}" +
                       sc)),
       "/rules/0/match/executables/0/hash: unknown key"},
      {"exe_relative",
       PolicyJson(RuleJson(
           nm + "'match': {'uids': [1], 'executables': [{'path': 'bin/x'}]}" +
           sc)),
       "/rules/0/match/executables/0/path: must be an absolute path"},
      {"exe_dotdot",
       PolicyJson(RuleJson(nm +
                       "'match': {'uids': [1], 'executables': [{'path': "
                       "'/usr/../bin/x'}]}" +
                       sc)),
       "/rules/0/match/executables/0/path: path must be canonical"},
      {"exe_double_slash",
       PolicyJson(RuleJson(
           nm +
           "'match': {'uids': [1], 'executables': [{'path': '/usr//x'}]}" +
           sc)),
       "must be canonical"},
      {"exe_trailing_slash",
       PolicyJson(RuleJson(
           nm + "'match': {'uids': [1], 'executables': [{'path': '/usr/'}]}" +
           sc)),
       "must not end with '/'"},
      {"exe_deleted_marker",
       PolicyJson(RuleJson(nm +
                       "'match': {'uids': [1], 'executables': [{'path': "
                       "'/usr/bin/x (deleted)'}]}" +
                       sc)),
       "(deleted)"},
      {"sha_upper",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1], 'executables': [{'sha256': '" +
                       std::string(64, 'A') + "'}]}" + sc)),
       "/rules/0/match/executables/0/sha256: expected 64 lower-case hex"},
      {"sha_short",
       PolicyJson(RuleJson(nm +
                       "'match': {'uids': [1], 'executables': [{'sha256': "
                       "'abcd'}]}" +
                       sc)),
       "/sha256: expected 64"},
      {"scopes_empty",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1]}, 'scopes': []")),
       "/rules/0/scopes: must not be empty"},
      {"scope_unknown",
       PolicyJson(RuleJson(nm +
                       "'match': {'uids': [1]}, 'scopes': ['layer:read', "
                       "'layer:admin']")),
       "/rules/0/scopes/1: unknown scope \"layer:admin\""},
      {"scope_case",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1]}, 'scopes': ['Layer:Read']")),
       "/rules/0/scopes/0: unknown scope"},
      {"scope_duplicate",
       PolicyJson(RuleJson(nm +
                       "'match': {'uids': [1]}, 'scopes': ['layer:read', "
                       "'layer:read']")),
       "/rules/0/scopes/1: duplicate scope"},
      {"scope_not_string",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1]}, 'scopes': [1]")),
       "/rules/0/scopes/0: expected a string"},
      {"rate_zero",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1]}" + sc +
                       ", 'rate_limit': {'requests_per_second': 0}")),
       "/rules/0/rate_limit/requests_per_second: expected requests per second"},
      {"rate_huge",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1]}" + sc +
                       ", 'rate_limit': {'requests_per_second': 1e400}")),
       "number overflow"},
      {"rate_over_max",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1]}" + sc +
                       ", 'rate_limit': {'requests_per_second': 10001}")),
       "/rules/0/rate_limit/requests_per_second"},
      {"burst_zero",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1]}" + sc +
                       ", 'rate_limit': {'burst': 0}")),
       "/rules/0/rate_limit/burst: expected burst"},
      {"burst_fraction",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1]}" + sc +
                       ", 'rate_limit': {'burst': 1.5}")),
       "/rules/0/rate_limit/burst"},
      {"rule_budget_period",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1]}" + sc +
                       ", 'budget': {'period': 'day'}")),
       "/rules/0/budget/period: unknown key"},
      {"budget_negative",
       PolicyJson(RuleJson(nm + "'match': {'uids': [1]}" + sc +
                       ", 'budget': {'max_creative_units_per_run': -1}")),
       "/rules/0/budget/max_creative_units_per_run: expected Creative Units"},
      {"global_unknown", PolicyJson("", "'admins': [1]"),
       "/global/admins: unknown key"},
      {"global_period", PolicyJson("", "'budget': {'period': 'year'}"),
       "/global/budget/period: expected one of"},
      {"ttl_over_hard_cap",
       PolicyJson("", "'token': {'max_ttl_seconds': 901}"),
       "/global/token/max_ttl_seconds: expected seconds"},
      {"ttl_zero", PolicyJson("", "'token': {'default_ttl_seconds': 0}"),
       "/global/token/default_ttl_seconds"},
      {"ttl_default_over_max",
       PolicyJson("", "'token': {'default_ttl_seconds': 600, "
                      "'max_ttl_seconds': 300}"),
       "/global/token/default_ttl_seconds: must not exceed max_ttl_seconds"},
      {"admin_uids_not_array", PolicyJson("", "'admin_uids': 1000"),
       "/global/admin_uids: expected an array"},
      {"admin_uid_bad", PolicyJson("", "'admin_uids': [true]"),
       "/global/admin_uids/0: expected uid"},
  };
}

INSTANTIATE_TEST_SUITE_P(Table, RejectTest, ::testing::ValuesIn(BadCases()),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return info.param.name;
                         });

TEST(PolicyParseTest, RejectsTextOverOneMebibyte) {
  std::string text = PolicyJson("");
  text.insert(text.size() - 1, std::string(kMaxPolicyBytes, ' '));
  absl::StatusOr<std::unique_ptr<Policy>> p = Policy::Parse(text);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("over the limit"));
}

// --- Parsing: accepted documents -------------------------------------------

TEST(PolicyParseTest, MinimalPolicyHasDefaultsAndDeniesEveryone) {
  absl::StatusOr<std::unique_ptr<Policy>> p = Policy::Parse(PolicyJson(""));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->token_limits().default_ttl, absl::Seconds(300));
  EXPECT_EQ((*p)->token_limits().max_ttl, absl::Seconds(900));
  EXPECT_EQ((*p)->default_rate_limit().requests_per_second, 10);
  EXPECT_EQ((*p)->default_rate_limit().burst, 20);
  EXPECT_EQ((*p)->default_budget().period, BudgetPeriod::kDay);
  EXPECT_EQ((*p)->default_budget().creative_units_per_period, 100);
  EXPECT_EQ((*p)->default_budget().max_creative_units_per_run, 10);
  EXPECT_THAT((*p)->admin_uids(), IsEmpty());
  peer::PeerIdentity root;
  root.uid = 0;
  root.gid = 0;
  const Decision d = (*p)->Decide(root);
  EXPECT_FALSE(d.allowed);
  EXPECT_THAT(d.scopes, IsEmpty());
  EXPECT_FALSE(d.HasScope(kScopeLayerRead));
}

TEST(PolicyParseTest, ShortMaxTtlPullsTheDefaultDown) {
  absl::StatusOr<std::unique_ptr<Policy>> p =
      Policy::Parse(PolicyJson("", "'token': {'max_ttl_seconds': 120}"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->token_limits().default_ttl, absl::Seconds(120));
  EXPECT_EQ((*p)->token_limits().max_ttl, absl::Seconds(120));
}

TEST(PolicyParseTest, GlobalSectionAndOverridesMerge) {
  absl::StatusOr<std::unique_ptr<Policy>> p = Policy::Parse(PolicyJson(
      Q("{'name': 'r', 'match': {'uids': [1000]}, 'scopes': ['layer:upload', "
        "'layer:read'], 'rate_limit': {'burst': 3}, 'budget': "
        "{'max_creative_units_per_run': 0.6}}"),
      "'token': {'default_ttl_seconds': 60, 'max_ttl_seconds': 600}, "
      "'rate_limit': {'requests_per_second': 0.5, 'burst': 7}, "
      "'budget': {'period': 'month', 'creative_units_per_period': 1000.5, "
      "'max_creative_units_per_run': 0}, 'admin_uids': [1002, 1001]"));
  ASSERT_TRUE(p.ok()) << p.status();
  const Policy& policy = **p;
  EXPECT_EQ(policy.token_limits().default_ttl, absl::Seconds(60));
  EXPECT_EQ(policy.token_limits().max_ttl, absl::Seconds(600));
  EXPECT_THAT(policy.admin_uids(), ElementsAre(1001, 1002));
  ASSERT_EQ(policy.rules().size(), 1u);
  const Rule& r = policy.rules()[0];
  EXPECT_THAT(r.scopes, ElementsAre("layer:read", "layer:upload"));
  EXPECT_EQ(r.rate_limit.requests_per_second, 0.5);  // inherited
  EXPECT_EQ(r.rate_limit.burst, 3);                  // overridden
  EXPECT_EQ(r.budget.period, BudgetPeriod::kMonth);
  EXPECT_EQ(r.budget.creative_units_per_period, 1000.5);
  EXPECT_EQ(r.budget.max_creative_units_per_run, 0.6);
}

TEST(PolicyParseTest, ExampleFileParses) {
  std::ifstream in("vaultd/policy/example_policy.json");
  ASSERT_TRUE(in.good()) << "example_policy.json not in runfiles";
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<std::unique_ptr<Policy>> p = Policy::Parse(ss.str());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->rules().size(), 2u);
}

// --- Decisions --------------------------------------------------------------

std::unique_ptr<Policy> DecisionPolicy() {
  const std::string rules = Q(absl::StrCat(
      "{'name': 'pinned', 'match': {'uids': [1000], 'executables': [{'path': "
      "'/usr/bin/frontend', 'sha256': '",
      kShaA,
      "'}]}, 'scopes': ['layer:read', 'layer:generate', 'layer:upload'], "
      "'rate_limit': {'requests_per_second': 2}},"
      "{'name': 'path-only', 'match': {'uids': [1001], 'executables': "
      "[{'path': '/opt/tool'}]}, 'scopes': ['layer:read']},"
      "{'name': 'sha-only', 'match': {'uids': [1002], 'executables': "
      "[{'sha256': '",
      kShaB,
      "'}]}, 'scopes': ['layer:generate']},"
      "{'name': 'group', 'match': {'gids': [2001]}, 'scopes': ['layer:read'], "
      "'budget': {'creative_units_per_period': 5}},"
      "{'name': 'uid-broad', 'match': {'uids': [1000]}, 'scopes': "
      "['layer:read']}"));
  absl::StatusOr<std::unique_ptr<Policy>> p =
      Policy::Parse(PolicyJson(rules, "'rate_limit': {'burst': 9}"));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : nullptr;
}

struct DecideCase {
  std::string name;
  uid_t uid;
  gid_t gid;
  std::vector<gid_t> groups;
  std::string exe;
  std::optional<std::string> sha;  // unset: digest unavailable
  bool allowed;
  std::string rule;
  std::vector<std::string> scopes;
  std::string reason;  // substring
};

void PrintTo(const DecideCase& c, std::ostream* os) { *os << c.name; }

class DecideTest : public ::testing::TestWithParam<DecideCase> {};

TEST_P(DecideTest, Decides) {
  const DecideCase& c = GetParam();
  std::unique_ptr<Policy> policy = DecisionPolicy();
  ASSERT_NE(policy, nullptr);
  peer::PeerIdentity who;
  who.pid = 4242;
  who.uid = c.uid;
  who.gid = c.gid;
  who.supplementary_gids = c.groups;
  if (c.exe.empty()) {
    who.exe_status = absl::PermissionDeniedError("cannot read /proc/4242/exe");
  } else {
    who.exe_path = c.exe;
  }
  who.known_exe_sha256 = c.sha;
  const Decision d = policy->Decide(who);
  EXPECT_EQ(d.allowed, c.allowed) << d.reason;
  EXPECT_EQ(d.matched_rule, c.rule);
  EXPECT_EQ(d.scopes, c.scopes);
  EXPECT_THAT(d.reason, HasSubstr(c.reason));
  for (const std::string& s : c.scopes) EXPECT_TRUE(d.HasScope(s));
}

const std::vector<std::string> kAll = {"layer:generate", "layer:read",
                                       "layer:upload"};
const std::vector<std::string> kRead = {"layer:read"};
const std::vector<std::string> kGen = {"layer:generate"};
const std::vector<std::string> kNone = {};

INSTANTIATE_TEST_SUITE_P(
    Table, DecideTest,
    ::testing::Values(
        DecideCase{"pinned_exact", 1000, 1000, {}, "/usr/bin/frontend", kShaA,
                   true, "pinned", kAll, "allowed by rule \"pinned\""},
        // Wrong digest: the pinned rule is skipped, the broad one applies.
        DecideCase{"pinned_wrong_digest_falls_through", 1000, 1000, {},
                   "/usr/bin/frontend", kShaB, true, "uid-broad", kRead,
                   "uid-broad"},
        DecideCase{"pinned_wrong_path_falls_through", 1000, 1000, {},
                   "/tmp/frontend", kShaA, true, "uid-broad", kRead, ""},
        DecideCase{"path_only", 1001, 1001, {}, "/opt/tool", std::nullopt,
                   true, "path-only", kRead, ""},
        DecideCase{"path_replaced_binary", 1001, 1001, {},
                   "/opt/tool (deleted)", std::nullopt, false, "", kNone,
                   "rule \"path-only\": executable \"/opt/tool (deleted)\" not "
                   "allowed"},
        DecideCase{"path_unreadable_exe", 1001, 1001, {}, "", std::nullopt,
                   false, "", kNone, "executable unknown"},
        DecideCase{"sha_only_any_path", 1002, 1002, {}, "/home/u/bin/x", kShaB,
                   true, "sha-only", kGen, ""},
        DecideCase{"sha_unavailable", 1002, 1002, {}, "/home/u/bin/x",
                   std::nullopt, false, "", kNone,
                   "executable digest unavailable"},
        DecideCase{"sha_mismatch", 1002, 1002, {}, "/home/u/bin/x", kShaA,
                   false, "", kNone, "does not match"},
        DecideCase{"primary_group", 3000, 2001, {}, "/bin/x", std::nullopt,
                   true, "group", kRead, ""},
        DecideCase{"supplementary_group", 3000, 3000, {5, 2001}, "/bin/x",
                   std::nullopt, true, "group", kRead, ""},
        DecideCase{"stranger", 3000, 3000, {5}, "/bin/x", std::nullopt, false,
                   "", kNone, "no rule allows uid=3000 gid=3000 groups=[5]"},
        DecideCase{"root_is_not_special", 0, 0, {}, "/bin/x", kShaA, false, "",
                   kNone, "no rule allows uid=0"}),
    [](const ::testing::TestParamInfo<DecideCase>& info) {
      return info.param.name;
    });

TEST(DecideLimitsTest, RuleOverridesMergeOverGlobal) {
  std::unique_ptr<Policy> policy = DecisionPolicy();
  ASSERT_NE(policy, nullptr);
  peer::PeerIdentity who;
  who.uid = 1000;
  who.gid = 1000;
  who.exe_path = "/usr/bin/frontend";
  who.known_exe_sha256 = kShaA;
  Decision d = policy->Decide(who);
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.rate_limit.requests_per_second, 2);
  EXPECT_EQ(d.rate_limit.burst, 9);
  EXPECT_EQ(d.budget.creative_units_per_period, 100);

  who.uid = 3000;
  who.gid = 2001;
  d = policy->Decide(who);
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.rate_limit.requests_per_second, 10);
  EXPECT_EQ(d.budget.creative_units_per_period, 5);
  EXPECT_EQ(d.budget.max_creative_units_per_run, 10);
}

TEST(DecideLimitsTest, DigestIsNotComputedUnlessARuleNeedsIt) {
  // An identity not built by ReadPeer cannot produce a digest; a decision
  // that needs none must not try.
  std::unique_ptr<Policy> policy = DecisionPolicy();
  ASSERT_NE(policy, nullptr);
  peer::PeerIdentity who;
  who.uid = 1001;
  who.gid = 1001;
  who.exe_path = "/opt/tool";
  ASSERT_FALSE(who.ExeSha256().ok());
  EXPECT_TRUE(policy->Decide(who).allowed);
}

struct AdminCase {
  uid_t uid;
  bool admin;
};

class IsAdminTest : public ::testing::TestWithParam<AdminCase> {};

TEST_P(IsAdminTest, RootOwnerAndListed) {
  absl::StatusOr<std::unique_ptr<Policy>> p =
      Policy::Parse(PolicyJson("", "'admin_uids': [1000, 1005]"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->IsAdmin(GetParam().uid, /*socket_owner_uid=*/990),
            GetParam().admin);
}

INSTANTIATE_TEST_SUITE_P(Table, IsAdminTest,
                         ::testing::Values(AdminCase{0, true},
                                           AdminCase{990, true},
                                           AdminCase{1000, true},
                                           AdminCase{1005, true},
                                           AdminCase{1001, false},
                                           AdminCase{65534, false}));

// --- Files ------------------------------------------------------------------

class PolicyFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text,
                    mode_t mode = 0644) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::string path = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
    unlink(path.c_str());
    std::ofstream(path) << text;
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    return path;
  }
};

TEST_F(PolicyFileTest, LoadsASafeFile) {
  absl::StatusOr<std::unique_ptr<Policy>> p =
      LoadPolicyFile(Write("ok.json", PolicyJson(Q(kOkRule))));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->rules().size(), 1u);
}

TEST_F(PolicyFileTest, RefusesFilesOthersCanWrite) {
  for (mode_t mode : {0666, 0620, 0602}) {
    const std::string path = Write("open.json", PolicyJson(""), mode);
    absl::StatusOr<std::unique_ptr<Policy>> p = LoadPolicyFile(path);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition)
        << std::oct << mode;
    EXPECT_THAT(std::string(p.status().message()),
                HasSubstr("chmod go-w '" + path + "'"));
  }
}

TEST_F(PolicyFileTest, RefusesWhatIsNotARegularFile) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp");
  EXPECT_EQ(LoadPolicyFile(dir).status().code(),
            absl::StatusCode::kFailedPrecondition);
  const std::string fifo = dir + "/fifo.json";
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // Must return at once instead of waiting for a writer.
  EXPECT_EQ(LoadPolicyFile(fifo).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(LoadPolicyFile(dir + "/missing.json").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PolicyFileTest, ErrorsNameTheFileAndThePointer) {
  const std::string path = Write(
      "bad.json",
      PolicyJson(Q("{'name': 'r', 'match': {'uids': [1]}, 'scopes': "
                   "['layer:write']}")));
  absl::StatusOr<std::unique_ptr<Policy>> p = LoadPolicyFile(path);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr(path + ": policy: /rules/0/scopes/0: unknown scope"));
}

TEST_F(PolicyFileTest, RefusesOversizedFile) {
  std::string text = PolicyJson("");
  text.insert(text.size() - 1, std::string(kMaxPolicyBytes, '\n'));
  absl::StatusOr<std::unique_ptr<Policy>> p =
      LoadPolicyFile(Write("big.json", text));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("over the limit"));
}

}  // namespace
}  // namespace layer_vault::policy
