#include "client/retry_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/time/clock.h"

namespace layer_vault::client {

absl::Status ValidateRetryPolicy(const RetryPolicy& policy) {
  if (policy.max_attempts < 1 || policy.max_attempts > 10) {
    return absl::InvalidArgumentError("retry.max_attempts must be in 1..10");
  }
  if (policy.initial_backoff < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "retry.initial_backoff must not be negative");
  }
  if (policy.max_backoff < policy.initial_backoff) {
    return absl::InvalidArgumentError(
        "retry.max_backoff must be at least retry.initial_backoff");
  }
  if (!(policy.multiplier >= 1.0 && policy.multiplier <= 10.0)) {
    return absl::InvalidArgumentError("retry.multiplier must be in 1..10");
  }
  if (!(policy.jitter >= 0.0 && policy.jitter <= 1.0)) {
    return absl::InvalidArgumentError("retry.jitter must be in 0..1");
  }
  return absl::OkStatus();
}

absl::Duration Backoff::NextDelay(int attempt) {
  absl::Duration d = policy_.initial_backoff;
  for (int i = 1; i < attempt && d < policy_.max_backoff; ++i) {
    d = d * policy_.multiplier;
  }
  d = std::min(d, policy_.max_backoff);
  if (policy_.jitter > 0.0 && d > absl::ZeroDuration()) {
    double factor = absl::Uniform(bitgen_, 1.0 - policy_.jitter, 1.0);
    d = d * factor;
  }
  return d;
}

void Backoff::Wait(int attempt) {
  absl::Duration delay = NextDelay(attempt);
  if (policy_.sleeper) {
    policy_.sleeper(delay);
  } else {
    absl::SleepFor(delay);
  }
}

}  // namespace layer_vault::client
