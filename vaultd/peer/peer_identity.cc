#include "vaultd/peer/peer_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "vaultd/peer/proc_parse.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77  // Linux 6.5; older kernels answer ENOPROTOOPT.
#endif
#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59  // Linux 4.13.
#endif

namespace layer_vault::peer {
namespace {

constexpr size_t kMaxProcFileBytes = 64 * 1024;

std::string Errno(absl::string_view what, int err) {
  return absl::StrCat(what, ": ", std::strerror(err));
}

std::string ProcPath(pid_t pid, absl::string_view leaf) {
  return absl::StrCat("/proc/", pid, "/", leaf);
}

// Reads a small /proc file whole. Returns the errno on failure.
absl::StatusOr<std::string> ReadProcFile(const std::string& path, int* err) {
  *err = 0;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    *err = errno;
    return absl::InternalError(Errno(path, *err));
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      close(fd);
      return absl::InternalError(Errno(path, *err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxProcFileBytes) {
      close(fd);
      return absl::InternalError(absl::StrCat(path, ": unexpectedly large"));
    }
  }
  close(fd);
  return out;
}

bool ProcessGone(int err) { return err == ENOENT || err == ESRCH; }

absl::StatusOr<ProcStat> ReadProcStat(pid_t pid) {
  int err = 0;
  absl::StatusOr<std::string> text = ReadProcFile(ProcPath(pid, "stat"), &err);
  if (!text.ok()) {
    if (ProcessGone(err)) {
      return absl::UnavailableError(absl::StrCat("pid ", pid, " exited"));
    }
    return text.status();
  }
  absl::StatusOr<ProcStat> stat = ParseProcStat(*text);
  if (!stat.ok()) {
    return absl::InternalError(
        absl::StrCat("pid ", pid, ": ", stat.status().message()));
  }
  if (stat->pid != pid) {
    return absl::InternalError(
        absl::StrCat("/proc/", pid, "/stat names pid ", stat->pid));
  }
  return stat;
}

bool Exited(const ProcStat& stat) {
  return stat.state == 'Z' || stat.state == 'X' || stat.state == 'x';
}

uint64_t BootTimeTicks() {
  struct timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  static const long kTicks = sysconf(_SC_CLK_TCK);
  const uint64_t hz = kTicks > 0 ? static_cast<uint64_t>(kTicks) : 100;
  return static_cast<uint64_t>(ts.tv_sec) * hz +
         static_cast<uint64_t>(ts.tv_nsec) / (1000000000 / hz);
}

const std::string& BootId() {
  static const std::string* const id = [] {
    int err = 0;
    absl::StatusOr<std::string> text =
        ReadProcFile("/proc/sys/kernel/random/boot_id", &err);
    return new std::string(
        text.ok() ? std::string(absl::StripAsciiWhitespace(*text)) : "");
  }();
  return *id;
}

// OK if the pidfd still refers to a live (possibly unsignalable) process.
absl::Status PidFdAlive(const PeerIdentity& peer) {
  const int rc = static_cast<int>(
      syscall(SYS_pidfd_send_signal, peer.pidfd->get(), 0, nullptr, 0));
  if (rc == 0 || errno == EPERM) return absl::OkStatus();
  if (errno == ESRCH) {
    return absl::UnavailableError(absl::StrCat("pid ", peer.pid, " exited"));
  }
  return absl::InternalError(Errno("pidfd_send_signal", errno));
}

absl::StatusOr<std::vector<gid_t>> PeerGroups(int fd, bool* supported) {
  *supported = true;
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 2; ++attempt) {
    socklen_t len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
      groups.resize(len / sizeof(gid_t));
      std::sort(groups.begin(), groups.end());
      groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
      return groups;
    }
    if (errno == ERANGE) {
      groups.resize(len / sizeof(gid_t) + 1);
      continue;
    }
    if (errno == ENOPROTOOPT || errno == ENODATA) {
      *supported = false;
      return std::vector<gid_t>();
    }
    return absl::InternalError(Errno("getsockopt(SO_PEERGROUPS)", errno));
  }
  return absl::InternalError("getsockopt(SO_PEERGROUPS): group list keeps growing");
}

}  // namespace

PidFd::~PidFd() {
  if (fd_ >= 0) close(fd_);
}

bool PeerIdentity::InGroup(gid_t g) const {
  return g == gid || std::binary_search(supplementary_gids.begin(),
                                        supplementary_gids.end(), g);
}

std::string PeerIdentity::ToLogString() const {
  return absl::StrCat("pid=", pid, " uid=", uid, " gid=", gid, " exe=\"",
                      absl::CEscape(exe_path), "\"");
}

std::string PeerIdentity::BindingString() const {
  return absl::StrCat("peer-v1;boot=", boot_id, ";uid=", uid, ";pid=", pid,
                      ";start=", start_time_ticks);
}

absl::StatusOr<std::string> PeerIdentity::ExeSha256() const {
  if (known_exe_sha256.has_value()) return *known_exe_sha256;
  if (pid <= 0 || start_time_ticks == 0 || exe_digest_cache == nullptr) {
    return absl::FailedPreconditionError(
        "peer identity was not attested by ReadPeer");
  }
  if (!exe_status.ok()) return exe_status;
  const std::string path = ProcPath(pid, "exe");
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (ProcessGone(err)) {
      return absl::UnavailableError(absl::StrCat("pid ", pid, " exited"));
    }
    if (err == EACCES || err == EPERM) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot open ", path,
                       " (vaultd needs the caller's uid or CAP_SYS_PTRACE)"));
    }
    return absl::InternalError(Errno(path, err));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0) return absl::InternalError(Errno("fstat", errno));
  if (st.st_dev != exe_dev || st.st_ino != exe_ino) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pid ", pid, " runs another executable than when it was attested"));
  }
  // The file was opened while the pid still named the attested process.
  if (absl::Status same = StillSame(*this); !same.ok()) return same;
  return exe_digest_cache->Sha256Hex(fd);
}

absl::StatusOr<PeerIdentity> ReadPeer(int fd, const ReadPeerOptions& options) {
  // Any process that started after this instant cannot be the one that
  // connected before it.
  const uint64_t begin_ticks = BootTimeTicks();

  int domain = 0;
  socklen_t len = sizeof(domain);
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
    return absl::InvalidArgumentError(Errno("not a socket", errno));
  }
  if (domain != AF_UNIX) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket domain ", domain, " is not AF_UNIX"));
  }

  PeerIdentity peer;
  struct ucred cred;
  len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return absl::InternalError(Errno("getsockopt(SO_PEERCRED)", errno));
  }
  if (cred.pid <= 0) {
    return absl::FailedPreconditionError(
        "peer has no pid in vaultd's pid namespace (or is not connected)");
  }
  peer.pid = cred.pid;
  peer.uid = cred.uid;
  peer.gid = cred.gid;
  peer.boot_id = BootId();
  peer.exe_digest_cache = options.exe_digest_cache != nullptr
                              ? options.exe_digest_cache
                              : ExeDigestCache::Default();

  if (options.use_pidfd) {
    int pidfd = -1;
    len = sizeof(pidfd);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0) {
      // Make sure the pidfd never leaks into a child, whatever the kernel's
      // default.
      (void)fcntl(pidfd, F_SETFD, FD_CLOEXEC);
      peer.pidfd = std::make_shared<const PidFd>(pidfd);
      peer.pidfd_supported = true;
    } else if (errno == ESRCH || errno == EINVAL) {
      return absl::UnavailableError(
          absl::StrCat("peer pid ", peer.pid, " exited before attestation"));
    } else if (errno != ENOPROTOOPT) {
      return absl::InternalError(Errno("getsockopt(SO_PEERPIDFD)", errno));
    }
  }

  absl::StatusOr<ProcStat> first = ReadProcStat(peer.pid);
  if (!first.ok()) return first.status();
  if (Exited(*first)) {
    return absl::UnavailableError(absl::StrCat("pid ", peer.pid, " exited"));
  }
  if (first->start_time_ticks > begin_ticks) {
    return absl::UnavailableError(absl::StrCat(
        "pid ", peer.pid, " was reused by a process started after connect"));
  }
  peer.start_time_ticks = first->start_time_ticks;

  bool groups_supported = false;
  if (options.use_peergroups) {
    absl::StatusOr<std::vector<gid_t>> groups = PeerGroups(fd, &groups_supported);
    if (!groups.ok()) return groups.status();
    peer.supplementary_gids = *std::move(groups);
  }
  if (!groups_supported) {
    int err = 0;
    absl::StatusOr<std::string> status =
        ReadProcFile(ProcPath(peer.pid, "status"), &err);
    if (!status.ok()) {
      if (ProcessGone(err)) {
        return absl::UnavailableError(absl::StrCat("pid ", peer.pid, " exited"));
      }
      return status.status();
    }
    absl::StatusOr<std::vector<gid_t>> groups = ParseStatusGroups(*status);
    if (!groups.ok()) return absl::InternalError(groups.status().message());
    peer.supplementary_gids = *std::move(groups);
  }

  const std::string exe_link = ProcPath(peer.pid, "exe");
  char target[PATH_MAX + 1];
  const ssize_t n = readlink(exe_link.c_str(), target, PATH_MAX);
  struct stat st;
  if (n < 0) {
    const int err = errno;
    peer.exe_status = (err == EACCES || err == EPERM)
                          ? absl::PermissionDeniedError(absl::StrCat(
                                "cannot read ", exe_link,
                                " (vaultd needs the caller's uid or "
                                "CAP_SYS_PTRACE)"))
                          : absl::UnavailableError(Errno(exe_link, err));
  } else if (stat(exe_link.c_str(), &st) != 0) {
    peer.exe_status = absl::UnavailableError(Errno(exe_link, errno));
  } else {
    peer.exe_path.assign(target, static_cast<size_t>(n));
    peer.exe_dev = st.st_dev;
    peer.exe_ino = st.st_ino;
  }

  // Everything above was read from /proc/<pid>; confirm it was still the
  // process that connected.
  if (absl::Status same = StillSame(peer); !same.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "peer changed during attestation: ", same.message()));
  }
  return peer;
}

absl::Status StillSame(const PeerIdentity& peer) {
  if (peer.pid <= 0 || peer.start_time_ticks == 0) {
    return absl::FailedPreconditionError(
        "peer identity was not attested by ReadPeer");
  }
  absl::StatusOr<ProcStat> now = ReadProcStat(peer.pid);
  if (!now.ok()) return now.status();
  if (now->start_time_ticks != peer.start_time_ticks) {
    return absl::UnavailableError(
        absl::StrCat("pid ", peer.pid, " now names another process"));
  }
  if (Exited(*now)) {
    return absl::UnavailableError(absl::StrCat("pid ", peer.pid, " exited"));
  }
  if (peer.exe_status.ok() && !peer.exe_path.empty()) {
    struct stat st;
    const std::string exe_link = ProcPath(peer.pid, "exe");
    if (stat(exe_link.c_str(), &st) != 0) {
      const int err = errno;
      if (ProcessGone(err)) {
        return absl::UnavailableError(absl::StrCat("pid ", peer.pid, " exited"));
      }
      return absl::InternalError(Errno(exe_link, err));
    }
    if (st.st_dev != peer.exe_dev || st.st_ino != peer.exe_ino) {
      return absl::FailedPreconditionError(absl::StrCat(
          "pid ", peer.pid, " runs another executable than when attested"));
    }
  }
  // Last: a live pidfd proves the pid was not recycled while the reads above
  // happened, so they describe the attested process.
  if (peer.pidfd != nullptr) return PidFdAlive(peer);
  return absl::OkStatus();
}

}  // namespace layer_vault::peer
