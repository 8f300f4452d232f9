#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_FILE_TOOLS_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_FILE_TOOLS_H_

#include <memory>
#include <vector>

#include "mcp_frontend/layer_tools/tool_support.h"
#include "mcp_frontend/tool_registry/tool.h"

namespace layer_vault::mcp::layer_tools {

// upload_file: a local file beneath the input root to Layer.ai through the
// signed upload URL flow (files.upload_url, then MediaTransport::Upload).
std::vector<std::unique_ptr<Tool>> MakeFileTools(
    std::shared_ptr<const ToolEnv> env);

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_FILE_TOOLS_H_
