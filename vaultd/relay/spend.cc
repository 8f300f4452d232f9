#include "vaultd/relay/spend.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_parse.h"
#include "common/typed_error.h"
#include "nlohmann/json.hpp"

namespace layer_vault::relay {
namespace {

using nlohmann::json;

constexpr double kMaxCu = 1e12;
constexpr uint64_t kMaxLedgerBytes = 256ull * 1024 * 1024;

bool ValidCu(double cu) { return std::isfinite(cu) && cu >= 0 && cu <= kMaxCu; }
int64_t ToMicro(double cu) { return std::llround(cu * 1e6); }
double FromMicro(int64_t ucu) { return static_cast<double>(ucu) / 1e6; }

// "12", "0.6", "1234.000001": exact decimal text of a micro-CU amount.
std::string FormatCu(int64_t ucu) {
  const bool negative = ucu < 0;
  const uint64_t abs = negative ? -static_cast<uint64_t>(ucu) : ucu;
  std::string out = absl::StrCat(negative ? "-" : "", abs / 1000000);
  uint64_t frac = abs % 1000000;
  if (frac != 0) {
    std::string digits = absl::StrFormat("%06d", frac);
    digits.erase(digits.find_last_not_of('0') + 1);
    absl::StrAppend(&out, ".", digits);
  }
  return out;
}

bool ValidPeriod(SpendPeriod period) {
  switch (period) {
    case SpendPeriod::kHour:
    case SpendPeriod::kDay:
    case SpendPeriod::kWeek:
    case SpendPeriod::kMonth:
      return true;
  }
  return false;
}

// Periods are keyed by their start, in Unix seconds.
int64_t PeriodOf(SpendPeriod period, absl::Time t) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  absl::Time start;
  switch (period) {
    case SpendPeriod::kHour:
      start = absl::FromCivil(absl::ToCivilHour(t, utc), utc);
      break;
    case SpendPeriod::kDay:
      start = absl::FromCivil(absl::ToCivilDay(t, utc), utc);
      break;
    case SpendPeriod::kWeek:
      // The Monday on or before t's day.
      start = absl::FromCivil(
          absl::PrevWeekday(absl::ToCivilDay(t, utc) + 1, absl::Weekday::monday),
          utc);
      break;
    case SpendPeriod::kMonth:
      start = absl::FromCivil(absl::ToCivilMonth(t, utc), utc);
      break;
  }
  return absl::ToUnixSeconds(start);
}

absl::Time PeriodEnd(SpendPeriod period, int64_t key) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::Time start = absl::FromUnixSeconds(key);
  switch (period) {
    case SpendPeriod::kHour:
      return absl::FromCivil(absl::ToCivilHour(start, utc) + 1, utc);
    case SpendPeriod::kDay:
      return absl::FromCivil(absl::ToCivilDay(start, utc) + 1, utc);
    case SpendPeriod::kWeek:
      return absl::FromCivil(absl::ToCivilDay(start, utc) + 7, utc);
    case SpendPeriod::kMonth:
      return absl::FromCivil(absl::ToCivilMonth(start, utc) + 1, utc);
  }
  return absl::InfiniteFuture();  // unreachable: Open validates the period
}

// "2026-12-04T15h", "2026-12-04", "week of 2026-11-30", "2026-12".
std::string PeriodName(SpendPeriod period, int64_t key) {
  const char* format = "%Y-%m";
  switch (period) {
    case SpendPeriod::kHour:
      format = "%Y-%m-%dT%Hh";
      break;
    case SpendPeriod::kDay:
      format = "%Y-%m-%d";
      break;
    case SpendPeriod::kWeek:
      format = "week of %Y-%m-%d";
      break;
    case SpendPeriod::kMonth:
      break;
  }
  return absl::FormatTime(format, absl::FromUnixSeconds(key),
                          absl::UTCTimeZone());
}

// The override if set and valid, else the option.
double Effective(const std::optional<double>& override_value, double option) {
  return override_value && ValidCu(*override_value) ? *override_value : option;
}

absl::Status ValidKey(absl::string_view what, absl::string_view key) {
  if (key.empty() || key.size() > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("spend: ", what, " must be 1 to 256 bytes"));
  }
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("spend: ", what, " contains a control character"));
    }
  }
  return absl::OkStatus();
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat("spend ledger ", path, ": ", what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SpendController>> SpendController::Open(
    const SpendOptions& options, const common::Clock* clock) {
  for (double limit : {options.per_run_cap, options.caller_period_budget,
                       options.total_period_budget}) {
    if (!ValidCu(limit)) {
      return absl::InvalidArgumentError(
          "spend: caps and budgets must be finite numbers between 0 and 1e12");
    }
  }
  if (!ValidPeriod(options.period)) {
    return absl::InvalidArgumentError("spend: unknown budget period");
  }
  if (options.ledger_path.empty()) {
    return absl::InvalidArgumentError("spend: ledger_path is required");
  }
  if (clock == nullptr) {
    return absl::InvalidArgumentError("spend: clock is required");
  }
  const std::string& path = options.ledger_path;
  struct stat before;
  const bool existed = ::lstat(path.c_str(), &before) == 0;
  int fd = ::open(path.c_str(),
                  O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Errno("open", path);
  std::unique_ptr<SpendController> spend(
      new SpendController(options, clock, fd));
  struct stat st;
  if (::fstat(fd, &st) != 0) return Errno("fstat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("spend ledger ", path, " is not a regular file"));
  }
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "spend ledger %s has insecure ownership or mode (uid %d, mode %04o); "
        "it must be owned by uid %d with mode 0600",
        path, st.st_uid, st.st_mode & 07777, ::geteuid()));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "spend ledger ", path, " is in use by another process"));
    }
    return Errno("flock", path);
  }
  if (!existed) {
    // Make the new file's directory entry durable.
    std::string dir = path.substr(0, path.find_last_of('/') + 1);
    if (dir.empty()) dir = ".";
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return Errno("open directory", path);
    int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) return Errno("fsync directory", path);
  }
  absl::Status loaded = spend->Load();
  if (!loaded.ok()) return loaded;
  return spend;
}

SpendController::~SpendController() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status SpendController::Load() {
  const std::string& path = options_.ledger_path;
  struct stat st;
  if (::fstat(fd_, &st) != 0) return Errno("fstat", path);
  if (static_cast<uint64_t>(st.st_size) > kMaxLedgerBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "spend ledger ", path, " is larger than ", kMaxLedgerBytes,
        " bytes; archive it"));
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pread(fd_, data.data() + done, data.size() - done, done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("read", path);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  data.resize(done);

  absl::MutexLock lock(&mu_);
  size_t start = 0;
  size_t line_number = 0;
  while (start < data.size()) {
    size_t end = data.find('\n', start);
    if (end == std::string::npos) {
      // Torn last record (crash mid-append): drop it so the next append
      // starts on a fresh line.
      torn_bytes_ = data.size() - start;
      if (::ftruncate(fd_, static_cast<off_t>(start)) != 0) {
        return Errno("truncate torn record", path);
      }
      if (::fsync(fd_) != 0) return Errno("fsync", path);
      data.resize(start);
      break;
    }
    ++line_number;
    absl::Status applied =
        ApplyLocked(data.substr(start, end - start), line_number);
    if (!applied.ok()) return applied;
    start = end + 1;
  }
  file_size_ = data.size();
  return absl::OkStatus();
}

void SpendController::AddLocked(const Entry& entry, int64_t ucu,
                                bool reserved) {
  CallerPeriod key{entry.period, entry.caller};
  caller_spent_[key] += ucu;
  total_spent_[entry.period] += ucu;
  if (reserved) caller_reserved_[key] += ucu;
}

// Applies one ledger record. Used both at load (replay) and after each
// append, so the in-memory state is always exactly what a restart rebuilds.
absl::Status SpendController::ApplyLocked(const std::string& line,
                                          size_t line_number) {
  auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("spend ledger ", options_.ledger_path,
                                            " line ", line_number, " is corrupt: ",
                                            why));
  };
  common::JsonParseLimits limits;
  limits.max_bytes = 4096;
  limits.max_depth = 2;
  auto parsed = common::ParseJsonBounded(line, limits, "record");
  if (!parsed.ok() || !parsed->is_object()) return corrupt("not a JSON object");
  const json& r = *parsed;
  auto str = [&](const char* key) -> std::string {
    auto it = r.find(key);
    return it != r.end() && it->is_string() ? it->get<std::string>() : "";
  };
  auto num = [&](const char* key, int64_t* out) {
    auto it = r.find(key);
    if (it == r.end() || !it->is_number_integer()) return false;
    *out = it->get<int64_t>();
    return true;
  };
  const std::string op = str("op");
  const std::string id = str("id");
  if (id.empty()) return corrupt("missing id");

  if (op == "reserve") {
    Entry e;
    e.caller = str("caller");
    int64_t t = 0;
    if (e.caller.empty() || !num("ucu", &e.ucu) || e.ucu < 0 || !num("t", &t)) {
      return corrupt("bad reserve record");
    }
    if (entries_.contains(id)) return corrupt("duplicate reservation id");
    e.period = PeriodOf(options_.period, absl::FromUnixSeconds(t));
    AddLocked(e, e.ucu, /*reserved=*/true);
    uint64_t n = 0;
    if (id.size() > 1 && id[0] == 'r' && absl::SimpleAtoi(id.substr(1), &n)) {
      next_id_ = std::max(next_id_, n + 1);
    }
    entries_.emplace(id, std::move(e));
    return absl::OkStatus();
  }
  if (op == "bind") {
    auto it = entries_.find(id);
    const std::string run = str("run");
    if (it == entries_.end() || run.empty()) return corrupt("bad bind record");
    Entry& e = it->second;
    if (e.state != State::kReserved || !e.run_id.empty() ||
        run_to_entry_.contains(run)) {
      return corrupt("bind of a reservation not open");
    }
    int64_t ucu = e.ucu;
    if (num("ucu", &ucu) && ucu > e.ucu) {
      AddLocked(e, ucu - e.ucu, /*reserved=*/true);
      e.ucu = ucu;
    }
    e.run_id = run;
    run_to_entry_[run] = id;
    return absl::OkStatus();
  }
  if (op == "release") {
    auto it = entries_.find(id);
    if (it == entries_.end()) return corrupt("release of an unknown reservation");
    Entry& e = it->second;
    if (e.state != State::kReserved) return corrupt("release of a closed entry");
    AddLocked(e, -e.ucu, /*reserved=*/true);
    e.ucu = 0;
    e.state = State::kReleased;
    return absl::OkStatus();
  }
  if (op == "charge") {
    const std::string run = str("run");
    int64_t ucu = 0;
    if (run.empty() || !num("ucu", &ucu) || ucu < 0) {
      return corrupt("bad charge record");
    }
    auto it = entries_.find(id);
    if (it == entries_.end()) {
      // A run vaultd never reserved: charged in the period it was observed.
      Entry e;
      e.caller = str("caller");
      int64_t t = 0;
      if (e.caller.empty() || !num("t", &t) || run_to_entry_.contains(run)) {
        return corrupt("bad charge record");
      }
      e.period = PeriodOf(options_.period, absl::FromUnixSeconds(t));
      e.ucu = ucu;
      e.state = State::kCharged;
      e.run_id = run;
      AddLocked(e, ucu, /*reserved=*/false);
      run_to_entry_[run] = id;
      entries_.emplace(id, std::move(e));
      return absl::OkStatus();
    }
    Entry& e = it->second;
    if (e.state != State::kReserved || e.run_id != run) {
      return corrupt("charge of an entry not bound to that run");
    }
    AddLocked(e, -e.ucu, /*reserved=*/true);
    AddLocked(e, ucu, /*reserved=*/false);
    e.ucu = ucu;
    e.state = State::kCharged;
    return absl::OkStatus();
  }
  return corrupt("unknown op");
}

void SpendController::UndoPartialAppendLocked() {
  // Cut a partial record so the ledger stays line-aligned. If even that
  // fails, Open() will discard the torn tail after a restart.
  if (::ftruncate(fd_, static_cast<off_t>(file_size_)) != 0) return;
}

absl::Status SpendController::AppendLocked(const std::string& line) {
  const std::string record = line + "\n";
  size_t done = 0;
  while (done < record.size()) {
    ssize_t n = ::write(fd_, record.data() + done, record.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status error = Errno("write", options_.ledger_path);
      UndoPartialAppendLocked();
      return error;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd_) != 0) {
    absl::Status error = Errno("fsync", options_.ledger_path);
    UndoPartialAppendLocked();
    return error;
  }
  file_size_ += record.size();
  return absl::OkStatus();
}

absl::StatusOr<std::string> SpendController::CheckAndReserve(
    absl::string_view caller, double estimate, const CallerLimits& limits) {
  if (absl::Status s = ValidKey("caller", caller); !s.ok()) return s;
  if (!ValidCu(estimate)) {
    return absl::InvalidArgumentError(
        "spend: the price estimate must be a finite number between 0 and 1e12");
  }
  for (const std::optional<double>& limit :
       {limits.per_run_cap, limits.period_budget}) {
    if (limit && !ValidCu(*limit)) {
      return absl::InvalidArgumentError(
          "spend: the caller's cap and budget must be finite numbers between "
          "0 and 1e12");
    }
  }
  const double per_run_cap =
      limits.per_run_cap.value_or(options_.per_run_cap);
  const double caller_budget =
      limits.period_budget.value_or(options_.caller_period_budget);
  const int64_t ucu = ToMicro(estimate);
  const absl::Time now = clock_->Now();
  const int64_t period = PeriodOf(options_.period, now);
  const std::string period_name = PeriodName(options_.period, period);

  absl::MutexLock lock(&mu_);
  if (per_run_cap > 0 && ucu > ToMicro(per_run_cap)) {
    return common::TypedError(
        absl::StatusCode::kResourceExhausted, "vault", "RUN_CAP_EXCEEDED",
        absl::StrCat("this run is estimated at ", FormatCu(ucu),
                     " CU, above the per-run cap of ",
                     FormatCu(ToMicro(per_run_cap)), " CU"));
  }
  auto check = [&](double budget, int64_t spent,
                   absl::string_view whose) -> absl::Status {
    if (budget <= 0) return absl::OkStatus();
    const int64_t limit = ToMicro(budget);
    if (spent + ucu <= limit) return absl::OkStatus();
    return common::TypedError(
        absl::StatusCode::kResourceExhausted, "vault", "BUDGET_EXCEEDED",
        absl::StrCat("this run (estimated at ", FormatCu(ucu),
                     " CU) would exceed ", whose, " budget for ", period_name,
                     " (UTC): ", FormatCu(spent), " of ", FormatCu(limit),
                     " CU used, ", FormatCu(std::max<int64_t>(0, limit - spent)),
                     " CU remaining"));
  };
  const CallerPeriod key{period, std::string(caller)};
  auto spent_it = caller_spent_.find(key);
  const int64_t caller_spent = spent_it == caller_spent_.end() ? 0 : spent_it->second;
  auto total_it = total_spent_.find(period);
  const int64_t total_spent = total_it == total_spent_.end() ? 0 : total_it->second;
  if (absl::Status s = check(caller_budget, caller_spent,
                             absl::StrCat("caller ", caller, "'s"));
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          check(options_.total_period_budget, total_spent, "the vault-wide");
      !s.ok()) {
    return s;
  }
  const std::string id = absl::StrCat("r", next_id_);
  const std::string line = json{{"v", 1},
                                {"op", "reserve"},
                                {"id", id},
                                {"caller", std::string(caller)},
                                {"ucu", ucu},
                                {"t", absl::ToUnixSeconds(now)}}
                               .dump();
  if (absl::Status s = AppendLocked(line); !s.ok()) return s;
  if (absl::Status s = ApplyLocked(line, 0); !s.ok()) {
    return absl::InternalError(s.message());
  }
  return id;
}

absl::Status SpendController::BindRun(absl::string_view reservation_id,
                                      absl::string_view run_id,
                                      std::optional<double> revised_estimate) {
  if (absl::Status s = ValidKey("run id", run_id); !s.ok()) return s;
  if (revised_estimate && !ValidCu(*revised_estimate)) {
    return absl::InvalidArgumentError("spend: bad revised estimate");
  }
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(reservation_id);
  if (it == entries_.end()) {
    return absl::NotFoundError(
        absl::StrCat("spend: no reservation ", reservation_id));
  }
  const Entry& e = it->second;
  if (e.state != State::kReserved || !e.run_id.empty()) {
    if (e.run_id == run_id) return absl::OkStatus();  // replay
    return absl::FailedPreconditionError(
        absl::StrCat("spend: reservation ", reservation_id, " is not open"));
  }
  if (run_to_entry_.contains(run_id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("spend: run ", run_id, " is already recorded"));
  }
  json record{{"v", 1},
              {"op", "bind"},
              {"id", std::string(reservation_id)},
              {"run", std::string(run_id)}};
  if (revised_estimate && ToMicro(*revised_estimate) > e.ucu) {
    record["ucu"] = ToMicro(*revised_estimate);
  }
  const std::string line = record.dump();
  if (absl::Status s = AppendLocked(line); !s.ok()) return s;
  if (absl::Status s = ApplyLocked(line, 0); !s.ok()) {
    return absl::InternalError(s.message());
  }
  return absl::OkStatus();
}

absl::Status SpendController::Release(absl::string_view reservation_id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(reservation_id);
  if (it == entries_.end()) {
    return absl::NotFoundError(
        absl::StrCat("spend: no reservation ", reservation_id));
  }
  if (it->second.state == State::kReleased) return absl::OkStatus();
  if (it->second.state != State::kReserved || !it->second.run_id.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "spend: reservation ", reservation_id, " belongs to a started run"));
  }
  const std::string line =
      json{{"v", 1}, {"op", "release"}, {"id", std::string(reservation_id)}}
          .dump();
  if (absl::Status s = AppendLocked(line); !s.ok()) return s;
  if (absl::Status s = ApplyLocked(line, 0); !s.ok()) {
    return absl::InternalError(s.message());
  }
  return absl::OkStatus();
}

absl::Status SpendController::RecordCharge(absl::string_view caller,
                                           absl::string_view run_id,
                                           std::optional<double> actual) {
  if (absl::Status s = ValidKey("caller", caller); !s.ok()) return s;
  if (absl::Status s = ValidKey("run id", run_id); !s.ok()) return s;
  if (actual && !ValidCu(*actual)) {
    return absl::InvalidArgumentError(
        "spend: the charge must be a finite number between 0 and 1e12");
  }
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  json record{{"v", 1}, {"op", "charge"}, {"run", std::string(run_id)}};
  auto run_it = run_to_entry_.find(run_id);
  if (run_it != run_to_entry_.end()) {
    const Entry& e = entries_.at(run_it->second);
    if (e.state == State::kCharged) return absl::OkStatus();  // replay
    record["id"] = run_it->second;
    record["ucu"] = actual ? ToMicro(*actual) : e.ucu;
  } else if (!actual) {
    return absl::OkStatus();  // nothing reserved, nothing known
  } else {
    record["ucu"] = ToMicro(*actual);
    record["id"] = absl::StrCat("run:", run_id);
    record["caller"] = std::string(caller);
    record["t"] = absl::ToUnixSeconds(now);
  }
  const std::string line = record.dump();
  if (absl::Status s = AppendLocked(line); !s.ok()) return s;
  if (absl::Status s = ApplyLocked(line, 0); !s.ok()) {
    return absl::InternalError(s.message());
  }
  return absl::OkStatus();
}

SpendSummary SpendController::Summary(absl::string_view caller,
                                      const CallerLimits& limits) const {
  const int64_t period = PeriodOf(options_.period, clock_->Now());
  SpendSummary s;
  s.period = options_.period;
  s.period_start = absl::FromUnixSeconds(period);
  s.period_end = PeriodEnd(options_.period, period);
  s.per_run_cap = Effective(limits.per_run_cap, options_.per_run_cap);
  s.caller_budget = Effective(limits.period_budget, options_.caller_period_budget);
  s.total_budget = options_.total_period_budget;
  absl::MutexLock lock(&mu_);
  const CallerPeriod key{period, std::string(caller)};
  int64_t caller_spent = 0, caller_reserved = 0, total_spent = 0;
  if (auto it = caller_spent_.find(key); it != caller_spent_.end()) {
    caller_spent = it->second;
  }
  if (auto it = caller_reserved_.find(key); it != caller_reserved_.end()) {
    caller_reserved = it->second;
  }
  if (auto it = total_spent_.find(period); it != total_spent_.end()) {
    total_spent = it->second;
  }
  s.caller_spent = FromMicro(caller_spent);
  s.caller_reserved = FromMicro(caller_reserved);
  s.total_spent = FromMicro(total_spent);
  std::optional<int64_t> remaining;
  if (s.caller_budget > 0) {
    remaining = ToMicro(s.caller_budget) - caller_spent;
  }
  if (s.total_budget > 0) {
    int64_t left = ToMicro(s.total_budget) - total_spent;
    remaining = remaining ? std::min(*remaining, left) : left;
  }
  if (remaining) s.remaining = FromMicro(std::max<int64_t>(0, *remaining));
  return s;
}

}  // namespace layer_vault::relay
