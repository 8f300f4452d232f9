#include "vaultd/relay/rate_limit.h"

#include <atomic>
#include <cmath>
#include <optional>
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

CallerLimits Rate(std::optional<double> rate, std::optional<double> burst) {
  CallerLimits limits;
  limits.requests_per_second = rate;
  limits.burst = burst;
  return limits;
}

TEST(RateLimiterTest, CallerLimitsOverrideRateAndBurst) {
  common::FakeClock clock;
  auto limiter = Make(&clock, /*rate=*/1, /*burst=*/2);
  const CallerLimits fast = Rate(10, 5);
  const CallerLimits slow = Rate(0.5, 1);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(limiter->TryAcquire("fast", 1, fast).allowed) << i;
  }
  auto fast_denied = limiter->TryAcquire("fast", 1, fast);
  EXPECT_FALSE(fast_denied.allowed);
  EXPECT_EQ(fast_denied.retry_after, absl::Milliseconds(100));

  EXPECT_TRUE(limiter->TryAcquire("slow", 1, slow).allowed);
  auto slow_denied = limiter->TryAcquire("slow", 1, slow);
  EXPECT_FALSE(slow_denied.allowed);
  EXPECT_EQ(slow_denied.retry_after, absl::Seconds(2));

  // No overrides: the options.
  EXPECT_TRUE(limiter->TryAcquire("plain").allowed);
  EXPECT_TRUE(limiter->TryAcquire("plain").allowed);
  EXPECT_FALSE(limiter->TryAcquire("plain").allowed);

  clock.Advance(absl::Milliseconds(100));
  EXPECT_TRUE(limiter->TryAcquire("fast", 1, fast).allowed);
  EXPECT_FALSE(limiter->TryAcquire("slow", 1, slow).allowed);
}

TEST(RateLimiterTest, CallerLimitsOverrideFieldByField) {
  common::FakeClock clock;
  auto limiter = Make(&clock, /*rate=*/1, /*burst=*/2);
  const CallerLimits burst_only = Rate(std::nullopt, 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(limiter->TryAcquire("u", 1, burst_only).allowed);
  }
  auto denied = limiter->TryAcquire("u", 1, burst_only);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after, absl::Seconds(1));  // the options' rate
}

TEST(RateLimiterTest, CallerRateOverridesTheGlobalSwitch) {
  common::FakeClock clock;
  // Globally off, limited for one caller.
  auto off = Make(&clock, /*rate=*/0, /*burst=*/1);
  EXPECT_TRUE(off->TryAcquire("u", 1, Rate(1, 1)).allowed);
  EXPECT_FALSE(off->TryAcquire("u", 1, Rate(1, 1)).allowed);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(off->TryAcquire("other").allowed);
  // Globally on, off for one caller.
  auto on = Make(&clock, /*rate=*/1, /*burst=*/1);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(on->Acquire("u", 1, Rate(0, std::nullopt)).ok());
  }
}

TEST(RateLimiterTest, ChangedLimitsApplyFromThenOn) {
  common::FakeClock clock;
  auto limiter = Make(&clock, /*rate=*/1, /*burst=*/10);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter->TryAcquire("u").allowed);
  // Two seconds at the old rate (1/s) refill 2 tokens; the new rate counts
  // only from this call on.
  clock.Advance(absl::Seconds(2));
  const CallerLimits faster = Rate(10, 10);
  EXPECT_TRUE(limiter->TryAcquire("u", 1, faster).allowed);
  EXPECT_TRUE(limiter->TryAcquire("u", 1, faster).allowed);
  auto denied = limiter->TryAcquire("u", 1, faster);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after, absl::Milliseconds(100));
  clock.Advance(absl::Seconds(1));  // at 10/s: full again
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(limiter->TryAcquire("u", 1, faster).allowed) << i;
  }
  EXPECT_FALSE(limiter->TryAcquire("u", 1, faster).allowed);

  // A smaller burst caps the tokens already held.
  clock.Advance(absl::Hours(1));
  const CallerLimits small = Rate(10, 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter->TryAcquire("u", 1, small).allowed) << i;
  }
  EXPECT_FALSE(limiter->TryAcquire("u", 1, small).allowed);
  // A larger burst does not fill the bucket at once.
  EXPECT_FALSE(limiter->TryAcquire("u", 1, faster).allowed);
}

TEST(RateLimiterTest, AcquireNamesTheCallersLimits) {
  common::FakeClock clock;
  auto limiter = Make(&clock, /*rate=*/1, /*burst=*/1);
  const CallerLimits mine = Rate(4, 2);
  ASSERT_TRUE(limiter->Acquire("u", 1, mine).ok());
  ASSERT_TRUE(limiter->Acquire("u", 1, mine).ok());
  absl::Status status = limiter->Acquire("u", 1, mine);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(),
              HasSubstr("(4 per second, burst 2); retry in 0.25s"));
  EXPECT_EQ(common::RetryAfterOf(status), absl::Milliseconds(250));
  // A cost above the caller's burst could never be met; within it, it can.
  EXPECT_EQ(limiter->Acquire("v", 3, mine).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(limiter->Acquire("v", 2, mine).ok());
}

TEST(RateLimiterTest, RejectsBadCallerLimits) {
  common::FakeClock clock;
  auto limiter = Make(&clock, 1, 1);
  for (const CallerLimits& bad :
       {Rate(-1, std::nullopt), Rate(std::nan(""), std::nullopt),
        Rate(HUGE_VAL, std::nullopt), Rate(std::nullopt, 0.5),
        Rate(std::nullopt, std::nan("")), Rate(std::nullopt, HUGE_VAL)}) {
    EXPECT_EQ(limiter->Acquire("u", 1, bad).code(),
              absl::StatusCode::kInvalidArgument);
    auto decision = limiter->TryAcquire("u", 1, bad);
    EXPECT_FALSE(decision.allowed);
    EXPECT_EQ(decision.retry_after, absl::InfiniteDuration());
  }
  EXPECT_TRUE(limiter->TryAcquire("u").allowed);  // nothing was taken
}

TEST(RateLimiterTest, EvictionUsesEachBucketsOwnBurst) {
  common::FakeClock clock;
  auto limiter = Make(&clock, /*rate=*/1, /*burst=*/1, /*max_callers=*/2);
  const CallerLimits big = Rate(1, 5);
  // 4 of 5 tokens left: not idle, although above the options' burst of 1.
  EXPECT_TRUE(limiter->TryAcquire("a", 1, big).allowed);
  EXPECT_TRUE(limiter->TryAcquire("b").allowed);
  EXPECT_TRUE(limiter->TryAcquire("c").allowed);  // triggers eviction
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(limiter->TryAcquire("a", 1, big).allowed) << i;
  }
  EXPECT_FALSE(limiter->TryAcquire("a", 1, big).allowed);
}

}  // namespace
}  // namespace layer_vault::relay
