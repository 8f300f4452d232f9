#include "tests/load/call_stats.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace layer_vault::tests::load {
namespace {

constexpr size_t kFailuresKept = 5;

}  // namespace

void CallStats::Record(absl::Duration latency, absl::string_view outcome,
                       absl::string_view detail) {
  latencies_ns_.push_back(absl::ToInt64Nanoseconds(latency));
  ++outcomes_[std::string(outcome)];
  if (outcome != kOk && first_failures_.size() < kFailuresKept) {
    first_failures_.push_back(absl::StrCat(outcome, ": ", detail));
  }
}

void CallStats::Merge(const CallStats& other) {
  latencies_ns_.insert(latencies_ns_.end(), other.latencies_ns_.begin(),
                       other.latencies_ns_.end());
  for (const auto& [outcome, n] : other.outcomes_) outcomes_[outcome] += n;
  for (const std::string& f : other.first_failures_) {
    if (first_failures_.size() < kFailuresKept) first_failures_.push_back(f);
  }
}

int64_t CallStats::count(absl::string_view outcome) const {
  auto it = outcomes_.find(std::string(outcome));
  return it == outcomes_.end() ? 0 : it->second;
}

std::string CallStats::OutcomesText() const {
  if (outcomes_.empty()) return "(none)";
  return absl::StrJoin(outcomes_, " ", absl::PairFormatter("="));
}

LatencySummary CallStats::Summarize() const {
  LatencySummary summary;
  summary.calls = calls();
  if (latencies_ns_.empty()) return summary;
  std::vector<int64_t> sorted = latencies_ns_;
  std::sort(sorted.begin(), sorted.end());
  auto rank = [&](double p) {
    // Nearest rank: the smallest value with at least p of the samples at or
    // below it.
    size_t i = static_cast<size_t>(
        std::ceil(p * static_cast<double>(sorted.size())));
    i = std::clamp<size_t>(i, 1, sorted.size());
    return absl::Nanoseconds(sorted[i - 1]);
  };
  summary.p50 = rank(0.50);
  summary.p99 = rank(0.99);
  summary.max = absl::Nanoseconds(sorted.back());
  return summary;
}

}  // namespace layer_vault::tests::load
