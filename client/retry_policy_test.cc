#include "client/retry_policy.h"

#include <vector>

#include "gtest/gtest.h"

namespace layer_vault::client {
namespace {

TEST(RetryPolicyTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateRetryPolicy(RetryPolicy{}).ok());
}

TEST(RetryPolicyTest, RejectsOutOfRangeFields) {
  RetryPolicy p;
  p.max_attempts = 0;
  EXPECT_EQ(ValidateRetryPolicy(p).code(), absl::StatusCode::kInvalidArgument);
  p = RetryPolicy{};
  p.max_attempts = 11;
  EXPECT_EQ(ValidateRetryPolicy(p).code(), absl::StatusCode::kInvalidArgument);
  p = RetryPolicy{};
  p.max_backoff = p.initial_backoff / 2;
  EXPECT_EQ(ValidateRetryPolicy(p).code(), absl::StatusCode::kInvalidArgument);
  p = RetryPolicy{};
  p.jitter = 1.5;
  EXPECT_EQ(ValidateRetryPolicy(p).code(), absl::StatusCode::kInvalidArgument);
  p = RetryPolicy{};
  p.multiplier = 0.5;
  EXPECT_EQ(ValidateRetryPolicy(p).code(), absl::StatusCode::kInvalidArgument);
}

TEST(BackoffTest, GrowsExponentiallyUpToTheCapWithoutJitter) {
  RetryPolicy p;
  p.initial_backoff = absl::Milliseconds(100);
  p.max_backoff = absl::Milliseconds(350);
  p.multiplier = 2.0;
  p.jitter = 0.0;
  Backoff b(p);
  EXPECT_EQ(b.NextDelay(1), absl::Milliseconds(100));
  EXPECT_EQ(b.NextDelay(2), absl::Milliseconds(200));
  EXPECT_EQ(b.NextDelay(3), absl::Milliseconds(350));
  EXPECT_EQ(b.NextDelay(9), absl::Milliseconds(350));
}

TEST(BackoffTest, JitterStaysWithinItsBandAndVaries) {
  RetryPolicy p;
  p.initial_backoff = absl::Milliseconds(1000);
  p.max_backoff = absl::Milliseconds(1000);
  p.jitter = 0.5;
  Backoff b(p);
  absl::Duration lo = absl::InfiniteDuration(), hi = absl::ZeroDuration();
  for (int i = 0; i < 200; ++i) {
    absl::Duration d = b.NextDelay(1);
    EXPECT_GE(d, absl::Milliseconds(500));
    EXPECT_LE(d, absl::Milliseconds(1000));
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GT(hi - lo, absl::Milliseconds(100)) << "jitter never varied";
}

TEST(BackoffTest, WaitUsesTheInjectedSleeper) {
  std::vector<absl::Duration> slept;
  RetryPolicy p;
  p.jitter = 0.0;
  p.sleeper = [&](absl::Duration d) { slept.push_back(d); };
  Backoff b(p);
  b.Wait(1);
  b.Wait(2);
  ASSERT_EQ(slept.size(), 2u);
  EXPECT_EQ(slept[0], p.initial_backoff);
  EXPECT_EQ(slept[1], p.initial_backoff * 2);
}

}  // namespace
}  // namespace layer_vault::client
