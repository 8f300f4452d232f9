#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_PROMPT_TOOLS_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_PROMPT_TOOLS_H_

#include <memory>
#include <vector>

#include "mcp_frontend/layer_tools/tool_support.h"
#include "mcp_frontend/tool_registry/tool.h"

namespace layer_vault::mcp::layer_tools {

// describe_image, improve_prompt and suggest_prompt: what only Layer.ai's
// GraphQL API offers, through vaultd's persisted documents
// (graphql.DescribeImage, graphql.TransformPrompt, graphql.GeneratePrompt).
std::vector<std::unique_ptr<Tool>> MakePromptTools(
    std::shared_ptr<const ToolEnv> env);

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_PROMPT_TOOLS_H_
