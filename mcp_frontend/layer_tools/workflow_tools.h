#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_WORKFLOW_TOOLS_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_WORKFLOW_TOOLS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json_schema.h"
#include "mcp_frontend/layer_tools/tool_support.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp::layer_tools {

// estimate_workflow_price, run_workflow and get_workflow_run.
std::vector<std::unique_ptr<Tool>> MakeWorkflowTools(
    std::shared_ptr<const ToolEnv> env);

// WorkflowInputs is a workflow's declared inputs as a checker.
struct WorkflowInputs {
  std::string name;  // the workflow's
  // {"type":"object","additionalProperties":false, "required": [...],
  //  "properties": {<input>: <its value_schema>}}; a value_schema that
  // common::JsonSchema cannot compile is left unchecked (listed in
  // `unchecked`).
  common::JsonSchema schema;
  std::vector<std::string> unchecked;
};

// Builds the checker from one entry of workflows.list's "workflows".
// INVALID_ARGUMENT if the declaration is malformed (inputs not an array,
// an input without a name).
absl::StatusOr<WorkflowInputs> CompileWorkflowInputs(
    const nlohmann::json& workflow);

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_WORKFLOW_TOOLS_H_
