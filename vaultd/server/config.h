#ifndef LAYER_VAULT_VAULTD_SERVER_CONFIG_H_
#define LAYER_VAULT_VAULTD_SERVER_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace layer_vault::server {

// DaemonConfig is everything vaultd needs to start. Defaults are those of a
// systemd deployment; every field can come from a JSON config file
// (ParseConfigJson) and be overridden by a command-line flag.
struct DaemonConfig {
  std::string state_dir = "/var/lib/vaultd";
  // "passphrase", "systemd-credential:NAME" or "key-file:PATH".
  std::string key_source = "systemd-credential:vaultd-store-key";
  std::string workload_socket = "/run/vaultd/workload.sock";
  // Group name or numeric gid given to the workload socket; empty keeps the
  // daemon's group.
  std::string workload_socket_group;
  std::string admin_socket = "/run/vaultd-admin/admin.sock";
  std::string policy_file = "/etc/vaultd/policy.json";
  // JSON-lines audit file (0600); empty for none. Audit events also go to
  // stderr (journald) when audit_stderr is set.
  std::string audit_log;
  bool audit_stderr = true;
  // Directory of the relay's operation registry. Empty means the installed
  // copy beside the binary: <dir of vaultd>/../share/vaultd/operations
  // (what tools/install.sh lays out for any --prefix).
  std::string operations_dir;
  // Layer.ai endpoints; tests point them at the local fake.
  std::string layer_api_base = "https://api.app.layer.ai/api";
  std::string layer_graphql_url = "https://api.app.layer.ai/graphql";
  // PEM CA bundle for Layer.ai's certificate; empty uses the system store.
  std::string ca_bundle;
  // HTTPS proxy URL; empty uses HTTPS_PROXY from the environment, if any.
  std::string https_proxy;
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration total_timeout = absl::Seconds(60);
  int64_t max_response_bytes = 8 << 20;
  // Age at which the signing key is rotated automatically.
  absl::Duration signing_key_rotation = absl::Hours(24);
  // How long in-flight calls may run after SIGTERM.
  absl::Duration shutdown_grace = absl::Seconds(10);
};

// ParseConfigJson reads a config file's text into `base` (fields absent from
// the file keep base's values). Unknown keys, wrong types and negative
// durations are INVALID_ARGUMENT naming the key. Durations are given in
// seconds ("connect_timeout_seconds", ...).
absl::StatusOr<DaemonConfig> ParseConfigJson(const std::string& text,
                                             DaemonConfig base);

// ValidateConfig checks cross-field rules: absolute paths, sockets in
// different directories, sane limits. INVALID_ARGUMENT with the reason.
absl::Status ValidateConfig(const DaemonConfig& config);

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_CONFIG_H_
