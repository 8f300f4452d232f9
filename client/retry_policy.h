#ifndef LAYER_VAULT_CLIENT_RETRY_POLICY_H_
#define LAYER_VAULT_CLIENT_RETRY_POLICY_H_

#include <functional>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace layer_vault::client {

// Sleeper waits for `delay`; injected so tests retry without sleeping.
using Sleeper = std::function<void(absl::Duration delay)>;

// RetryPolicy bounds the retries of a call to vaultd that failed with
// UNAVAILABLE. Which calls may be retried at all is the caller's rule (see
// VaultClient); this only says how often and how long to wait.
struct RetryPolicy {
  // Attempts in all, including the first; 1 disables retries. 1..10.
  int max_attempts = 4;
  // Delay before the second attempt; each later one is `multiplier` times
  // longer, capped at `max_backoff`.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  double multiplier = 2.0;
  // Each delay is drawn uniformly from [d * (1 - jitter), d], so that
  // clients restarted together do not retry in lockstep. 0..1.
  double jitter = 0.5;
  // Waits between attempts; empty means absl::SleepFor.
  Sleeper sleeper;
};

// ValidateRetryPolicy: INVALID_ARGUMENT naming the first field out of range.
absl::Status ValidateRetryPolicy(const RetryPolicy& policy);

// Backoff yields the delays of one retry sequence. Not thread-safe: one
// instance per call.
class Backoff {
 public:
  explicit Backoff(const RetryPolicy& policy) : policy_(policy) {}

  // The delay to wait before attempt number `attempt` + 1 (attempt >= 1),
  // jittered.
  absl::Duration NextDelay(int attempt);

  // NextDelay(attempt), then waits for it with the policy's sleeper.
  void Wait(int attempt);

 private:
  const RetryPolicy& policy_;
  absl::BitGen bitgen_;
};

}  // namespace layer_vault::client

#endif  // LAYER_VAULT_CLIENT_RETRY_POLICY_H_
