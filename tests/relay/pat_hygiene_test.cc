// The PAT never leaves vaultd except in the Authorization header to
// Layer.ai: not in an answer, an error message, vaultd's stderr or audit
// log, nor anywhere else in the fake Layer.ai's request log (its
// `pat_leaks`). Layer.ai is made to echo the PAT back in every shape of
// answer vaultd passes on. (Every other suite checks the logs and the
// fake's log after each test too; see SharedRelayTest.)

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/relay/relay_test_base.h"

namespace layer_vault::tests::relay {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

class PatHygieneTest : public SharedRelayTest<PatHygieneTest> {
 protected:
  const std::string& pat() { return fake().pat(); }

  std::string WorkspacePath() { return absl::StrCat("/api/v1/workspaces/", kStudio); }

  void ExpectClean(absl::string_view what, absl::string_view text) {
    EXPECT_FALSE(ContainsAnySecret(text, env().Secrets()))
        << what << " carries the PAT: " << text;
  }
};

TEST_F(PatHygieneTest, TheLeakCheckWouldSeeALeak) {
  // Guards the other tests against checking nothing: the PAT really is on
  // the wire, where it belongs, and the detector finds it in text.
  RELAY_ASSERT_OK(client().Call("workspaces.list", json::object()));
  std::vector<json> sent = env().Recorded();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0]["headers"]["authorization"], "Bearer " + pat());
  EXPECT_TRUE(ContainsAnySecret(absl::StrCat("x", pat(), "y"), env().Secrets()));
  EXPECT_TRUE(ContainsAnySecret(pat().substr(12), env().Secrets()));
}

TEST_F(PatHygieneTest, ErrorAnswersEchoingThePatAreRedacted) {
  const std::vector<json> bodies = {
      {{"detail", absl::StrCat("token ", pat(), " is not valid here")},
       {"code", "BAD_REQUEST"}},
      {{"error", {{"code", "X"}, {"message", "Bearer " + pat()}}}},
      {{"detail", {{{"loc", {"header", pat()}}, {"msg", pat()}, {"type", "x"}}}}},
      {{"errors", {{{"message", pat()}, {"extensions", {{"code", pat()}}}}}}},
  };
  for (int status : {400, 401, 402, 403, 404, 409, 422, 429, 500, 503}) {
    for (const json& body : bodies) {
      SCOPED_TRACE(absl::StrCat(status, " ", body.dump()));
      RELAY_ASSERT_OK(fake().Reset());
      RELAY_ASSERT_OK(fake().InjectFault({{"type", "status"},
                                          {"status", status},
                                          {"body", body},
                                          {"path", WorkspacePath()},
                                          {"count", -1}}));
      auto result = client().Call("workspaces.get", {{"workspace_id", kStudio}});
      ASSERT_FALSE(result.ok());
      ExpectClean("the error", result.status().ToString());
    }
  }
  // A plain-text answer.
  RELAY_ASSERT_OK(fake().Reset());
  RELAY_ASSERT_OK(fake().InjectFault({{"type", "status"},
                                      {"status", 400},
                                      {"body", "your token " + pat()},
                                      {"path", WorkspacePath()}}));
  auto result = client().Call("workspaces.get", {{"workspace_id", kStudio}});
  ASSERT_FALSE(result.ok());
  ExpectClean("the error", result.status().ToString());
}

TEST_F(PatHygieneTest, SuccessfulAnswersEchoingThePatAreRedacted) {
  const json body = {
      {"workspace_id", kStudio},
      {"echo", pat()},
      {"nested", {{"header", "Authorization: Bearer " + pat()}, {"list", {pat(), 1}}}},
      {pat(), "as a key"},
      {"token", "v4.public.eyJzdWIiOiIxMDAwIn0abcdefghijklmnop"},
  };
  RELAY_ASSERT_OK(fake().InjectFault({{"type", "status"},
                                      {"status", 200},
                                      {"body", body},
                                      {"path", WorkspacePath()}}));
  auto result = client().Call("workspaces.get", {{"workspace_id", kStudio}});
  RELAY_ASSERT_OK(result);
  ExpectClean("the answer", result->dump());
  EXPECT_THAT(result->dump(), Not(HasSubstr("v4.public.eyJ")));
  EXPECT_EQ((*result)["workspace_id"], kStudio);  // the rest is intact
  EXPECT_EQ((*result)["echo"], "[REDACTED]");
}

TEST_F(PatHygieneTest, GraphqlErrorsEchoingThePatAreRedacted) {
  const json body = {
      {"data",
       {{"generatePrompt",
         {{"__typename", "Error"},
          {"type", "BAD_REQUEST_ERROR"},
          {"code", "BAD"},
          {"title", pat()},
          {"message", "token " + pat()},
          {"data", nullptr}}}}}};
  RELAY_ASSERT_OK(fake().InjectFault(
      {{"type", "status"}, {"status", 200}, {"body", body}, {"path", "/graphql"}}));
  auto result = client().Call("graphql.GeneratePrompt", {{"workspaceId", kStudio}});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
      << result.status();
  ExpectClean("the error", result.status().ToString());
}

TEST_F(PatHygieneTest, NothingButTheAuthorizationHeaderCarriesThePat) {
  // A sweep over operations and outcomes; every answer and error is clean,
  // and the fake saw the PAT in the Authorization header only.
  std::vector<std::string> outputs;
  auto keep = [&](const absl::StatusOr<json>& r) {
    outputs.push_back(r.ok() ? r->dump() : r.status().ToString());
  };
  keep(client().Call("workspaces.list", json::object()));
  keep(client().Call("models.list", {{"workspace_id", kStudio}}));
  auto run = client().Call(
      "inferences.execute",
      {{"workspace_id", kStudio},
       {"body", {{"model_id", kImageFast}, {"prompt", "x"}, {"batch_size", 1}}}});
  keep(run);
  if (run.ok()) {
    keep(client().Call("inferences.get", {{"workspace_id", kStudio},
                                          {"inference_id", (*run)["inference_id"]}}));
  }
  keep(client().Call("files.upload_url",
                     {{"workspace_id", kStudio},
                      {"body", {{"content_type", "image/png"}, {"file_size_bytes", 9}}}}));
  keep(client().Call("graphql.GetWorkspaceUsage", {{"workspaceId", kStudio}}));
  keep(client().Call("workspaces.get", {{"workspace_id", "../x"}}));
  keep(client().Call("models.get", {{"workspace_id", kStudio},
                                    {"model_id", "00000000-0000-4000-8000-0000000000ff"}}));
  RELAY_ASSERT_OK(fake().InjectFault({{"type", "status"}, {"status", 401},
                                      {"path", WorkspacePath()}}));
  keep(client().Call("workspaces.get", {{"workspace_id", kStudio}}));
  for (const std::string& out : outputs) ExpectClean("an output", out);

  auto log = fake().Requests();
  RELAY_ASSERT_OK(log);
  EXPECT_THAT((*log)["pat_leaks"], IsEmpty());
  ASSERT_THAT((*log)["requests"], Not(IsEmpty()));
  for (const json& r : (*log)["requests"]) {
    EXPECT_THAT(r["pat_found_in"], IsEmpty()) << r.dump();
    EXPECT_EQ(r["headers"]["authorization"], "Bearer " + pat());
  }
  EXPECT_THAT(env().FindLeaks(), IsEmpty());
}

}  // namespace
}  // namespace layer_vault::tests::relay
