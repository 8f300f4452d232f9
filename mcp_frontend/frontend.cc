#include "mcp_frontend/frontend.h"

#include <sys/un.h>
#include <unistd.h>

#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mcp_frontend/server/server.h"
#include "mcp_frontend/tools/frontend_status_tool.h"

namespace layer_vault::mcp {
namespace {

bool LooksLikeUuid(absl::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-'
             : !absl::ascii_isxdigit(static_cast<unsigned char>(id[i]))) {
      return false;
    }
  }
  return true;
}

absl::Status Validate(const FrontendConfig& config) {
  if (config.vaultd_socket.empty() || config.vaultd_socket[0] != '/' ||
      config.vaultd_socket.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--vaultd_socket must be an absolute path shorter than ",
        sizeof(sockaddr_un::sun_path), " bytes"));
  }
  if (config.asset_root.empty()) {
    return absl::InvalidArgumentError("--asset_root is empty");
  }
  if (config.input_root.empty()) {
    return absl::InvalidArgumentError("--input_root is empty");
  }
  if (!std::isfinite(config.confirm_threshold_creative_units) ||
      config.confirm_threshold_creative_units < 0) {
    return absl::InvalidArgumentError(
        "--confirm_threshold must be a number of Creative Units >= 0");
  }
  if (!config.default_workspace.empty() &&
      !LooksLikeUuid(config.default_workspace)) {
    return absl::InvalidArgumentError(
        "--default_workspace must be a workspace id (a UUID)");
  }
  if (!config.ca_bundle.empty() &&
      access(config.ca_bundle.c_str(), R_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--ca_bundle ", config.ca_bundle, " is not readable"));
  }
  if (config.worker_threads < 1 || config.worker_threads > 64) {
    return absl::InvalidArgumentError("--worker_threads must be 1..64");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> EnvironmentWarnings(
    const std::function<const char*(const char*)>& get_env) {
  std::vector<std::string> warnings;
  const char* token = get_env("LAYER_API_TOKEN");
  if (token != nullptr) {
    warnings.push_back(
        "LAYER_API_TOKEN is set in the environment of this MCP server. It is "
        "ignored: layer-vault keeps the Layer.ai token in vaultd. Remove it "
        "from the MCP host's configuration (and store it with `vaultctl "
        "import-env` or `vaultctl set-token` if it is not stored yet), then "
        "consider rotating it, since the agent's processes could read it.");
  }
  return warnings;
}

std::string ServerInstructions(const FrontendConfig& config) {
  std::string text = absl::StrFormat(
      "Layer.ai game-asset generation (images, audio, video, 3D) through "
      "layer-vault. The Layer.ai token stays in a local vault (vaultd): you "
      "never need it, and must never ask the user for it.\n"
      "\n"
      "Workflow:\n"
      "1. Discover: list_workspaces shows workspaces with their Creative "
      "Unit (CU) balances%s; list_models and get_model show the models, "
      "their modality and the parameters each accepts. list_workflows shows "
      "multi-step workflows and their declared inputs.\n"
      "2. Estimate: call estimate_price (or estimate_workflow_price) with "
      "exactly the parameters you mean to run. A run estimated above %g CU "
      "needs the user's confirmation: the server asks the user itself when "
      "the client supports it; otherwise the run returns an error stating "
      "the price, and you must ask the user and repeat the call with "
      "confirm_price set to the price they agreed to, only after they "
      "agree.\n"
      "3. Run: generate (or run_workflow) executes the run. With wait: true "
      "(the default) it polls at the interval Layer.ai asks for, reports "
      "progress, and saves every output file when the run completes.\n"
      "4. Poll: with wait: false, keep the returned id and call get_run (or "
      "get_workflow_run) later. Cancelling the tool call cancels the "
      "waiting, not necessarily the run.\n"
      "5. Save: outputs are written under the asset root (%s). Choose the "
      "place with output_dir, a relative folder such as \"characters\", "
      "and file_name, a stem such as \"hero\" (no absolute paths, no "
      "\"..\", no hidden names); an existing file is never overwritten "
      "unless you pass overwrite: true, a free name is used instead. "
      "Results give the saved paths, sizes and "
      "content types; small images are also returned so you can look at "
      "them.\n"
      "\n"
      "Guidance images and other inputs: upload_file sends a file from the "
      "input root (%s, relative paths only) to Layer.ai and returns a "
      "file_id to pass as guidance. Files Layer.ai generated already have a "
      "file_id: reuse it rather than uploading them again.\n"
      "Spending: vaultd enforces per-run and per-period Creative Unit caps; "
      "a refused run says which cap. get_usage shows balances and the local "
      "budget.\n"
      "Trouble: get_frontend_status shows where files are saved and whether "
      "vaultd is reachable. If a tool says vaultd is sealed, ask the user to "
      "run `vaultctl unlock`; if it is not running, to start it. A tool "
      "named here that tools/list does not show is not available in this "
      "version.",
      config.default_workspace.empty()
          ? ""
          : absl::StrCat(" (default workspace: ", config.default_workspace,
                         ")"),
      config.confirm_threshold_creative_units, config.asset_root,
      config.input_root);
  return text;
}

absl::StatusOr<std::unique_ptr<Frontend>> Frontend::Create(
    FrontendConfig config) {
  if (absl::Status valid = Validate(config); !valid.ok()) return valid;
  std::unique_ptr<Frontend> frontend(new Frontend(std::move(config)));
  const FrontendConfig& c = frontend->config_;

  SafeRootOptions asset_options;
  asset_options.create_root = true;
  absl::StatusOr<std::unique_ptr<SafeRoot>> assets =
      SafeRoot::Create(c.asset_root, asset_options);
  if (!assets.ok()) return assets.status();
  frontend->assets_ = *std::move(assets);
  absl::StatusOr<std::unique_ptr<SafeRoot>> inputs =
      SafeRoot::Create(c.input_root, SafeRootOptions());
  if (!inputs.ok()) return inputs.status();
  frontend->inputs_ = *std::move(inputs);

  MediaClientOptions media_options;
  media_options.allowed_hosts = c.allowed_media_hosts;
  media_options.ca_bundle = c.ca_bundle;
  media_options.max_download_bytes = c.max_download_bytes;
  media_options.user_agent = absl::StrCat("layer-vault-mcp/", kFrontendVersion);
  absl::StatusOr<std::unique_ptr<MediaClient>> media =
      MediaClient::Create(media_options);
  if (!media.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--allowed_media_hosts: ", media.status().message()));
  }
  frontend->media_ = *std::move(media);

  FrontendStatusOptions status;
  status.server_name = kFrontendName;
  status.server_version = kFrontendVersion;
  status.vaultd_socket = c.vaultd_socket;
  status.asset_root = frontend->assets_->path();
  status.input_root = frontend->inputs_->path();
  status.allowed_media_hosts = frontend->media_->allow_list().entries();
  status.confirm_threshold_creative_units = c.confirm_threshold_creative_units;
  status.default_workspace = c.default_workspace;
  status.warnings = c.warnings;
  if (absl::Status added =
          frontend->tools_.Register(MakeFrontendStatusTool(std::move(status)));
      !added.ok()) {
    return added;
  }

  // The Layer.ai tools, through vaultd (connected lazily, on the first call).
  client::VaultClientOptions vault_options;
  vault_options.workload_socket = c.vaultd_socket;
  vault_options.scopes = {"layer:read", "layer:generate", "layer:upload"};
  absl::StatusOr<std::unique_ptr<client::VaultClient>> vault =
      client::VaultClient::Create(std::move(vault_options));
  if (!vault.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--vaultd_socket: ", vault.status().message()));
  }
  frontend->vault_ = *std::move(vault);
  layer_tools::LayerToolsOptions layer_options;
  layer_options.default_workspace_id = c.default_workspace;
  layer_options.confirm_threshold_cu = c.confirm_threshold_creative_units;
  absl::StatusOr<std::unique_ptr<layer_tools::LayerToolkit>> toolkit =
      layer_tools::LayerToolkit::Create(
          frontend->vault_.get(), frontend->media_.get(),
          frontend->assets_.get(), frontend->inputs_.get(), layer_options);
  if (!toolkit.ok()) return toolkit.status();
  frontend->layer_tools_ = *std::move(toolkit);
  if (absl::Status added = frontend->layer_tools_->Register(frontend->tools_);
      !added.ok()) {
    return added;
  }
  return frontend;
}

absl::Status Frontend::Serve(
    int in_fd, int out_fd,
    std::function<void(absl::string_view)> diagnostics) const {
  ServerOptions options;
  options.name = kFrontendName;
  options.title = "Layer.ai (layer-vault)";
  options.version = kFrontendVersion;
  FrontendConfig shown = config_;
  shown.asset_root = assets_->path();
  shown.input_root = inputs_->path();
  options.instructions = ServerInstructions(shown);
  options.worker_threads = config_.worker_threads;
  options.diagnostics = std::move(diagnostics);
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Create(std::move(options), &tools_, in_fd, out_fd);
  if (!server.ok()) return server.status();
  return (*server)->Run();
}

}  // namespace layer_vault::mcp
