#ifndef LAYER_VAULT_CLIENT_TESTING_VAULTD_FIXTURE_H_
#define LAYER_VAULT_CLIENT_TESTING_VAULTD_FIXTURE_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace layer_vault::client::testing {

struct VaultdFixtureOptions {
  // false: a key-file store (vaultd unseals at start). true: a passphrase
  // store (vaultd starts sealed; unlock with `passphrase`).
  bool passphrase_store = false;
  // Stores a fake PAT ("pat_TESTONLY..."); false leaves the store empty.
  bool store_pat = true;
  // Whether the policy grants the current uid `scopes`. When false, the
  // policy's only rule names another uid, so this process is refused.
  bool grant_current_uid = true;
  std::vector<std::string> scopes = {"layer:read", "layer:generate",
                                     "layer:upload"};
  // Policy global.token.default_ttl_seconds; 0 leaves vaultd's default.
  int default_ttl_seconds = 0;
  // How long Start waits for READY=1.
  absl::Duration start_timeout = absl::Seconds(60);
};

// VaultdFixture runs the real vaultd binary for a test, in the layout
// DESIGN.md prescribes:
//   /tmp/lvXXXXXX/          0700, from mkdtemp (short: socket paths < 108)
//     state/                the state dir (store::Store::Create)
//     store.key             key file, 0600, outside the state dir
//     policy.json           grants the current uid `scopes`
//     w/workload.sock       workload socket, directory 0750
//     a/admin.sock          admin socket, directory 0700
//     notify                NOTIFY_SOCKET: Start waits for READY=1
//     vaultd.log            vaultd's stdout and stderr
// The vaultd binary is found in the test's runfiles (data dependency
// "//vaultd") or at $VAULTD_BINARY.
//
// Not thread-safe. The destructor kills vaultd if it still runs and removes
// the directory.
class VaultdFixture {
 public:
  // Prepares the directory, store, key and policy; does not start vaultd.
  static absl::StatusOr<std::unique_ptr<VaultdFixture>> Create(
      VaultdFixtureOptions options = {});

  VaultdFixture(const VaultdFixture&) = delete;
  VaultdFixture& operator=(const VaultdFixture&) = delete;
  ~VaultdFixture();

  // Spawns vaultd and waits until it reports READY=1 (sockets listening).
  // FAILED_PRECONDITION if it exits first (the message has its log).
  absl::Status Start();
  // SIGTERM, then waits for exit. INTERNAL unless it exits 0 in time.
  absl::Status Stop();
  bool running() const { return pid_ > 0; }

  const std::string& dir() const { return dir_; }
  std::string state_dir() const { return dir_ + "/state"; }
  std::string workload_socket() const { return dir_ + "/w/workload.sock"; }
  std::string admin_socket() const { return dir_ + "/a/admin.sock"; }
  // The fake PAT in the store (empty if none), for leak assertions.
  const std::string& pat() const { return pat_; }
  // The store passphrase (passphrase stores), for unlock and leak checks.
  const std::string& passphrase() const { return passphrase_; }
  // Everything vaultd wrote to stdout and stderr so far.
  std::string Logs() const;

  // The vaultd binary to run.
  static absl::StatusOr<std::string> VaultdBinary();

 private:
  explicit VaultdFixture(std::string dir) : dir_(std::move(dir)) {}

  absl::Status Prepare(const VaultdFixtureOptions& options);

  const std::string dir_;
  VaultdFixtureOptions options_;
  std::string pat_;
  std::string passphrase_;
  pid_t pid_ = -1;
};

// A visibly fake PAT: "pat_TESTONLY" + random [A-Za-z0-9], `size` >= 32
// characters in all.
std::string FakePat(size_t size = 48);

}  // namespace layer_vault::client::testing

#endif  // LAYER_VAULT_CLIENT_TESTING_VAULTD_FIXTURE_H_
