#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_RUN_FLOW_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_RUN_FLOW_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "mcp_frontend/layer_tools/output_saver.h"
#include "mcp_frontend/layer_tools/price_gate.h"
#include "mcp_frontend/layer_tools/run_poller.h"
#include "mcp_frontend/layer_tools/tool_support.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp::layer_tools {

// What to do with a run once it is known: follow it, save its outputs.
struct FollowOptions {
  bool wait = true;
  bool download = true;
  SaveRequest save;  // run_id is filled in from the run
};

// The input-schema properties that control FollowOptions and the price
// confirmation: wait, download (unless !with_download), output_dir,
// file_name, overwrite, and confirm_price when `with_confirm`.
nlohmann::json FollowProperties(bool with_confirm, bool wait_default,
                                bool download_default);
// FollowOptions from those arguments. INVALID_ARGUMENT for a bad
// output_dir.
absl::StatusOr<FollowOptions> FollowOptionsFrom(const nlohmann::json& arguments,
                                                bool wait_default,
                                                bool download_default,
                                                std::string default_stem);

// The output schema of every tool that returns a run (generate, get_run,
// run_workflow, get_workflow_run).
nlohmann::json RunOutputSchema();

// RunStart describes a paid run about to be started.
struct RunStart {
  const RunKind* kind = nullptr;
  std::string what;  // for the user: "this generation"
  std::string execute_operation;
  nlohmann::json execute_params;  // path params and "body"
  nlohmann::json get_params;      // path params without the run id
  nlohmann::json estimate;        // the estimate operation's answer
  std::optional<double> confirm_price;
  std::string price_note;  // added to the confirmation question
};

// StartAndFollow gates the price (ConfirmPrice; refusals are is_error
// results without structured content), executes, then FollowRun. Progress
// steps are reported throughout.
absl::StatusOr<ToolResult> StartAndFollow(const ToolEnv& env,
                                          const RunStart& start,
                                          const FollowOptions& follow,
                                          ToolContext& context,
                                          ProgressSteps& progress);

// FollowRun takes `run` (the latest answer about it), polls it if
// follow.wait, saves its outputs if it succeeded and follow.download, and
// builds the result: RunOutputSchema's object; is_error when the run
// failed or was cancelled at Layer.ai, or an output could not be saved.
// `extra` members (e.g. confirmation) are merged into the structured result.
absl::StatusOr<ToolResult> FollowRun(const ToolEnv& env, const RunKind& kind,
                                     nlohmann::json run,
                                     const nlohmann::json& get_params,
                                     const FollowOptions& follow,
                                     nlohmann::json extra,
                                     ToolContext& context,
                                     ProgressSteps& progress);

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_RUN_FLOW_H_
