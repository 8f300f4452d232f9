#ifndef LAYER_VAULT_COMMON_FAKE_CLOCK_H_
#define LAYER_VAULT_COMMON_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace layer_vault::common {

// FakeClock is a Clock for tests: time moves only through Set and Advance.
// Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1767225600))
      : now_(start) {}  // 2026-01-01T00:00:00Z

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace layer_vault::common

#endif  // LAYER_VAULT_COMMON_FAKE_CLOCK_H_
