#include "vaultd/relay/spend.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/fake_clock.h"
#include "common/typed_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::relay {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void AppendRaw(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << data;
}

class SpendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string tmpl = absl::StrCat(tmp ? tmp : "/tmp", "/spendXXXXXX");
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    options_.ledger_path = dir_ + "/ledger.jsonl";
    options_.per_run_cap = 20;
    options_.caller_period_budget = 100;
    options_.total_period_budget = 0;
  }

  std::unique_ptr<SpendController> Open() {
    auto spend = SpendController::Open(options_, &clock_);
    EXPECT_TRUE(spend.ok()) << spend.status();
    return spend.ok() ? *std::move(spend) : nullptr;
  }

  std::string dir_;
  SpendOptions options_;
  common::FakeClock clock_{absl::FromUnixSeconds(1767225600)};  // 2026-01-01
};

TEST_F(SpendTest, ReservesWithinCaps) {
  auto spend = Open();
  auto id = spend->CheckAndReserve("1000", 12.5);
  ASSERT_TRUE(id.ok()) << id.status();
  SpendSummary s = spend->Summary("1000");
  EXPECT_DOUBLE_EQ(s.caller_spent, 12.5);
  EXPECT_DOUBLE_EQ(s.caller_reserved, 12.5);
  EXPECT_DOUBLE_EQ(*s.remaining, 87.5);
  EXPECT_EQ(s.period_start, absl::FromUnixSeconds(1767225600));
  EXPECT_EQ(s.period_end, absl::FromCivil(absl::CivilMonth(2026, 2),
                                          absl::UTCTimeZone()));
  EXPECT_DOUBLE_EQ(spend->Summary("1001").caller_spent, 0);
}

TEST_F(SpendTest, PerRunCapRefusesWithClearMessage) {
  auto spend = Open();
  auto id = spend->CheckAndReserve("1000", 34);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(common::ErrorTypeOf(id.status())->type, "RUN_CAP_EXCEEDED");
  EXPECT_THAT(id.status().message(),
              HasSubstr("estimated at 34 CU, above the per-run cap of 20 CU"));
  EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_spent, 0);
}

TEST_F(SpendTest, CallerBudgetRefusesWithUsedAndRemaining) {
  auto spend = Open();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(spend->CheckAndReserve("1000", 20).ok());
  ASSERT_TRUE(spend->CheckAndReserve("1000", 15.5).ok());
  auto id = spend->CheckAndReserve("1000", 5);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(common::ErrorTypeOf(id.status())->type, "BUDGET_EXCEEDED");
  EXPECT_THAT(id.status().message(),
              HasSubstr("caller 1000's budget for 2026-01 (UTC): 95.5 of 100 CU "
                        "used, 4.5 CU remaining"));
  EXPECT_TRUE(spend->CheckAndReserve("1000", 4.5).ok());  // exactly fits
  EXPECT_TRUE(spend->CheckAndReserve("1001", 20).ok());   // other caller
}

TEST_F(SpendTest, TotalBudgetSpansCallers) {
  options_.caller_period_budget = 0;
  options_.total_period_budget = 30;
  auto spend = Open();
  ASSERT_TRUE(spend->CheckAndReserve("a", 20).ok());
  auto id = spend->CheckAndReserve("b", 15);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(id.status().message(), HasSubstr("the vault-wide budget"));
  EXPECT_DOUBLE_EQ(*spend->Summary("b").remaining, 10);
}

TEST_F(SpendTest, ZeroMeansNoLimit) {
  options_.per_run_cap = 0;
  options_.caller_period_budget = 0;
  auto spend = Open();
  EXPECT_TRUE(spend->CheckAndReserve("a", 1e9).ok());
  EXPECT_FALSE(spend->Summary("a").remaining.has_value());
}

TEST_F(SpendTest, FractionalSumsAreExact) {
  options_.caller_period_budget = 2;
  auto spend = Open();
  ASSERT_TRUE(spend->CheckAndReserve("a", 0.6).ok());
  ASSERT_TRUE(spend->CheckAndReserve("a", 1.4).ok());  // 0.6 + 1.4 == 2
  EXPECT_FALSE(spend->CheckAndReserve("a", 0.000001).ok());
  EXPECT_TRUE(spend->CheckAndReserve("a", 0).ok());
}

TEST_F(SpendTest, RejectsBadInput) {
  auto spend = Open();
  EXPECT_EQ(spend->CheckAndReserve("", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(spend->CheckAndReserve("a\n", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(spend->CheckAndReserve("a", -1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(spend->CheckAndReserve("a", std::nan("")).status().code(),
            absl::StatusCode::kInvalidArgument);
  SpendOptions bad = options_;
  bad.per_run_cap = -1;
  EXPECT_EQ(SpendController::Open(bad, &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SpendTest, ChargeReplacesReservationAndIsIdempotent) {
  auto spend = Open();
  auto id = spend->CheckAndReserve("1000", 10);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(spend->BindRun(*id, "run-1").ok());
  EXPECT_TRUE(spend->BindRun(*id, "run-1").ok());  // replay
  EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_spent, 10);
  ASSERT_TRUE(spend->RecordCharge("1000", "run-1", 4).ok());
  EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_spent, 4);
  EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_reserved, 0);
  // Polling the finished run again does not double count.
  ASSERT_TRUE(spend->RecordCharge("1000", "run-1", 4).ok());
  ASSERT_TRUE(spend->RecordCharge("1000", "run-1", 9).ok());
  EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_spent, 4);
}

TEST_F(SpendTest, ChargeStaysWithTheReservingCaller) {
  auto spend = Open();
  auto id = spend->CheckAndReserve("1000", 10);
  ASSERT_TRUE(spend->BindRun(*id, "run-1").ok());
  ASSERT_TRUE(spend->RecordCharge("2000", "run-1", 3).ok());
  EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_spent, 3);
  EXPECT_DOUBLE_EQ(spend->Summary("2000").caller_spent, 0);
}

TEST_F(SpendTest, UnknownChargeFinalizesTheReservation) {
  auto spend = Open();
  auto id = spend->CheckAndReserve("1000", 10);
  ASSERT_TRUE(spend->BindRun(*id, "run-1", 12).ok());
  ASSERT_TRUE(spend->RecordCharge("1000", "run-1", std::nullopt).ok());
  SpendSummary s = spend->Summary("1000");
  EXPECT_DOUBLE_EQ(s.caller_spent, 12);
  EXPECT_DOUBLE_EQ(s.caller_reserved, 0);
  ASSERT_TRUE(spend->RecordCharge("1000", "run-1", 1).ok());  // already final
  EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_spent, 12);
  // A run never reserved with an unknown charge records nothing.
  ASSERT_TRUE(spend->RecordCharge("1000", "run-2", std::nullopt).ok());
  EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_spent, 12);
}

TEST_F(SpendTest, UnreservedRunIsChargedToCaller) {
  auto spend = Open();
  ASSERT_TRUE(spend->RecordCharge("1000", "run-x", 2.5).ok());
  ASSERT_TRUE(spend->RecordCharge("1000", "run-x", 2.5).ok());
  EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_spent, 2.5);
}

TEST_F(SpendTest, RevisedEstimateOnlyGrows) {
  auto spend = Open();
  auto a = spend->CheckAndReserve("u", 5);
  ASSERT_TRUE(spend->BindRun(*a, "ra", 8).ok());
  auto b = spend->CheckAndReserve("u", 5);
  ASSERT_TRUE(spend->BindRun(*b, "rb", 1).ok());
  EXPECT_DOUBLE_EQ(spend->Summary("u").caller_spent, 13);
}

TEST_F(SpendTest, ReleaseAndBindRules) {
  auto spend = Open();
  auto a = spend->CheckAndReserve("u", 5);
  ASSERT_TRUE(spend->Release(*a).ok());
  EXPECT_TRUE(spend->Release(*a).ok());
  EXPECT_DOUBLE_EQ(spend->Summary("u").caller_spent, 0);
  EXPECT_EQ(spend->BindRun(*a, "r").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(spend->Release("r999").code(), absl::StatusCode::kNotFound);
  auto b = spend->CheckAndReserve("u", 5);
  ASSERT_TRUE(spend->BindRun(*b, "run-b").ok());
  EXPECT_EQ(spend->Release(*b).code(), absl::StatusCode::kFailedPrecondition);
  auto c = spend->CheckAndReserve("u", 5);
  EXPECT_EQ(spend->BindRun(*c, "run-b").code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(SpendTest, SurvivesRestart) {
  std::string id;
  {
    auto spend = Open();
    auto a = spend->CheckAndReserve("1000", 7.25);
    ASSERT_TRUE(spend->BindRun(*a, "run-a").ok());
    ASSERT_TRUE(spend->RecordCharge("1000", "run-a", 3).ok());
    auto b = spend->CheckAndReserve("1000", 11);
    auto c = spend->CheckAndReserve("1000", 1);
    ASSERT_TRUE(spend->Release(*c).ok());
    id = *b;
  }
  auto spend = Open();
  SpendSummary s = spend->Summary("1000");
  EXPECT_DOUBLE_EQ(s.caller_spent, 14);
  EXPECT_DOUBLE_EQ(s.caller_reserved, 11);
  // The charge of run-a is not counted twice after restart.
  ASSERT_TRUE(spend->RecordCharge("1000", "run-a", 3).ok());
  EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_spent, 14);
  // New ids never reuse old ones.
  auto d = spend->CheckAndReserve("1000", 1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "r4");
  ASSERT_TRUE(spend->BindRun(id, "run-b").ok());
}

TEST_F(SpendTest, LedgerIsPrivateAppendOnlyJsonLines) {
  {
    auto spend = Open();
    ASSERT_TRUE(spend->CheckAndReserve("1000", 1).ok());
  }
  struct stat st;
  ASSERT_EQ(::stat(options_.ledger_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string data = ReadFile(options_.ledger_path);
  EXPECT_EQ(data,
            R"({"caller":"1000","id":"r1","op":"reserve","t":1767225600,"ucu":1000000,"v":1})"
            "\n");
}

TEST_F(SpendTest, TornLastLineIsDiscarded) {
  {
    auto spend = Open();
    ASSERT_TRUE(spend->CheckAndReserve("1000", 5).ok());
  }
  AppendRaw(options_.ledger_path, R"({"v":1,"op":"reserve","id":"r2","cal)");
  {
    auto spend = Open();
    EXPECT_GT(spend->torn_bytes_discarded(), 0u);
    EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_spent, 5);
    ASSERT_TRUE(spend->CheckAndReserve("1000", 1).ok());
  }
  auto spend = Open();
  EXPECT_EQ(spend->torn_bytes_discarded(), 0u);
  EXPECT_DOUBLE_EQ(spend->Summary("1000").caller_spent, 6);
}

TEST_F(SpendTest, CorruptCompleteLineIsDataLoss) {
  {
    auto spend = Open();
    ASSERT_TRUE(spend->CheckAndReserve("1000", 5).ok());
  }
  AppendRaw(options_.ledger_path, "garbage\n");
  auto spend = SpendController::Open(options_, &clock_);
  EXPECT_EQ(spend.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(spend.status().message(), HasSubstr("line 2"));
}

TEST_F(SpendTest, InconsistentRecordIsDataLoss) {
  AppendRaw(options_.ledger_path, R"({"v":1,"op":"release","id":"r7"})" "\n");
  ::chmod(options_.ledger_path.c_str(), 0600);
  auto spend = SpendController::Open(options_, &clock_);
  EXPECT_EQ(spend.status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(SpendTest, RefusesInsecurePermissions) {
  AppendRaw(options_.ledger_path, "");
  ::chmod(options_.ledger_path.c_str(), 0644);
  auto spend = SpendController::Open(options_, &clock_);
  EXPECT_EQ(spend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(spend.status().message(), HasSubstr("0644"));
}

TEST_F(SpendTest, RefusesSymlink) {
  std::string target = dir_ + "/elsewhere";
  AppendRaw(target, "");
  ::chmod(target.c_str(), 0600);
  ASSERT_EQ(::symlink(target.c_str(), options_.ledger_path.c_str()), 0);
  EXPECT_FALSE(SpendController::Open(options_, &clock_).ok());
}

TEST_F(SpendTest, SecondOpenIsRefusedWhileLocked) {
  auto spend = Open();
  auto second = SpendController::Open(options_, &clock_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("in use"));
}

TEST_F(SpendTest, BudgetResetsAtMonthStartUtc) {
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 1, 31, 23, 59, 59),
                             absl::UTCTimeZone()));
  auto spend = Open();
  ASSERT_TRUE(spend->CheckAndReserve("u", 20).ok());
  auto id = spend->CheckAndReserve("u", 20);
  ASSERT_TRUE(spend->BindRun(*id, "late-run").ok());
  clock_.Advance(absl::Seconds(1));
  SpendSummary s = spend->Summary("u");
  EXPECT_EQ(s.period_start, absl::FromCivil(absl::CivilMonth(2026, 2),
                                            absl::UTCTimeZone()));
  EXPECT_DOUBLE_EQ(s.caller_spent, 0);
  // A charge that arrives in February still counts in January.
  ASSERT_TRUE(spend->RecordCharge("u", "late-run", 1).ok());
  EXPECT_DOUBLE_EQ(spend->Summary("u").caller_spent, 0);
  clock_.Advance(-absl::Seconds(1));
  EXPECT_DOUBLE_EQ(spend->Summary("u").caller_spent, 21);
}

TEST_F(SpendTest, ConcurrentReservationsCannotExceedBudget) {
  options_.per_run_cap = 0;
  options_.caller_period_budget = 50;
  auto spend = Open();
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (spend->CheckAndReserve("shared", 1).ok()) ++granted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 50);
  EXPECT_DOUBLE_EQ(spend->Summary("shared").caller_spent, 50);
}

// The status's error type, or a description of an untyped status (so a
// wrong outcome fails the expectation instead of crashing the test).
std::string TypeOf(const absl::Status& status) {
  auto type = common::ErrorTypeOf(status);
  return type ? type->type : absl::StrCat("untyped: ", status.ToString());
}

TEST_F(SpendTest, CallerLimitsOverrideCapAndBudget) {
  // Defaults (SetUp): per-run cap 20, caller budget 100.
  CallerLimits tight;
  tight.per_run_cap = 5;
  tight.period_budget = 10;
  CallerLimits loose;
  loose.per_run_cap = 50;
  loose.period_budget = 500;
  auto spend = Open();

  auto over_cap = spend->CheckAndReserve("tight", 6, tight);
  EXPECT_EQ(TypeOf(over_cap.status()), "RUN_CAP_EXCEEDED");
  EXPECT_THAT(over_cap.status().message(),
              HasSubstr("estimated at 6 CU, above the per-run cap of 5 CU"));
  ASSERT_TRUE(spend->CheckAndReserve("tight", 5, tight).ok());
  ASSERT_TRUE(spend->CheckAndReserve("tight", 5, tight).ok());
  auto over_budget = spend->CheckAndReserve("tight", 1, tight);
  EXPECT_EQ(TypeOf(over_budget.status()), "BUDGET_EXCEEDED");
  EXPECT_THAT(over_budget.status().message(),
              HasSubstr("caller tight's budget for 2026-01 (UTC): 10 of 10 CU "
                        "used, 0 CU remaining"));
  SpendSummary t = spend->Summary("tight", tight);
  EXPECT_DOUBLE_EQ(t.per_run_cap, 5);
  EXPECT_DOUBLE_EQ(t.caller_budget, 10);
  EXPECT_DOUBLE_EQ(t.caller_spent, 10);
  EXPECT_DOUBLE_EQ(*t.remaining, 0);

  // Above the default cap and budget, within the caller's own.
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(spend->CheckAndReserve("loose", 40, loose).ok()) << i;
  }
  auto loose_over = spend->CheckAndReserve("loose", 30, loose);
  EXPECT_THAT(loose_over.status().message(),
              HasSubstr("480 of 500 CU used, 20 CU remaining"));
  SpendSummary l = spend->Summary("loose", loose);
  EXPECT_DOUBLE_EQ(l.per_run_cap, 50);
  EXPECT_DOUBLE_EQ(l.caller_budget, 500);
  EXPECT_DOUBLE_EQ(*l.remaining, 20);

  // A caller without overrides keeps the defaults.
  EXPECT_EQ(TypeOf(spend->CheckAndReserve("plain", 21).status()),
            "RUN_CAP_EXCEEDED");
  SpendSummary p = spend->Summary("plain");
  EXPECT_DOUBLE_EQ(p.per_run_cap, 20);
  EXPECT_DOUBLE_EQ(p.caller_budget, 100);
}

TEST_F(SpendTest, CallerLimitsOverrideFieldByField) {
  CallerLimits budget_only;
  budget_only.period_budget = 30;
  auto spend = Open();
  // The cap still comes from the options.
  EXPECT_FALSE(spend->CheckAndReserve("u", 21, budget_only).ok());
  ASSERT_TRUE(spend->CheckAndReserve("u", 20, budget_only).ok());
  EXPECT_FALSE(spend->CheckAndReserve("u", 11, budget_only).ok());
  SpendSummary s = spend->Summary("u", budget_only);
  EXPECT_DOUBLE_EQ(s.per_run_cap, 20);
  EXPECT_DOUBLE_EQ(s.caller_budget, 30);
  EXPECT_DOUBLE_EQ(*s.remaining, 10);
}

TEST_F(SpendTest, ZeroOverrideMeansNoLimit) {
  CallerLimits unlimited;
  unlimited.per_run_cap = 0;
  unlimited.period_budget = 0;
  auto spend = Open();
  ASSERT_TRUE(spend->CheckAndReserve("u", 1000, unlimited).ok());
  ASSERT_TRUE(spend->CheckAndReserve("u", 1000, unlimited).ok());
  EXPECT_FALSE(spend->Summary("u", unlimited).remaining.has_value());
}

TEST_F(SpendTest, TotalBudgetIgnoresCallerOverrides) {
  options_.total_period_budget = 30;
  CallerLimits loose;
  loose.per_run_cap = 100;
  loose.period_budget = 1000;
  auto spend = Open();
  ASSERT_TRUE(spend->CheckAndReserve("a", 25, loose).ok());
  auto id = spend->CheckAndReserve("a", 10, loose);
  EXPECT_EQ(TypeOf(id.status()), "BUDGET_EXCEEDED");
  EXPECT_THAT(id.status().message(), HasSubstr("the vault-wide budget"));
  SpendSummary s = spend->Summary("a", loose);
  EXPECT_DOUBLE_EQ(s.total_budget, 30);
  EXPECT_DOUBLE_EQ(*s.remaining, 5);
}

TEST_F(SpendTest, ChangedLimitsApplyToWhatWasAlreadySpent) {
  CallerLimits limits;
  limits.period_budget = 10;
  auto spend = Open();
  ASSERT_TRUE(spend->CheckAndReserve("u", 10, limits).ok());
  EXPECT_FALSE(spend->CheckAndReserve("u", 5, limits).ok());
  limits.period_budget = 15;  // e.g. a policy reload
  ASSERT_TRUE(spend->CheckAndReserve("u", 5, limits).ok());
  EXPECT_FALSE(spend->CheckAndReserve("u", 0.5, limits).ok());
  EXPECT_DOUBLE_EQ(spend->Summary("u", limits).caller_spent, 15);
}

TEST_F(SpendTest, RejectsBadCallerLimits) {
  auto spend = Open();
  for (double bad : {-1.0, std::nan(""), HUGE_VAL, 2e12}) {
    CallerLimits cap;
    cap.per_run_cap = bad;
    EXPECT_EQ(spend->CheckAndReserve("u", 1, cap).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
    CallerLimits budget;
    budget.period_budget = bad;
    EXPECT_EQ(spend->CheckAndReserve("u", 1, budget).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
    // Summary cannot fail: it shows the option instead.
    EXPECT_DOUBLE_EQ(spend->Summary("u", cap).per_run_cap, 20);
    EXPECT_DOUBLE_EQ(spend->Summary("u", budget).caller_budget, 100);
  }
  EXPECT_DOUBLE_EQ(spend->Summary("u").caller_spent, 0);
}

TEST_F(SpendTest, RejectsUnknownPeriod) {
  options_.period = static_cast<SpendPeriod>(7);
  EXPECT_EQ(SpendController::Open(options_, &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

struct PeriodCase {
  const char* label;
  SpendPeriod period;
  absl::Time last_second;  // the last second of a period
  absl::Time start;        // that period's start
  const char* name;        // that period's name in messages
  absl::Time next_end;     // the end of the period after it
};

void PrintTo(const PeriodCase& c, std::ostream* os) { *os << c.label; }

class SpendPeriodTest : public SpendTest,
                        public ::testing::WithParamInterface<PeriodCase> {};

TEST_P(SpendPeriodTest, BudgetResetsAtPeriodBoundary) {
  const PeriodCase& c = GetParam();
  options_.period = c.period;
  options_.per_run_cap = 0;
  options_.caller_period_budget = 30;
  const absl::Time next_start = c.last_second + absl::Seconds(1);

  // The whole period is one bucket: first second and last second.
  clock_.Set(c.start);
  auto spend = Open();
  ASSERT_TRUE(spend->CheckAndReserve("u", 10).ok());
  clock_.Set(c.last_second);
  auto late = spend->CheckAndReserve("u", 20);
  ASSERT_TRUE(late.ok()) << late.status();
  ASSERT_TRUE(spend->BindRun(*late, "late-run").ok());
  SpendSummary s = spend->Summary("u");
  EXPECT_EQ(s.period, c.period);
  EXPECT_EQ(s.period_start, c.start);
  EXPECT_EQ(s.period_end, next_start);
  EXPECT_DOUBLE_EQ(s.caller_spent, 30);
  auto refused = spend->CheckAndReserve("u", 1);
  EXPECT_EQ(TypeOf(refused.status()), "BUDGET_EXCEEDED");
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("caller u's budget for ", c.name,
                                     " (UTC): 30 of 30 CU used")));

  // One second later: a fresh period.
  clock_.Set(next_start);
  s = spend->Summary("u");
  EXPECT_EQ(s.period_start, next_start);
  EXPECT_EQ(s.period_end, c.next_end);
  EXPECT_DOUBLE_EQ(s.caller_spent, 0);
  ASSERT_TRUE(spend->CheckAndReserve("u", 30).ok());
  // A charge arriving in the new period stays in the period of its
  // reservation.
  ASSERT_TRUE(spend->RecordCharge("u", "late-run", 2).ok());
  EXPECT_DOUBLE_EQ(spend->Summary("u").caller_spent, 30);

  // The same buckets after a restart.
  spend.reset();
  spend = Open();
  EXPECT_DOUBLE_EQ(spend->Summary("u").caller_spent, 30);
  clock_.Set(c.last_second);
  EXPECT_DOUBLE_EQ(spend->Summary("u").caller_spent, 12);
}

INSTANTIATE_TEST_SUITE_P(
    Periods, SpendPeriodTest,
    ::testing::Values(
        PeriodCase{"Hour", SpendPeriod::kHour, Utc(2026, 12, 4, 15, 59, 59),
                   Utc(2026, 12, 4, 15), "2026-12-04T15h",
                   Utc(2026, 12, 4, 17)},
        PeriodCase{"HourAcrossYear", SpendPeriod::kHour,
                   Utc(2026, 12, 31, 23, 59, 59), Utc(2026, 12, 31, 23),
                   "2026-12-31T23h", Utc(2027, 1, 1, 1)},
        PeriodCase{"Day", SpendPeriod::kDay, Utc(2026, 12, 4, 23, 59, 59),
                   Utc(2026, 12, 4), "2026-12-04", Utc(2026, 12, 6)},
        PeriodCase{"DayLeap", SpendPeriod::kDay, Utc(2028, 2, 28, 23, 59, 59),
                   Utc(2028, 2, 28), "2028-02-28", Utc(2028, 3, 1)},
        // Weeks run Monday 00:00 to Monday 00:00 UTC.
        PeriodCase{"Week", SpendPeriod::kWeek, Utc(2026, 12, 6, 23, 59, 59),
                   Utc(2026, 11, 30), "week of 2026-11-30", Utc(2026, 12, 14)},
        PeriodCase{"WeekAcrossYear", SpendPeriod::kWeek,
                   Utc(2027, 1, 3, 23, 59, 59), Utc(2026, 12, 28),
                   "week of 2026-12-28", Utc(2027, 1, 11)},
        PeriodCase{"WeekAroundEpoch", SpendPeriod::kWeek,
                   Utc(1970, 1, 4, 23, 59, 59), Utc(1969, 12, 29),
                   "week of 1969-12-29", Utc(1970, 1, 12)},
        PeriodCase{"Month", SpendPeriod::kMonth, Utc(2026, 12, 31, 23, 59, 59),
                   Utc(2026, 12, 1), "2026-12", Utc(2027, 2, 1)},
        PeriodCase{"MonthLeapFebruary", SpendPeriod::kMonth,
                   Utc(2028, 2, 29, 23, 59, 59), Utc(2028, 2, 1), "2028-02",
                   Utc(2028, 4, 1)}),
    [](const ::testing::TestParamInfo<PeriodCase>& info) {
      return std::string(info.param.label);
    });

TEST_F(SpendTest, DefaultPeriodIsTheCalendarMonth) {
  EXPECT_EQ(SpendOptions().period, SpendPeriod::kMonth);
  auto spend = Open();
  EXPECT_EQ(spend->Summary("u").period, SpendPeriod::kMonth);
}

// A ledger written under one period setting (here: by the month-only
// version, whose record format is unchanged) is re-bucketed under another.
TEST_F(SpendTest, ChangingThePeriodRebucketsTheLedger) {
  options_.per_run_cap = 0;
  options_.caller_period_budget = 0;
  AppendRaw(options_.ledger_path,
            // Sunday 2026-11-29 23:00
            R"({"caller":"u","id":"r1","op":"reserve","t":1795993200,"ucu":1000000,"v":1})" "\n"
            // Monday 2026-11-30 09:00, bound and charged 8 of 10
            R"({"caller":"u","id":"r2","op":"reserve","t":1796029200,"ucu":10000000,"v":1})" "\n"
            R"({"id":"r2","op":"bind","run":"run-2","v":1})" "\n"
            R"({"id":"r2","op":"charge","run":"run-2","ucu":8000000,"v":1})" "\n"
            // Thursday 2026-12-03 08:00
            R"({"caller":"u","id":"r3","op":"reserve","t":1796284800,"ucu":20000000,"v":1})" "\n"
            // Friday 2026-12-04 09:15, a run vaultd never reserved
            R"({"caller":"u","id":"run:x","op":"charge","run":"x","t":1796375700,"ucu":40000000,"v":1})" "\n");
  ::chmod(options_.ledger_path.c_str(), 0600);
  const std::string before = ReadFile(options_.ledger_path);
  clock_.Set(Utc(2026, 12, 4, 9, 30));

  struct Expect {
    SpendPeriod period;
    double spent;
    absl::Time start;
  };
  for (const Expect& e : {Expect{SpendPeriod::kMonth, 60, Utc(2026, 12, 1)},
                          Expect{SpendPeriod::kWeek, 68, Utc(2026, 11, 30)},
                          Expect{SpendPeriod::kDay, 40, Utc(2026, 12, 4)},
                          Expect{SpendPeriod::kHour, 40, Utc(2026, 12, 4, 9)},
                          Expect{SpendPeriod::kMonth, 60, Utc(2026, 12, 1)}}) {
    options_.period = e.period;
    auto spend = Open();
    ASSERT_NE(spend, nullptr);
    SpendSummary s = spend->Summary("u");
    EXPECT_DOUBLE_EQ(s.caller_spent, e.spent) << static_cast<int>(e.period);
    EXPECT_EQ(s.period_start, e.start) << static_cast<int>(e.period);
  }
  // Re-bucketing only reads the ledger.
  EXPECT_EQ(ReadFile(options_.ledger_path), before);
}

}  // namespace
}  // namespace layer_vault::relay
