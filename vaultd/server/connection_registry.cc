#include "vaultd/server/connection_registry.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <utility>

#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"

namespace layer_vault::server {

namespace {

// True if `fd` is open and names the file `dev`/`ino`.
bool StillNames(int fd, dev_t dev, ino_t ino) {
  struct stat st {};
  return fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

}  // namespace

void ConnectionRegistry::Register(int fd, peer::PeerIdentity identity) {
  Entry entry;
  entry.identity =
      std::make_shared<const peer::PeerIdentity>(std::move(identity));
  struct stat st {};
  if (fstat(fd, &st) == 0) {
    entry.dev = st.st_dev;
    entry.ino = st.st_ino;
  }
  absl::MutexLock lock(&mu_);
  for (auto it = by_fd_.begin(); it != by_fd_.end();) {
    const Entry& e = it->second;
    if (it->first != fd && !StillNames(it->first, e.dev, e.ino)) {
      by_fd_.erase(it++);
    } else {
      ++it;
    }
  }
  by_fd_[fd] = std::move(entry);
}

size_t ConnectionRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return by_fd_.size();
}

absl::StatusOr<std::shared_ptr<const peer::PeerIdentity>>
ConnectionRegistry::Lookup(absl::string_view grpc_peer) const {
  int fd = -1;
  if (!absl::ConsumePrefix(&grpc_peer, "fd:") ||
      !absl::SimpleAtoi(grpc_peer, &fd) || fd < 0) {
    return absl::PermissionDeniedError("caller is not attested");
  }
  std::shared_ptr<const peer::PeerIdentity> identity;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_fd_.find(fd);
    if (it == by_fd_.end()) {
      return absl::PermissionDeniedError("caller is not attested");
    }
    identity = it->second.identity;
  }
  // The fd number may have been closed and reused by a newer connection
  // after this call was queued: the kernel's current answer must still be
  // the attested peer.
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      cred.pid != identity->pid || cred.uid != identity->uid) {
    return absl::PermissionDeniedError(
        "the connection was replaced; retry on a new connection");
  }
  return identity;
}

}  // namespace layer_vault::server
