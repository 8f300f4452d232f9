#include "vaultd/server/unix_listener.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace layer_vault::server {
namespace {

absl::Status Errno(absl::string_view what, absl::string_view path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status CheckParentDir(const SocketSpec& spec) {
  std::string dir = DirName(spec.path);
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return Errno("cannot stat", dir);
    if (mkdir(dir.c_str(), spec.max_dir_mode) != 0 && errno != EEXIST) {
      return Errno("cannot create directory", dir);
    }
    if (chmod(dir.c_str(), spec.max_dir_mode) != 0) {
      return Errno("cannot chmod", dir);
    }
    return absl::OkStatus();
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir, " is not a directory"));
  }
  mode_t extra = (st.st_mode & 07777) & ~spec.max_dir_mode;
  if (extra != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "socket directory %s has mode %04o, more permissive than %04o; fix "
        "with: chmod %04o %s",
        dir, st.st_mode & 07777, spec.max_dir_mode, spec.max_dir_mode, dir));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> BindUnixSocket(const SocketSpec& spec) {
  sockaddr_un addr{};
  if (spec.path.empty() || spec.path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "socket path must be 1 to ", sizeof(addr.sun_path) - 1,
        " bytes long, got ", spec.path.size()));
  }
  if (absl::Status s = CheckParentDir(spec); !s.ok()) return s;

  struct stat st;
  if (lstat(spec.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          spec.path, " exists and is not a socket; refusing to remove it"));
    }
    if (unlink(spec.path.c_str()) != 0) {
      return Errno("cannot remove stale socket", spec.path);
    }
  } else if (errno != ENOENT) {
    return Errno("cannot stat", spec.path);
  }

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket() for", spec.path);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, spec.path.data(), spec.path.size());
  // Bind with a umask that leaves no window in which the socket is more
  // accessible than `spec.mode`.
  mode_t old_umask = umask(0777 & ~spec.mode);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int bind_errno = errno;
  umask(old_umask);
  if (rc != 0) {
    errno = bind_errno;
    absl::Status s = Errno("cannot bind", spec.path);
    close(fd);
    return s;
  }
  if (spec.group.has_value() &&
      chown(spec.path.c_str(), static_cast<uid_t>(-1), *spec.group) != 0) {
    absl::Status s = Errno("cannot set group of", spec.path);
    close(fd);
    return s;
  }
  if (chmod(spec.path.c_str(), spec.mode) != 0) {
    absl::Status s = Errno("cannot chmod", spec.path);
    close(fd);
    return s;
  }
  if (listen(fd, 128) != 0) {
    absl::Status s = Errno("cannot listen on", spec.path);
    close(fd);
    return s;
  }
  return fd;
}

absl::StatusOr<std::unique_ptr<AcceptLoop>> AcceptLoop::Start(
    std::vector<Listener> listeners) {
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    return absl::InternalError(
        absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  std::unique_ptr<AcceptLoop> loop(new AcceptLoop(std::move(listeners), wake));
  loop->thread_ = std::thread([p = loop.get()] { p->Run(); });
  return loop;
}

AcceptLoop::AcceptLoop(std::vector<Listener> listeners, int wake_fd)
    : listeners_(std::move(listeners)), wake_fd_(wake_fd) {}

AcceptLoop::~AcceptLoop() {
  Stop();
  close(wake_fd_);
}

void AcceptLoop::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof(one));
  (void)ignored;
  thread_.join();
}

void AcceptLoop::Run() {
  std::vector<pollfd> fds;
  for (const Listener& l : listeners_) fds.push_back({l.listen_fd, POLLIN, 0});
  fds.push_back({wake_fd_, POLLIN, 0});
  for (;;) {
    int n = poll(fds.data(), fds.size(), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds.back().revents != 0) return;
    for (size_t i = 0; i < listeners_.size(); ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      // Drain the backlog of this listener.
      for (;;) {
        int conn = accept4(listeners_[i].listen_fd, nullptr, nullptr,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (conn >= 0) {
          listeners_[i].handler(conn);
          continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
            errno == ENOMEM) {
          // Out of descriptors or memory: back off instead of spinning on a
          // listener that stays readable.
          pollfd wake{wake_fd_, POLLIN, 0};
          if (poll(&wake, 1, 100) > 0) return;
        }
        break;  // EAGAIN: backlog drained.
      }
    }
  }
}

}  // namespace layer_vault::server
