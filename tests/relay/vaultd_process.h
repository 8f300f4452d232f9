#ifndef LAYER_VAULT_TESTS_RELAY_VAULTD_PROCESS_H_
#define LAYER_VAULT_TESTS_RELAY_VAULTD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace layer_vault::tests::relay {

struct VaultdProcessOptions {
  // The PAT stored in the fresh store; empty: no credential.
  std::string stored_pat;
  // The policy file's contents (vaultd/policy/POLICY.md).
  nlohmann::json policy;
  // Where the relay sends its requests (the fake's ready line).
  std::string layer_api_base;
  std::string layer_graphql_url;
  std::string ca_bundle;
  // Keys merged into vaultd's config file (vaultd/server/config.h), e.g.
  // {"total_timeout_seconds": 1, "max_response_bytes": 65536}.
  nlohmann::json extra_config = nlohmann::json::object();
};

// VaultdProcess runs the real vaultd binary (data dependency "//vaultd",
// the registry "//vaultd/relay/operations") with the relay pointed at the
// fake Layer.ai, in a short directory from mkdtemp:
//   /tmp/lvrXXXXXX/   0700
//     state/          state dir: the store, spend.ledger
//     store.key       key file (the store unseals at start)
//     policy.json     0600
//     vaultd.json     config file (paths, URLs, CA bundle, extra_config)
//     w/workload.sock, a/admin.sock
//     audit.log       audit log (also on stderr)
//     vaultd.stderr   stderr and stdout, appended across restarts
// Start waits for READY=1 on NOTIFY_SOCKET. Not thread-safe. The
// destructor kills a running vaultd and removes the directory.
class VaultdProcess {
 public:
  static absl::StatusOr<std::unique_ptr<VaultdProcess>> Create(
      VaultdProcessOptions options);
  ~VaultdProcess();
  VaultdProcess(const VaultdProcess&) = delete;
  VaultdProcess& operator=(const VaultdProcess&) = delete;

  // Spawns vaultd and waits for READY=1; an error with its log if it exits
  // or does not get ready within 60 s.
  absl::Status Start();
  // SIGTERM and wait; an error unless vaultd exits 0 within 30 s.
  absl::Status Stop();
  absl::Status Restart();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Replaces the policy file (vaultd reads it at start and on SIGHUP).
  absl::Status WritePolicy(const nlohmann::json& policy) const;

  std::string Stderr() const;
  std::string AuditLog() const;
  // The audit log's lines, parsed (unparsable lines are skipped).
  std::vector<nlohmann::json> AuditEvents() const;

  const std::string& dir() const { return dir_; }
  std::string state_dir() const { return dir_ + "/state"; }
  std::string workload_socket() const { return dir_ + "/w/workload.sock"; }
  std::string admin_socket() const { return dir_ + "/a/admin.sock"; }

 private:
  VaultdProcess(VaultdProcessOptions options, std::string dir)
      : options_(std::move(options)), dir_(std::move(dir)) {}
  absl::Status Prepare();

  const VaultdProcessOptions options_;
  const std::string dir_;
  std::string binary_;
  pid_t pid_ = -1;
};

// A policy that grants the calling uid `scopes` with a rate limit vaultd's
// tests never reach; `global` is merged into its "global" object (e.g.
// {"budget": {...}}).
nlohmann::json PolicyForSelf(
    const std::vector<std::string>& scopes = {"layer:read", "layer:generate",
                                              "layer:upload"},
    const nlohmann::json& global = nlohmann::json::object());

}  // namespace layer_vault::tests::relay

#endif  // LAYER_VAULT_TESTS_RELAY_VAULTD_PROCESS_H_
