#include "tests/relay/vaultd_process.h"

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
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/relay/fake_layer.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"
#include "vaultd/store/store.h"

extern char** environ;

namespace layer_vault::tests::relay {
namespace {

absl::Status Errno(absl::string_view what, absl::string_view path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteFile(const std::string& path, absl::string_view data,
                       mode_t mode) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Errno("cannot create", tmp);
  const ssize_t n = write(fd, data.data(), data.size());
  const bool ok = n == static_cast<ssize_t>(data.size()) && fchmod(fd, mode) == 0;
  close(fd);
  if (!ok) return Errno("cannot write", tmp);
  if (rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename", tmp);
  return absl::OkStatus();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  remove(path);
  return 0;
}

// Waits up to `timeout` for `pid`; its wait status, or -1.
int WaitExit(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if (absl::Now() > deadline) return -1;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

}  // namespace

nlohmann::json PolicyForSelf(const std::vector<std::string>& scopes,
                             const nlohmann::json& global) {
  nlohmann::json policy;
  policy["version"] = 1;
  policy["global"]["rate_limit"] = {{"requests_per_second", 10000},
                                    {"burst", 100000}};
  for (const auto& [key, value] : global.items()) policy["global"][key] = value;
  nlohmann::json rule;
  rule["name"] = "relay-test";
  rule["match"]["uids"] = {getuid()};
  rule["scopes"] = scopes;
  policy["rules"] = nlohmann::json::array({rule});
  return policy;
}

absl::StatusOr<std::unique_ptr<VaultdProcess>> VaultdProcess::Create(
    VaultdProcessOptions options) {
  char dir[] = "/tmp/lvrXXXXXX";
  if (mkdtemp(dir) == nullptr) return Errno("mkdtemp", dir);
  std::unique_ptr<VaultdProcess> vaultd(
      new VaultdProcess(std::move(options), dir));
  if (absl::Status s = vaultd->Prepare(); !s.ok()) return s;
  return vaultd;
}

absl::Status VaultdProcess::Prepare() {
  auto binary = Runfile("vaultd/vaultd");
  if (!binary.ok()) return binary.status();
  binary_ = *binary;
  auto operations = Runfile("vaultd/relay/operations/rest_operations.json");
  if (!operations.ok()) return operations.status();
  const std::string operations_dir =
      operations->substr(0, operations->rfind('/'));

  if (chmod(dir_.c_str(), 0700) != 0) return Errno("cannot chmod", dir_);
  for (const char* sub : {"/w", "/a"}) {
    const std::string path = dir_ + sub;
    if (mkdir(path.c_str(), sub[1] == 'w' ? 0750 : 0700) != 0) {
      return Errno("cannot create", path);
    }
  }

  store::Record record;
  record.created_at = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  if (!options_.stored_pat.empty()) {
    absl::Status s = store::SetToken(
        record, crypto::SecretBytes::CopyFrom(options_.stored_pat), absl::Now());
    if (!s.ok()) return s;
  }
  const std::string key_path = dir_ + "/store.key";
  if (absl::Status s = store::WriteNewKeyFile(key_path); !s.ok()) return s;
  auto source = store::KeySource::Parse("key-file:" + key_path);
  if (!source.ok()) return source.status();
  auto key = store::KeyMaterial::Read(*source, store::KeyEnvironment{});
  if (!key.ok()) return key.status();
  {
    // Released (with its lock) before vaultd opens the store.
    auto created = store::Store::Create(state_dir(), *key, record);
    if (!created.ok()) return created.status();
  }
  if (absl::Status s = WritePolicy(options_.policy); !s.ok()) return s;

  nlohmann::json config = {
      {"state_dir", state_dir()},
      {"key_source", "key-file:" + key_path},
      {"workload_socket", workload_socket()},
      {"admin_socket", admin_socket()},
      {"policy_file", dir_ + "/policy.json"},
      {"audit_log", dir_ + "/audit.log"},
      {"operations_dir", operations_dir},
      {"layer_api_base", options_.layer_api_base},
      {"layer_graphql_url", options_.layer_graphql_url},
      {"ca_bundle", options_.ca_bundle},
      {"shutdown_grace_seconds", 2},
  };
  for (const auto& [k, v] : options_.extra_config.items()) config[k] = v;
  return WriteFile(dir_ + "/vaultd.json", config.dump(2), 0600);
}

absl::Status VaultdProcess::WritePolicy(const nlohmann::json& policy) const {
  return WriteFile(dir_ + "/policy.json", policy.dump(2), 0600);
}

absl::Status VaultdProcess::Start() {
  if (pid_ > 0) return absl::FailedPreconditionError("vaultd already runs");
  const std::string notify_path = dir_ + "/notify";
  unlink(notify_path.c_str());
  const int notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
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

  std::vector<std::string> args = {binary_, "--config=" + dir_ + "/vaultd.json"};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view var(*e);
    if (absl::StartsWith(var, "NOTIFY_SOCKET=") ||
        absl::StartsWith(var, "LISTEN_") || absl::StartsWith(var, "WATCHDOG_") ||
        absl::StartsWith(var, "HTTPS_PROXY=") ||
        absl::StartsWith(var, "https_proxy=")) {
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

  const std::string log_path = dir_ + "/vaultd.stderr";
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
  for (int sig : {SIGTERM, SIGPIPE, SIGHUP, SIGINT}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc =
      posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    close(notify_fd);
    errno = rc;
    return Errno("cannot spawn", binary_);
  }
  pid_ = pid;

  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  for (;;) {
    pollfd p{notify_fd, POLLIN, 0};
    if (poll(&p, 1, 20) > 0) {
      char buf[4096];
      const ssize_t n = recv(notify_fd, buf, sizeof(buf), 0);
      if (n > 0 && absl::StrContains(absl::string_view(buf, n), "READY=1")) {
        close(notify_fd);
        return absl::OkStatus();
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      close(notify_fd);
      return absl::FailedPreconditionError(absl::StrCat(
          "vaultd exited during start (status ", status, "); its log:\n",
          Stderr()));
    }
    if (absl::Now() > deadline) {
      close(notify_fd);
      kill(pid_, SIGKILL);
      WaitExit(pid_, absl::Seconds(10));
      pid_ = -1;
      return absl::DeadlineExceededError(
          absl::StrCat("vaultd did not report READY=1; its log:\n", Stderr()));
    }
  }
}

absl::Status VaultdProcess::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  kill(pid_, SIGTERM);
  const int status = WaitExit(pid_, absl::Seconds(30));
  if (status == -1) {
    kill(pid_, SIGKILL);
    WaitExit(pid_, absl::Seconds(10));
    pid_ = -1;
    return absl::InternalError("vaultd did not exit within 30 s of SIGTERM");
  }
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(
        "vaultd exited with wait status ", status, "; its log:\n", Stderr()));
  }
  return absl::OkStatus();
}

absl::Status VaultdProcess::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  return Start();
}

VaultdProcess::~VaultdProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    WaitExit(pid_, absl::Seconds(10));
  }
  nftw(dir_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

std::string VaultdProcess::Stderr() const {
  return ReadFile(dir_ + "/vaultd.stderr");
}

std::string VaultdProcess::AuditLog() const {
  return ReadFile(dir_ + "/audit.log");
}

std::vector<nlohmann::json> VaultdProcess::AuditEvents() const {
  std::vector<nlohmann::json> events;
  for (absl::string_view line :
       absl::StrSplit(AuditLog(), '\n', absl::SkipEmpty())) {
    nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
    if (event.is_object()) events.push_back(std::move(event));
  }
  return events;
}

}  // namespace layer_vault::tests::relay
