// How Layer.ai's failures reach a caller through vaultd: each of Layer.ai's
// own error codes as a distinct typed error, 5xx, timeouts and dropped
// connections as UNAVAILABLE within a bounded time, oversized answers as a
// clear error. Faults are injected into the fake Layer.ai; vaultd runs with
// short timeouts (1 s) and a 64 KiB response cap so the tests stay fast.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tests/relay/relay_test_base.h"

namespace layer_vault::tests::relay {
namespace {

using ::nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

std::string WorkspacePath(absl::string_view suffix = "") {
  return absl::StrCat("/api/v1/workspaces/", kStudio, suffix);
}

json ExecuteParams(double batch_size = 1) {
  return {{"workspace_id", kStudio},
          {"body",
           {{"model_id", kImageFast},
            {"prompt", "stone tower"},
            {"batch_size", batch_size}}}};
}

class UpstreamErrorsTest : public SharedRelayTest<UpstreamErrorsTest> {
 public:
  static RelayEnvOptions Options() {
    RelayEnvOptions options;
    options.extra_config = {{"connect_timeout_seconds", 1},
                            {"total_timeout_seconds", 1},
                            {"max_response_bytes", 64 * 1024}};
    return options;
  }

 protected:
  // Calls `operation` and returns its status and how long it took.
  absl::Status Timed(absl::string_view operation, const json& params,
                     absl::Duration* elapsed) {
    const absl::Time start = absl::Now();
    absl::Status status = client().Call(operation, params).status();
    *elapsed = absl::Now() - start;
    return status;
  }
};

TEST_F(UpstreamErrorsTest, InsufficientBalanceIsTyped) {
  RELAY_ASSERT_OK(fake().Control({{"action", "set_balance"},
                                  {"workspace_id", kStudio},
                                  {"balance_creative_units", 0.1}}));
  auto run = client().Call("inferences.execute", ExecuteParams());
  EXPECT_EQ(run.status().code(), absl::StatusCode::kFailedPrecondition)
      << run.status();
  EXPECT_EQ(TypeOf(run.status()), "[layer:INSUFFICIENT_BALANCE]");
  EXPECT_THAT(run.status().message(), HasSubstr("HTTP 402"));
}

TEST_F(UpstreamErrorsTest, ModelNotFoundIsTyped) {
  auto model = client().Call(
      "models.get", {{"workspace_id", kStudio},
                     {"model_id", "00000000-0000-4000-8000-0000000000ff"}});
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument)
      << model.status();
  EXPECT_EQ(TypeOf(model.status()), "[layer:MODEL_NOT_FOUND]");

  // The same code from an execute's price estimate stops the run before it
  // is sent.
  RELAY_ASSERT_OK(fake().Reset());
  json params = ExecuteParams();
  params["body"]["model_id"] = "00000000-0000-4000-8000-0000000000ff";
  auto run = client().Call("inferences.execute", params);
  EXPECT_EQ(TypeOf(run.status()), "[layer:MODEL_NOT_FOUND]") << run.status();
  EXPECT_THAT(env().Recorded("POST", absl::StrCat("/v1/workspaces/", kStudio,
                                                  "/inferences")),
              SizeIs(0));
}

TEST_F(UpstreamErrorsTest, FeatureDisabledIsTyped) {
  json params = ExecuteParams();
  params["body"] = {{"model_id", kVideoModel}, {"prompt", "a wave"},
                    {"duration_seconds", 2}};
  auto run = client().Call("inferences.execute", params);
  EXPECT_EQ(run.status().code(), absl::StatusCode::kFailedPrecondition)
      << run.status();
  EXPECT_EQ(TypeOf(run.status()), "[layer:FEATURE_DISABLED]");
}

TEST_F(UpstreamErrorsTest, RateLimitedCarriesRetryAfter) {
  // A Retry-After longer than vaultd's retry budget: no retry, the caller
  // is told when to come back.
  RELAY_ASSERT_OK(fake().InjectFault({{"type", "status"},
                                      {"status", 429},
                                      {"retry_after", 120},
                                      {"path", WorkspacePath()},
                                      {"count", -1}}));
  absl::Duration elapsed;
  absl::Status status =
      Timed("workspaces.get", {{"workspace_id", kStudio}}, &elapsed);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(TypeOf(status), "[layer:RATE_LIMITED]");
  EXPECT_THAT(status.message(), HasSubstr("retry after 2m"));
  EXPECT_LT(elapsed, absl::Seconds(5));
  EXPECT_THAT(env().Recorded("GET"), SizeIs(1));
}

TEST_F(UpstreamErrorsTest, ShortRetryAfterIsHonouredForReads) {
  RELAY_ASSERT_OK(fake().InjectFault({{"type", "status"},
                                      {"status", 429},
                                      {"retry_after", 1},
                                      {"path", WorkspacePath()}}));
  const absl::Time start = absl::Now();
  auto result = client().CallDetailed("workspaces.get", {{"workspace_id", kStudio}});
  RELAY_ASSERT_OK(result);
  EXPECT_EQ(result->upstream_attempts, 2);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(950));
  std::vector<json> sent = env().Recorded("GET");
  ASSERT_THAT(sent, SizeIs(2));
  EXPECT_EQ(sent[0]["status"], 429);
  EXPECT_EQ(sent[1]["status"], 200);
}

TEST_F(UpstreamErrorsTest, ServerErrorsAreUnavailableWithinBoundedTime) {
  for (int code : {500, 502, 503, 504}) {
    SCOPED_TRACE(code);
    RELAY_ASSERT_OK(fake().Reset());
    RELAY_ASSERT_OK(fake().InjectFault({{"type", "status"},
                                        {"status", code},
                                        {"path", WorkspacePath()},
                                        {"count", -1}}));
    absl::Duration elapsed;
    absl::Status status =
        Timed("workspaces.get", {{"workspace_id", kStudio}}, &elapsed);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_EQ(TypeOf(status), "[layer:UPSTREAM_UNAVAILABLE]");
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("HTTP ", code)));
    // Three attempts at most, with backoff: seconds, not minutes.
    EXPECT_LT(elapsed, absl::Seconds(8));
    const size_t attempts = env().Recorded("GET").size();
    EXPECT_GE(attempts, 1u);
    EXPECT_LE(attempts, 3u);
  }
}

TEST_F(UpstreamErrorsTest, TimeoutIsUnavailableWithinBoundedTime) {
  RELAY_ASSERT_OK(fake().InjectFault({{"type", "delay"},
                                      {"delay_ms", 20000},
                                      {"path", WorkspacePath()},
                                      {"count", -1}}));
  absl::Duration elapsed;
  absl::Status status =
      Timed("workspaces.get", {{"workspace_id", kStudio}}, &elapsed);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(TypeOf(status), "[layer:UNREACHABLE]");
  // Up to 3 attempts of 1 s each plus backoff; far below the fake's 20 s.
  EXPECT_LT(elapsed, absl::Seconds(10));
  EXPECT_GE(elapsed, absl::Milliseconds(900));

  // An execute waits for one attempt only.
  RELAY_ASSERT_OK(fake().InjectFault(
      {{"type", "delay"},
       {"delay_ms", 20000},
       {"path", WorkspacePath("/inferences")},
       {"count", -1}}));
  status = Timed("inferences.execute", ExecuteParams(), &elapsed);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_LT(elapsed, absl::Seconds(4));
}

TEST_F(UpstreamErrorsTest, DroppedConnectionIsUnavailable) {
  RELAY_ASSERT_OK(fake().InjectFault(
      {{"type", "drop"}, {"path", WorkspacePath()}, {"count", -1}}));
  absl::Duration elapsed;
  absl::Status status =
      Timed("workspaces.get", {{"workspace_id", kStudio}}, &elapsed);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(TypeOf(status), "[layer:UNREACHABLE]");
  EXPECT_LT(elapsed, absl::Seconds(8));
  std::vector<json> sent = env().Recorded("GET");
  ASSERT_THAT(sent, Not(testing::IsEmpty()));
  for (const json& r : sent) EXPECT_EQ(r["status"], "dropped");
}

TEST_F(UpstreamErrorsTest, OversizedAnswerIsAClearError) {
  for (bool chunked : {false, true}) {
    SCOPED_TRACE(chunked ? "chunked" : "with Content-Length");
    RELAY_ASSERT_OK(fake().Reset());
    RELAY_ASSERT_OK(fake().InjectFault({{"type", "oversize"},
                                        {"bytes", 1 << 20},
                                        {"chunked", chunked},
                                        {"path", WorkspacePath()},
                                        {"count", -1}}));
    absl::Duration elapsed;
    absl::Status status =
        Timed("workspaces.get", {{"workspace_id", kStudio}}, &elapsed);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_EQ(TypeOf(status), "[layer:RESPONSE_TOO_LARGE]");
    EXPECT_THAT(status.message(), AllOf(HasSubstr("65536")));
    EXPECT_LT(elapsed, absl::Seconds(8));
  }
  // Below the cap the same padding is harmless.
  RELAY_ASSERT_OK(fake().Reset());
  RELAY_ASSERT_OK(fake().InjectFault({{"type", "oversize"},
                                      {"bytes", 32 * 1024},
                                      {"path", WorkspacePath()}}));
  auto ok = client().Call("workspaces.get", {{"workspace_id", kStudio}});
  RELAY_ASSERT_OK(ok);
  EXPECT_EQ((*ok)["workspace_id"], kStudio);
}

TEST_F(UpstreamErrorsTest, ValidationErrorsFromLayerAreInvalidArgument) {
  // The fake's workflow inputs are checked by Layer.ai, not by vaultd's
  // schema ("inputs" is any object): its 422 reaches the caller.
  auto run = client().Call(
      "workflows.estimate",
      {{"workspace_id", kStudio},
       {"workflow_id", kIconSet},
       {"body", {{"inputs", {{"count", 2}}}}}});
  EXPECT_EQ(run.status().code(), absl::StatusCode::kInvalidArgument)
      << run.status();
  EXPECT_EQ(TypeOf(run.status()), "[layer:INVALID_REQUEST]");
}

}  // namespace
}  // namespace layer_vault::tests::relay
