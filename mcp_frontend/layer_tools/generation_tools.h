#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_GENERATION_TOOLS_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_GENERATION_TOOLS_H_

#include <memory>
#include <vector>

#include "mcp_frontend/layer_tools/tool_support.h"
#include "mcp_frontend/tool_registry/tool.h"

namespace layer_vault::mcp::layer_tools {

// estimate_price, generate and get_run: image, video, audio and 3D
// generations ("inferences") of one model.
std::vector<std::unique_ptr<Tool>> MakeGenerationTools(
    std::shared_ptr<const ToolEnv> env);

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_GENERATION_TOOLS_H_
