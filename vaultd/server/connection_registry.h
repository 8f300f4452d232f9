#ifndef LAYER_VAULT_VAULTD_SERVER_CONNECTION_REGISTRY_H_
#define LAYER_VAULT_VAULTD_SERVER_CONNECTION_REGISTRY_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "vaultd/peer/peer_identity.h"

namespace layer_vault::server {

// ConnectionRegistry maps the connections vaultd accepted itself (and then
// handed to gRPC with AddInsecureChannelFromFd) to the kernel-attested
// identity of their peer. gRPC reports such a connection's peer as
// "fd:<n>", which is the key here.
//
// An entry is replaced when the kernel reuses the fd number for a new
// connection (Register is called before the fd reaches gRPC), so the map
// holds at most one entry per fd number ever open at once. Thread-safe.
class ConnectionRegistry {
 public:
  void Register(int fd, peer::PeerIdentity identity);

  // The identity behind `grpc_peer` ("fd:<n>"), checked against the
  // kernel's current SO_PEERCRED of that fd (so a call queued on a
  // connection whose fd number was since reused is never attributed to the
  // newcomer). PERMISSION_DENIED otherwise (a connection that did not come
  // through the accept loop has no attested identity and is never trusted).
  absl::StatusOr<std::shared_ptr<const peer::PeerIdentity>> Lookup(
      absl::string_view grpc_peer) const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<int, std::shared_ptr<const peer::PeerIdentity>> by_fd_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_CONNECTION_REGISTRY_H_
