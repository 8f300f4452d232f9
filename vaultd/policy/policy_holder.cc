#include "vaultd/policy/policy_holder.h"

#include <utility>

#include "absl/base/internal/raw_logging.h"

namespace layer_vault::policy {

absl::StatusOr<std::unique_ptr<PolicyHolder>> PolicyHolder::Load(
    std::string path, PolicyFileOptions options) {
  absl::StatusOr<std::unique_ptr<Policy>> policy =
      LoadPolicyFile(path, options);
  if (!policy.ok()) return policy.status();
  return std::unique_ptr<PolicyHolder>(new PolicyHolder(
      std::move(path), std::move(options), std::move(*policy)));
}

PolicyHolder::PolicyHolder(std::shared_ptr<const Policy> policy)
    : PolicyHolder("", PolicyFileOptions(), std::move(policy)) {}

PolicyHolder::PolicyHolder(std::string path, PolicyFileOptions options,
                           std::shared_ptr<const Policy> policy)
    : path_(std::move(path)), options_(std::move(options)),
      policy_(std::move(policy)) {
  ABSL_RAW_CHECK(policy_ != nullptr, "PolicyHolder needs a policy");
}

std::shared_ptr<const Policy> PolicyHolder::Get() const {
  absl::MutexLock lock(&mu_);
  return policy_;
}

Decision PolicyHolder::Decide(const peer::PeerIdentity& peer) const {
  return Get()->Decide(peer);
}

absl::Status PolicyHolder::Reload() {
  if (path_.empty()) {
    return absl::FailedPreconditionError(
        "this policy was not loaded from a file; nothing to reload");
  }
  absl::MutexLock reload_lock(&reload_mu_);
  absl::StatusOr<std::unique_ptr<Policy>> policy =
      LoadPolicyFile(path_, options_);
  if (!policy.ok()) return policy.status();
  std::shared_ptr<const Policy> fresh = std::move(*policy);
  absl::MutexLock lock(&mu_);
  policy_.swap(fresh);
  ++generation_;
  // `fresh` now holds the old policy; it is released after the lock, and
  // only freed once the last reader lets go of it.
  return absl::OkStatus();
}

void PolicyHolder::Replace(std::shared_ptr<const Policy> policy) {
  ABSL_RAW_CHECK(policy != nullptr, "PolicyHolder::Replace needs a policy");
  absl::MutexLock lock(&mu_);
  policy_.swap(policy);
  ++generation_;
}

uint64_t PolicyHolder::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

}  // namespace layer_vault::policy
