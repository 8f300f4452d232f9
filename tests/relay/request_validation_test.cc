// What a caller cannot make vaultd send: path-parameter injection
// (traversal, encoded separators, query or fragment smuggling), unknown
// parameters or operations, GraphQL variables the document does not
// declare, operations outside the token's scopes, and requests beyond the
// caller's rate limit. Each refusal is checked against the fake Layer.ai's
// request log: nothing reached it.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "tests/relay/relay_test_base.h"

namespace layer_vault::tests::relay {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

class RequestValidationTest : public SharedRelayTest<RequestValidationTest> {
 protected:
  // Calls and expects INVALID_ARGUMENT with nothing sent to Layer.ai.
  void ExpectRefused(absl::string_view operation, const json& params,
                     absl::string_view message_part = "") {
    SCOPED_TRACE(absl::StrCat(operation, " ", params.dump()));
    auto result = client().Call(operation, params);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
        << result.status();
    if (!message_part.empty()) {
      EXPECT_THAT(result.status().message(), HasSubstr(message_part));
    }
    EXPECT_THAT(env().Recorded(), IsEmpty());
  }
};

// One injection attempt: `value` for path parameter `param` of `operation`.
struct Injection {
  std::string name;
  std::string operation;
  std::string param;
  std::string value;
};

class PathInjectionTest : public SharedRelayTest<PathInjectionTest>,
                          public ::testing::WithParamInterface<Injection> {};

json ParamsFor(const Injection& c) {
  json params = {{"workspace_id", kStudio}};
  if (c.operation == "models.get") params["model_id"] = kImageFast;
  if (c.operation == "inferences.get") {
    params["inference_id"] = "10000000-0000-4000-8000-000000000001";
  }
  if (c.operation == "workflows.runs.get") {
    params["workflow_id"] = kIconSet;
    params["run_id"] = "20000000-0000-4000-8000-000000000001";
  }
  if (c.operation == "inferences.execute" || c.operation == "inferences.estimate") {
    params["body"] = {{"model_id", kImageFast}, {"prompt", "x"}, {"batch_size", 1}};
  }
  params[c.param] = c.value;
  return params;
}

TEST_P(PathInjectionTest, IsRefusedAndNeverSent) {
  const Injection& c = GetParam();
  auto result = client().Call(c.operation, ParamsFor(c));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
      << result.status();
  // The refusal names the parameter, not the (possibly hostile) value.
  EXPECT_THAT(result.status().message(), HasSubstr("/" + c.param));
  if (c.value.size() >= 3) {
    EXPECT_THAT(result.status().message(), Not(HasSubstr(c.value)));
  }
  EXPECT_THAT(env().Recorded(), IsEmpty());
}

std::vector<Injection> Injections() {
  const std::vector<std::pair<std::string, std::string>> values = {
      {"dotdot_slash", "../"},
      {"dotdot", ".."},
      {"dot", "."},
      {"traversal", "../../v1/tokens"},
      {"encoded_dot", "%2e%2e"},
      {"encoded_dot_upper", "%2E%2E%2F"},
      {"encoded_slash", "a%2fb"},
      {"encoded_backslash", "a%5cb"},
      {"double_encoded", "%252e%252e"},
      {"slash", "a/b"},
      {"backslash", "a\\b"},
      {"query", "x?admin=1"},
      {"fragment", "x#frag"},
      {"ampersand", "x&y=1"},
      {"semicolon", "x;y"},
      {"space", "a b"},
      {"newline", "a\r\nX-Injected: 1"},
      {"nul", std::string("a\0b", 3)},
      {"empty", ""},
      {"unicode_dot", "a\xe2\x80\xa4" "b"},  // U+2024 ONE DOT LEADER
      {"fullwidth_slash", "a\xef\xbc\x8f" "b"},  // U+FF0F
      {"too_long", std::string(300, 'a')},
  };
  const std::vector<std::pair<std::string, std::string>> targets = {
      {"workspaces.get", "workspace_id"},
      {"models.get", "model_id"},
      {"inferences.get", "inference_id"},
      {"workflows.runs.get", "run_id"},
      {"inferences.execute", "workspace_id"},
  };
  std::vector<Injection> out;
  for (const auto& [op, param] : targets) {
    for (const auto& [name, value] : values) {
      std::string test_name = absl::StrCat(op, "_", param, "_", name);
      for (char& ch : test_name) {
        if (ch == '.') ch = '_';
      }
      out.push_back({test_name, op, param, value});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(All, PathInjectionTest, ::testing::ValuesIn(Injections()),
                         [](const ::testing::TestParamInfo<Injection>& info) {
                           return info.param.name;
                         });

TEST_F(RequestValidationTest, PathParametersMustBeStrings) {
  for (const json& value :
       {json(1), json(true), json::array({"a"}), json::object(), json(nullptr)}) {
    ExpectRefused("workspaces.get", {{"workspace_id", value}}, "/workspace_id");
  }
  ExpectRefused("workspaces.get", json::object(), "/workspace_id");
}

TEST_F(RequestValidationTest, QueryValuesCannotAddParameters) {
  // An allowed query parameter is percent-encoded: its value cannot smuggle
  // another parameter, a fragment or a path.
  const std::string cursor = "c1&limit=100#/../../tokens?x=%2e";
  auto page = client().Call("workspaces.list", {{"limit", 1}, {"cursor", cursor}});
  (void)page;  // the fake may reject the cursor itself; what matters is the wire
  std::vector<json> sent = env().Recorded();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0]["path"], "/api/v1/workspaces");
  EXPECT_EQ(sent[0]["query"], json({{"limit", "1"}, {"cursor", cursor}}));
  EXPECT_THAT(sent[0]["raw_query"].get<std::string>(),
              Not(HasSubstr("&limit=100")));
}

TEST_F(RequestValidationTest, UnknownParametersAreRefused) {
  ExpectRefused("workspaces.list", {{"url", "https://evil.example/"}}, "/url");
  ExpectRefused("workspaces.get",
                {{"workspace_id", kStudio}, {"path", "/v1/tokens"}}, "/path");
  // A GET has no body.
  ExpectRefused("workspaces.get",
                {{"workspace_id", kStudio}, {"body", {{"a", 1}}}}, "/body");
  // Query parameters only where the registry allows them.
  ExpectRefused("models.get",
                {{"workspace_id", kStudio}, {"model_id", kImageFast}, {"limit", 1}},
                "/limit");
  // Query values are typed.
  ExpectRefused("workspaces.list", {{"limit", "1; DROP"}}, "/limit");
  ExpectRefused("workspaces.list", {{"limit", {{"$gt", 1}}}}, "/limit");
  // Bodies follow the operation's schema: no field it does not list.
  ExpectRefused("inferences.estimate",
                {{"workspace_id", kStudio},
                 {"body", {{"model_id", kImageFast}, {"callback_url", "https://x"}}}},
                "callback_url");
  ExpectRefused("inferences.execute",
                {{"workspace_id", kStudio},
                 {"body", {{"model_id", kImageFast}, {"batch_size", 1000}}}},
                "batch_size");
}

TEST_F(RequestValidationTest, UnknownOperationsAreRefused) {
  for (const char* op :
       {"tokens.delete", "workspaces.delete", "workspaces.members.list",
        "graphql.DeletePersonalAccessToken", "graphql.GetUser", "",
        "../workspaces.list", "workspaces.list?x=1", "WORKSPACES.LIST",
        "https://api.app.layer.ai/api/v1/workspaces"}) {
    SCOPED_TRACE(op);
    auto result = client().Call(op, json::object());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
        << result.status();
    if (*op != '\0') {
      EXPECT_THAT(result.status().message(), HasSubstr("unknown operation"));
    }
  }
  EXPECT_THAT(env().Recorded(), IsEmpty());
}

TEST_F(RequestValidationTest, GraphqlVariablesMustBeDeclaredByTheDocument) {
  ExpectRefused("graphql.ListTranslationLanguages",
                {{"workspaceId", kStudio}, {"userId", "u1"}}, "userId");
  ExpectRefused("graphql.GetWorkspaceUsage",
                {{"workspaceId", kStudio}, {"filtering", json::array()}},
                "filtering");
  // A required variable is required, and types are checked.
  ExpectRefused("graphql.DescribeImage", {{"workspaceId", kStudio}}, "imageUrl");
  ExpectRefused("graphql.DescribeImage",
                {{"workspaceId", kStudio}, {"imageUrl", "file:///etc/passwd"}},
                "imageUrl");
  ExpectRefused("graphql.GetFiles", {{"fileIds", {"../x"}}}, "fileIds");
  // No way to pass a query document of one's own.
  ExpectRefused("graphql.GeneratePrompt",
                {{"workspaceId", kStudio},
                 {"query", "{ me { personalAccessTokens { token } } }"}},
                "query");
}

TEST_F(RequestValidationTest, OperationsOutsideTheTokensScopesAreDenied) {
  auto reader = env().Client({"layer:read"});
  RELAY_ASSERT_OK(reader);
  for (const auto& [op, params] : std::vector<std::pair<std::string, json>>{
           {"inferences.execute",
            {{"workspace_id", kStudio},
             {"body", {{"model_id", kImageFast}, {"batch_size", 1}}}}},
           {"workflows.execute",
            {{"workspace_id", kStudio},
             {"workflow_id", kIconSet},
             {"body", {{"inputs", {{"prompt", "x"}}}}}}},
           {"files.upload_url",
            {{"workspace_id", kStudio},
             {"body", {{"content_type", "image/png"}, {"file_size_bytes", 10}}}}},
           {"graphql.GeneratePrompt", {{"workspaceId", kStudio}}},
       }) {
    SCOPED_TRACE(op);
    auto result = (*reader)->Call(op, params);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied)
        << result.status();
  }
  EXPECT_THAT(env().Recorded(), IsEmpty());
  // The same token may read.
  RELAY_ASSERT_OK((*reader)->Call("workspaces.get", {{"workspace_id", kStudio}}));

  // A denial is audited with the operation it asked for.
  bool audited = false;
  for (const json& e : env().vaultd().AuditEvents()) {
    if (e.value("event", "") == "relay.call" && e.value("decision", "") == "deny" &&
        e.value("operation", "") == "files.upload_url") {
      audited = true;
    }
  }
  EXPECT_TRUE(audited) << env().vaultd().AuditLog();
}

TEST(ScopePolicyTest, ScopesThePolicyDoesNotGrantAreNeverIssued) {
  RelayEnvOptions options;
  options.policy = PolicyForSelf({"layer:read"});
  auto env = RelayEnv::Start(options);
  RELAY_ASSERT_OK(env);
  auto generator = (*env)->Client({"layer:read", "layer:generate"});
  RELAY_ASSERT_OK(generator);
  auto run = (*generator)->Call(
      "inferences.execute",
      {{"workspace_id", kStudio},
       {"body", {{"model_id", kImageFast}, {"batch_size", 1}}}});
  EXPECT_EQ(run.status().code(), absl::StatusCode::kPermissionDenied)
      << run.status();
  EXPECT_THAT(run.status().message(), HasSubstr("layer:generate"));
  EXPECT_THAT((*env)->Recorded(), IsEmpty());
  EXPECT_THAT((*env)->FindLeaks(), IsEmpty());
  generator->reset();  // an idle connection holds vaultd's shutdown back
  RELAY_EXPECT_OK((*env)->vaultd().Stop());
}

TEST(RateLimitTest, CallsBeyondTheRateAreRefusedWithARetryHint) {
  RelayEnvOptions options;
  options.policy = PolicyForSelf();
  options.policy["global"]["rate_limit"] = {{"requests_per_second", 1000},
                                            {"burst", 1000}};
  // The caller's own rule is stricter: 2 calls, then 1 per second.
  options.policy["rules"][0]["rate_limit"] = {{"requests_per_second", 1},
                                              {"burst", 2}};
  auto env = RelayEnv::Start(options);
  RELAY_ASSERT_OK(env);
  auto client = (*env)->Client();
  RELAY_ASSERT_OK(client);
  const json params = {{"workspace_id", kStudio}};
  RELAY_ASSERT_OK((*client)->Call("workspaces.get", params));
  RELAY_ASSERT_OK((*client)->Call("workspaces.get", params));
  auto limited = (*client)->Call("workspaces.get", params);
  EXPECT_EQ(limited.status().code(), absl::StatusCode::kResourceExhausted)
      << limited.status();
  EXPECT_EQ(TypeOf(limited.status()), "[vault:CALLER_RATE_LIMITED]");
  EXPECT_THAT(limited.status().message(), HasSubstr("retry in"));
  EXPECT_THAT((*env)->Recorded(), SizeIs(2));

  // The hint is honest: after a second the bucket has a token again.
  absl::SleepFor(absl::Milliseconds(1100));
  RELAY_ASSERT_OK((*client)->Call("workspaces.get", params));
  EXPECT_THAT((*env)->Recorded(), SizeIs(3));
  EXPECT_THAT((*env)->FindLeaks(), IsEmpty());
  client->reset();  // an idle connection holds vaultd's shutdown back
  RELAY_EXPECT_OK((*env)->vaultd().Stop());
}

}  // namespace
}  // namespace layer_vault::tests::relay
