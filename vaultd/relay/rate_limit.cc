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

absl::StatusOr<RateLimiter::Effective> RateLimiter::EffectiveOf(
    const CallerLimits& limits) const {
  Effective e{limits.requests_per_second.value_or(options_.rate_per_second),
              limits.burst.value_or(options_.burst)};
  if (!std::isfinite(e.rate) || e.rate < 0) {
    return absl::InvalidArgumentError(
        "rate limit: the caller's requests_per_second must be a finite "
        "number >= 0");
  }
  if (!std::isfinite(e.burst) || e.burst < 1) {
    return absl::InvalidArgumentError(
        "rate limit: the caller's burst must be a finite number >= 1");
  }
  return e;
}

double RateLimiter::Refilled(const Bucket& bucket, absl::Time now) {
  // A clock that steps backwards refills nothing (never a negative refill).
  double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
  return std::min(bucket.burst, bucket.tokens + elapsed * bucket.rate);
}

void RateLimiter::EvictIdleLocked(absl::Time now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (Refilled(it->second, now) >= it->second.burst) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
}

RateLimiter::Decision RateLimiter::TryAcquire(absl::string_view caller,
                                              double cost,
                                              const CallerLimits& limits) {
  auto effective = EffectiveOf(limits);
  if (!effective.ok()) return Decision{false, absl::InfiniteDuration()};
  const auto [rate, burst] = *effective;
  if (rate == 0) return Decision{true, absl::ZeroDuration()};
  if (!(cost >= 0) || cost > burst) {
    return Decision{false, absl::InfiniteDuration()};
  }
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(caller);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_tracked_callers) EvictIdleLocked(now);
    it = buckets_
             .emplace(std::string(caller), Bucket{burst, now, rate, burst})
             .first;
  }
  Bucket& bucket = it->second;
  // Time since the last call refills at the limits of that call; this
  // call's limits apply from now on.
  bucket.tokens = std::min(Refilled(bucket, now), burst);
  bucket.rate = rate;
  bucket.burst = burst;
  // Never move `updated` backwards with a stepping clock.
  bucket.updated = std::max(bucket.updated, now);
  if (bucket.tokens >= cost) {
    bucket.tokens -= cost;
    return Decision{true, absl::ZeroDuration()};
  }
  double wait_seconds = (cost - bucket.tokens) / rate;
  return Decision{false, absl::Ceil(absl::Seconds(wait_seconds),
                                    absl::Milliseconds(1))};
}

absl::Status RateLimiter::Acquire(absl::string_view caller, double cost,
                                  const CallerLimits& limits) {
  auto effective = EffectiveOf(limits);
  if (!effective.ok()) return effective.status();
  const auto [rate, burst] = *effective;
  if (rate > 0 && (!(cost >= 0) || cost > burst)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rate limit: a cost of ", cost, " exceeds the burst of ", burst));
  }
  Decision decision = TryAcquire(caller, cost, limits);
  if (decision.allowed) return absl::OkStatus();
  absl::Status status = common::TypedError(
      absl::StatusCode::kResourceExhausted, "vault", "CALLER_RATE_LIMITED",
      absl::StrFormat("request rate limit reached (%g per second, burst %g); "
                      "retry in %.3gs",
                      rate, burst, absl::ToDoubleSeconds(decision.retry_after)));
  common::SetRetryAfter(status, decision.retry_after);
  return status;
}

}  // namespace layer_vault::relay
