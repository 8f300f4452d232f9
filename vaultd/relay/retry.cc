#include "vaultd/relay/retry.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace layer_vault::relay {
namespace {

class RealSleeperImpl final : public Sleeper {
 public:
  void Sleep(absl::Duration duration) override { absl::SleepFor(duration); }
};

}  // namespace

Sleeper* RealSleeper() {
  static RealSleeperImpl* const sleeper = new RealSleeperImpl();
  return sleeper;
}

bool IsRetryableHttpStatus(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value,
                                              absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty() || value.size() > 64) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), absl::ascii_isdigit)) {
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(value, &seconds)) {
      return absl::InfiniteDuration();  // too many digits: "very long"
    }
    return absl::Seconds(seconds);
  }
  static constexpr const char* kFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850
      "%a %b %e %H:%M:%S %Y",       // asctime
  };
  for (const char* format : kFormats) {
    absl::Time when;
    std::string error;
    if (absl::ParseTime(format, std::string(value), absl::UTCTimeZone(), &when,
                        &error)) {
      return std::max(absl::ZeroDuration(), when - now);
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<Retrier>> Retrier::Create(
    const RetryOptions& options, Sleeper* sleeper,
    const common::Clock* clock) {
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError("retry: max_attempts must be >= 1");
  }
  if (!(options.multiplier >= 1.0) || !std::isfinite(options.multiplier)) {
    return absl::InvalidArgumentError("retry: multiplier must be >= 1");
  }
  if (!(options.jitter >= 0.0 && options.jitter <= 1.0)) {
    return absl::InvalidArgumentError("retry: jitter must be in [0, 1]");
  }
  if (options.initial_backoff < absl::ZeroDuration() ||
      options.max_backoff < absl::ZeroDuration() ||
      options.max_total_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("retry: durations must be >= 0");
  }
  if (sleeper == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("retry: sleeper and clock are required");
  }
  uint64_t seed = options.seed;
  if (seed == 0) {
    std::random_device device;
    seed = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  return std::unique_ptr<Retrier>(new Retrier(options, sleeper, clock, seed));
}

std::optional<absl::Duration> Retrier::NextDelay(
    int attempts_made, const absl::StatusOr<HttpResponse>& outcome,
    absl::Duration delayed_so_far) {
  if (attempts_made >= options_.max_attempts) return std::nullopt;
  std::optional<absl::Duration> retry_after;
  if (outcome.ok()) {
    if (!IsRetryableHttpStatus(outcome->status)) return std::nullopt;
    if (outcome->retry_after) {
      retry_after = ParseRetryAfter(*outcome->retry_after, clock_->Now());
    }
  } else if (!IsTransientTransportError(outcome.status())) {
    return std::nullopt;
  }
  // Exponential backoff, capped, then jittered downwards.
  absl::Duration backoff = options_.initial_backoff;
  for (int i = 1; i < attempts_made && backoff < options_.max_backoff; ++i) {
    backoff = backoff * options_.multiplier;
  }
  backoff = std::min(backoff, options_.max_backoff);
  double u;
  {
    absl::MutexLock lock(&mu_);
    u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }
  absl::Duration delay = backoff * (1.0 - options_.jitter * u);
  if (retry_after && *retry_after > delay) delay = *retry_after;
  if (delayed_so_far + delay > options_.max_total_delay) return std::nullopt;
  return delay;
}

Retrier::Result Retrier::Run(bool idempotent, const Attempt& attempt) {
  Result result{absl::UnknownError("no attempt made"), 0,
                absl::ZeroDuration(), absl::ZeroDuration()};
  while (true) {
    const absl::Time start = clock_->Now();
    result.outcome = attempt();
    result.upstream_latency +=
        std::max(absl::ZeroDuration(), clock_->Now() - start);
    ++result.attempts;
    if (!idempotent) return result;
    std::optional<absl::Duration> delay =
        NextDelay(result.attempts, result.outcome, result.total_delay);
    if (!delay) return result;
    sleeper_->Sleep(*delay);
    result.total_delay += *delay;
  }
}

}  // namespace layer_vault::relay
