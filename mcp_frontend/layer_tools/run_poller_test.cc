#include "mcp_frontend/layer_tools/run_poller.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "mcp_frontend/layer_tools/test_fakes.h"

namespace layer_vault::mcp::layer_tools {
namespace {

using nlohmann::json;
using testing::ContextHarness;
using testing::FakeLayerApi;
using testing::FakeSleeper;

json Inference(const std::string& status, double interval = 0.5) {
  json run = {{"inference_id", "10000000-0000-4000-8000-000000000007"},
              {"status", status}};
  if (interval >= 0) run["poll_interval_seconds"] = interval;
  return run;
}

struct StateCase {
  json run;
  RunState expected;
};

TEST(RunStateTest, ComparesStatusesCaseInsensitively) {
  const std::vector<StateCase> cases = {
      {{{"status", "in_progress"}}, RunState::kRunning},
      {{{"status", "IN_PROGRESS"}}, RunState::kRunning},
      {json::object(), RunState::kRunning},
      {{{"status", 7}}, RunState::kRunning},
      {{{"status", "complete"}}, RunState::kSucceeded},
      {{{"status", "COMPLETED"}}, RunState::kSucceeded},
      {{{"status", "failed"}}, RunState::kEnded},
      {{{"status", "Cancelled"}}, RunState::kEnded},
      {{{"status", "deleted"}}, RunState::kEnded},
  };
  for (const StateCase& c : cases) {
    EXPECT_EQ(StateOf(InferenceRunKind(), c.run), c.expected) << c.run;
  }
  EXPECT_EQ(StateOf(WorkflowRunKind(), {{"status", "success"}}),
            RunState::kSucceeded);
  EXPECT_EQ(StateOf(WorkflowRunKind(), {{"status", "FAILURE"}}),
            RunState::kEnded);
  EXPECT_EQ(StateOf(WorkflowRunKind(), {{"status", "pending"}}),
            RunState::kRunning);
  // An inference status means nothing to a workflow run.
  EXPECT_EQ(StateOf(WorkflowRunKind(), {{"status", "complete"}}),
            RunState::kRunning);
}

TEST(RunPollerTest, NextPollIntervalIsClampedToTheBounds) {
  LayerToolsOptions o;
  o.min_poll_interval = absl::Milliseconds(250);
  o.max_poll_interval = absl::Seconds(30);
  o.default_poll_interval = absl::Seconds(5);
  EXPECT_EQ(NextPollInterval({{"poll_interval_seconds", 2}}, o),
            absl::Seconds(2));
  EXPECT_EQ(NextPollInterval({{"poll_interval_seconds", 0.01}}, o),
            absl::Milliseconds(250));
  EXPECT_EQ(NextPollInterval({{"poll_interval_seconds", 0}}, o),
            absl::Milliseconds(250));
  EXPECT_EQ(NextPollInterval({{"poll_interval_seconds", 3600}}, o),
            absl::Seconds(30));
  EXPECT_EQ(NextPollInterval({{"poll_interval_seconds", -4}}, o),
            absl::Seconds(5));
  EXPECT_EQ(NextPollInterval({{"poll_interval_seconds", "10"}}, o),
            absl::Seconds(5));
  EXPECT_EQ(NextPollInterval(json::object(), o), absl::Seconds(5));
}

class PollRunTest : public ::testing::Test {
 protected:
  PollRunTest() : sleeper_(&clock_) {
    env_.api = &api_;
    env_.clock = &clock_;
    env_.sleep = sleeper_.AsSleeper();
  }

  absl::StatusOr<PollResult> Poll(const RunKind& kind, json first) {
    context_ = harness_.MakeContext();
    progress_ = std::make_unique<ProgressSteps>(*context_);
    return PollRun(env_, kind, params_, std::move(first), *context_,
                   *progress_);
  }

  common::FakeClock clock_;
  FakeSleeper sleeper_;
  FakeLayerApi api_;
  ToolEnv env_;
  ContextHarness harness_;
  std::unique_ptr<ToolContext> context_;
  std::unique_ptr<ProgressSteps> progress_;
  const json params_ = {{"workspace_id", "ws"},
                        {"inference_id", "10000000-0000-4000-8000-000000000007"}};
};

TEST_F(PollRunTest, FollowsTheRunAtTheIntervalsItAsksForWithProgress) {
  api_.OnSequence("inferences.get", {Inference("in_progress", 1.5),
                                     Inference("in_progress", 2),
                                     Inference("complete", -1)});
  absl::StatusOr<PollResult> r = Poll(InferenceRunKind(), Inference("in_progress", 0.5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, RunState::kSucceeded);
  EXPECT_EQ(r->polls, 3);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->run["status"], "complete");
  EXPECT_EQ(sleeper_.sleeps(),
            (std::vector<absl::Duration>{absl::Milliseconds(500),
                                         absl::Milliseconds(1500),
                                         absl::Seconds(2)}));
  const std::vector<json> gets = api_.CallsOf("inferences.get");
  ASSERT_EQ(gets.size(), 3u);
  EXPECT_EQ(gets[0], params_);
  const auto& progress = harness_.progress();
  ASSERT_EQ(progress.size(), 3u);
  for (size_t i = 1; i < progress.size(); ++i) {
    EXPECT_GT(progress[i].value, progress[i - 1].value);
  }
  EXPECT_TRUE(absl::StrContains(progress[0].message, "in_progress"));
  EXPECT_TRUE(absl::StrContains(progress[2].message, "complete (poll 3)"));
}

TEST_F(PollRunTest, AFinishedRunIsNotPolled) {
  absl::StatusOr<PollResult> r = Poll(InferenceRunKind(), Inference("failed"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, RunState::kEnded);
  EXPECT_TRUE(api_.calls().empty());
  EXPECT_TRUE(sleeper_.sleeps().empty());
}

TEST_F(PollRunTest, CancellationStopsPollingAtOnce) {
  api_.OnSequence("inferences.get", {Inference("in_progress")});
  sleeper_.CancelAt(3, &harness_.cancellation());
  absl::StatusOr<PollResult> r = Poll(InferenceRunKind(), Inference("in_progress"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(absl::StrContains(r.status().message(),
                                "10000000-0000-4000-8000-000000000007"));
  EXPECT_EQ(api_.CallsOf("inferences.get").size(), 2u);
}

TEST_F(PollRunTest, GivesUpWaitingAfterMaxWaitButReportsTheRun) {
  env_.options.max_wait = absl::Seconds(10);
  api_.OnSequence("inferences.get", {Inference("in_progress", 3)});
  absl::StatusOr<PollResult> r = Poll(InferenceRunKind(), Inference("in_progress", 3));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->state, RunState::kRunning);
  absl::Duration slept;
  for (absl::Duration d : sleeper_.sleeps()) slept += d;
  EXPECT_EQ(slept, absl::Seconds(10));
}

TEST_F(PollRunTest, TransientFailuresAreRetried) {
  api_.OnSequence("inferences.get",
                  {absl::UnavailableError("vaultd is not running at /s"),
                   absl::FailedPreconditionError(
                       "vaultd is sealed: run vaultctl unlock"),
                   Inference("complete")});
  absl::StatusOr<PollResult> r = Poll(InferenceRunKind(), Inference("in_progress"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, RunState::kSucceeded);
  EXPECT_EQ(api_.CallsOf("inferences.get").size(), 3u);
  EXPECT_TRUE(absl::StrContains(harness_.progress()[0].message, "retrying"));
}

TEST_F(PollRunTest, TooManyFailuresGiveUpNamingTheRunAndGetRun) {
  env_.options.max_poll_failures = 3;
  api_.OnSequence("inferences.get",
                  {absl::UnavailableError("vaultd is not running at /s")});
  absl::StatusOr<PollResult> r = Poll(InferenceRunKind(), Inference("in_progress"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "get_run"));
  EXPECT_TRUE(absl::StrContains(r.status().message(),
                                "10000000-0000-4000-8000-000000000007"));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "vaultd is not running"));
  EXPECT_EQ(api_.CallsOf("inferences.get").size(), 3u);
}

TEST_F(PollRunTest, APermanentFailureEndsAtOnce) {
  api_.OnSequence("inferences.get",
                  {absl::InvalidArgumentError("[layer:NOT_FOUND] no such run")});
  absl::StatusOr<PollResult> r = Poll(InferenceRunKind(), Inference("in_progress"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(api_.CallsOf("inferences.get").size(), 1u);
}

TEST_F(PollRunTest, WorkflowProgressCountsSteps) {
  json running = {{"run_id", "20000000-0000-4000-8000-000000000001"},
                  {"status", "running"},
                  {"poll_interval_seconds", 1},
                  {"steps",
                   {{{"name", "a"}, {"status", "success"}},
                    {{"name", "b"}, {"status", "running"}},
                    {{"name", "c"}, {"status", "pending"}}}}};
  json done = running;
  done["status"] = "success";
  api_.OnSequence("workflows.runs.get", {running, done});
  absl::StatusOr<PollResult> r = Poll(WorkflowRunKind(), running);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, RunState::kSucceeded);
  EXPECT_TRUE(absl::StrContains(harness_.progress()[0].message,
                                "1/3 steps done"))
      << harness_.progress()[0].message;
}

}  // namespace
}  // namespace layer_vault::mcp::layer_tools
