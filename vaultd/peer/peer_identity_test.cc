#include "vaultd/peer/peer_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/peer/proc_parse.h"

namespace layer_vault::peer {
namespace {

using ::testing::HasSubstr;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t StartTimeOf(pid_t pid) {
  absl::StatusOr<ProcStat> stat =
      ParseProcStat(ReadWhole(absl::StrCat("/proc/", pid, "/stat")));
  EXPECT_TRUE(stat.ok()) << stat.status();
  return stat.ok() ? stat->start_time_ticks : 0;
}

std::string ReadLink(const std::string& path) {
  char buf[4096];
  const ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

std::vector<gid_t> OwnSupplementaryGroups() {
  std::vector<gid_t> groups(getgroups(0, nullptr));
  groups.resize(getgroups(static_cast<int>(groups.size()), groups.data()));
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  return groups;
}

struct Mode {
  bool use_pidfd;
  bool use_peergroups;
};

std::string ModeName(const ::testing::TestParamInfo<Mode>& info) {
  return absl::StrCat(info.param.use_pidfd ? "Pidfd" : "NoPidfd",
                      info.param.use_peergroups ? "PeerGroups" : "ProcGroups");
}

ReadPeerOptions OptionsFor(const Mode& mode) {
  ReadPeerOptions options;
  options.use_pidfd = mode.use_pidfd;
  options.use_peergroups = mode.use_peergroups;
  return options;
}

// A listening AF_UNIX socket in a short mkdtemp directory under /tmp
// ($TEST_TMPDIR is longer than sun_path allows).
class UnixListener {
 public:
  UnixListener() {
    char dir[] = "/tmp/vpeerXXXXXX";
    EXPECT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/s";
    memset(&addr_, 0, sizeof(addr_));
    addr_.sun_family = AF_UNIX;
    EXPECT_LT(path_.size(), sizeof(addr_.sun_path));
    memcpy(addr_.sun_path, path_.c_str(), path_.size() + 1);
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr_), sizeof(addr_)), 0)
        << strerror(errno);
    EXPECT_EQ(listen(fd_, 8), 0);
  }
  ~UnixListener() {
    close(fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  int Accept() { return accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC); }
  const sockaddr_un& addr() const { return addr_; }

 private:
  std::string dir_;
  std::string path_;
  sockaddr_un addr_;
  int fd_ = -1;
};

// Forks a client that connects to `listener`, sends one byte, and then
// waits for one command byte: 'e' execs /bin/sleep, EOF exits.
pid_t ForkClient(const UnixListener& listener) {
  const sockaddr_un addr = listener.addr();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: async-signal-safe calls only.
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 ||
      connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    _exit(10);
  }
  if (write(fd, "x", 1) != 1) _exit(11);
  char cmd = 0;
  if (read(fd, &cmd, 1) == 1 && cmd == 'e') {
    char* const argv[] = {const_cast<char*>("sleep"),
                          const_cast<char*>("30"), nullptr};
    execv("/bin/sleep", argv);
    _exit(12);
  }
  _exit(0);
}

class ReadPeerTest : public ::testing::TestWithParam<Mode> {};

TEST_P(ReadPeerTest, SocketPairGivesOwnCredentials) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  absl::StatusOr<PeerIdentity> peer = ReadPeer(sv[0], OptionsFor(GetParam()));
  close(sv[0]);
  close(sv[1]);
  ASSERT_TRUE(peer.ok()) << peer.status();

  EXPECT_EQ(peer->pid, getpid());
  EXPECT_EQ(peer->uid, geteuid());
  EXPECT_EQ(peer->gid, getegid());
  EXPECT_EQ(peer->supplementary_gids, OwnSupplementaryGroups());
  EXPECT_EQ(peer->start_time_ticks, StartTimeOf(getpid()));
  EXPECT_EQ(peer->exe_path, ReadLink("/proc/self/exe"));
  EXPECT_TRUE(peer->exe_status.ok()) << peer->exe_status;
  EXPECT_EQ(peer->boot_id.size(), 36u) << peer->boot_id;
  if (!GetParam().use_pidfd) {
    EXPECT_FALSE(peer->pidfd_supported);
    EXPECT_EQ(peer->pidfd, nullptr);
  } else if (peer->pidfd_supported) {
    ASSERT_NE(peer->pidfd, nullptr);
    EXPECT_NE(fcntl(peer->pidfd->get(), F_GETFD) & FD_CLOEXEC, 0);
  } else {
    std::printf("kernel has no SO_PEERPIDFD; start-time fallback in use\n");
  }
  EXPECT_TRUE(StillSame(*peer).ok()) << StillSame(*peer);

  EXPECT_EQ(peer->BindingString(),
            absl::StrCat("peer-v1;boot=", peer->boot_id, ";uid=", geteuid(),
                         ";pid=", getpid(), ";start=", peer->start_time_ticks));
  EXPECT_EQ(peer->ToLogString(),
            absl::StrCat("pid=", getpid(), " uid=", geteuid(),
                         " gid=", getegid(), " exe=\"",
                         absl::CEscape(peer->exe_path), "\""));
}

TEST_P(ReadPeerTest, ForkedChildOverRealSocket) {
  UnixListener listener;
  const pid_t child = ForkClient(listener);
  ASSERT_GT(child, 0);
  const int conn = listener.Accept();
  ASSERT_GE(conn, 0);
  char byte;
  ASSERT_EQ(read(conn, &byte, 1), 1);  // the child has connected

  absl::StatusOr<PeerIdentity> peer = ReadPeer(conn, OptionsFor(GetParam()));
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_EQ(peer->pid, child);
  EXPECT_EQ(peer->uid, geteuid());
  EXPECT_EQ(peer->start_time_ticks, StartTimeOf(child));
  EXPECT_NE(peer->BindingString(),
            absl::StrCat("peer-v1;boot=", peer->boot_id, ";uid=", geteuid(),
                         ";pid=", getpid(), ";start=", StartTimeOf(getpid())));
  EXPECT_TRUE(StillSame(*peer).ok()) << StillSame(*peer);

  // The child exits when the connection closes. Unreaped, it is a zombie:
  // not alive any more.
  close(conn);
  siginfo_t info;
  ASSERT_EQ(waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(info.si_status, 0);
  absl::Status zombie = StillSame(*peer);
  EXPECT_EQ(zombie.code(), absl::StatusCode::kUnavailable) << zombie;

  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  absl::Status reaped = StillSame(*peer);
  EXPECT_EQ(reaped.code(), absl::StatusCode::kUnavailable) << reaped;
  EXPECT_EQ(peer->ExeSha256().status().code(), absl::StatusCode::kUnavailable);
}

TEST_P(ReadPeerTest, RecycledPidIsDetected) {
  // A recycled pid is simulated by an identity whose start time differs from
  // what the pid now names.
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  absl::StatusOr<PeerIdentity> peer = ReadPeer(sv[0], OptionsFor(GetParam()));
  close(sv[0]);
  close(sv[1]);
  ASSERT_TRUE(peer.ok()) << peer.status();
  PeerIdentity older = *peer;
  older.start_time_ticks -= 1;
  absl::Status s = StillSame(older);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("another process"));
  EXPECT_EQ(older.ExeSha256().status().code(), absl::StatusCode::kUnavailable);
}

TEST_P(ReadPeerTest, ExecAfterAttestationIsNoLongerTheSame) {
  UnixListener listener;
  const pid_t child = ForkClient(listener);
  ASSERT_GT(child, 0);
  const int conn = listener.Accept();
  ASSERT_GE(conn, 0);
  char byte;
  ASSERT_EQ(read(conn, &byte, 1), 1);
  absl::StatusOr<PeerIdentity> peer = ReadPeer(conn, OptionsFor(GetParam()));
  ASSERT_TRUE(peer.ok()) << peer.status();
  const std::string before = peer->exe_path;

  ASSERT_EQ(write(conn, "e", 1), 1);
  const std::string link = absl::StrCat("/proc/", child, "/exe");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ReadLink(link) == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_NE(ReadLink(link), before) << "child did not exec";

  absl::Status s = StillSame(*peer);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(peer->ExeSha256().status().code(),
            absl::StatusCode::kFailedPrecondition);
  close(conn);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, ReadPeerTest,
                         ::testing::Values(Mode{true, true}, Mode{false, true},
                                           Mode{true, false},
                                           Mode{false, false}),
                         ModeName);

TEST(ExeSha256Test, HashesOwnExecutableLazilyAndCaches) {
  ReadPeerOptions options;
  options.exe_digest_cache = std::make_shared<ExeDigestCache>();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  absl::StatusOr<PeerIdentity> peer = ReadPeer(sv[0], options);
  close(sv[0]);
  close(sv[1]);
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_EQ(options.exe_digest_cache->misses(), 0u);  // lazy

  const std::string bytes = ReadWhole("/proc/self/exe");
  ASSERT_FALSE(bytes.empty());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(),
                       nullptr),
            1);
  const std::string want = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(md), len));

  absl::StatusOr<std::string> got = peer->ExeSha256();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, want);
  const PeerIdentity copy = *peer;
  ASSERT_TRUE(copy.ExeSha256().ok());
  EXPECT_EQ(options.exe_digest_cache->misses(), 1u);
  EXPECT_EQ(options.exe_digest_cache->hits(), 1u);
}

TEST(PeerIdentityTest, HandBuiltIdentityFailsClosed) {
  PeerIdentity hand;
  hand.pid = getpid();
  hand.uid = geteuid();
  EXPECT_EQ(StillSame(hand).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(hand.ExeSha256().status().code(),
            absl::StatusCode::kFailedPrecondition);
  hand.known_exe_sha256 = std::string(64, 'a');
  EXPECT_EQ(*hand.ExeSha256(), std::string(64, 'a'));
}

TEST(PeerIdentityTest, InGroupCoversPrimaryAndSupplementary) {
  PeerIdentity p;
  p.gid = 100;
  p.supplementary_gids = {4, 27, 1000};
  EXPECT_TRUE(p.InGroup(100));
  EXPECT_TRUE(p.InGroup(27));
  EXPECT_FALSE(p.InGroup(5));
}

TEST(PeerIdentityTest, LogStringEscapesThePath) {
  PeerIdentity p;
  p.pid = 1;
  p.uid = 2;
  p.gid = 3;
  p.exe_path = "/tmp/a\"b\nc";
  EXPECT_EQ(p.ToLogString(), "pid=1 uid=2 gid=3 exe=\"/tmp/a\\\"b\\nc\"");
}

TEST(PeerIdentityTest, PidFdIsClosedWithTheLastCopy) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  absl::StatusOr<PeerIdentity> peer = ReadPeer(sv[0]);
  close(sv[0]);
  close(sv[1]);
  ASSERT_TRUE(peer.ok()) << peer.status();
  if (!peer->pidfd_supported) GTEST_SKIP() << "kernel has no SO_PEERPIDFD";
  const int fd = peer->pidfd->get();
  {
    PeerIdentity copy = *peer;
    *peer = PeerIdentity();
    EXPECT_NE(fcntl(fd, F_GETFD), -1);
  }
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(ReadPeerErrorsTest, RejectsWhatIsNotAConnectedUnixSocket) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  EXPECT_EQ(ReadPeer(p[0]).status().code(), absl::StatusCode::kInvalidArgument);
  close(p[0]);
  close(p[1]);

  const int inet = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(inet, 0);
  EXPECT_EQ(ReadPeer(inet).status().code(), absl::StatusCode::kInvalidArgument);
  close(inet);

  const int unconnected = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(unconnected, 0);
  EXPECT_EQ(ReadPeer(unconnected).status().code(),
            absl::StatusCode::kFailedPrecondition);
  close(unconnected);

  EXPECT_EQ(ReadPeer(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace layer_vault::peer
