#include "mcp_frontend/layer_tools/run_poller.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace layer_vault::mcp::layer_tools {
namespace {

bool Contains(const std::vector<std::string>& list, absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
      return true;
    case absl::StatusCode::kFailedPrecondition:
      return absl::StrContains(status.message(), "vaultd is sealed");
    default:
      return false;
  }
}

}  // namespace

const RunKind& InferenceRunKind() {
  static const RunKind* const kind = new RunKind{
      "inference",
      "inferences.get",
      "inference_id",
      "get_run",
      {"complete", "completed"},
      {"complete", "completed", "failed", "cancelled", "deleted"}};
  return *kind;
}

const RunKind& WorkflowRunKind() {
  static const RunKind* const kind =
      new RunKind{"workflow run",
                  "workflows.runs.get",
                  "run_id",
                  "get_workflow_run",
                  {"success"},
                  {"success", "failure", "cancelled"}};
  return *kind;
}

RunState StateOf(const RunKind& kind, const nlohmann::json& run) {
  const std::optional<std::string> status = StringAt(run, "status");
  if (!status.has_value()) return RunState::kRunning;
  const std::string lower = absl::AsciiStrToLower(*status);
  if (Contains(kind.success_statuses, lower)) return RunState::kSucceeded;
  if (Contains(kind.terminal_statuses, lower)) return RunState::kEnded;
  return RunState::kRunning;
}

absl::Duration NextPollInterval(const nlohmann::json& run,
                                const LayerToolsOptions& options) {
  absl::Duration interval = options.default_poll_interval;
  if (std::optional<double> seconds = NumberAt(run, "poll_interval_seconds");
      seconds.has_value() && *seconds >= 0 && *seconds < 86400) {
    interval = absl::Seconds(*seconds);
  }
  return std::clamp(interval, options.min_poll_interval,
                    options.max_poll_interval);
}

std::string DescribeProgress(const RunKind& kind, const nlohmann::json& run,
                             int polls) {
  std::string text = absl::StrCat(
      kind.noun, " ", StringAt(run, kind.id_field).value_or("?"), ": ",
      StringAt(run, "status").value_or("unknown"));
  if (run.is_object() && run.contains("steps") && run["steps"].is_array() &&
      !run["steps"].empty()) {
    size_t done = 0;
    for (const nlohmann::json& step : run["steps"]) {
      if (absl::AsciiStrToLower(StringAt(step, "status").value_or("")) ==
          "success") {
        ++done;
      }
    }
    absl::StrAppend(&text, ", ", done, "/", run["steps"].size(),
                    " steps done");
  }
  if (polls > 0) absl::StrAppend(&text, " (poll ", polls, ")");
  return text;
}

absl::StatusOr<PollResult> PollRun(const ToolEnv& env, const RunKind& kind,
                                   const nlohmann::json& get_params,
                                   nlohmann::json run, ToolContext& context,
                                   ProgressSteps& progress) {
  PollResult result;
  const std::string run_id = StringAt(run, kind.id_field).value_or("?");
  const absl::Time deadline = env.Now() + env.options.max_wait;
  int failures = 0;
  for (;;) {
    result.state = StateOf(kind, run);
    if (result.state != RunState::kRunning) break;
    if (env.Now() >= deadline) {
      result.timed_out = true;
      break;
    }
    const absl::Duration wait =
        std::min(NextPollInterval(run, env.options),
                 std::max(deadline - env.Now(), absl::ZeroDuration()));
    if (context.cancelled() || env.Sleep(wait, context.cancellation())) {
      return absl::CancelledError(absl::StrCat(
          "stopped following ", kind.noun, " ", run_id,
          " (cancelled); it goes on at Layer.ai"));
    }
    absl::StatusOr<nlohmann::json> next =
        env.api->Call(kind.get_operation, get_params);
    if (!next.ok()) {
      if (context.cancelled()) continue;  // reported at the top
      if (IsTransient(next.status()) &&
          ++failures < env.options.max_poll_failures) {
        progress.Step(absl::StrCat(kind.noun, " ", run_id,
                                   ": could not be read (",
                                   next.status().message(), "); retrying"));
        continue;
      }
      return absl::Status(
          next.status().code(),
          absl::StrCat("lost track of ", kind.noun, " ", run_id,
                       ", which goes on at Layer.ai (follow it with ",
                       kind.follow_tool, "): ", next.status().message()));
    }
    failures = 0;
    run = *std::move(next);
    ++result.polls;
    progress.Step(DescribeProgress(kind, run, result.polls));
  }
  result.run = std::move(run);
  return result;
}

}  // namespace layer_vault::mcp::layer_tools
