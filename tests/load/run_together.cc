#include "tests/load/run_together.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/time/clock.h"

namespace layer_vault::tests::load {

absl::Duration RunTogether(
    int threads, absl::Duration duration,
    const std::function<void(int thread, absl::Time end)>& body,
    const std::function<void()>& before_start) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  absl::Time end;  // written before `go`, read after it
  std::vector<std::thread> running;
  running.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    running.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      body(i, end);
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  if (before_start) before_start();
  const absl::Time start = absl::Now();
  end = start + duration;
  go.store(true, std::memory_order_release);
  for (std::thread& t : running) t.join();
  return absl::Now() - start;
}

}  // namespace layer_vault::tests::load
