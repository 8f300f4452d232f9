// mcp_frontend: Layer.ai as MCP tools over stdio, for an MCP host to spawn.
// It holds no Layer.ai credential: vaultd does (DESIGN.md).
//
// Flags override the environment (LAYER_VAULT_SOCKET, LAYER_WORKSPACE_ID),
// which overrides the built-in defaults (mcp_frontend/frontend.h).
// stdout carries MCP messages only; diagnostics go to stderr.
//
// Exit codes: 0 end of input (the host closed stdin), 1 I/O error,
// 2 bad usage or configuration.

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "mcp_frontend/frontend.h"

ABSL_FLAG(std::string, vaultd_socket, "",
          "vaultd workload socket (default: $LAYER_VAULT_SOCKET, else "
          "/run/vaultd/workload.sock)");
ABSL_FLAG(std::string, asset_root, "./assets",
          "directory generated files are saved under (created on first save)");
ABSL_FLAG(std::string, input_root, ".",
          "the only directory tree files may be uploaded from");
ABSL_FLAG(std::string, allowed_media_hosts,
          "media.app.layer.ai,storage.googleapis.com",
          "comma-separated host or host:port entries media may be "
          "downloaded from and uploaded to (https only)");
ABSL_FLAG(std::string, ca_bundle, "",
          "PEM CA bundle for media transfers (default: the system's)");
ABSL_FLAG(double, confirm_threshold, 5,
          "runs estimated above this many Creative Units need the user's "
          "confirmation (default 5: half the default policy's per-run cap "
          "of 10, so confirmation happens before vaultd refuses)");
ABSL_FLAG(std::string, default_workspace, "",
          "workspace id used when a call names none (default: "
          "$LAYER_WORKSPACE_ID)");
ABSL_FLAG(int64_t, max_download_mib, 100, "largest media download, in MiB");
ABSL_FLAG(int, worker_threads, 4, "threads that run tool calls");

namespace {

std::string FlagOrEnv(const absl::Flag<std::string>& flag, const char* env,
                      const std::string& fallback) {
  std::string value = absl::GetFlag(flag);
  if (!value.empty()) return value;
  const char* from_env = getenv(env);
  if (from_env != nullptr && from_env[0] != '\0') return from_env;
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Layer.ai as MCP tools over stdio; the Layer.ai token stays in vaultd. "
      "Configure it as a stdio server in your MCP host.");
  absl::ParseCommandLine(argc, argv);
  // A vanished client must be an EPIPE error, not a silent death.
  signal(SIGPIPE, SIG_IGN);

  namespace mcp = layer_vault::mcp;
  mcp::FrontendConfig config;
  config.vaultd_socket = FlagOrEnv(FLAGS_vaultd_socket, "LAYER_VAULT_SOCKET",
                                   config.vaultd_socket);
  config.asset_root = absl::GetFlag(FLAGS_asset_root);
  config.input_root = absl::GetFlag(FLAGS_input_root);
  config.allowed_media_hosts =
      absl::StrSplit(absl::GetFlag(FLAGS_allowed_media_hosts), ',',
                     absl::SkipWhitespace());
  config.ca_bundle = absl::GetFlag(FLAGS_ca_bundle);
  config.confirm_threshold_creative_units =
      absl::GetFlag(FLAGS_confirm_threshold);
  config.default_workspace =
      FlagOrEnv(FLAGS_default_workspace, "LAYER_WORKSPACE_ID", "");
  const int64_t max_mib = absl::GetFlag(FLAGS_max_download_mib);
  if (max_mib < 1 || max_mib > 4096) {
    std::cerr << "mcp_frontend: --max_download_mib must be 1..4096\n";
    return 2;
  }
  config.max_download_bytes = static_cast<uint64_t>(max_mib) * 1024 * 1024;
  config.worker_threads = absl::GetFlag(FLAGS_worker_threads);

  config.warnings = mcp::EnvironmentWarnings(
      [](const char* name) -> const char* { return getenv(name); });
  for (const std::string& warning : config.warnings) {
    std::cerr << "mcp_frontend: warning: " << warning << "\n";
  }
  // Never used, and not passed on to anything this process starts.
  unsetenv("LAYER_API_TOKEN");

  auto frontend = mcp::Frontend::Create(std::move(config));
  if (!frontend.ok()) {
    std::cerr << "mcp_frontend: " << frontend.status().message() << "\n";
    return 2;
  }
  // MCP messages get a private descriptor; fd 1 becomes stderr, so a stray
  // write to stdout by any library cannot corrupt the protocol stream.
  const int mcp_out = dup(STDOUT_FILENO);
  if (mcp_out < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    std::cerr << "mcp_frontend: cannot set up stdout\n";
    return 1;
  }
  const absl::Status served = (*frontend)->Serve(STDIN_FILENO, mcp_out);
  if (!served.ok()) {
    std::cerr << "mcp_frontend: " << served.message() << "\n";
    return 1;
  }
  return 0;
}
