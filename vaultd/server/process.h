#ifndef LAYER_VAULT_VAULTD_SERVER_PROCESS_H_
#define LAYER_VAULT_VAULTD_SERVER_PROCESS_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace layer_vault::server {

// HardenProcess applies the start-up hardening of a secret-holding daemon:
// PR_SET_DUMPABLE=0 (no core dumps, no ptrace by the same uid, /proc/self
// owned by root), RLIMIT_CORE=0, umask 077, and closes every inherited file
// descriptor above 2 except the sockets systemd passed (SD_LISTEN_FDS_START
// .. +LISTEN_FDS, only when LISTEN_PID is this process).
// Returns INTERNAL if a setting could not be applied; the daemon must not
// continue then.
absl::Status HardenProcess();

// SystemdSockets returns the listening sockets passed by systemd socket
// activation, keyed by their FileDescriptorName= ("workload", "admin").
// Empty when not socket-activated. Unnamed sockets are refused
// (INVALID_ARGUMENT) so a unit file mistake cannot swap the two sockets.
// Each fd is checked to be a listening AF_UNIX stream socket and made
// non-blocking and close-on-exec. Unsets the LISTEN_* variables.
absl::StatusOr<std::map<std::string, int>> SystemdSockets();

// Notifier wraps sd_notify: READY=1, STOPPING=1, STATUS=..., and watchdog
// pings. All calls are no-ops when NOTIFY_SOCKET is unset. Thread-safe.
class Notifier {
 public:
  void Ready(const std::string& status);
  void Stopping();
  void Status(const std::string& status);
  void WatchdogPing();
  // The interval at which to ping the watchdog (half of WATCHDOG_USEC), or
  // absl::ZeroDuration() when systemd asked for no watchdog.
  static absl::Duration WatchdogInterval();
};

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_PROCESS_H_
