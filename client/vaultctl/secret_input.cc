#include "client/vaultctl/secret_input.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "vaultd/store/permissions.h"

namespace layer_vault::vaultctl {
namespace {

// Terminal state to restore from a signal handler.
volatile sig_atomic_t g_tty_fd = -1;
struct termios g_saved_termios;

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void RestoreTerminalAndReraise(int sig) {
  if (g_tty_fd >= 0) tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved_termios);
  signal(sig, SIG_DFL);
  raise(sig);
}

// Strips one trailing "\n" or "\r\n".
void StripNewline(crypto::SecretBytes& s) {
  size_t n = s.size();
  if (n > 0 && s.UnsafeData()[n - 1] == '\n') {
    --n;
    if (n > 0 && s.UnsafeData()[n - 1] == '\r') --n;
  }
  s.Truncate(n);
}

void WriteAll(int fd, absl::string_view s) {
  while (!s.empty()) {
    ssize_t n = write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

bool IsTerminal(int fd) { return isatty(fd) == 1; }

absl::StatusOr<crypto::SecretBytes> ReadSecretFromTerminal(
    const std::string& tty_path, absl::string_view prompt, size_t max_size) {
  int fd = open(tty_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 || !IsTerminal(fd)) {
    if (fd >= 0) close(fd);
    return absl::InvalidArgumentError(
        "no terminal to ask on: pass the secret through a pipe or a file "
        "(--passphrase-file)");
  }
  struct termios saved;
  if (tcgetattr(fd, &saved) != 0) {
    close(fd);
    return absl::ErrnoToStatus(errno, "tcgetattr");
  }
  struct termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK | ECHONL);
  quiet.c_lflag |= ICANON;

  g_saved_termios = saved;
  g_tty_fd = fd;
  struct sigaction action = {};
  action.sa_handler = RestoreTerminalAndReraise;
  sigemptyset(&action.sa_mask);
  struct sigaction old_actions[sizeof(kSignals) / sizeof(kSignals[0])];
  for (size_t i = 0; i < sizeof(kSignals) / sizeof(kSignals[0]); ++i) {
    sigaction(kSignals[i], &action, &old_actions[i]);
  }

  absl::Status status;
  if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
    status = absl::ErrnoToStatus(errno, "tcsetattr");
  }
  crypto::SecretBytes line(max_size + 1);
  size_t got = 0;
  if (status.ok()) {
    WriteAll(fd, prompt);
    while (got < line.size()) {
      char c;
      ssize_t n = read(fd, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (c == '\n') break;
      line.UnsafeMutableData()[got++] = static_cast<uint8_t>(c);
    }
    WriteAll(fd, "\n");
  }
  tcsetattr(fd, TCSAFLUSH, &saved);
  g_tty_fd = -1;
  for (size_t i = 0; i < sizeof(kSignals) / sizeof(kSignals[0]); ++i) {
    sigaction(kSignals[i], &old_actions[i], nullptr);
  }
  close(fd);
  if (!status.ok()) return status;
  if (got > max_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("input longer than ", max_size, " bytes"));
  }
  line.Truncate(got);
  if (line.size() > 0 && line.UnsafeData()[got - 1] == '\r') {
    line.Truncate(got - 1);
  }
  if (line.empty()) return absl::InvalidArgumentError("empty input");
  return line;
}

absl::StatusOr<crypto::SecretBytes> ReadSecretFromFd(int fd, size_t max_size,
                                                     absl::string_view what) {
  // Room for the limit, a "\r\n" and one byte to detect overflow.
  crypto::SecretBytes buf(max_size + 3);
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = read(fd, buf.UnsafeMutableData() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("read ", what));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  buf.Truncate(got);
  StripNewline(buf);
  if (buf.size() > max_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is longer than ", max_size, " bytes"));
  }
  if (buf.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  }
  return buf;
}

absl::StatusOr<crypto::SecretBytes> ReadSecretFromFile(
    const std::string& path, int stdin_fd, size_t max_size,
    std::string* warning) {
  if (path == "-") return ReadSecretFromFd(stdin_fd, max_size, "stdin");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("secret file ", store::ShellQuote(path),
                       " does not exist"));
    }
    return absl::ErrnoToStatus(err,
                               absl::StrCat("open ", store::ShellQuote(path)));
  }
  struct stat st;
  if (warning != nullptr && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      (st.st_mode & 077) != 0) {
    *warning = absl::StrCat("warning: ", store::ShellQuote(path),
                            " is readable by group or others; fix with: "
                            "chmod 0600 ",
                            store::ShellQuote(path));
  }
  absl::StatusOr<crypto::SecretBytes> secret =
      ReadSecretFromFd(fd, max_size, store::ShellQuote(path));
  close(fd);
  return secret;
}

}  // namespace layer_vault::vaultctl
