// vaultd: the layer-vault daemon. Flags override the config file; the
// config file overrides built-in defaults (vaultd/server/config.h).
//
// Exit codes: 0 clean shutdown (SIGTERM), 1 start-up error, 2 bad usage or
// configuration.

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "vaultd/server/app.h"
#include "vaultd/server/config.h"

ABSL_FLAG(std::string, config, "", "JSON config file (optional)");
ABSL_FLAG(std::string, state_dir, "", "state directory (credentials.enc)");
ABSL_FLAG(std::string, key_source, "",
          "passphrase | systemd-credential:NAME | key-file:PATH");
ABSL_FLAG(std::string, workload_socket, "", "workload socket path");
ABSL_FLAG(std::string, workload_socket_group, "",
          "group (name or gid) of the workload socket");
ABSL_FLAG(std::string, admin_socket, "", "admin socket path");
ABSL_FLAG(std::string, policy_file, "", "policy file (JSON)");
ABSL_FLAG(std::string, audit_log, "", "audit log file (JSON lines, 0600)");
ABSL_FLAG(std::string, operations_dir, "", "relay operation registry dir");
ABSL_FLAG(std::string, layer_api_base, "", "Layer.ai REST base URL");
ABSL_FLAG(std::string, layer_graphql_url, "", "Layer.ai GraphQL URL");
ABSL_FLAG(std::string, ca_bundle, "", "PEM CA bundle for Layer.ai");
ABSL_FLAG(std::string, https_proxy, "", "HTTPS proxy URL");

namespace {

void Override(std::string& field, const absl::Flag<std::string>& flag) {
  std::string value = absl::GetFlag(flag);
  if (!value.empty()) field = value;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the layer-vault daemon: holds the Layer.ai token, issues short-lived "
      "tokens to attested local callers and relays Layer.ai calls");
  absl::ParseCommandLine(argc, argv);

  layer_vault::server::DaemonConfig config;
  if (std::string path = absl::GetFlag(FLAGS_config); !path.empty()) {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "vaultd: cannot read config file " << path << "\n";
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = layer_vault::server::ParseConfigJson(text.str(), config);
    if (!parsed.ok()) {
      std::cerr << "vaultd: " << path << ": " << parsed.status().message()
                << "\n";
      return 2;
    }
    config = *parsed;
  }
  Override(config.state_dir, FLAGS_state_dir);
  Override(config.key_source, FLAGS_key_source);
  Override(config.workload_socket, FLAGS_workload_socket);
  Override(config.workload_socket_group, FLAGS_workload_socket_group);
  Override(config.admin_socket, FLAGS_admin_socket);
  Override(config.policy_file, FLAGS_policy_file);
  Override(config.audit_log, FLAGS_audit_log);
  Override(config.operations_dir, FLAGS_operations_dir);
  Override(config.layer_api_base, FLAGS_layer_api_base);
  Override(config.layer_graphql_url, FLAGS_layer_graphql_url);
  Override(config.ca_bundle, FLAGS_ca_bundle);
  Override(config.https_proxy, FLAGS_https_proxy);
  return layer_vault::server::RunVaultd(config);
}
