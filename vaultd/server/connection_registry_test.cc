#include "vaultd/server/connection_registry.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "vaultd/peer/peer_identity.h"

namespace layer_vault::server {
namespace {

// Both ends of a real connected AF_UNIX socket pair (peer: this process).
struct Pair {
  Pair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), 0); }
  ~Pair() {
    for (int f : fd) {
      if (f >= 0) close(f);
    }
  }
  int fd[2] = {-1, -1};
};

void RegisterReal(ConnectionRegistry& registry, int fd) {
  auto identity = peer::ReadPeer(fd);
  ASSERT_TRUE(identity.ok()) << identity.status();
  registry.Register(fd, *std::move(identity));
}

std::string PeerName(int fd) { return absl::StrCat("fd:", fd); }

TEST(ConnectionRegistryTest, LooksUpRegisteredConnectionsOnly) {
  ConnectionRegistry registry;
  Pair a;
  RegisterReal(registry, a.fd[0]);
  auto found = registry.Lookup(PeerName(a.fd[0]));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ((*found)->pid, getpid());
  EXPECT_EQ(registry.Lookup(PeerName(a.fd[1])).status().code(),
            absl::StatusCode::kPermissionDenied);
  for (const char* bad : {"", "fd:", "fd:-1", "fd:x", "unix:/x", "ipv4:1"}) {
    EXPECT_EQ(registry.Lookup(bad).status().code(),
              absl::StatusCode::kPermissionDenied)
        << bad;
  }
}

TEST(ConnectionRegistryTest, ClosedConnectionsAreDroppedAtTheNextRegister) {
  // gRPC closes connections without telling vaultd; their entries (and the
  // pidfds their identities hold) must not pile up.
  ConnectionRegistry registry;
  Pair a, b;
  RegisterReal(registry, a.fd[0]);
  RegisterReal(registry, b.fd[0]);
  EXPECT_EQ(registry.size(), 2u);

  // a's fd number is closed, then reused by a file that is not a socket.
  const int closed = a.fd[0];
  ASSERT_EQ(close(closed), 0);
  a.fd[0] = -1;
  const int reused = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(reused, 0);

  RegisterReal(registry, b.fd[1]);
  EXPECT_EQ(registry.size(), 2u);  // b's two ends; a's entry is gone.
  EXPECT_EQ(registry.Lookup(PeerName(closed)).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(registry.Lookup(PeerName(b.fd[0])).ok());
  EXPECT_TRUE(registry.Lookup(PeerName(b.fd[1])).ok());
  close(reused);

  // Many connections opened and closed: the map follows the open ones.
  for (int i = 0; i < 100; ++i) {
    Pair p;
    RegisterReal(registry, p.fd[0]);
  }
  Pair last;
  RegisterReal(registry, last.fd[0]);
  EXPECT_EQ(registry.size(), 3u);  // b's two ends and `last`.
}

}  // namespace
}  // namespace layer_vault::server
