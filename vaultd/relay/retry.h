#ifndef LAYER_VAULT_VAULTD_RELAY_RETRY_H_
#define LAYER_VAULT_VAULTD_RELAY_RETRY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "vaultd/relay/http_types.h"

namespace layer_vault::relay {

// Sleeper waits between attempts; tests inject one that only records (or
// advances a FakeClock). Implementations must be thread-safe.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void Sleep(absl::Duration duration) = 0;
};

// The process-wide real sleeper (absl::SleepFor). Never null.
Sleeper* RealSleeper();

struct RetryOptions {
  // Attempts in total, including the first; 1 disables retries.
  int max_attempts = 3;
  // Backoff before retry n (n = 1, 2, ...) is
  //   min(max_backoff, initial_backoff * multiplier^(n-1)),
  // scaled by a uniform random factor in [1 - jitter, 1], and raised to the
  // server's Retry-After when that is longer.
  absl::Duration initial_backoff = absl::Milliseconds(500);
  double multiplier = 2.0;
  absl::Duration max_backoff = absl::Seconds(8);
  double jitter = 0.5;
  // Sum of all delays of one call. A retry whose delay would exceed it is
  // not made; the last outcome is returned instead (so a long Retry-After
  // reaches the caller as a 429 rather than a stalled call).
  absl::Duration max_total_delay = absl::Seconds(20);
  // Seed of the jitter RNG; 0 seeds from std::random_device.
  uint64_t seed = 0;
};

// True for the HTTP statuses worth retrying: 429, 502, 503, 504.
bool IsRetryableHttpStatus(int status);

// Parses a Retry-After value: delta-seconds ("120") or an HTTP-date
// (IMF-fixdate, RFC 850 or asctime form), relative to `now`. A date in the
// past yields zero. nullopt for anything else.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value,
                                              absl::Time now);

// Retrier runs one upstream call with the retry policy. Thread-safe.
//
// Only idempotent operations are retried (a retried execute could charge
// twice), and only on transient transport errors (IsTransientTransportError)
// or a retryable HTTP status.
class Retrier {
 public:
  using Attempt = std::function<absl::StatusOr<HttpResponse>()>;

  struct Result {
    // The last attempt's outcome: a response (any HTTP status) or a
    // transport error.
    absl::StatusOr<HttpResponse> outcome;
    int attempts = 0;
    // Time spent inside attempts (measured with the clock), excluding
    // delays.
    absl::Duration upstream_latency = absl::ZeroDuration();
    absl::Duration total_delay = absl::ZeroDuration();
  };

  // INVALID_ARGUMENT for max_attempts < 1, a multiplier < 1, a jitter
  // outside [0, 1] or negative durations. `sleeper` and `clock` must outlive
  // the Retrier.
  static absl::StatusOr<std::unique_ptr<Retrier>> Create(
      const RetryOptions& options, Sleeper* sleeper,
      const common::Clock* clock);

  // Runs `attempt` once, or, if `idempotent`, until it succeeds, fails
  // permanently, or the attempt or delay budget runs out.
  Result Run(bool idempotent, const Attempt& attempt);

  // The delay before the next attempt after `attempts_made` attempts whose
  // delays so far sum to `delayed_so_far`, given the last `outcome`; nullopt
  // means stop. Exposed for tests.
  std::optional<absl::Duration> NextDelay(
      int attempts_made, const absl::StatusOr<HttpResponse>& outcome,
      absl::Duration delayed_so_far);

 private:
  Retrier(const RetryOptions& options, Sleeper* sleeper,
          const common::Clock* clock, uint64_t seed)
      : options_(options), sleeper_(sleeper), clock_(clock), rng_(seed) {}

  const RetryOptions options_;
  Sleeper* const sleeper_;
  const common::Clock* const clock_;
  absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace layer_vault::relay

#endif  // LAYER_VAULT_VAULTD_RELAY_RETRY_H_
