#include "vaultd/server/connection_registry.h"

#include <utility>

#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"

namespace layer_vault::server {

void ConnectionRegistry::Register(int fd, peer::PeerIdentity identity) {
  auto entry = std::make_shared<const peer::PeerIdentity>(std::move(identity));
  absl::MutexLock lock(&mu_);
  by_fd_[fd] = std::move(entry);
}

absl::StatusOr<std::shared_ptr<const peer::PeerIdentity>>
ConnectionRegistry::Lookup(absl::string_view grpc_peer) const {
  int fd = -1;
  if (!absl::ConsumePrefix(&grpc_peer, "fd:") ||
      !absl::SimpleAtoi(grpc_peer, &fd) || fd < 0) {
    return absl::PermissionDeniedError("caller is not attested");
  }
  absl::MutexLock lock(&mu_);
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) {
    return absl::PermissionDeniedError("caller is not attested");
  }
  return it->second;
}

}  // namespace layer_vault::server
