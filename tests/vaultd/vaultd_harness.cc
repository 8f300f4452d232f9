#include "tests/vaultd/vaultd_harness.h"

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <grpcpp/grpcpp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"
#include "vaultd/store/store.h"

extern char** environ;

namespace layer_vault::tests::vaultd {
namespace {

namespace v1 = layer::vault::v1;

constexpr char kWorkspace[] = "layer_vault";
// Lowest PBKDF2 iteration count vaultd accepts (it opens stores with the
// default StoreOptions).
constexpr uint32_t kPassphraseIterations = 100'000;

absl::Status Errno(absl::string_view what, absl::string_view path = "") {
  return absl::InternalError(absl::StrCat(what, path.empty() ? "" : " ", path,
                                          ": ", std::strerror(errno)));
}

absl::Status WriteFile(const std::string& path, absl::string_view data,
                       mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Errno("open", path);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = Errno("write", path);
      close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
    absl::Status s = Errno("fchmod/fsync", path);
    close(fd);
    return s;
  }
  close(fd);
  return absl::OkStatus();
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  remove(path);
  return 0;
}

// Binds a listening Unix stream socket at `path` with `mode`.
absl::StatusOr<int> Listen(const std::string& path, mode_t mode) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("path too long: ", path));
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      chmod(path.c_str(), mode) != 0 || listen(fd, 128) != 0) {
    absl::Status s = Errno("bind/chmod/listen", path);
    close(fd);
    return s;
  }
  return fd;
}

// Async-signal-safe decimal rendering into `out` (at least 21 bytes).
void FormatPid(pid_t pid, char* out) {
  char digits[21];
  int n = 0;
  unsigned long v = static_cast<unsigned long>(pid);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  out[n] = '\0';
}

std::string Tail(const std::string& text, size_t max = 4000) {
  return text.size() <= max ? text : text.substr(text.size() - max);
}

}  // namespace

absl::StatusOr<std::string> Runfile(absl::string_view path) {
  std::vector<std::string> roots;
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    if (const char* root = getenv(var); root != nullptr && *root != '\0') {
      roots.push_back(root);
    }
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) roots.push_back(absl::StrCat(absl::string_view(exe, n), ".runfiles"));
  for (const std::string& root : roots) {
    std::string candidate = absl::StrCat(root, "/", kWorkspace, "/", path);
    if (access(candidate.c_str(), F_OK) == 0) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat("runfile ", path, " not found (is it in `data`?)"));
}

absl::StatusOr<TempDir> TempDir::Create(absl::string_view prefix) {
  std::string tmpl = absl::StrCat("/tmp/", prefix, "XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) return Errno("mkdtemp", tmpl);
  return TempDir(std::move(tmpl));
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  nftw(path_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                         absl::string_view input,
                                         absl::Duration timeout) {
  // A child that exits without reading its stdin must not kill us.
  signal(SIGPIPE, SIG_IGN);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Errno("pipe2");
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return Errno("pipe2");
  }
  pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  size_t done = 0;
  while (done < input.size()) {
    ssize_t n = write(in[1], input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // EPIPE: the child does not read.
    done += static_cast<size_t>(n);
  }
  close(in[1]);

  ProcessResult result;
  const absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  for (;;) {
    int wait_ms = static_cast<int>(
        absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int r = poll(&p, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      timed_out = r == 0;
      break;
    }
    char buf[4096];
    ssize_t n = read(out[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.out.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " ran longer than ", absl::FormatDuration(timeout)));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
                                       : 128 + WTERMSIG(status);
  return result;
}

std::string PolicyJson(const std::vector<PolicyRule>& rules,
                       const std::vector<uint32_t>& admin_uids) {
  nlohmann::json doc;
  doc["version"] = 1;
  doc["global"]["rate_limit"] = {{"requests_per_second", 10000},
                                 {"burst", 100000}};
  if (!admin_uids.empty()) doc["global"]["admin_uids"] = admin_uids;
  doc["rules"] = nlohmann::json::array();
  for (const PolicyRule& rule : rules) {
    nlohmann::json r;
    r["name"] = rule.name;
    if (!rule.uids.empty()) r["match"]["uids"] = rule.uids;
    if (!rule.gids.empty()) r["match"]["gids"] = rule.gids;
    r["scopes"] = rule.scopes;
    doc["rules"].push_back(std::move(r));
  }
  return doc.dump(2);
}

std::string DefaultPolicy() {
  return PolicyJson({{"test-process",
                      {static_cast<uint32_t>(getuid())},
                      {},
                      {"layer:read", "layer:upload"}}});
}

int ConnectErrno(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return ENAMETOOLONG;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int result = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    result = errno;
  }
  close(fd);
  return result;
}

std::shared_ptr<grpc::Channel> UnixChannel(const std::string& socket_path) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return grpc::CreateCustomChannel(absl::StrCat("unix:", socket_path),
                                   grpc::InsecureChannelCredentials(), args);
}

absl::StatusOr<std::unique_ptr<Vaultd>> Vaultd::Create(VaultdOptions options) {
  auto dir = TempDir::Create("lvd");
  if (!dir.ok()) return dir.status();
  std::unique_ptr<Vaultd> vaultd(
      new Vaultd(std::move(options), *std::move(dir)));
  if (absl::Status s = vaultd->Setup(); !s.ok()) return s;
  return vaultd;
}

Vaultd::Vaultd(VaultdOptions options, TempDir dir)
    : options_(std::move(options)), dir_(std::move(dir)) {}

Vaultd::~Vaultd() {
  workload_.reset();
  admin_.reset();
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  for (int fd : {notify_fd_, activated_workload_fd_, activated_admin_fd_}) {
    if (fd >= 0) close(fd);
  }
}

absl::Status Vaultd::Setup() {
  auto binary = Runfile("vaultd/vaultd");
  if (!binary.ok()) return binary.status();
  binary_ = *binary;
  if (chmod(dir().c_str(), options_.top_dir_mode) != 0) {
    return Errno("chmod", dir());
  }
  if (absl::Status s = WritePolicy(options_.policy_json.empty()
                                       ? DefaultPolicy()
                                       : options_.policy_json);
      !s.ok()) {
    return s;
  }

  store::Record record;
  record.created_at = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  store::StoreOptions store_options;
  absl::StatusOr<store::KeyMaterial> key = absl::UnknownError("unset");
  if (options_.key_source == VaultdOptions::KeySource::kKeyFile) {
    if (absl::Status s = store::WriteNewKeyFile(key_file()); !s.ok()) return s;
    auto source = store::KeySource::Parse(absl::StrCat("key-file:", key_file()));
    if (!source.ok()) return source.status();
    key = store::KeyMaterial::Read(*source, store::KeyEnvironment{});
    if (!key.ok()) return key.status();
    absl::string_view raw = key->secret().UnsafeView();
    secrets_.emplace_back(raw);
    secrets_.push_back(absl::BytesToHexString(raw));
    secrets_.push_back(absl::Base64Escape(raw));
    secrets_.push_back(absl::WebSafeBase64Escape(raw));
  } else {
    if (options_.passphrase.empty()) {
      return absl::InvalidArgumentError("a passphrase store needs a passphrase");
    }
    key = store::KeyMaterial::FromPassphrase(
        crypto::SecretBytes::CopyFrom(options_.passphrase));
    secrets_.push_back(options_.passphrase);
    store_options.pbkdf2_iterations = kPassphraseIterations;
  }
  {
    // Released (with its flock) before vaultd opens the store.
    auto store = store::Store::Create(state_dir(), *key, record, store_options);
    if (!store.ok()) return store.status();
  }

  if (options_.workload_dir_group.has_value()) {
    const std::string w = dir() + "/w";
    if (mkdir(w.c_str(), 0750) != 0 ||
        chown(w.c_str(), static_cast<uid_t>(-1), *options_.workload_dir_group) !=
            0 ||
        chmod(w.c_str(), 0750) != 0) {
      return Errno("mkdir/chown", w);
    }
  }
  if (options_.socket_activation) {
    for (const char* sub : {"/w", "/a"}) {
      const std::string d = dir() + sub;
      if ((mkdir(d.c_str(), options_.activated_dir_mode) != 0 &&
           errno != EEXIST) ||
          chmod(d.c_str(), options_.activated_dir_mode) != 0) {
        return Errno("mkdir", d);
      }
    }
    auto w = Listen(workload_socket(), options_.activated_socket_mode);
    if (!w.ok()) return w.status();
    activated_workload_fd_ = *w;
    auto a = Listen(admin_socket(), options_.activated_socket_mode);
    if (!a.ok()) return a.status();
    activated_admin_fd_ = *a;
  }

  const std::string notify = dir() + "/notify.sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, notify.data(), notify.size());
  notify_fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (notify_fd_ < 0 ||
      bind(notify_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Errno("bind", notify);
  }
  return absl::OkStatus();
}

absl::Status Vaultd::WritePolicy(absl::string_view json) const {
  const std::string tmp = policy_file() + ".tmp";
  if (absl::Status s = WriteFile(tmp, json, 0600); !s.ok()) return s;
  if (rename(tmp.c_str(), policy_file().c_str()) != 0) {
    return Errno("rename", tmp);
  }
  return absl::OkStatus();
}

absl::Status Vaultd::Start() {
  if (running()) return absl::FailedPreconditionError("vaultd is running");
  if (absl::Status s = Spawn(); !s.ok()) return s;
  return WaitReady();
}

absl::Status Vaultd::Spawn() {
  std::vector<std::string> argv = {
      binary_,
      absl::StrCat("--state_dir=", state_dir()),
      absl::StrCat("--key_source=",
                   options_.key_source == VaultdOptions::KeySource::kKeyFile
                       ? absl::StrCat("key-file:", key_file())
                       : std::string("passphrase")),
      absl::StrCat("--workload_socket=", options_.socket_activation
                                             ? unused_workload_socket()
                                             : workload_socket()),
      absl::StrCat("--admin_socket=", options_.socket_activation
                                          ? unused_admin_socket()
                                          : admin_socket()),
      absl::StrCat("--policy_file=", policy_file()),
      // The operation registry from the runfiles, beside the binary's.
      absl::StrCat("--operations_dir=",
                   binary_.substr(0, binary_.rfind('/')), "/relay/operations"),
  };
  if (!options_.workload_socket_group.empty()) {
    argv.push_back(
        absl::StrCat("--workload_socket_group=", options_.workload_socket_group));
  }

  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view entry(*e);
    if (absl::StartsWith(entry, "LISTEN_") ||
        absl::StartsWith(entry, "NOTIFY_SOCKET=") ||
        absl::StartsWith(entry, "WATCHDOG_") ||
        absl::StartsWith(entry, "CREDENTIALS_DIRECTORY=")) {
      continue;
    }
    env.emplace_back(entry);
  }
  env.push_back(absl::StrCat("NOTIFY_SOCKET=", dir(), "/notify.sock"));
  // "LISTEN_PID=" followed by room for the digits, filled in by the child.
  constexpr size_t kPidPrefix = sizeof("LISTEN_PID=") - 1;
  size_t listen_pid_index = 0;
  if (options_.socket_activation) {
    env.push_back("LISTEN_FDS=2");
    env.push_back(absl::StrCat("LISTEN_FDNAMES=", options_.listen_fdnames));
    env.push_back(std::string("LISTEN_PID=") + std::string(24, '\0'));
    listen_pid_index = env.size() - 1;
  }

  std::vector<char*> args, envp;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  char* listen_pid = options_.socket_activation
                         ? env[listen_pid_index].data() + kPidPrefix
                         : nullptr;

  int err = open(stderr_file().c_str(),
                 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (err < 0) return Errno("open", stderr_file());
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    close(err);
    return Errno("open", "/dev/null");
  }
  const int wfd = activated_workload_fd_, afd = activated_admin_fd_;
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(err);
    close(null_fd);
    return Errno("fork");
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec: other threads
    // (gRPC's) held locks at fork time. A test that dies must not leave
    // vaultd running.
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) {
      _exit(125);
    }
    if (dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(err, 2) < 0) {
      _exit(126);
    }
    if (listen_pid != nullptr) {
      // Out of the way first, in case wfd/afd are 3 or 4 already.
      int w = fcntl(wfd, F_DUPFD_CLOEXEC, 10);
      int a = fcntl(afd, F_DUPFD_CLOEXEC, 10);
      if (w < 0 || a < 0 || dup2(w, 3) < 0 || dup2(a, 4) < 0) _exit(126);
      FormatPid(getpid(), listen_pid);
    }
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(err);
  close(null_fd);
  pid_ = pid;
  return absl::OkStatus();
}

absl::StatusOr<int> Vaultd::Reap(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) return Errno("waitpid");
    if (absl::Now() > deadline) {
      kill(pid_, SIGKILL);
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
      return absl::DeadlineExceededError(absl::StrCat(
          "vaultd did not exit within ", absl::FormatDuration(timeout),
          "; killed it. stderr:\n", Tail(ReadStderr())));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

absl::Status Vaultd::WaitReady() {
  const absl::Time deadline = absl::Now() + options_.ready_timeout;
  for (;;) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::FailedPreconditionError(absl::StrCat(
          "vaultd exited (wait status ", status,
          ") before it answered a Ping; stderr:\n", Tail(ReadStderr())));
    }
    if (absl::Now() > deadline) break;
    if (ConnectErrno(workload_socket()) != 0) {
      absl::SleepFor(absl::Milliseconds(10));
      continue;
    }
    auto workload = v1::Workload::NewStub(UnixChannel(workload_socket()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(1000));
    v1::PingRequest req;
    v1::PingResponse resp;
    grpc::Status s = workload->Ping(&ctx, req, &resp);
    if (s.ok() || s.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      workload_ = std::move(workload);
      admin_ = v1::Admin::NewStub(UnixChannel(admin_socket()));
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  kill(pid_, SIGKILL);
  (void)Reap(absl::Seconds(10));
  return absl::DeadlineExceededError(
      absl::StrCat("vaultd did not answer a Ping within ",
                   absl::FormatDuration(options_.ready_timeout),
                   "; stderr:\n", Tail(ReadStderr())));
}

absl::Status Vaultd::Stop() {
  if (!running()) return absl::FailedPreconditionError("vaultd is not running");
  workload_.reset();
  admin_.reset();
  if (kill(pid_, SIGTERM) != 0) return Errno("kill");
  auto code = Reap(absl::Seconds(30));
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat("vaultd exited with ", *code, " after SIGTERM (want 0); "
                     "stderr:\n", Tail(ReadStderr())));
  }
  return absl::OkStatus();
}

absl::Status Vaultd::Kill() {
  if (!running()) return absl::FailedPreconditionError("vaultd is not running");
  workload_.reset();
  admin_.reset();
  if (kill(pid_, SIGKILL) != 0) return Errno("kill");
  auto code = Reap(absl::Seconds(30));
  if (!code.ok()) return code.status();
  return absl::OkStatus();
}

absl::Status Vaultd::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  return Start();
}

absl::Status Vaultd::Signal(int signal) {
  if (!running()) return absl::FailedPreconditionError("vaultd is not running");
  if (kill(pid_, signal) != 0) return Errno("kill");
  return absl::OkStatus();
}

std::unique_ptr<v1::Workload::Stub> Vaultd::NewWorkloadStub() const {
  return v1::Workload::NewStub(UnixChannel(workload_socket()));
}

std::string Vaultd::ReadStderr() const { return ReadWholeFile(stderr_file()); }

absl::Status Vaultd::WaitForStderr(absl::string_view needle,
                                   absl::Duration timeout,
                                   int occurrences) const {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    const std::string text = ReadStderr();
    const absl::string_view view(text);
    int found = 0;
    for (size_t at = view.find(needle); at != absl::string_view::npos;
         at = view.find(needle, at + needle.size())) {
      ++found;
    }
    if (found >= occurrences) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "vaultd's stderr has ", found, " of ", occurrences, " \"", needle,
          "\" after ", absl::FormatDuration(timeout), ":\n", Tail(text)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::vector<std::string> Vaultd::NotifyMessages() {
  char buf[4096];
  for (;;) {
    ssize_t n = recv(notify_fd_, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    notify_log_.emplace_back(buf, static_cast<size_t>(n));
  }
  return notify_log_;
}

}  // namespace layer_vault::tests::vaultd
