#include "mcp_frontend/tool_registry/cancellation.h"

#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace layer_vault::mcp {
namespace {

TEST(CancellationTest, DefaultTokenIsNeverCancelled) {
  CancellationToken token;
  EXPECT_FALSE(token.cancelled());
  EXPECT_FALSE(token.WaitFor(absl::Milliseconds(5)));
}

TEST(CancellationTest, CancelIsSeenByEveryCopy) {
  CancellationSource source;
  CancellationToken a = source.token();
  CancellationToken b = a;
  EXPECT_FALSE(b.cancelled());
  source.Cancel();
  source.Cancel();  // idempotent
  EXPECT_TRUE(a.cancelled());
  EXPECT_TRUE(b.cancelled());
  EXPECT_TRUE(source.cancelled());
  EXPECT_TRUE(b.WaitFor(absl::Hours(1)));  // returns at once
}

TEST(CancellationTest, CancelWakesWaiterEarly) {
  CancellationSource source;
  CancellationToken token = source.token();
  const absl::Time start = absl::Now();
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(50));
    source.Cancel();
  });
  EXPECT_TRUE(token.WaitFor(absl::Seconds(30)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  canceller.join();
}

}  // namespace
}  // namespace layer_vault::mcp
