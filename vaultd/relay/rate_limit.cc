#include "vaultd/relay/rate_limit.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/typed_error.h"

namespace layer_vault::relay {

absl::StatusOr<std::unique_ptr<RateLimiter>> RateLimiter::Create(
    const RateLimitOptions& options, const common::Clock* clock) {
  if (!std::isfinite(options.rate_per_second) || options.rate_per_second < 0) {
    return absl::InvalidArgumentError(
        "rate limit: rate_per_second must be a finite number >= 0");
  }
  if (!std::isfinite(options.burst) || options.burst < 1) {
    return absl::InvalidArgumentError("rate limit: burst must be >= 1");
  }
  if (clock == nullptr) {
    return absl::InvalidArgumentError("rate limit: clock is required");
  }
  return std::unique_ptr<RateLimiter>(new RateLimiter(options, clock));
}

double RateLimiter::RefilledLocked(const Bucket& bucket, absl::Time now) const {
  // A clock that steps backwards refills nothing (never a negative refill).
  double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
  return std::min(options_.burst,
                  bucket.tokens + elapsed * options_.rate_per_second);
}

void RateLimiter::EvictIdleLocked(absl::Time now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (RefilledLocked(it->second, now) >= options_.burst) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
}

RateLimiter::Decision RateLimiter::TryAcquire(absl::string_view caller,
                                              double cost) {
  if (options_.rate_per_second == 0) return Decision{true, absl::ZeroDuration()};
  if (!(cost >= 0) || cost > options_.burst) {
    return Decision{false, absl::InfiniteDuration()};
  }
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(caller);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_tracked_callers) EvictIdleLocked(now);
    it = buckets_.emplace(std::string(caller), Bucket{options_.burst, now})
             .first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = RefilledLocked(bucket, now);
  // Never move `updated` backwards with a stepping clock.
  bucket.updated = std::max(bucket.updated, now);
  if (bucket.tokens >= cost) {
    bucket.tokens -= cost;
    return Decision{true, absl::ZeroDuration()};
  }
  double wait_seconds = (cost - bucket.tokens) / options_.rate_per_second;
  return Decision{false, absl::Ceil(absl::Seconds(wait_seconds),
                                    absl::Milliseconds(1))};
}

absl::Status RateLimiter::Acquire(absl::string_view caller, double cost) {
  if (options_.rate_per_second > 0 && (!(cost >= 0) || cost > options_.burst)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rate limit: a cost of ", cost, " exceeds the burst of ",
        options_.burst));
  }
  Decision decision = TryAcquire(caller, cost);
  if (decision.allowed) return absl::OkStatus();
  absl::Status status = common::TypedError(
      absl::StatusCode::kResourceExhausted, "vault", "CALLER_RATE_LIMITED",
      absl::StrFormat("request rate limit reached (%g per second, burst %g); "
                      "retry in %.3gs",
                      options_.rate_per_second, options_.burst,
                      absl::ToDoubleSeconds(decision.retry_after)));
  common::SetRetryAfter(status, decision.retry_after);
  return status;
}

}  // namespace layer_vault::relay
