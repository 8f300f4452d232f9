#ifndef LAYER_VAULT_COMMON_CLOCK_H_
#define LAYER_VAULT_COMMON_CLOCK_H_

#include "absl/time/time.h"

namespace layer_vault::common {

// Clock is the source of wall-clock time for anything that expires, rotates,
// rate-limits or budgets, so tests can drive time without sleeping.
// Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// RealClock returns the process-wide system clock (absl::Now()). Never null;
// lives for the whole process.
Clock* RealClock();

}  // namespace layer_vault::common

#endif  // LAYER_VAULT_COMMON_CLOCK_H_
