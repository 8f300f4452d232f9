#include "mcp_frontend/layer_tools/layer_tools.h"

#include <utility>
#include <vector>

#include "mcp_frontend/layer_tools/catalog_tools.h"
#include "mcp_frontend/layer_tools/file_tools.h"
#include "mcp_frontend/layer_tools/generation_tools.h"
#include "mcp_frontend/layer_tools/prompt_tools.h"
#include "mcp_frontend/layer_tools/workflow_tools.h"

namespace layer_vault::mcp::layer_tools {
namespace {

absl::Status CheckOptions(const LayerToolsOptions& o) {
  if (!(o.confirm_threshold_cu >= 0)) {
    return absl::InvalidArgumentError(
        "the confirmation threshold must be a non-negative number");
  }
  if (o.min_poll_interval <= absl::ZeroDuration() ||
      o.max_poll_interval < o.min_poll_interval ||
      o.default_poll_interval <= absl::ZeroDuration() ||
      o.max_wait <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "poll intervals and the longest wait must be positive, min <= max");
  }
  if (o.max_poll_failures < 1 || o.max_list_pages < 1) {
    return absl::InvalidArgumentError(
        "max_poll_failures and max_list_pages must be at least 1");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RegisterLayerTools(const ToolEnv& env, ToolRegistry& registry) {
  if (env.api == nullptr || env.media == nullptr ||
      env.asset_root == nullptr) {
    return absl::InvalidArgumentError(
        "the Layer.ai tools need a vaultd client, a media client and an "
        "asset root");
  }
  if (absl::Status s = CheckOptions(env.options); !s.ok()) return s;
  auto shared = std::make_shared<const ToolEnv>(env);
  std::vector<std::vector<std::unique_ptr<Tool>>> groups;
  groups.push_back(MakeCatalogTools(shared));
  groups.push_back(MakeGenerationTools(shared));
  groups.push_back(MakeWorkflowTools(shared));
  groups.push_back(MakeFileTools(shared));
  groups.push_back(MakePromptTools(shared));
  for (auto& group : groups) {
    for (auto& tool : group) {
      if (absl::Status s = registry.Register(std::move(tool)); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LayerToolkit>> LayerToolkit::Create(
    client::VaultClient* vault, const MediaClient* media,
    const SafeRoot* asset_root, const SafeRoot* input_root,
    LayerToolsOptions options) {
  if (vault == nullptr || media == nullptr || asset_root == nullptr) {
    return absl::InvalidArgumentError(
        "LayerToolkit needs a vault client, a media client and an asset root");
  }
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  std::unique_ptr<LayerToolkit> toolkit(new LayerToolkit(vault, media));
  toolkit->env_.api = &toolkit->api_;
  toolkit->env_.media = &toolkit->media_;
  toolkit->env_.asset_root = asset_root;
  toolkit->env_.input_root = input_root;
  toolkit->env_.options = std::move(options);
  return toolkit;
}

absl::Status LayerToolkit::Register(ToolRegistry& registry) const {
  return RegisterLayerTools(env_, registry);
}

}  // namespace layer_vault::mcp::layer_tools
