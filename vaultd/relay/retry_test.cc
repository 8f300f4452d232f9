#include "vaultd/relay/retry.h"

#include <string>
#include <vector>

#include "common/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::relay {
namespace {

using ::testing::ElementsAre;

// Records every delay and advances the fake clock by it.
class RecordingSleeper : public Sleeper {
 public:
  explicit RecordingSleeper(common::FakeClock* clock) : clock_(clock) {}
  void Sleep(absl::Duration d) override {
    delays.push_back(d);
    clock_->Advance(d);
  }
  std::vector<absl::Duration> delays;

 private:
  common::FakeClock* clock_;
};

HttpResponse Response(int status, std::optional<std::string> retry_after = {}) {
  HttpResponse r;
  r.status = status;
  r.retry_after = std::move(retry_after);
  return r;
}

absl::Status Transient() {
  absl::Status s = absl::UnavailableError("connection refused");
  MarkTransient(s);
  return s;
}

struct Fixture {
  Fixture(RetryOptions options = {}) : sleeper(&clock) {
    if (options.seed == 0) options.seed = 42;
    auto r = Retrier::Create(options, &sleeper, &clock);
    EXPECT_TRUE(r.ok()) << r.status();
    retrier = *std::move(r);
  }
  // Runs with the scripted outcomes; returns the result.
  Retrier::Result Run(bool idempotent,
                      std::vector<absl::StatusOr<HttpResponse>> script) {
    size_t i = 0;
    return retrier->Run(idempotent, [&]() -> absl::StatusOr<HttpResponse> {
      calls++;
      clock.Advance(absl::Milliseconds(10));  // simulated upstream latency
      return script.at(std::min(i++, script.size() - 1));
    });
  }
  common::FakeClock clock;
  RecordingSleeper sleeper;
  std::unique_ptr<Retrier> retrier;
  int calls = 0;
};

TEST(RetryTest, RetryableStatuses) {
  for (int s : {429, 502, 503, 504}) EXPECT_TRUE(IsRetryableHttpStatus(s)) << s;
  for (int s : {200, 400, 401, 403, 404, 409, 422, 500, 501})
    EXPECT_FALSE(IsRetryableHttpStatus(s)) << s;
}

TEST(RetryTest, SuccessNeedsOneAttempt) {
  Fixture f;
  auto result = f.Run(true, {Response(200)});
  EXPECT_EQ(result.attempts, 1);
  EXPECT_TRUE(f.sleeper.delays.empty());
  EXPECT_EQ(result.upstream_latency, absl::Milliseconds(10));
}

TEST(RetryTest, RetriesIdempotentUntilSuccess) {
  Fixture f;
  auto result = f.Run(true, {Response(503), Transient(), Response(200)});
  EXPECT_EQ(result.attempts, 3);
  ASSERT_TRUE(result.outcome.ok());
  EXPECT_EQ(result.outcome->status, 200);
  EXPECT_EQ(f.sleeper.delays.size(), 2u);
  EXPECT_EQ(result.upstream_latency, absl::Milliseconds(30));
}

TEST(RetryTest, NeverRetriesNonIdempotent) {
  Fixture f;
  auto result = f.Run(false, {Response(503), Response(200)});
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(result.outcome->status, 503);
  f.calls = 0;
  result = f.Run(false, {Transient()});
  EXPECT_EQ(f.calls, 1);
  EXPECT_TRUE(f.sleeper.delays.empty());
}

TEST(RetryTest, DoesNotRetryPermanentFailures) {
  Fixture f;
  EXPECT_EQ(f.Run(true, {Response(500)}).attempts, 1);
  EXPECT_EQ(f.Run(true, {Response(400)}).attempts, 1);
  EXPECT_EQ(f.Run(true, {absl::StatusOr<HttpResponse>(
                            absl::UnavailableError("certificate rejected"))})
                .attempts,
            1);
}

TEST(RetryTest, BoundedAttempts) {
  Fixture f;
  auto result = f.Run(true, {Response(502)});
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(result.outcome->status, 502);
}

TEST(RetryTest, ExponentialBackoffWithJitterInRange) {
  RetryOptions options;
  options.max_attempts = 6;
  options.initial_backoff = absl::Milliseconds(100);
  options.max_backoff = absl::Milliseconds(500);
  options.max_total_delay = absl::Minutes(1);
  options.jitter = 0.5;
  Fixture f(options);
  f.Run(true, {Response(503)});
  ASSERT_EQ(f.sleeper.delays.size(), 5u);
  const absl::Duration bases[] = {absl::Milliseconds(100), absl::Milliseconds(200),
                                  absl::Milliseconds(400), absl::Milliseconds(500),
                                  absl::Milliseconds(500)};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_GE(f.sleeper.delays[i], bases[i] / 2) << i;
    EXPECT_LE(f.sleeper.delays[i], bases[i]) << i;
  }
}

TEST(RetryTest, FixedSeedIsDeterministic) {
  Fixture a, b;
  a.Run(true, {Response(503)});
  b.Run(true, {Response(503)});
  EXPECT_EQ(a.sleeper.delays, b.sleeper.delays);
}

TEST(RetryTest, NoJitterGivesExactBackoff) {
  RetryOptions options;
  options.jitter = 0;
  options.initial_backoff = absl::Milliseconds(250);
  Fixture f(options);
  f.Run(true, {Response(504)});
  EXPECT_THAT(f.sleeper.delays,
              ElementsAre(absl::Milliseconds(250), absl::Milliseconds(500)));
}

TEST(RetryTest, HonoursRetryAfterSeconds) {
  Fixture f;
  auto result = f.Run(true, {Response(429, "3"), Response(200)});
  EXPECT_EQ(result.attempts, 2);
  EXPECT_THAT(f.sleeper.delays, ElementsAre(absl::Seconds(3)));
}

TEST(RetryTest, HonoursRetryAfterHttpDate) {
  Fixture f;
  // FakeClock starts at 2026-01-01T00:00:00Z; the attempt takes 10 ms.
  auto result = f.Run(
      true, {Response(503, "Thu, 01 Jan 2026 00:00:05 GMT"), Response(200)});
  EXPECT_EQ(result.attempts, 2);
  EXPECT_THAT(f.sleeper.delays,
              ElementsAre(absl::Seconds(5) - absl::Milliseconds(10)));
}

TEST(RetryTest, RetryAfterBeyondBudgetReturnsTheResponse) {
  Fixture f;  // max_total_delay 20 s
  auto result = f.Run(true, {Response(429, "120"), Response(200)});
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(result.outcome->status, 429);
  EXPECT_TRUE(f.sleeper.delays.empty());
}

TEST(RetryTest, TotalDelayIsBounded) {
  RetryOptions options;
  options.max_attempts = 100;
  options.jitter = 0;
  options.initial_backoff = absl::Seconds(1);
  options.max_backoff = absl::Seconds(1);
  options.max_total_delay = absl::Milliseconds(3500);
  Fixture f(options);
  auto result = f.Run(true, {Response(503)});
  EXPECT_EQ(result.attempts, 4);
  EXPECT_EQ(result.total_delay, absl::Seconds(3));
}

TEST(ParseRetryAfterTest, Forms) {
  const absl::Time now = absl::FromUnixSeconds(784111777);  // 1994-11-06 08:49:37Z
  EXPECT_EQ(ParseRetryAfter("0", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter(" 120 ", now), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:40 GMT", now),
            absl::Seconds(3));
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:49:47 GMT", now),
            absl::Seconds(10));
  EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:57 1994", now), absl::Seconds(20));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now),
            absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999", now),
            absl::InfiniteDuration());
  EXPECT_FALSE(ParseRetryAfter("", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("-5", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("1.5", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("soon", now).has_value());
}

TEST(RetryTest, RejectsBadOptions) {
  common::FakeClock clock;
  RecordingSleeper sleeper(&clock);
  RetryOptions o;
  o.max_attempts = 0;
  EXPECT_FALSE(Retrier::Create(o, &sleeper, &clock).ok());
  o = {};
  o.jitter = 1.5;
  EXPECT_FALSE(Retrier::Create(o, &sleeper, &clock).ok());
  o = {};
  o.multiplier = 0.5;
  EXPECT_FALSE(Retrier::Create(o, &sleeper, &clock).ok());
  EXPECT_FALSE(Retrier::Create({}, nullptr, &clock).ok());
}

}  // namespace
}  // namespace layer_vault::relay
