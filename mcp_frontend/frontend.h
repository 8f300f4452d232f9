#ifndef LAYER_VAULT_MCP_FRONTEND_FRONTEND_H_
#define LAYER_VAULT_MCP_FRONTEND_FRONTEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/vault_client.h"
#include "mcp_frontend/layer_tools/layer_tools.h"
#include "mcp_frontend/media_download/media_client.h"
#include "mcp_frontend/safe_files/safe_files.h"
#include "mcp_frontend/tool_registry/tool_registry.h"

namespace layer_vault::mcp {

inline constexpr char kFrontendName[] = "layer-vault";
inline constexpr char kFrontendVersion[] = "0.1.0";

// FrontendConfig is everything the frontend is told at start (flags and
// environment; see main.cc). It never holds a Layer.ai credential.
struct FrontendConfig {
  // vaultd's workload socket (absolute, shorter than 108 bytes).
  std::string vaultd_socket = "/run/vaultd/workload.sock";
  // Where generated files are saved (created on the first save).
  std::string asset_root = "./assets";
  // The only tree local files may be uploaded from.
  std::string input_root = ".";
  // Hosts media may be downloaded from and uploaded to (HostAllowList).
  std::vector<std::string> allowed_media_hosts = {"media.app.layer.ai",
                                                  "storage.googleapis.com"};
  // PEM CA bundle for media transfers ("": the system's).
  std::string ca_bundle;
  // Runs estimated above this many Creative Units need the user's
  // confirmation (vaultd's own caps apply regardless).
  double confirm_threshold_creative_units = 5;
  // Workspace used when a tool call names none ("": none).
  std::string default_workspace;
  uint64_t max_download_bytes = 100ull * 1024 * 1024;
  int worker_threads = 4;
  // Start-up problems to repeat in get_frontend_status.
  std::vector<std::string> warnings;
};

// Problems in the environment as `get_env` shows it: today, a Layer.ai
// token in LAYER_API_TOKEN, which the frontend never uses and which the
// agent's process tree should not hold. Never includes the value.
std::vector<std::string> EnvironmentWarnings(
    const std::function<const char*(const char*)>& get_env);

// initialize's `instructions`: how an agent uses the Layer.ai tools
// (discover, estimate, run, poll, save) under this configuration.
std::string ServerInstructions(const FrontendConfig& config);

// Frontend owns the frontend's parts built from a FrontendConfig: the asset
// and input roots, the media client and the tool registry. Layer.ai tools
// are registered here (they get the roots, the media client and the vault
// client). Thread-safe after Create.
class Frontend {
 public:
  // INVALID_ARGUMENT, naming the setting, for a bad configuration.
  static absl::StatusOr<std::unique_ptr<Frontend>> Create(
      FrontendConfig config);

  // Serves MCP on the descriptors until end of input (then OK) or a read
  // error. `diagnostics` receives redacted lines (null: stderr).
  absl::Status Serve(int in_fd, int out_fd,
                     std::function<void(absl::string_view)> diagnostics =
                         nullptr) const;

  const FrontendConfig& config() const { return config_; }
  const ToolRegistry& tools() const { return tools_; }
  const SafeRoot& assets() const { return *assets_; }
  const SafeRoot& inputs() const { return *inputs_; }
  const MediaClient& media() const { return *media_; }

 private:
  explicit Frontend(FrontendConfig config) : config_(std::move(config)) {}

  const FrontendConfig config_;
  std::unique_ptr<SafeRoot> assets_;
  std::unique_ptr<SafeRoot> inputs_;
  std::unique_ptr<MediaClient> media_;
  std::unique_ptr<client::VaultClient> vault_;
  std::unique_ptr<layer_tools::LayerToolkit> layer_tools_;
  ToolRegistry tools_;  // last: its tools use the members above
};

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_FRONTEND_H_
