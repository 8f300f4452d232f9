#include "client/testing/vaultd_fixture.h"

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "vaultd/crypto/random.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"
#include "vaultd/store/store.h"

extern char** environ;

namespace layer_vault::client::testing {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::string RandomAlnum(size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string random = crypto::RandomBytes(n);
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kAlphabet[static_cast<uint8_t>(random[i]) % 62];
  }
  return out;
}

absl::Status WriteFile(const std::string& path, absl::string_view data,
                       mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Errno("cannot create", path);
  ssize_t n = write(fd, data.data(), data.size());
  close(fd);
  if (n != static_cast<ssize_t>(data.size())) return Errno("cannot write", path);
  if (chmod(path.c_str(), mode) != 0) return Errno("cannot chmod", path);
  return absl::OkStatus();
}

absl::Status MakeDir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) != 0) return Errno("cannot create", path);
  if (chmod(path.c_str(), mode) != 0) return Errno("cannot chmod", path);
  return absl::OkStatus();
}

void RemoveTree(const std::string& path) {
  nftw(
      path.c_str(),
      [](const char* p, const struct stat*, int, struct FTW*) {
        remove(p);
        return 0;
      },
      16, FTW_DEPTH | FTW_PHYS);
}

// Waits up to `timeout` for `pid` to exit; its wait status, or -1.
int WaitExit(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if (absl::Now() > deadline) return -1;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace

std::string FakePat(size_t size) {
  if (size < 32) size = 32;
  std::string pat = "pat_TESTONLY";
  return pat + RandomAlnum(size - pat.size());
}

absl::StatusOr<std::string> VaultdFixture::VaultdBinary() {
  if (const char* env = getenv("VAULTD_BINARY"); env != nullptr && *env) {
    return std::string(env);
  }
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) {
    return absl::FailedPreconditionError(
        "TEST_SRCDIR is not set: run under bazel test or set VAULTD_BINARY");
  }
  std::string path =
      absl::StrCat(srcdir, "/", workspace != nullptr ? workspace : "layer_vault",
                   "/vaultd/vaultd");
  if (access(path.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "vaultd binary not found at ", path, " (add data = [\"//vaultd\"])"));
  }
  return path;
}

absl::StatusOr<std::unique_ptr<VaultdFixture>> VaultdFixture::Create(
    VaultdFixtureOptions options) {
  std::string pattern = "/tmp/lvXXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Errno("mkdtemp", pattern);
  }
  std::unique_ptr<VaultdFixture> fixture(new VaultdFixture(pattern));
  fixture->options_ = options;
  if (absl::Status s = fixture->Prepare(options); !s.ok()) return s;
  return fixture;
}

absl::Status VaultdFixture::Prepare(const VaultdFixtureOptions& options) {
  if (chmod(dir_.c_str(), 0700) != 0) return Errno("cannot chmod", dir_);
  if (absl::Status s = MakeDir(dir_ + "/w", 0750); !s.ok()) return s;
  if (absl::Status s = MakeDir(dir_ + "/a", 0700); !s.ok()) return s;

  store::Record record;
  record.created_at = absl::Now();
  if (options.store_pat) {
    pat_ = FakePat();
    absl::Status s = store::SetToken(
        record, crypto::SecretBytes::CopyFrom(pat_), absl::Now());
    if (!s.ok()) return s;
  }
  store::StoreOptions store_options;
  absl::StatusOr<store::KeyMaterial> key =
      absl::InternalError("no key material");
  if (options.passphrase_store) {
    passphrase_ = absl::StrCat("TESTONLY-passphrase-", RandomAlnum(24));
    key = store::KeyMaterial::FromPassphrase(
        crypto::SecretBytes::CopyFrom(passphrase_));
    // The lowest cost vaultd accepts: the KDF is not what these tests test.
    store_options.pbkdf2_iterations = store::kMinPbkdf2Iterations;
  } else {
    const std::string key_path = dir_ + "/store.key";
    if (absl::Status s = store::WriteNewKeyFile(key_path); !s.ok()) return s;
    auto source = store::KeySource::Parse("key-file:" + key_path);
    if (!source.ok()) return source.status();
    key = store::KeyMaterial::Read(*source, store::KeyEnvironment{});
  }
  if (!key.ok()) return key.status();
  {
    auto created =
        store::Store::Create(state_dir(), *key, record, store_options);
    if (!created.ok()) return created.status();
  }  // Releases the store's lock before vaultd takes it.

  nlohmann::json rule;
  rule["name"] = "test-caller";
  // A uid that is not ours when the test wants this process refused.
  rule["match"]["uids"] = nlohmann::json::array(
      {options.grant_current_uid ? getuid() : getuid() + 424242});
  rule["scopes"] = options.scopes;
  nlohmann::json policy;
  policy["version"] = 1;
  policy["global"]["rate_limit"] = {{"requests_per_second", 1000},
                                    {"burst", 1000}};
  if (options.default_ttl_seconds > 0) {
    policy["global"]["token"]["default_ttl_seconds"] =
        options.default_ttl_seconds;
  }
  policy["rules"] = nlohmann::json::array({rule});
  return WriteFile(dir_ + "/policy.json", policy.dump(2), 0600);
}

absl::Status VaultdFixture::Start() {
  if (pid_ > 0) return absl::FailedPreconditionError("vaultd already runs");
  absl::StatusOr<std::string> binary = VaultdBinary();
  if (!binary.ok()) return binary.status();

  // NOTIFY_SOCKET: vaultd sends READY=1 once both sockets listen.
  const std::string notify_path = dir_ + "/notify";
  unlink(notify_path.c_str());
  int notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (notify_fd < 0) return Errno("socket for", notify_path);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s",
                notify_path.c_str());
  if (bind(notify_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    absl::Status s = Errno("cannot bind", notify_path);
    close(notify_fd);
    return s;
  }

  std::vector<std::string> args = {
      *binary,
      "--state_dir=" + state_dir(),
      "--key_source=" + (options_.passphrase_store
                             ? std::string("passphrase")
                             : "key-file:" + dir_ + "/store.key"),
      "--workload_socket=" + workload_socket(),
      "--admin_socket=" + admin_socket(),
      "--policy_file=" + dir_ + "/policy.json",
  };
  // The operation registry from the runfiles, beside the binary's.
  {
    const std::string bin = *binary;
    args.push_back("--operations_dir=" + bin.substr(0, bin.rfind('/')) +
                   "/relay/operations");
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view var(*e);
    if (absl::StartsWith(var, "NOTIFY_SOCKET=") ||
        absl::StartsWith(var, "LISTEN_") ||
        absl::StartsWith(var, "WATCHDOG_")) {
      continue;
    }
    env.emplace_back(var);
  }
  env.push_back("NOTIFY_SOCKET=" + notify_path);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  const std::string log_path = dir_ + "/vaultd.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGHUP);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(),
                       envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    close(notify_fd);
    errno = rc;
    return Errno("cannot spawn", *binary);
  }
  pid_ = pid;

  const absl::Time deadline = absl::Now() + options_.start_timeout;
  for (;;) {
    pollfd p{notify_fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {
      char buf[4096];
      ssize_t n = recv(notify_fd, buf, sizeof(buf), 0);
      if (n > 0 && absl::StrContains(absl::string_view(buf, n), "READY=1")) {
        close(notify_fd);
        return absl::OkStatus();
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      close(notify_fd);
      return absl::FailedPreconditionError(
          absl::StrCat("vaultd exited during start (status ", status,
                       "); its log:\n", Logs()));
    }
    if (absl::Now() > deadline) {
      close(notify_fd);
      kill(pid_, SIGKILL);
      WaitExit(pid_, absl::Seconds(10));
      pid_ = -1;
      return absl::DeadlineExceededError(
          absl::StrCat("vaultd did not report READY=1; its log:\n", Logs()));
    }
  }
}

absl::Status VaultdFixture::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  kill(pid_, SIGTERM);
  int status = WaitExit(pid_, absl::Seconds(30));
  if (status == -1) {
    kill(pid_, SIGKILL);
    WaitExit(pid_, absl::Seconds(10));
    pid_ = -1;
    return absl::InternalError("vaultd did not exit within 30 s of SIGTERM");
  }
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(
        "vaultd exited with wait status ", status, "; its log:\n", Logs()));
  }
  return absl::OkStatus();
}

VaultdFixture::~VaultdFixture() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    WaitExit(pid_, absl::Seconds(10));
  }
  RemoveTree(dir_);
}

std::string VaultdFixture::Logs() const {
  std::ifstream in(dir_ + "/vaultd.log", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace layer_vault::client::testing
