#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_RUN_POLLER_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_RUN_POLLER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mcp_frontend/layer_tools/tool_support.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp::layer_tools {

// RunKind describes one kind of asynchronous Layer.ai run, as vaultd's
// registry does in the execute operation's "cost" block.
struct RunKind {
  std::string noun;           // "inference", "workflow run"
  std::string get_operation;  // reads one run
  std::string id_field;       // the run id's member in answers
  std::string follow_tool;    // the tool that reads one run
  std::vector<std::string> success_statuses;   // lower case
  std::vector<std::string> terminal_statuses;  // lower case, incl. success
};

// inferences.get: complete/completed succeed; failed, cancelled, deleted end.
const RunKind& InferenceRunKind();
// workflows.runs.get: success succeeds; failure, cancelled end.
const RunKind& WorkflowRunKind();

enum class RunState { kRunning, kSucceeded, kEnded };

// The state of `run` (an answer of the kind's operations) by its "status",
// compared case-insensitively. A missing status counts as running.
RunState StateOf(const RunKind& kind, const nlohmann::json& run);

// The wait before the next poll: the run's poll_interval_seconds clamped to
// the options' bounds, or their default.
absl::Duration NextPollInterval(const nlohmann::json& run,
                                const LayerToolsOptions& options);

// One progress line for `run`: status, and steps done for workflow runs.
std::string DescribeProgress(const RunKind& kind, const nlohmann::json& run,
                             int polls);

struct PollResult {
  nlohmann::json run;  // the last answer
  RunState state = RunState::kRunning;
  bool timed_out = false;  // options.max_wait passed while running
  int polls = 0;
};

// PollRun follows a run until it ends: `run` is the latest answer (that of
// the execute operation at first); while it is running, waits the
// interval it asks for (NextPollInterval) and reads it again with
// `get_params`, reporting each poll through `progress`.
//
// Returns with timed_out set once options.max_wait has passed. Errors:
// CANCELLED when `context` is cancelled (the run goes on at Layer.ai:
// the REST API has no cancel operation); after options.max_poll_failures
// consecutive transient failures (UNAVAILABLE, DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, a sealed vaultd) or any other failure, that status
// with the run id and how to follow it in the message.
absl::StatusOr<PollResult> PollRun(const ToolEnv& env, const RunKind& kind,
                                   const nlohmann::json& get_params,
                                   nlohmann::json run, ToolContext& context,
                                   ProgressSteps& progress);

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_RUN_POLLER_H_
