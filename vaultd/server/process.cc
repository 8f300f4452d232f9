#include "vaultd/server/process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace layer_vault::server {
namespace {

// The fds systemd passed to this process, or an empty range.
std::pair<int, int> ListenFdRange() {
  const char* pid = getenv("LISTEN_PID");
  const char* fds = getenv("LISTEN_FDS");
  int p = 0, n = 0;
  if (pid == nullptr || fds == nullptr || !absl::SimpleAtoi(pid, &p) ||
      !absl::SimpleAtoi(fds, &n) || p != getpid() || n <= 0) {
    return {0, 0};
  }
  return {SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + n};
}

}  // namespace

absl::Status HardenProcess() {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(
        absl::StrCat("prctl(PR_SET_DUMPABLE): ", std::strerror(errno)));
  }
  rlimit core{0, 0};
  if (setrlimit(RLIMIT_CORE, &core) != 0) {
    return absl::InternalError(
        absl::StrCat("setrlimit(RLIMIT_CORE): ", std::strerror(errno)));
  }
  umask(077);

  auto [first_keep, end_keep] = ListenFdRange();
  std::vector<int> to_close;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) {
    return absl::InternalError(
        absl::StrCat("opendir(/proc/self/fd): ", std::strerror(errno)));
  }
  int dir_fd = dirfd(dir);
  while (dirent* e = readdir(dir)) {
    int fd;
    if (!absl::SimpleAtoi(e->d_name, &fd)) continue;
    if (fd <= 2 || fd == dir_fd) continue;
    if (fd >= first_keep && fd < end_keep) continue;
    to_close.push_back(fd);
  }
  closedir(dir);
  for (int fd : to_close) close(fd);
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, int>> SystemdSockets() {
  std::map<std::string, int> out;
  char** names = nullptr;
  int n = sd_listen_fds_with_names(/*unset_environment=*/1, &names);
  if (n < 0) {
    return absl::InternalError(
        absl::StrCat("sd_listen_fds_with_names: ", std::strerror(-n)));
  }
  absl::Status status;
  for (int i = 0; i < n; ++i) {
    int fd = SD_LISTEN_FDS_START + i;
    std::string name = names != nullptr && names[i] != nullptr ? names[i] : "";
    if (status.ok()) {
      if (name.empty() || name == "unknown" || name == "stored") {
        status = absl::InvalidArgumentError(absl::StrCat(
            "socket-activated fd ", fd,
            " has no FileDescriptorName= (expected workload or admin)"));
      } else if (out.count(name) != 0) {
        status = absl::InvalidArgumentError(
            absl::StrCat("two socket-activated fds are named ", name));
      } else if (sd_is_socket_unix(fd, SOCK_STREAM, /*listening=*/1, nullptr,
                                   0) <= 0) {
        status = absl::InvalidArgumentError(absl::StrCat(
            "socket-activated fd ", name,
            " is not a listening Unix stream socket"));
      } else {
        int flags = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        out[name] = fd;
      }
    }
    if (names != nullptr) free(names[i]);
  }
  free(names);
  if (!status.ok()) {
    for (int i = 0; i < n; ++i) close(SD_LISTEN_FDS_START + i);
    return status;
  }
  return out;
}

void Notifier::Ready(const std::string& status) {
  sd_notify(0, absl::StrCat("READY=1\nSTATUS=", status).c_str());
}

void Notifier::Stopping() { sd_notify(0, "STOPPING=1"); }

void Notifier::Status(const std::string& status) {
  sd_notify(0, absl::StrCat("STATUS=", status).c_str());
}

void Notifier::WatchdogPing() { sd_notify(0, "WATCHDOG=1"); }

absl::Duration Notifier::WatchdogInterval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
    return absl::ZeroDuration();
  }
  return absl::Microseconds(usec) / 2;
}

}  // namespace layer_vault::server
