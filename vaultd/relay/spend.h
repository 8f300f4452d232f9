#ifndef LAYER_VAULT_VAULTD_RELAY_SPEND_H_
#define LAYER_VAULT_VAULTD_RELAY_SPEND_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "vaultd/relay/rate_limit.h"  // CallerLimits

namespace layer_vault::relay {

// SpendPeriod is the length of a budget period, in UTC calendar units:
// kHour from hh:00:00, kDay from 00:00, kWeek from Monday 00:00, kMonth from
// 00:00 on the 1st.
enum class SpendPeriod { kHour, kDay, kWeek, kMonth };

struct SpendOptions {
  // The ledger file, inside vaultd's state directory (0700). Created 0600
  // if missing.
  std::string ledger_path;
  // Largest estimated price, in Creative Units (CU), of a single run; 0
  // means no limit.
  double per_run_cap = 50;
  // CU each caller may spend per period; 0 means no limit.
  double caller_period_budget = 1000;
  // CU all callers together may spend per period; 0 means no limit.
  double total_period_budget = 0;
  // The budget period. Periods are computed from the times in the ledger,
  // so a different setting after a restart re-buckets the existing history.
  SpendPeriod period = SpendPeriod::kMonth;
};

// SpendSummary is one caller's view of the current period.
struct SpendSummary {
  SpendPeriod period = SpendPeriod::kMonth;
  absl::Time period_start;  // inclusive
  absl::Time period_end;    // exclusive
  // The caller's effective limits (its CallerLimits, else the options).
  double per_run_cap = 0;   // 0: no limit
  double caller_budget = 0;  // 0: no limit
  // Reserved estimates of unfinished runs plus actual charges of finished
  // ones, in this period.
  double caller_spent = 0;
  // The part of caller_spent that is still an estimate.
  double caller_reserved = 0;
  double total_budget = 0;  // 0: no limit
  double total_spent = 0;
  // CU left before the tighter of the two budgets; nullopt if neither is set.
  std::optional<double> remaining;
};

// SpendController enforces vaultd's Creative Unit caps and keeps the ledger
// that makes them survive restarts.
//
// Period: SpendOptions::period, a UTC calendar unit (a month resets at 00:00
// UTC on the 1st, a week at Monday 00:00 UTC), so every caller sees the same
// fixed start and end. A run counts in the period in which it was reserved,
// even if its charge arrives later.
//
// Limits: the per-run cap and the caller's period budget are the caller's
// CallerLimits where set (given with each call, so a policy reload applies
// at once), else the options; the total budget is always the option's.
//
// Flow for a paid run: CheckAndReserve(caller, estimate) before the execute
// call refuses or reserves; BindRun ties the reservation to Layer.ai's run
// id once the execute call returned one (or Release if Layer.ai refused the
// run); RecordCharge replaces the estimate with the actual charge when the
// finished run is observed. Amounts are kept in micro-CU (int64), so sums of
// fractional prices are exact.
//
// Ledger: append-only JSON lines, one fsync per record, mode 0600, owned by
// the daemon's euid (other owners or group/other permission bits are
// refused), locked with flock so a second daemon cannot share it. At Open a
// torn last line (a crash mid-append) is discarded and truncated away; any
// other malformed line is DATA_LOSS, because budgets built on a corrupt
// ledger cannot be trusted. The ledger is never compacted (records are only
// written for paid runs; archive it by hand if it ever grows large).
//
// Thread-safe: every decision and its ledger record happen under one mutex,
// so concurrent runs cannot jointly exceed a budget (no check-then-act gap).
class SpendController {
 public:
  // INVALID_ARGUMENT for negative or non-finite limits, an unknown period or
  // an empty path;
  // FAILED_PRECONDITION for an insecure or locked ledger; DATA_LOSS for a
  // corrupt one; INTERNAL for I/O errors. `clock` must outlive the result.
  static absl::StatusOr<std::unique_ptr<SpendController>> Open(
      const SpendOptions& options, const common::Clock* clock);
  ~SpendController();

  SpendController(const SpendController&) = delete;
  SpendController& operator=(const SpendController&) = delete;

  // Checks `estimate` (CU) against the caller's per-run cap and the
  // caller's and the total budget of the current period and, if it fits,
  // records a reservation and returns its id. RESOURCE_EXHAUSTED typed
  // "[vault:RUN_CAP_EXCEEDED]" or "[vault:BUDGET_EXCEEDED]" with the cap or
  // budget, the period (e.g. "2026-12", "week of 2026-11-30"), the amount
  // used and what remains; INVALID_ARGUMENT for a bad caller, estimate or
  // `limits` (negative, non-finite or above 1e12); INTERNAL if the ledger
  // write fails (nothing is reserved then).
  absl::StatusOr<std::string> CheckAndReserve(absl::string_view caller,
                                              double estimate,
                                              const CallerLimits& limits = {});

  // Ties reservation `reservation_id` to Layer.ai's `run_id`. If
  // `revised_estimate` (Layer.ai's own price for the started run) is higher
  // than the reservation, the reservation grows to it (the run has started;
  // nothing is refused). NOT_FOUND for an unknown reservation;
  // FAILED_PRECONDITION if it was released, charged, or bound to another
  // run; ALREADY_EXISTS if `run_id` belongs to another reservation.
  absl::Status BindRun(absl::string_view reservation_id,
                       absl::string_view run_id,
                       std::optional<double> revised_estimate = std::nullopt);

  // Drops a reservation whose run never started (Layer.ai refused it).
  // Idempotent; NOT_FOUND for an unknown id; FAILED_PRECONDITION once bound
  // or charged.
  absl::Status Release(absl::string_view reservation_id);

  // Records the actual charge of a finished run, replacing its reservation.
  // `actual` nullopt means "the run finished but its charge is unknown":
  // the reservation becomes the final charge (and a run without one records
  // nothing). Idempotent per run: replaying a charge for a run already
  // charged is OK and changes nothing. A run without a reservation is
  // charged to `caller` in the current period; a reserved run stays with
  // the caller that reserved it.
  absl::Status RecordCharge(absl::string_view caller, absl::string_view run_id,
                            std::optional<double> actual);

  // `caller`'s view of the current period, with its `limits` applied as in
  // CheckAndReserve. An invalid override (which CheckAndReserve refuses) is
  // shown as the option it would replace.
  SpendSummary Summary(absl::string_view caller,
                       const CallerLimits& limits = {}) const;

  // Bytes of a torn last line discarded at Open (0 normally).
  size_t torn_bytes_discarded() const { return torn_bytes_; }

 private:
  enum class State { kReserved, kCharged, kReleased };
  struct Entry {
    std::string caller;
    int64_t period = 0;  // Unix seconds of its period's start
    int64_t ucu = 0;  // micro-CU counted against the budgets
    State state = State::kReserved;
    std::string run_id;
  };
  using CallerPeriod = std::pair<int64_t, std::string>;

  SpendController(const SpendOptions& options, const common::Clock* clock,
                  int fd)
      : options_(options), clock_(clock), fd_(fd) {}

  absl::Status Load();
  absl::Status ApplyLocked(const std::string& line, size_t line_number)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AppendLocked(const std::string& line)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UndoPartialAppendLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddLocked(const Entry& entry, int64_t ucu, bool reserved)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SpendOptions options_;
  const common::Clock* const clock_;
  const int fd_;
  size_t torn_bytes_ = 0;

  mutable absl::Mutex mu_;
  uint64_t file_size_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> run_to_entry_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<CallerPeriod, int64_t> caller_spent_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<CallerPeriod, int64_t> caller_reserved_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int64_t, int64_t> total_spent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace layer_vault::relay

#endif  // LAYER_VAULT_VAULTD_RELAY_SPEND_H_
