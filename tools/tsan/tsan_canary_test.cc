// Checks that --config=tsan works: run by tools/tsan.sh, which expects
// RacyCounterIsReported to FAIL (TSan halts on the race) and the
// absl-guarded tests to PASS (the --wrap annotations make absl::Mutex and
// absl::Notification visible to TSan; without them TSan reports a false
// race for each).

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace {

TEST(TsanCanary, RacyCounterIsReported) {
  int counter = 0;
  std::thread a([&] { ++counter; });
  std::thread b([&] { ++counter; });
  a.join();
  b.join();
  EXPECT_GE(counter, 1);
}

TEST(TsanCanary, MutexGuardedCounterIsNotReported) {
  absl::Mutex mu;
  int counter = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 1000; ++j) {
        absl::MutexLock lock(&mu);
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(counter, 4000);
}

TEST(TsanCanary, AwaitAndReaderLocksAreNotReported) {
  absl::Mutex mu;
  int value = 0;
  bool ready = false;
  std::thread writer([&] {
    absl::MutexLock lock(&mu);
    value = 42;
    ready = true;
  });
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&ready));
    EXPECT_EQ(value, 42);
  }
  writer.join();
  absl::ReaderMutexLock reader(&mu);
  EXPECT_EQ(value, 42);
}

TEST(TsanCanary, LockingWhileAnotherThreadAwaitsIsNotReported) {
  absl::Mutex mu;
  bool go = false;
  int seen = 0;
  absl::Notification waiting;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    waiting.Notify();
    mu.AwaitWithTimeout(absl::Condition(&go), absl::Seconds(30));
    seen = 1;
  });
  waiting.WaitForNotification();
  {
    absl::MutexLock lock(&mu);  // The waiter has released it inside Await.
    go = true;
  }
  waiter.join();
  EXPECT_EQ(seen, 1);
}

TEST(TsanCanary, NotificationPublishesWrites) {
  absl::Notification done;
  int value = 0;
  std::thread t([&] {
    value = 7;
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(value, 7);
  t.join();
}

}  // namespace
