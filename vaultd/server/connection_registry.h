#ifndef LAYER_VAULT_VAULTD_SERVER_CONNECTION_REGISTRY_H_
#define LAYER_VAULT_VAULTD_SERVER_CONNECTION_REGISTRY_H_

#include <sys/types.h>

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
// gRPC closes a connection's fd without telling vaultd, so Register drops
// the entries of connections closed since (their fd number is free or now
// names another file): the map, and the pidfds its identities hold, never
// outgrow the connections open at the last Register. An entry is replaced
// when the kernel reuses the fd number for a new connection (Register is
// called before the fd reaches gRPC). Thread-safe.
class ConnectionRegistry {
 public:
  // Registers `fd`, an accepted connection not yet handed to gRPC, after
  // dropping the entries of closed connections (one fstat per entry).
  void Register(int fd, peer::PeerIdentity identity);

  // Entries held now (connections registered and not yet found closed).
  size_t size() const;

  // The identity behind `grpc_peer` ("fd:<n>"), checked against the
  // kernel's current SO_PEERCRED of that fd (so a call queued on a
  // connection whose fd number was since reused is never attributed to the
  // newcomer). PERMISSION_DENIED otherwise (a connection that did not come
  // through the accept loop has no attested identity and is never trusted).
  absl::StatusOr<std::shared_ptr<const peer::PeerIdentity>> Lookup(
      absl::string_view grpc_peer) const;

 private:
  struct Entry {
    std::shared_ptr<const peer::PeerIdentity> identity;
    // The socket the fd named at Register.
    dev_t dev = 0;
    ino_t ino = 0;
  };

  mutable absl::Mutex mu_;
  absl::flat_hash_map<int, Entry> by_fd_ ABSL_GUARDED_BY(mu_);
};

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_CONNECTION_REGISTRY_H_
