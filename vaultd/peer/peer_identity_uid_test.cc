// A caller with another uid, as the daemon sees it: needs root (to drop to
// another uid) and runs outside the Bazel sandbox (see BUILD.bazel).

#include <errno.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/peer/peer_identity.h"

namespace layer_vault::peer {
namespace {

using ::testing::Contains;

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;
constexpr gid_t kExtraGroup = 4242;

class ForeignUidTest : public ::testing::TestWithParam<bool> {};

TEST_P(ForeignUidTest, ChildThatDroppedPrivilegesShowsItsUid) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to fork a child that drops to uid " << kNobody
                 << "; run as root (CI does) to exercise it";
  }
  char dir[] = "/tmp/vpuidXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ASSERT_EQ(chmod(dir, 0711), 0);  // the child needs search permission
  const std::string path = std::string(dir) + "/s";
  sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
      << strerror(errno);
  ASSERT_EQ(chmod(path.c_str(), 0666), 0);
  ASSERT_EQ(listen(listener, 1), 0);

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Drop to nobody with one supplementary group, then connect:
    // SO_PEERCRED records the credentials at connect time.
    const gid_t groups[] = {kExtraGroup};
    if (setgroups(1, groups) != 0 || setgid(kNogroup) != 0 ||
        setuid(kNobody) != 0) {
      _exit(20);
    }
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 ||
        connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      _exit(21);
    }
    if (write(fd, "x", 1) != 1) _exit(22);
    char c;
    if (read(fd, &c, 1) < 0) _exit(23);  // blocks until the parent closes
    _exit(0);
  }

  const int conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(conn, 0);
  char byte;
  ASSERT_EQ(read(conn, &byte, 1), 1);
  ReadPeerOptions options;
  options.use_peergroups = GetParam();
  absl::StatusOr<PeerIdentity> peer = ReadPeer(conn, options);
  close(conn);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  close(listener);
  unlink(path.c_str());
  rmdir(dir);

  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(peer->pid, child);
  EXPECT_EQ(peer->uid, kNobody);
  EXPECT_EQ(peer->gid, kNogroup);
  EXPECT_THAT(peer->supplementary_gids, Contains(kExtraGroup));
  EXPECT_TRUE(peer->InGroup(kExtraGroup));
  EXPECT_FALSE(peer->InGroup(0));
  std::printf("attested foreign caller: %s\n", peer->ToLogString().c_str());
}

INSTANTIATE_TEST_SUITE_P(Groups, ForeignUidTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "PeerGroups" : "ProcStatus";
                         });

}  // namespace
}  // namespace layer_vault::peer
