#ifndef LAYER_VAULT_TESTS_VAULTD_VAULTD_HARNESS_H_
#define LAYER_VAULT_TESTS_VAULTD_VAULTD_HARNESS_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/vault.grpc.pb.h"

namespace layer_vault::tests::vaultd {

// Runfile returns the absolute path of `path` (relative to the workspace
// root, e.g. "vaultd/vaultd") in this binary's runfiles, for tests
// ($TEST_SRCDIR) and `bazel run` ($RUNFILES_DIR or <argv0>.runfiles).
// NOT_FOUND if it is not there.
absl::StatusOr<std::string> Runfile(absl::string_view path);

// TempDir is a fresh directory from mkdtemp("/tmp/<prefix>XXXXXX"): short
// enough for Unix socket paths (Bazel's $TEST_TMPDIR is not). Removed with
// everything in it on destruction. Move-only.
class TempDir {
 public:
  static absl::StatusOr<TempDir> Create(absl::string_view prefix = "lvt");
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The outcome of RunProcess.
struct ProcessResult {
  // Exit code, or 128 + signal number if the process was killed.
  int exit_code = -1;
  std::string out;  // everything it wrote on stdout
};

// RunProcess runs argv (argv[0] is a path) with `input` on its stdin and
// stderr inherited, and returns its exit code and stdout. Safe in a
// process with gRPC threads (the child only execs). DEADLINE_EXCEEDED (after
// killing it) if it runs longer than `timeout`.
absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                         absl::string_view input,
                                         absl::Duration timeout);

// One policy rule for PolicyJson.
struct PolicyRule {
  std::string name;
  std::vector<uint32_t> uids;
  std::vector<uint32_t> gids;
  std::vector<std::string> scopes;
};

// PolicyJson renders a valid policy (vaultd/policy/POLICY.md) with `rules`,
// `admin_uids` and generous rate limits (benchmarks must not hit them).
std::string PolicyJson(const std::vector<PolicyRule>& rules,
                       const std::vector<uint32_t>& admin_uids = {});

// The default policy: the calling uid may have layer:read and layer:upload
// (and nothing else, so a test can ask for layer:generate to be refused).
std::string DefaultPolicy();

struct VaultdOptions {
  enum class KeySource { kKeyFile, kPassphrase };
  KeySource key_source = KeySource::kKeyFile;
  // Passphrase of a kPassphrase store (created with 100,000 PBKDF2
  // iterations, the lowest vaultd accepts).
  std::string passphrase;
  // Policy file contents; empty means DefaultPolicy().
  std::string policy_json;
  // --workload_socket_group, if not empty.
  std::string workload_socket_group;
  // Mode of the top directory (0700). 0711 lets another uid reach the
  // socket directories below it.
  mode_t top_dir_mode = 0700;
  // If set, the workload socket directory is created beforehand with mode
  // 0750 and this group (vaultd keeps an existing directory as it is).
  std::optional<gid_t> workload_dir_group;
  // Socket activation: the harness binds both sockets itself (mode
  // `activated_socket_mode`, in directories of mode `activated_dir_mode`),
  // keeps them across restarts like systemd, and passes them as fds 3 and 4
  // with LISTEN_FDS=2, LISTEN_PID and LISTEN_FDNAMES=`listen_fdnames`. The
  // --workload_socket/--admin_socket flags then point at paths vaultd must
  // not create (unused_workload_socket(), unused_admin_socket()).
  bool socket_activation = false;
  mode_t activated_socket_mode = 0600;
  mode_t activated_dir_mode = 0700;
  std::string listen_fdnames = "workload:admin";
  absl::Duration ready_timeout = absl::Seconds(60);
};

// Vaultd runs the real vaultd binary (a data dependency: vaultd/vaultd) on
// real Unix sockets, in a fresh directory under /tmp:
//   <dir>/state/        state dir, with a store created by Create
//   <dir>/store.key     key file (0600) for a kKeyFile store
//   <dir>/policy.json   policy file (0600)
//   <dir>/w/workload.sock, <dir>/a/admin.sock
//   <dir>/vaultd.stderr vaultd's stderr, appended across restarts
//   <dir>/notify.sock   NOTIFY_SOCKET: what vaultd sends to "systemd"
// Not thread-safe. The destructor kills a vaultd still running and removes
// the directory.
class Vaultd {
 public:
  static absl::StatusOr<std::unique_ptr<Vaultd>> Create(VaultdOptions options);
  ~Vaultd();
  Vaultd(const Vaultd&) = delete;
  Vaultd& operator=(const Vaultd&) = delete;

  // Starts vaultd and waits until a Ping on the workload socket is answered
  // (OK or PERMISSION_DENIED). FAILED_PRECONDITION if already running; an
  // error with vaultd's stderr if it exits or does not answer in time.
  absl::Status Start();
  // SIGTERM, then waits (bounded) for the exit. An error unless vaultd
  // exited with code 0. Drops the channels of this run.
  absl::Status Stop();
  absl::Status Restart();
  // SIGKILL (a crash): vaultd gets no chance to clean up.
  absl::Status Kill();
  absl::Status Signal(int signal);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Stubs on channels opened by Start (this process, one connection each).
  layer::vault::v1::Workload::Stub& workload() { return *workload_; }
  layer::vault::v1::Admin::Stub& admin() { return *admin_; }
  // A stub on a new channel with its own connection.
  std::unique_ptr<layer::vault::v1::Workload::Stub> NewWorkloadStub() const;

  // vaultd's stderr so far.
  std::string ReadStderr() const;
  // Polls the stderr file until it contains `needle` at least
  // `occurrences` times.
  absl::Status WaitForStderr(absl::string_view needle, absl::Duration timeout,
                             int occurrences = 1) const;
  // Everything vaultd sent to NOTIFY_SOCKET so far, one entry a datagram.
  std::vector<std::string> NotifyMessages();

  // Replaces the policy file atomically (0600).
  absl::Status WritePolicy(absl::string_view json) const;

  // Secrets vaultd must never print: the key file's bytes (raw, hex), the
  // passphrase, and whatever the test adds (tokens, PATs).
  void AddSecret(std::string secret) { secrets_.push_back(std::move(secret)); }
  const std::vector<std::string>& secrets() const { return secrets_; }

  const std::string& dir() const { return dir_.path(); }
  std::string state_dir() const { return dir() + "/state"; }
  std::string key_file() const { return dir() + "/store.key"; }
  std::string policy_file() const { return dir() + "/policy.json"; }
  std::string stderr_file() const { return dir() + "/vaultd.stderr"; }
  std::string workload_socket() const { return dir() + "/w/workload.sock"; }
  std::string admin_socket() const { return dir() + "/a/admin.sock"; }
  std::string unused_workload_socket() const {
    return dir() + "/self-w/workload.sock";
  }
  std::string unused_admin_socket() const {
    return dir() + "/self-a/admin.sock";
  }

 private:
  Vaultd(VaultdOptions options, TempDir dir);
  absl::Status Setup();
  absl::Status Spawn();
  absl::Status WaitReady();
  // Waits for the child to exit; returns its exit code or 128 + signal.
  absl::StatusOr<int> Reap(absl::Duration timeout);

  const VaultdOptions options_;
  TempDir dir_;
  std::string binary_;
  std::vector<std::string> secrets_;
  int notify_fd_ = -1;
  std::vector<std::string> notify_log_;
  int activated_workload_fd_ = -1;
  int activated_admin_fd_ = -1;
  pid_t pid_ = -1;
  std::unique_ptr<layer::vault::v1::Workload::Stub> workload_;
  std::unique_ptr<layer::vault::v1::Admin::Stub> admin_;
};

// connect(2) to the Unix socket at `path`, then close: 0 or the errno.
int ConnectErrno(const std::string& path);

// Calls `method` of `stub` with a 20 s deadline.
template <typename Stub, typename Req, typename Resp>
grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                               const Req&, Resp*),
                  Stub& stub, const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return (stub.*method)(&ctx, req, resp);
}

// A channel to a Unix socket with its own connection (no subchannel
// sharing with other channels) and short reconnect backoff.
std::shared_ptr<grpc::Channel> UnixChannel(const std::string& socket_path);

}  // namespace layer_vault::tests::vaultd

#endif  // LAYER_VAULT_TESTS_VAULTD_VAULTD_HARNESS_H_
