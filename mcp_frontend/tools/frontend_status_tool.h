#ifndef LAYER_VAULT_MCP_FRONTEND_TOOLS_FRONTEND_STATUS_TOOL_H_
#define LAYER_VAULT_MCP_FRONTEND_TOOLS_FRONTEND_STATUS_TOOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp {

// What get_frontend_status reports besides what it probes itself.
struct FrontendStatusOptions {
  std::string server_name;
  std::string server_version;
  std::string vaultd_socket;  // probed
  std::string asset_root;     // absolute; probed
  std::string input_root;     // absolute; probed
  std::vector<std::string> allowed_media_hosts;
  double confirm_threshold_creative_units = 20;
  std::string default_workspace;  // "" if none
  // Problems found at start (e.g. LAYER_API_TOKEN in the environment).
  std::vector<std::string> warnings;
};

// The vaultd reachability probe: connects to the workload socket and
// closes the connection at once (no request is made). OK if something
// accepted the connection; otherwise a status whose message says what to
// do: NOT_FOUND (no socket: vaultd not running), UNAVAILABLE (a stale
// socket, nobody listening), PERMISSION_DENIED (not in vaultd's group),
// INVALID_ARGUMENT (a path too long for a Unix socket).
absl::Status ProbeVaultdSocket(const std::string& path);

// The get_frontend_status tool: a read-only self-check an agent (or a user)
// runs when Layer.ai tools fail or to learn where files are saved. Reports
// the asset and input roots (exist? writable/readable?), whether vaultd's
// workload socket accepts connections, the media host allow-list, the
// confirmation threshold, the default workspace and start-up warnings.
// Never reports anything secret (there is nothing secret in the frontend).
std::unique_ptr<Tool> MakeFrontendStatusTool(FrontendStatusOptions options);

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_TOOLS_FRONTEND_STATUS_TOOL_H_
