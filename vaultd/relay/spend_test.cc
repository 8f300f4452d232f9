#include "vaultd/relay/spend.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
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

}  // namespace
}  // namespace layer_vault::relay
