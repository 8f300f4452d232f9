#ifndef LAYER_VAULT_TESTS_LOAD_CALL_STATS_H_
#define LAYER_VAULT_TESTS_LOAD_CALL_STATS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace layer_vault::tests::load {

// Latency percentiles of a set of calls (nearest rank); zero when empty.
struct LatencySummary {
  int64_t calls = 0;
  absl::Duration p50;
  absl::Duration p99;
  absl::Duration max;
};

// CallStats counts the outcomes of one kind of call and keeps every
// latency. An outcome is "OK" or a short label of the failure (a gRPC code
// name, "HTTP 502", ...). Not thread-safe: one per thread, merged after.
class CallStats {
 public:
  static constexpr char kOk[] = "OK";

  // Records one call. `detail` (an error message, never a secret) is kept
  // for the first few failures.
  void Record(absl::Duration latency, absl::string_view outcome,
              absl::string_view detail = "");
  void Merge(const CallStats& other);

  int64_t calls() const { return static_cast<int64_t>(latencies_ns_.size()); }
  int64_t count(absl::string_view outcome) const;
  int64_t failures() const { return calls() - count(kOk); }
  const std::map<std::string, int64_t>& outcomes() const { return outcomes_; }
  // Up to 5 "outcome: detail" lines of the first failures.
  const std::vector<std::string>& first_failures() const {
    return first_failures_;
  }
  // "OK=1200 UNAVAILABLE=3".
  std::string OutcomesText() const;
  LatencySummary Summarize() const;

 private:
  std::vector<int64_t> latencies_ns_;
  std::map<std::string, int64_t> outcomes_;
  std::vector<std::string> first_failures_;
};

}  // namespace layer_vault::tests::load

#endif  // LAYER_VAULT_TESTS_LOAD_CALL_STATS_H_
