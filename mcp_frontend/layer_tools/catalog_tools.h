#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_CATALOG_TOOLS_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_CATALOG_TOOLS_H_

#include <memory>
#include <vector>

#include "mcp_frontend/layer_tools/tool_support.h"
#include "mcp_frontend/tool_registry/tool.h"

namespace layer_vault::mcp::layer_tools {

// The read-only tools: list_workspaces, get_workspace, list_models,
// get_model, list_workflows, get_usage.
std::vector<std::unique_ptr<Tool>> MakeCatalogTools(
    std::shared_ptr<const ToolEnv> env);

// The cursor format of list_models, which filters client-side: "m<skip>."
// followed by Layer.ai's cursor (empty for the first page). Exposed for
// tests.
struct ModelCursor {
  std::string api_cursor;
  size_t skip = 0;
};
std::string EncodeModelCursor(const ModelCursor& cursor);
// A string that is not of this format is taken as a Layer.ai cursor.
ModelCursor DecodeModelCursor(absl::string_view text);

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_CATALOG_TOOLS_H_
