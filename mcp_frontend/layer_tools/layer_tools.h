#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_LAYER_TOOLS_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_LAYER_TOOLS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/vault_client.h"
#include "mcp_frontend/layer_tools/layer_api.h"
#include "mcp_frontend/layer_tools/media_transport.h"
#include "mcp_frontend/layer_tools/tool_support.h"
#include "mcp_frontend/media_download/media_client.h"
#include "mcp_frontend/safe_files/safe_files.h"
#include "mcp_frontend/tool_registry/tool_registry.h"

namespace layer_vault::mcp::layer_tools {

// RegisterLayerTools adds the Layer.ai tools to `registry`:
//   list_workspaces, get_workspace, list_models, get_model, estimate_price,
//   generate, get_run, list_workflows, estimate_workflow_price,
//   run_workflow, get_workflow_run, upload_file, get_usage,
//   describe_image, improve_prompt, suggest_prompt.
// `env` is copied; the objects it points to must outlive the registry.
// INVALID_ARGUMENT if env.api, env.media or env.asset_root is null or an
// option is out of range; a Register error otherwise (e.g. ALREADY_EXISTS).
absl::Status RegisterLayerTools(const ToolEnv& env, ToolRegistry& registry);

// LayerToolkit wires the tools to the production clients for main():
// vaultd through a VaultClient, media through a MediaClient, files under
// the asset and input roots. Not copyable. The clients and roots are not
// owned and must outlive the toolkit, which must outlive the registry.
class LayerToolkit {
 public:
  // `input_root` may be null (upload_file then refuses). INVALID_ARGUMENT
  // for a null client or asset root, or a bad option.
  static absl::StatusOr<std::unique_ptr<LayerToolkit>> Create(
      client::VaultClient* vault, const MediaClient* media,
      const SafeRoot* asset_root, const SafeRoot* input_root,
      LayerToolsOptions options);

  LayerToolkit(const LayerToolkit&) = delete;
  LayerToolkit& operator=(const LayerToolkit&) = delete;

  // RegisterLayerTools with this toolkit's environment.
  absl::Status Register(ToolRegistry& registry) const;

 private:
  LayerToolkit(client::VaultClient* vault, const MediaClient* media)
      : api_(vault), media_(media) {}

  VaultLayerApi api_;
  MediaClientTransport media_;
  ToolEnv env_;
};

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_LAYER_TOOLS_H_
