#ifndef LAYER_VAULT_VAULTD_SERVER_DAEMON_H_
#define LAYER_VAULT_VAULTD_SERVER_DAEMON_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "vaultd/server/admin_service.h"
#include "vaultd/server/config.h"
#include "vaultd/server/event_sink.h"
#include "vaultd/server/vault_core.h"
#include "vaultd/server/workload_service.h"

namespace layer_vault::server {

// Everything the daemon runs with, built by main from the config.
struct DaemonParts {
  VaultCore* core = nullptr;       // required
  EventSink* events = nullptr;     // required
  PolicyFn policy;                 // required
  LayerRelay* relay = nullptr;     // optional
  AdminService::Options admin;
  // Called on SIGHUP (reload the policy); returns why a reload failed.
  std::function<absl::Status()> reload;
};

// RunDaemon serves the workload and admin sockets until SIGTERM or SIGINT:
//  - takes the sockets systemd passed (named "workload" and "admin") or
//    binds its own from `config`;
//  - accepts every connection itself, attests the peer from the kernel
//    (vaultd/peer) and only then hands the connection to gRPC;
//  - notifies systemd (READY=1, STOPPING=1, watchdog pings when
//    WATCHDOG_USEC is set) and runs VaultCore::Maintenance every minute;
//  - on SIGHUP calls parts.reload (a failure keeps the old policy and is
//    logged);
//  - on SIGTERM stops accepting, lets calls in flight finish within
//    config.shutdown_grace (connections left idle get at most 2 s more
//    to close by themselves, not the whole grace), and
//    returns OK.
// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (call it before
// other threads start so they inherit the mask). Returns an error if the
// sockets cannot be set up.
absl::Status RunDaemon(const DaemonConfig& config, DaemonParts parts);

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_DAEMON_H_
