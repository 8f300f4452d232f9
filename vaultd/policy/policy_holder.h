#ifndef LAYER_VAULT_VAULTD_POLICY_POLICY_HOLDER_H_
#define LAYER_VAULT_VAULTD_POLICY_POLICY_HOLDER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "vaultd/peer/peer_identity.h"
#include "vaultd/policy/policy.h"

namespace layer_vault::policy {

// PolicyHolder owns the daemon's current Policy and replaces it atomically
// on reload (SIGHUP). Readers take a snapshot with Get() and keep using it
// for the whole request even if a reload happens meanwhile; the old policy
// is freed when its last reader drops it.
//
// Thread-safe. Get() is a short mutex-protected shared_ptr copy, cheap
// enough for every request. Reload() is not async-signal-safe: call it from
// a normal thread that was woken by SIGHUP (e.g. via signalfd or a
// self-pipe), never from the signal handler.
class PolicyHolder {
 public:
  // Load reads the policy at `path` with LoadPolicyFile; Reload() re-reads
  // the same path with the same options. Errors are LoadPolicyFile's: a
  // daemon should refuse to start without a valid policy.
  static absl::StatusOr<std::unique_ptr<PolicyHolder>> Load(
      std::string path, PolicyFileOptions options = {});

  // A holder of an in-memory policy, without a file: Reload() then returns
  // FAILED_PRECONDITION. Crashes if `policy` is null (a programming error).
  explicit PolicyHolder(std::shared_ptr<const Policy> policy);

  PolicyHolder(const PolicyHolder&) = delete;
  PolicyHolder& operator=(const PolicyHolder&) = delete;

  // The current policy. Never null.
  std::shared_ptr<const Policy> Get() const ABSL_LOCKS_EXCLUDED(mu_);

  // Shorthand for Get()->Decide(peer).
  Decision Decide(const peer::PeerIdentity& peer) const;

  // Reload re-reads the file. On success the new policy replaces the old one
  // and generation() grows by one. On any error the current policy stays in
  // force and the error (LoadPolicyFile's codes; the message names the file
  // and the JSON pointer) is returned for the caller to log. Concurrent
  // reloads are serialized.
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(reload_mu_, mu_);

  // Replace installs `policy` (non-null; crashes otherwise) as Reload would.
  void Replace(std::shared_ptr<const Policy> policy) ABSL_LOCKS_EXCLUDED(mu_);

  // 1 for the initial policy, +1 per successful Reload or Replace.
  uint64_t generation() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  PolicyHolder(std::string path, PolicyFileOptions options,
               std::shared_ptr<const Policy> policy);

  const std::string path_;  // empty: no file
  const PolicyFileOptions options_;
  absl::Mutex reload_mu_;
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(reload_mu_);
  std::shared_ptr<const Policy> policy_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace layer_vault::policy

#endif  // LAYER_VAULT_VAULTD_POLICY_POLICY_HOLDER_H_
