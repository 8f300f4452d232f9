#include "common/clock.h"

#include "absl/time/clock.h"

namespace layer_vault::common {
namespace {

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

Clock* RealClock() {
  static SystemClock* const clock = new SystemClock();
  return clock;
}

}  // namespace layer_vault::common
