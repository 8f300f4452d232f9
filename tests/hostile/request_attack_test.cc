// Hostile CallLayer requests to the real vaultd: GraphQL injection through
// variables, path parameters and operation names that try to leave the
// registry, and oversized, deeply nested or non-UTF-8 arguments. Each row
// is one attack with the clean refusal it must get; after each, nothing
// reached the fake Layer.ai, the caller's spend is the same, and vaultd
// still serves (Ping and IssueToken succeed).
//
// Extends tests/relay/request_validation_test.cc (22 path-injection values
// on 5 operations, unknown parameters and operations, undeclared GraphQL
// variables) and wire_test.cc (byte-for-byte forwarding, malformed
// params_json), whose rows are not repeated here.

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/hostile/hostile_env.h"
#include "tests/relay/fake_layer.h"
#include "tests/relay/relay_test_base.h"

namespace layer_vault::tests::hostile {
namespace {

using ::grpc::StatusCode;
using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using relay::kIconSet;
using relay::kImageFast;
using relay::kStudio;

// One row: a CallLayer request and the refusal vaultd must give.
struct RequestAttack {
  std::string name;
  std::string operation;
  std::string params_json;
  StatusCode code;
  std::string message;  // a substring of vaultd's message
  std::string token = "";  // replaces the caller's valid token if set
};

std::string Quoted(const std::string& s) { return json(s).dump(); }

// {"workspace_id":"<studio>", <extra>}
std::string Ws(const std::string& extra = "") {
  return absl::StrCat(R"({"workspace_id":")", kStudio, "\"",
                      extra.empty() ? "" : ",", extra, "}");
}

// workspaces.get with `id` as workspace_id, written as JSON text.
std::string WsId(const std::string& id_json) {
  return absl::StrCat(R"({"workspace_id":)", id_json, "}");
}

// An inferences.execute body with `field` added.
std::string ExecuteBody(const std::string& field) {
  return Ws(absl::StrCat(R"("body":{"model_id":")", kImageFast,
                         R"(","batch_size":1)", field.empty() ? "" : ",", field,
                         "}"));
}

std::string TransformPrompt(const std::string& extra) {
  return absl::StrCat(R"({"workspaceId":")", kStudio, R"(","prompt":"tower")",
                      extra.empty() ? "" : ",", extra, "}");
}

std::string Nested(int depth, const std::string& open, const std::string& close,
                   const std::string& inner) {
  std::string out;
  for (int i = 0; i < depth; ++i) out += open;
  out += inner;
  for (int i = 0; i < depth; ++i) out += close;
  return out;
}

class RequestAttackTest : public relay::SharedRelayTest<RequestAttackTest> {
 protected:
  void SetUp() override {
    SharedRelayTest::SetUp();
    if (HasFatalFailure()) return;
    raw_ = std::make_unique<RawWorkload>(env().vaultd().workload_socket());
    auto token = raw_->IssueToken(relay::AllScopes());
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = *token;
  }

  void Check(const RequestAttack& row) {
    SCOPED_TRACE(row.name);
    auto before = Observe(env(), client());
    ASSERT_TRUE(before.ok()) << before.status();
    grpc::Status s = raw_->CallLayer(row.token.empty() ? token_ : row.token,
                                     row.operation, row.params_json);
    EXPECT_EQ(s.error_code(), row.code) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(row.message));
    // Refusals do not echo long hostile input back.
    EXPECT_LT(s.error_message().size(), 1024u);
    auto after = Observe(env(), client());
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_EQ(after->api_requests, before->api_requests);
    EXPECT_EQ(after->period_spent, before->period_spent);
    EXPECT_EQ(after->fake_spent, before->fake_spent);
    // vaultd still serves.
    grpc::Status ping = raw_->Ping("alive");
    EXPECT_TRUE(ping.ok()) << ping.error_message();
    EXPECT_TRUE(raw_->IssueToken({"layer:read"}).ok());
  }

  std::unique_ptr<RawWorkload> raw_;
  std::string token_;
};

constexpr StatusCode kInvalid = StatusCode::INVALID_ARGUMENT;

TEST_F(RequestAttackTest, GraphqlSyntaxInVariablesTravelsAsPlainJsonStrings) {
  auto path = relay::Runfile("vaultd/relay/operations/graphql/TransformPrompt.graphql");
  ASSERT_TRUE(path.ok()) << path.status();
  std::ifstream in(*path);
  std::stringstream document;
  document << in.rdbuf();
  ASSERT_FALSE(document.str().empty());

  const std::vector<std::string> injections = {
      R"("}) { __schema { types { name } } } #)",
      "\") { me { personalAccessTokens { token } } } #",
      "tower\"}}, \"query\": \"{ __typename }\", \"x\": {\"",
      "mutation { deleteWorkspace(id: \"1\") }",
      "$workspaceId",
      "fragment F on Query { __typename } ... F",
      "\\\") { __typename } #",
      "tower\n}\nquery Evil { __schema { queryType { name } } }",
  };
  for (const std::string& prompt : injections) {
    SCOPED_TRACE(prompt);
    RELAY_ASSERT_OK(fake().Reset());
    const json variables = {{"workspaceId", kStudio}, {"prompt", prompt}};
    grpc::Status s =
        raw_->CallLayer(token_, "graphql.TransformPrompt", variables.dump());
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<json> sent = env().Recorded();
    ASSERT_THAT(sent, SizeIs(1));
    const json wire = json::parse(sent[0]["body"].get<std::string>());
    // The document is the registry's, byte for byte; the injection is data.
    EXPECT_EQ(wire["query"], document.str());
    EXPECT_EQ(wire["operationName"], "TransformPrompt");
    EXPECT_EQ(wire["variables"], variables);
    EXPECT_EQ(wire.size(), 3u) << wire.dump();
  }
}

TEST_F(RequestAttackTest, HostileRequestsAreRefusedBeforeAnythingIsSent) {
  const std::string injection = Quoted(R"("}) { __schema { types { name } } } #)");
  const std::vector<RequestAttack> rows = {
      // GraphQL: syntax where the schema wants an id, undeclared and
      // oversized variables, variables that try to be the request.
      {"gql injection in an ID", "graphql.TransformPrompt",
       absl::StrCat(R"({"prompt":"x","workspaceId":)", injection, "}"), kInvalid,
       "/workspaceId"},
      {"gql injection in a list of ids", "graphql.GetFiles",
       absl::StrCat(R"({"fileIds":[)", injection, "]}"), kInvalid, "/fileIds/0"},
      {"gql variable named query", "graphql.TransformPrompt",
       TransformPrompt(R"("query":"{ __schema { types { name } } }")"), kInvalid,
       "query"},
      {"gql variable named operationName", "graphql.TransformPrompt",
       TransformPrompt(R"("operationName":"Evil")"), kInvalid, "operationName"},
      {"gql variable named extensions", "graphql.TransformPrompt",
       TransformPrompt(R"("extensions":{"persistedQuery":{"sha256Hash":"x"}})"),
       kInvalid, "extensions"},
      {"gql __proto__ variable", "graphql.TransformPrompt",
       TransformPrompt(R"("__proto__":{"admin":true})"), kInvalid, "__proto__"},
      {"gql prompt as an object", "graphql.TransformPrompt",
       absl::StrCat(R"({"workspaceId":")", kStudio, R"(","prompt":{"$ne":""}})"),
       kInvalid, "/prompt"},
      {"gql empty prompt", "graphql.TransformPrompt",
       absl::StrCat(R"({"workspaceId":")", kStudio, R"(","prompt":""})"), kInvalid,
       "/prompt"},
      {"gql 51 file ids", "graphql.GetFiles",
       absl::StrCat(R"({"fileIds":[)",
                    [] {
                      std::string ids;
                      for (int i = 0; i < 51; ++i) ids += (i ? ",\"a\"" : "\"a\"");
                      return ids;
                    }(),
                    "]}"),
       kInvalid, "/fileIds"},
      {"gql variables over 64 KiB", "graphql.TransformPrompt",
       TransformPrompt(absl::StrCat(R"("guidance":")", std::string(70000, 'a'), "\"")),
       kInvalid, "64 KiB"},
      {"gql variables as an array", "graphql.TransformPrompt", "[]", kInvalid,
       "object"},
      // REST path parameters (beyond request_validation_test's values).
      {"overlong UTF-8 slash", "workspaces.get", WsId("\"a\xc0\xaf" "b\""),
       kInvalid, "params_json"},
      {"percent-encoded overlong slash", "workspaces.get", WsId(R"("a%c0%afb")"),
       kInvalid, "/workspace_id"},
      {"escaped slash", "workspaces.get", WsId(R"("a\/b")"), kInvalid,
       "/workspace_id"},
      {"escaped NUL", "workspaces.get", WsId(R"("a\u0000b")"), kInvalid,
       "/workspace_id"},
      {"escaped CR LF", "workspaces.get", WsId(R"("a\r\nHost: evil")"), kInvalid,
       "/workspace_id"},
      {"tab", "workspaces.get", WsId(R"("a\tb")"), kInvalid, "/workspace_id"},
      {"dot dot semicolon", "workspaces.get", WsId(R"("..;")"), kInvalid,
       "/workspace_id"},
      {"fullwidth dots", "workspaces.get", WsId("\"\xef\xbc\x8e\xef\xbc\x8e\""),
       kInvalid, "/workspace_id"},
      {"129-character id", "workspaces.get", WsId(Quoted(std::string(129, 'a'))),
       kInvalid, "/workspace_id"},
      {"traversal in an execute's workflow", "workflows.execute",
       absl::StrCat(R"({"workspace_id":")", kStudio,
                    R"(","workflow_id":"../../inferences","body":{"inputs":{}}})"),
       kInvalid, "/workflow_id"},
      {"traversal in an execute's body model", "inferences.execute",
       Ws(absl::StrCat(R"("body":{"model_id":"../)", kImageFast,
                       R"(","batch_size":1})")),
       kInvalid, "model_id"},
      {"cursor with CR LF", "workspaces.list", R"({"cursor":"a\r\nX-Evil: 1"})",
       kInvalid, "/cursor"},
      // Operation names outside the registry.
      {"operation with leading space", " workspaces.list", "{}", kInvalid,
       "unknown operation"},
      {"operation with trailing newline", "workspaces.list\n", "{}", kInvalid,
       "unknown operation"},
      {"operation with NUL", std::string("workspaces.list\0x", 17), "{}", kInvalid,
       "unknown operation"},
      {"operation capitalised", "Workspaces.list", "{}", kInvalid,
       "unknown operation"},
      {"graphql operation lower case", "graphql.describeimage",
       R"({"workspaceId":"a","imageUrl":"https://x"})", kInvalid,
       "unknown operation"},
      {"graphql operation path", "graphql/DescribeImage", "{}", kInvalid,
       "unknown operation"},
      {"graphql prefix only", "graphql.", "{}", kInvalid, "unknown operation"},
      {"operation path-like", "../x", "{}", kInvalid, "unknown operation"},
      {"operation as a REST path", "/v1/workspaces", "{}", kInvalid,
       "unknown operation"},
      {"operation lookalike dot", "workspaces\xe2\x80\xa4list", "{}", kInvalid,
       "unknown operation"},
      {"operation of 10 KiB", std::string(10240, 'a'), "{}", kInvalid,
       "unknown operation"},
      {"empty operation", "", "{}", kInvalid, "operation"},
      // Size, depth and encoding of the arguments.
      {"params of 900 KiB", "workspaces.get",
       Ws(absl::StrCat(R"("pad":")", std::string(900 * 1024, 'a'), "\"")),
       kInvalid, "64 KiB"},
      {"params over gRPC's 1 MiB", "workspaces.get",
       Ws(absl::StrCat(R"("pad":")", std::string(2 << 20, 'a'), "\"")),
       StatusCode::RESOURCE_EXHAUSTED, "larger than max"},
      {"token over gRPC's 1 MiB", "workspaces.get", Ws(),
       StatusCode::RESOURCE_EXHAUSTED, "larger than max",
       std::string(2 << 20, 'A')},
      {"arrays 32000 deep", "inferences.execute",
       ExecuteBody(absl::StrCat(R"("prompt":)", Nested(32000, "[", "]", "1"))),
       kInvalid, "nested deeper than 32"},
      {"objects 10000 deep", "workspaces.get",
       Ws(absl::StrCat(R"("x":)", Nested(10000, R"({"a":)", "}", "1"))), kInvalid,
       "nested deeper than 32"},
      {"objects 33 deep", "inferences.estimate",
       ExecuteBody(absl::StrCat(R"("prompt":)", Nested(31, R"({"a":)", "}", "1"))),
       kInvalid, "nested deeper than 32"},
      {"raw invalid UTF-8 in a prompt", "inferences.execute",
       ExecuteBody("\"prompt\":\"tower \xff\xfe\""), kInvalid, "params_json"},
      {"overlong UTF-8 in a prompt", "inferences.execute",
       ExecuteBody("\"prompt\":\"\xc0\xbc" "script\""), kInvalid, "params_json"},
      {"UTF-8 surrogate in a prompt", "inferences.execute",
       ExecuteBody("\"prompt\":\"\xed\xa0\x80\""), kInvalid, "params_json"},
      {"lone surrogate escape", "inferences.execute",
       ExecuteBody(R"("prompt":"\ud800")"), kInvalid, "params_json"},
      {"NaN", "inferences.execute", ExecuteBody(R"("guidance_scale":NaN)"),
       kInvalid, "params_json"},
      {"batch size 1e999", "inferences.execute",
       Ws(absl::StrCat(R"("body":{"model_id":")", kImageFast,
                       R"(","batch_size":1e999})")),
       kInvalid, "params_json"},
      {"invalid UTF-8 in the operation", "workspaces.\xff", "{}", kInvalid,
       "unknown operation"},
      {"invalid UTF-8 in the token", "workspaces.get", Ws(),
       StatusCode::UNAUTHENTICATED, "alphabet", "v4.public.\xff\xfe\xfd.e30"},
  };
  for (const RequestAttack& row : rows) Check(row);

  // IssueToken takes caller text too.
  for (const std::string& scope : {std::string("layer:\xff"),
                                   std::string("layer:read\0", 11),
                                   std::string(100000, 'x')}) {
    auto issued = raw_->IssueToken({scope});
    EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument)
        << issued.status();
    EXPECT_THAT(issued.status().message(), HasSubstr("unknown scope"));
  }
  EXPECT_TRUE(raw_->Ping().ok());
}

}  // namespace
}  // namespace layer_vault::tests::hostile
