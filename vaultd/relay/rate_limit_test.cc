#include "vaultd/relay/rate_limit.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/fake_clock.h"
#include "common/typed_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::relay {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<RateLimiter> Make(const common::Clock* clock, double rate,
                                  double burst, size_t max_callers = 4096) {
  RateLimitOptions options;
  options.rate_per_second = rate;
  options.burst = burst;
  options.max_tracked_callers = max_callers;
  auto limiter = RateLimiter::Create(options, clock);
  EXPECT_TRUE(limiter.ok()) << limiter.status();
  return *std::move(limiter);
}

TEST(RateLimiterTest, BurstThenRefillAtRate) {
  common::FakeClock clock;
  auto limiter = Make(&clock, /*rate=*/2, /*burst=*/3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter->TryAcquire("1000").allowed);
  auto denied = limiter->TryAcquire("1000");
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after, absl::Milliseconds(500));
  clock.Advance(absl::Milliseconds(499));
  EXPECT_FALSE(limiter->TryAcquire("1000").allowed);
  clock.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(limiter->TryAcquire("1000").allowed);
  // Refill never exceeds the burst.
  clock.Advance(absl::Hours(1));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter->TryAcquire("1000").allowed);
  EXPECT_FALSE(limiter->TryAcquire("1000").allowed);
}

TEST(RateLimiterTest, CallersAreIndependent) {
  common::FakeClock clock;
  auto limiter = Make(&clock, 1, 1);
  EXPECT_TRUE(limiter->TryAcquire("1000").allowed);
  EXPECT_FALSE(limiter->TryAcquire("1000").allowed);
  EXPECT_TRUE(limiter->TryAcquire("1001").allowed);
}

TEST(RateLimiterTest, AcquireReturnsTypedResourceExhausted) {
  common::FakeClock clock;
  auto limiter = Make(&clock, 0.5, 1);
  EXPECT_TRUE(limiter->Acquire("u").ok());
  absl::Status status = limiter->Acquire("u");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("[vault:CALLER_RATE_LIMITED]"));
  EXPECT_THAT(status.message(), HasSubstr("retry in 2s"));
  EXPECT_EQ(common::RetryAfterOf(status), absl::Seconds(2));
  EXPECT_EQ(limiter->Acquire("u", 5).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RateLimiterTest, ZeroRateDisablesTheLimit) {
  common::FakeClock clock;
  auto limiter = Make(&clock, 0, 1);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter->Acquire("u").ok());
}

TEST(RateLimiterTest, BackwardClockRefillsNothing) {
  common::FakeClock clock;
  auto limiter = Make(&clock, 1, 1);
  EXPECT_TRUE(limiter->TryAcquire("u").allowed);
  clock.Advance(-absl::Hours(1));
  EXPECT_FALSE(limiter->TryAcquire("u").allowed);
  clock.Advance(absl::Hours(1));
  EXPECT_FALSE(limiter->TryAcquire("u").allowed);
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(limiter->TryAcquire("u").allowed);
}

TEST(RateLimiterTest, EvictsOnlyIdleBuckets) {
  common::FakeClock clock;
  auto limiter = Make(&clock, 1, 1, /*max_callers=*/2);
  EXPECT_TRUE(limiter->TryAcquire("a").allowed);
  EXPECT_TRUE(limiter->TryAcquire("b").allowed);
  EXPECT_TRUE(limiter->TryAcquire("c").allowed);  // nothing idle to evict
  // "a" is still limited: its bucket was not forgotten.
  EXPECT_FALSE(limiter->TryAcquire("a").allowed);
}

TEST(RateLimiterTest, RejectsBadOptions) {
  common::FakeClock clock;
  RateLimitOptions options;
  options.rate_per_second = -1;
  EXPECT_FALSE(RateLimiter::Create(options, &clock).ok());
  options.rate_per_second = 1;
  options.burst = 0.5;
  EXPECT_FALSE(RateLimiter::Create(options, &clock).ok());
  options.burst = 1;
  EXPECT_FALSE(RateLimiter::Create(options, nullptr).ok());
}

TEST(RateLimiterTest, ConcurrentCallersNeverExceedBurst) {
  common::FakeClock clock;
  auto limiter = Make(&clock, 1, 100);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (limiter->TryAcquire("shared").allowed) ++allowed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace layer_vault::relay
