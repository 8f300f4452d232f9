#ifndef LAYER_VAULT_TESTS_LOAD_PROCESS_STATS_H_
#define LAYER_VAULT_TESTS_LOAD_PROCESS_STATS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace layer_vault::tests::load {

// The number of open file descriptors of `pid`: the entries of
// /proc/PID/fd. PERMISSION_DENIED when this process may not list them
// (vaultd is non-dumpable, so that takes root or CAP_SYS_PTRACE); NOT_FOUND
// when the process is gone.
absl::StatusOr<int> OpenFds(pid_t pid);

// `pid`'s open fds by kind, e.g. {"pidfd": 3, "tcp socket": 32, "unix
// socket": 5, "file": 4}: a diagnostic for a failed fd check. Empty if
// /proc/PID/fd cannot be read.
std::map<std::string, int> FdKinds(pid_t pid);
// "file=4 pidfd=3 tcp socket=32".
std::string FdKindsText(pid_t pid);

// The resident set size of `pid` in KiB: VmRSS in /proc/PID/status.
absl::StatusOr<int64_t> ResidentKib(pid_t pid);

// A reading of a process's fds and RSS.
struct ProcessSample {
  int fds = 0;
  int64_t rss_kib = 0;
};

// Samples `pid` every 50 ms until its fd count has been the same for
// `stable_for` and, if `fds_at_most` >= 0, is at most `fds_at_most`; then
// returns that reading. Gives up at `timeout` and returns the last reading
// (the caller's assertions report it). Errors as OpenFds and ResidentKib.
absl::StatusOr<ProcessSample> SettleAndSample(pid_t pid, int fds_at_most,
                                              absl::Duration stable_for,
                                              absl::Duration timeout);

}  // namespace layer_vault::tests::load

#endif  // LAYER_VAULT_TESTS_LOAD_PROCESS_STATS_H_
