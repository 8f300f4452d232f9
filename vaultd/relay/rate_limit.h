#ifndef LAYER_VAULT_VAULTD_RELAY_RATE_LIMIT_H_
#define LAYER_VAULT_VAULTD_RELAY_RATE_LIMIT_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace layer_vault::relay {

struct RateLimitOptions {
  // Sustained requests per second per caller; 0 disables the limit.
  double rate_per_second = 2.0;
  // Bucket capacity: requests a caller may make at once after idling.
  double burst = 20.0;
  // Above this many tracked callers, full (idle) buckets are forgotten; a
  // forgotten bucket is indistinguishable from a new one.
  size_t max_tracked_callers = 4096;
};

// RateLimiter is a per-caller token bucket. Thread-safe.
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

  // Takes `cost` tokens from `caller`'s bucket if it has them.
  Decision TryAcquire(absl::string_view caller, double cost = 1.0);

  // As TryAcquire, as a Status: OK, or RESOURCE_EXHAUSTED typed
  // "[vault:CALLER_RATE_LIMITED]" with the retry delay in the message and in
  // the retry-after payload (common/typed_error.h). INVALID_ARGUMENT if
  // `cost` exceeds the burst (it could never be satisfied).
  absl::Status Acquire(absl::string_view caller, double cost = 1.0);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };

  RateLimiter(const RateLimitOptions& options, const common::Clock* clock)
      : options_(options), clock_(clock) {}
  void EvictIdleLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double RefilledLocked(const Bucket& bucket, absl::Time now) const;

  const RateLimitOptions options_;
  const common::Clock* const clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace layer_vault::relay

#endif  // LAYER_VAULT_VAULTD_RELAY_RATE_LIMIT_H_
