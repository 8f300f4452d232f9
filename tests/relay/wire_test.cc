// The relay at the byte level, through vaultd's gRPC API directly (so the
// test controls params_json to the byte): request bodies and GraphQL
// variables reach Layer.ai exactly as the caller wrote them, malformed or
// oversized params_json is refused before anything is sent, and the vault
// token the caller presents never appears in vaultd's logs.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "proto/vault.grpc.pb.h"
#include "tests/relay/relay_test_base.h"

namespace layer_vault::tests::relay {
namespace {

namespace v1 = ::layer::vault::v1;
using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

class WireTest : public SharedRelayTest<WireTest> {
 protected:
  void SetUp() override {
    SharedRelayTest::SetUp();
    if (HasFatalFailure()) return;
    stub_ = v1::Workload::NewStub(grpc::CreateChannel(
        "unix:" + env().vaultd().workload_socket(),
        grpc::InsecureChannelCredentials()));
    v1::IssueTokenRequest req;
    for (const std::string& s : AllScopes()) req.add_scopes(s);
    v1::IssueTokenResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    grpc::Status s = stub_->IssueToken(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    token_ = resp.token();
  }

  void TearDown() override {
    SharedRelayTest::TearDown();
    if (token_.empty()) return;
    EXPECT_FALSE(ContainsAnySecret(env().vaultd().Stderr(), {token_}));
    EXPECT_FALSE(ContainsAnySecret(env().vaultd().AuditLog(), {token_}));
    for (const json& r : env().Recorded()) {
      EXPECT_THAT(r.dump(), Not(HasSubstr(token_)));
    }
  }

  grpc::Status CallLayer(const std::string& operation,
                         const std::string& params_json,
                         v1::CallLayerResponse* resp) {
    v1::CallLayerRequest req;
    req.set_token(token_);
    req.set_operation(operation);
    req.set_params_json(params_json);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->CallLayer(&ctx, req, resp);
  }

  std::unique_ptr<v1::Workload::Stub> stub_;
  std::string token_;
};

TEST_F(WireTest, RestBodiesAreForwardedByteForByte) {
  // Unusual but valid JSON: key order, spacing, escapes, raw UTF-8, an
  // escaped slash, a number written with an exponent.
  const std::string body = absl::StrCat(
      "{ \"prompt\" : \"tour \\u00e9 \\\"q\\\" \\\\ \\/ \xf0\x9f\x97\xbc \\n\",\n"
      "  \"model_id\":\"",
      kImageFast,
      "\", \"guidance_scale\": 7.50e0,\t\"batch_size\" :1 }");
  const std::string params = absl::StrCat("{\"body\":", body,
                                          ",\"workspace_id\":\"", kStudio, "\"}");
  v1::CallLayerResponse resp;
  grpc::Status s = CallLayer("inferences.estimate", params, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<json> sent = env().Recorded();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0]["body_encoding"], "utf8");
  EXPECT_EQ(sent[0]["body"].get<std::string>(), body);
  EXPECT_EQ(sent[0]["body_bytes"].get<size_t>(), body.size());

  // An execute: the run itself gets the caller's bytes.
  RELAY_ASSERT_OK(fake().Reset());
  s = CallLayer("inferences.execute", params, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<json> execute = env().Recorded(
      "POST", absl::StrCat("/v1/workspaces/", kStudio, "/inferences"));
  ASSERT_THAT(execute, SizeIs(1));
  EXPECT_EQ(execute[0]["body"].get<std::string>(), body);
}

TEST_F(WireTest, LargeBodiesAreForwardedByteForByte) {
  std::string prompt;
  while (prompt.size() < 50000) prompt += "st\xc3\xb6ne t\xc3\xb4wer, ";
  const std::string body = absl::StrCat(R"({"model_id":")", kImageFast,
                                        R"(","prompt":")", prompt,
                                        R"(","batch_size":1})");
  const std::string params =
      absl::StrCat(R"({"workspace_id":")", kStudio, R"(","body":)", body, "}");
  ASSERT_LT(params.size(), 64u * 1024);
  v1::CallLayerResponse resp;
  grpc::Status s = CallLayer("inferences.estimate", params, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<json> sent = env().Recorded();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0]["body_bytes"].get<size_t>(), body.size());
  EXPECT_EQ(sent[0]["body"].get<std::string>(), body);
}

TEST_F(WireTest, UploadUrlBodyIsForwardedByteForByte) {
  const std::string body =
      R"({"file_size_bytes":  2048 , "content_type":"image/png","file_name":"h\u00e9ro.png"})";
  const std::string params =
      absl::StrCat(R"({"workspace_id":")", kStudio, R"(", "body":)", body, "}");
  v1::CallLayerResponse resp;
  grpc::Status s = CallLayer("files.upload_url", params, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<json> sent = env().Recorded();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0]["body"].get<std::string>(), body);
}

TEST_F(WireTest, GraphqlVariablesAreForwardedByteForByte) {
  const std::string variables = absl::StrCat(
      "{ \"prompt\": \"a  t\\u00f6wer\\t\xe2\x9c\xa8\", \"workspaceId\" : \"",
      kStudio, "\", \"guidance\" : null }");
  v1::CallLayerResponse resp;
  grpc::Status s = CallLayer("graphql.TransformPrompt", variables, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<json> sent = env().Recorded();
  ASSERT_THAT(sent, SizeIs(1));
  const std::string wire = sent[0]["body"];
  EXPECT_THAT(wire, HasSubstr(absl::StrCat("\"variables\":", variables, "}")));
  EXPECT_EQ(json::parse(wire)["operationName"], "TransformPrompt");
}

TEST_F(WireTest, MalformedParamsAreRefusedBeforeAnythingIsSent) {
  const std::vector<std::string> bad = {
      "",
      "[]",
      "\"x\"",
      "null",
      "{",
      absl::StrCat(R"({"workspace_id":")", kStudio, R"(","workspace_id":")",
                   kSideProject, "\"}"),  // duplicate key
      absl::StrCat(R"({"workspace_id":")", kStudio, "\"} trailing"),
      std::string("{\"workspace_id\":\"a\0b\"}",
                  sizeof("{\"workspace_id\":\"a\0b\"}") - 1),
      std::string(2000, '[') + std::string(2000, ']'),
  };
  for (const std::string& params : bad) {
    SCOPED_TRACE(params.substr(0, 80));
    v1::CallLayerResponse resp;
    grpc::Status s = CallLayer("workspaces.get", params, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message();
  }
  // Over the 64 KiB limit of params_json.
  const std::string big = absl::StrCat(R"({"workspaceId":")", kStudio,
                                       R"(","prompt":")",
                                       std::string(70000, 'a'), "\"}");
  v1::CallLayerResponse resp;
  grpc::Status s = CallLayer("graphql.TransformPrompt", big, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("64 KiB"));
  EXPECT_THAT(env().Recorded(), IsEmpty());
}

TEST_F(WireTest, AForeignOrMissingTokenIsRefusedBeforeAnythingIsSent) {
  const std::string params = absl::StrCat(R"({"workspace_id":")", kStudio, "\"}");
  const std::string good = token_;
  std::string tampered = good;
  char& c = tampered[tampered.size() / 2];
  c = c == 'A' ? 'B' : 'A';
  for (const std::string& token :
       {std::string(), std::string("v4.public.AAAA"), tampered}) {
    token_ = token;
    v1::CallLayerResponse resp;
    grpc::Status s = CallLayer("workspaces.get", params, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << s.error_message();
  }
  token_ = good;
  EXPECT_THAT(env().Recorded(), IsEmpty());
}

}  // namespace
}  // namespace layer_vault::tests::relay
