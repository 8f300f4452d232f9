// Retries only for idempotent operations: a retried execute can charge
// twice, so vaultd sends it exactly once whatever Layer.ai answers, while a
// read (or a free estimate, or a GraphQL query) is retried on 429, 502, 503,
// 504 and network errors. Counted in the fake Layer.ai's request log.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/relay/relay_test_base.h"

namespace layer_vault::tests::relay {
namespace {

using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::SizeIs;

const std::string& InferencesPath() {
  static const auto* path =
      new std::string(absl::StrCat("/v1/workspaces/", kStudio, "/inferences"));
  return *path;
}

json ExecuteParams() {
  return {{"workspace_id", kStudio},
          {"body",
           {{"model_id", kImageFast}, {"prompt", "stone tower"}, {"batch_size", 1}}}};
}

class RetryTest : public SharedRelayTest<RetryTest> {
 public:
  static RelayEnvOptions Options() {
    RelayEnvOptions options;
    options.extra_config = {{"connect_timeout_seconds", 1},
                            {"total_timeout_seconds", 2}};
    return options;
  }
};

TEST_F(RetryTest, ExecuteIsSentOnceWhenLayerAnswers503) {
  RELAY_ASSERT_OK(fake().InjectFault({{"type", "status"},
                                      {"status", 503},
                                      {"method", "POST"},
                                      {"path", "/api" + InferencesPath()},
                                      {"count", -1}}));
  auto run = client().Call("inferences.execute", ExecuteParams());
  EXPECT_EQ(run.status().code(), absl::StatusCode::kUnavailable) << run.status();
  std::vector<json> executes = env().Recorded("POST", InferencesPath());
  ASSERT_THAT(executes, SizeIs(1));
  EXPECT_EQ(executes[0]["status"], 503);
  // Only the estimate went before it.
  EXPECT_THAT(MethodsAndPaths(env().Recorded()),
              ElementsAre("POST " + InferencesPath() + "/estimate",
                          "POST " + InferencesPath()));
}

TEST_F(RetryTest, ExecuteIsSentOnceWhenTheAnswerIsLost) {
  // The run starts, then the connection drops, or the answer is late: a
  // retry would start (and charge) a second run.
  for (const char* type : {"drop", "delay"}) {
    SCOPED_TRACE(type);
    RELAY_ASSERT_OK(fake().Reset());
    RELAY_ASSERT_OK(fake().InjectFault({{"type", type},
                                        {"when", "after"},
                                        {"delay_ms", 5000},
                                        {"method", "POST"},
                                        {"path", "/api" + InferencesPath()},
                                        {"count", -1}}));
    auto run = client().Call("inferences.execute", ExecuteParams());
    EXPECT_EQ(run.status().code(), absl::StatusCode::kUnavailable)
        << run.status();
    EXPECT_THAT(env().Recorded("POST", InferencesPath()), SizeIs(1));
    auto state = fake().Control({{"action", "get_state"}});
    RELAY_ASSERT_OK(state);
    EXPECT_THAT((*state)["state"]["runs"], SizeIs(1)) << state->dump();
  }
}

TEST_F(RetryTest, ExecuteIsSentOnceWhenRateLimited) {
  RELAY_ASSERT_OK(fake().InjectFault({{"type", "status"},
                                      {"status", 429},
                                      {"retry_after", 1},
                                      {"method", "POST"},
                                      {"path", "/api" + InferencesPath()},
                                      {"count", -1}}));
  auto run = client().Call("inferences.execute", ExecuteParams());
  EXPECT_EQ(TypeOf(run.status()), "[layer:RATE_LIMITED]") << run.status();
  EXPECT_THAT(env().Recorded("POST", InferencesPath()), SizeIs(1));
}

TEST_F(RetryTest, WorkflowExecuteIsSentOnce) {
  const std::string runs =
      absl::StrCat("/v1/workspaces/", kStudio, "/workflows/", kIconSet, "/runs");
  RELAY_ASSERT_OK(fake().InjectFault({{"type", "status"},
                                      {"status", 502},
                                      {"method", "POST"},
                                      {"path", "/api" + runs},
                                      {"count", -1}}));
  auto run = client().Call(
      "workflows.execute",
      {{"workspace_id", kStudio},
       {"workflow_id", kIconSet},
       {"body", {{"inputs", {{"prompt", "gems"}, {"count", 1}}}}}});
  EXPECT_EQ(run.status().code(), absl::StatusCode::kUnavailable) << run.status();
  EXPECT_THAT(env().Recorded("POST", runs), SizeIs(1));
}

TEST_F(RetryTest, ReadIsRetriedAfter503) {
  const std::string path = absl::StrCat("/v1/workspaces/", kStudio);
  RELAY_ASSERT_OK(fake().InjectFault(
      {{"type", "status"}, {"status", 503}, {"path", "/api" + path}}));
  auto result = client().CallDetailed("workspaces.get", {{"workspace_id", kStudio}});
  RELAY_ASSERT_OK(result);
  EXPECT_EQ(result->upstream_attempts, 2);
  EXPECT_EQ(result->body["workspace_id"], kStudio);
  std::vector<json> sent = env().Recorded("GET", path);
  ASSERT_THAT(sent, SizeIs(2));
  EXPECT_EQ(sent[0]["status"], 503);
  EXPECT_EQ(sent[1]["status"], 200);
}

TEST_F(RetryTest, ReadIsRetriedAfterADroppedConnection) {
  RELAY_ASSERT_OK(fake().InjectFault(
      {{"type", "drop"}, {"path", "/api/v1/workspaces"}, {"count", 2}}));
  auto result = client().CallDetailed("workspaces.list", json::object());
  RELAY_ASSERT_OK(result);
  // libcurl itself replays a read when a reused connection dies before the
  // answer, so the relay may count fewer attempts than the fake saw.
  std::vector<json> sent = env().Recorded("GET", "/v1/workspaces");
  ASSERT_THAT(sent, SizeIs(3));
  EXPECT_EQ(sent[0]["status"], "dropped");
  EXPECT_EQ(sent[1]["status"], "dropped");
  EXPECT_EQ(sent[2]["status"], 200);
}

TEST_F(RetryTest, TheEstimateBeforeAnExecuteIsRetriedButNotTheExecute) {
  RELAY_ASSERT_OK(fake().InjectFault({{"type", "status"},
                                      {"status", 504},
                                      {"path", "/api" + InferencesPath() + "/estimate"}}));
  auto run = client().Call("inferences.execute", ExecuteParams());
  RELAY_ASSERT_OK(run);
  EXPECT_THAT(MethodsAndPaths(env().Recorded()),
              ElementsAre("POST " + InferencesPath() + "/estimate",
                          "POST " + InferencesPath() + "/estimate",
                          "POST " + InferencesPath()));
}

TEST_F(RetryTest, GraphqlQueriesAreRetriedMutationsAreNot) {
  RELAY_ASSERT_OK(fake().InjectFault(
      {{"type", "status"}, {"status", 503}, {"path", "/graphql"}}));
  auto languages =
      client().Call("graphql.ListTranslationLanguages", {{"workspaceId", kStudio}});
  RELAY_ASSERT_OK(languages);
  EXPECT_THAT(env().Recorded("POST", ""), SizeIs(2));

  RELAY_ASSERT_OK(fake().Reset());
  RELAY_ASSERT_OK(fake().InjectFault(
      {{"type", "status"}, {"status", 503}, {"path", "/graphql"}, {"count", -1}}));
  auto prompt = client().Call("graphql.GeneratePrompt", {{"workspaceId", kStudio}});
  EXPECT_EQ(prompt.status().code(), absl::StatusCode::kUnavailable)
      << prompt.status();
  EXPECT_THAT(env().Recorded("POST", ""), SizeIs(1));
}

}  // namespace
}  // namespace layer_vault::tests::relay
