#ifndef LAYER_VAULT_VAULTD_RELAY_RATE_LIMIT_H_
#define LAYER_VAULT_VAULTD_RELAY_RATE_LIMIT_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace layer_vault::relay {

// CallerLimits are one caller's own limits (its policy rule's), overriding
// the global options field by field; an unset field inherits the option.
// SpendController (spend.h) reads the spend fields, RateLimiter the rate
// fields. Defined here, the leaf of the two, so both can take it.
struct CallerLimits {
  // Overrides SpendOptions::per_run_cap (CU; 0 means no limit).
  std::optional<double> per_run_cap;
  // Overrides SpendOptions::caller_period_budget (CU; 0 means no limit).
  std::optional<double> period_budget;
  // Overrides RateLimitOptions::rate_per_second (0 disables the limit).
  std::optional<double> requests_per_second;
  // Overrides RateLimitOptions::burst (>= 1).
  std::optional<double> burst;
};

struct RateLimitOptions {
  // Sustained requests per second per caller; 0 disables the limit.
  double rate_per_second = 2.0;
  // Bucket capacity: requests a caller may make at once after idling.
  double burst = 20.0;
  // Above this many tracked callers, full (idle) buckets are forgotten; a
  // forgotten bucket is indistinguishable from a new one.
  size_t max_tracked_callers = 4096;
};

// RateLimiter is a per-caller token bucket. Each call names the caller's
// limits: its CallerLimits where set, else the options. A bucket refills at
// the rate it was last used with, and a call with different limits applies
// them from then on (a smaller burst caps the tokens already held; a larger
// one fills up at the new rate). Thread-safe.
class RateLimiter {
 public:
  struct Decision {
    bool allowed = false;
    // When not allowed: how long until `cost` tokens are available.
    absl::Duration retry_after = absl::ZeroDuration();
  };

  // INVALID_ARGUMENT for a negative or non-finite rate, or burst < 1.
  // `clock` must outlive the limiter.
  static absl::StatusOr<std::unique_ptr<RateLimiter>> Create(
      const RateLimitOptions& options, const common::Clock* clock);

  // Takes `cost` tokens from `caller`'s bucket if it has them. Never allowed
  // (retry_after infinite) if `cost` exceeds the burst or `limits` holds a
  // negative or non-finite rate or a burst below 1.
  Decision TryAcquire(absl::string_view caller, double cost = 1.0,
                      const CallerLimits& limits = {});

  // As TryAcquire, as a Status: OK, or RESOURCE_EXHAUSTED typed
  // "[vault:CALLER_RATE_LIMITED]" with the caller's rate, burst and retry
  // delay in the message and the delay in the retry-after payload
  // (common/typed_error.h). INVALID_ARGUMENT for invalid `limits`, or if
  // `cost` exceeds the burst (it could never be satisfied).
  absl::Status Acquire(absl::string_view caller, double cost = 1.0,
                       const CallerLimits& limits = {});

 private:
  struct Effective {
    double rate;
    double burst;
  };
  struct Bucket {
    double tokens;
    absl::Time updated;
    // The limits of the bucket's last use; they refill it until the next.
    double rate;
    double burst;
  };

  RateLimiter(const RateLimitOptions& options, const common::Clock* clock)
      : options_(options), clock_(clock) {}
  absl::StatusOr<Effective> EffectiveOf(const CallerLimits& limits) const;
  void EvictIdleLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static double Refilled(const Bucket& bucket, absl::Time now);

  const RateLimitOptions options_;
  const common::Clock* const clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace layer_vault::relay

#endif  // LAYER_VAULT_VAULTD_RELAY_RATE_LIMIT_H_
