#include "client/vaultctl/secret_input.h"

#include <fcntl.h>
#include <pty.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace layer_vault::vaultctl {
namespace {

absl::StatusOr<crypto::SecretBytes> ThroughPipe(const std::string& data,
                                                size_t max) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  EXPECT_EQ(write(fds[1], data.data(), data.size()),
            static_cast<ssize_t>(data.size()));
  close(fds[1]);
  auto result = ReadSecretFromFd(fds[0], max, "stdin");
  close(fds[0]);
  return result;
}

TEST(ReadSecretFromFdTest, StripsOneNewline) {
  EXPECT_EQ(ThroughPipe("secret\n", 64)->UnsafeView(), "secret");
  EXPECT_EQ(ThroughPipe("secret\r\n", 64)->UnsafeView(), "secret");
  EXPECT_EQ(ThroughPipe("secret", 64)->UnsafeView(), "secret");
  EXPECT_EQ(ThroughPipe("two\n\n", 64)->UnsafeView(), "two\n");
  EXPECT_EQ(ThroughPipe(std::string(64, 'x') + "\n", 64)->size(), 64u);
}

TEST(ReadSecretFromFdTest, RejectsEmptyAndLong) {
  EXPECT_EQ(ThroughPipe("", 64).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ThroughPipe("\n", 64).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status s = ThroughPipe(std::string(65, 'x'), 64).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(absl::StrContains(s.message(), "xxxx"));
  EXPECT_FALSE(ThroughPipe(std::string(60000, 'x'), 64).ok());  // < pipe buffer
}

TEST(ReadSecretFromFileTest, MissingAndWorldReadable) {
  const std::string dir = getenv("TEST_TMPDIR");
  EXPECT_EQ(ReadSecretFromFile(dir + "/nope", 0, 64, nullptr).status().code(),
            absl::StatusCode::kNotFound);
  const std::string path = dir + "/pp";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_EQ(write(fd, "passphrase\n", 11), 11);
  close(fd);
  chmod(path.c_str(), 0644);
  std::string warning;
  auto p = ReadSecretFromFile(path, 0, 64, &warning);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->UnsafeView(), "passphrase");
  EXPECT_TRUE(absl::StrContains(warning, "chmod 0600")) << warning;
  chmod(path.c_str(), 0600);
  warning.clear();
  ASSERT_TRUE(ReadSecretFromFile(path, 0, 64, &warning).ok());
  EXPECT_EQ(warning, "");
}

TEST(ReadSecretFromTerminalTest, NoTerminal) {
  absl::Status s =
      ReadSecretFromTerminal("/nonexistent/tty", "prompt: ", 64).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "--passphrase-file"));
}

// A real pseudo-terminal: the secret typed after the prompt is not echoed,
// and echo is back on afterwards.
TEST(ReadSecretFromTerminalTest, EchoIsOffWhileReading) {
  int master, slave;
  char name[256];
  ASSERT_EQ(openpty(&master, &slave, name, nullptr, nullptr), 0);
  struct termios t;
  ASSERT_EQ(tcgetattr(slave, &t), 0);
  ASSERT_TRUE(t.c_lflag & ECHO);

  std::thread typist([&] {
    // Type only once echo is off (TCSAFLUSH drops earlier input).
    for (int i = 0; i < 5000; ++i) {
      struct termios now;
      if (tcgetattr(slave, &now) == 0 && !(now.c_lflag & ECHO)) break;
      usleep(1000);
    }
    ASSERT_EQ(write(master, "typed secret\n", 13), 13);
  });
  auto secret = ReadSecretFromTerminal(name, "Passphrase: ", 64);
  typist.join();
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->UnsafeView(), "typed secret");

  std::string screen;
  char buf[256];
  fcntl(master, F_SETFL, O_NONBLOCK);
  for (ssize_t n; (n = read(master, buf, sizeof(buf))) > 0;) {
    screen.append(buf, static_cast<size_t>(n));
  }
  EXPECT_TRUE(absl::StrContains(screen, "Passphrase: ")) << screen;
  EXPECT_FALSE(absl::StrContains(screen, "typed secret")) << screen;
  ASSERT_EQ(tcgetattr(slave, &t), 0);
  EXPECT_TRUE(t.c_lflag & ECHO) << "echo restored";
  close(slave);
  close(master);
}

}  // namespace
}  // namespace layer_vault::vaultctl
