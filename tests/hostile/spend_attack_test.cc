// Attempts to get past vaultd's Creative Unit budget: splitting a spend into
// many small runs, moving it to another workspace, operation, token or
// connection, replaying the same execute or the same finished run, and
// racing the budget from many threads. The budget must hold exactly: what
// vaultd counts (GetSpend), what the fake Layer.ai reserved or charged, and
// the runs it received never exceed it, and vaultd's count equals the
// fake's (no double count, no under-count).
//
// Extends tests/relay/spend_test.cc (per-run cap, restart, failed runs, 16
// equal concurrent runs). Prices in the fake: model ...aa costs 0.2 CU per
// image (batch_size).

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/hostile/hostile_env.h"
#include "tests/relay/relay_test_base.h"

namespace layer_vault::tests::hostile {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using relay::kIconSet;
using relay::kImageFast;
using relay::kSideProject;
using relay::kStudio;
using relay::TypeOf;

constexpr char kBudgetExceeded[] = "[vault:BUDGET_EXCEEDED]";

json Execute(int batch_size, const std::string& workspace = kStudio) {
  return {{"workspace_id", workspace},
          {"body",
           {{"model_id", kImageFast},
            {"prompt", "stone tower"},
            {"batch_size", batch_size}}}};
}

class SpendAttackTest : public ::testing::Test {
 protected:
  // The fake and vaultd with a monthly budget of `budget` CU per caller
  // and no per-run cap.
  void StartWithBudget(double budget) {
    relay::RelayEnvOptions options;
    options.policy = relay::PolicyForSelf(
        relay::AllScopes(), {{"budget",
                              {{"period", "month"},
                               {"creative_units_per_period", budget},
                               {"max_creative_units_per_run", 0}}}});
    auto env = relay::RelayEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    auto client = env_->Client();
    RELAY_ASSERT_OK(client);
    client_ = *std::move(client);
    budget_ = budget;
  }

  void TearDown() override {
    if (env_ == nullptr) return;
    EXPECT_THAT(env_->FindLeaks(), ::testing::IsEmpty());
    client_.reset();  // an idle connection holds vaultd's shutdown back
    RELAY_EXPECT_OK(env_->vaultd().Stop());
  }

  size_t ExecutesSent() {
    size_t n = 0;
    for (const json& r : env_->Recorded("POST")) {
      const std::string path = r.value("path", "");
      if (path.size() > 11 && path.substr(path.size() - 11) == "/inferences") ++n;
      if (path.size() > 5 && path.substr(path.size() - 5) == "/runs") ++n;
    }
    return n;
  }

  // vaultd's count equals the fake's and neither exceeds the budget.
  void ExpectBudgetHeld() {
    auto state = Observe(*env_, *client_);
    ASSERT_TRUE(state.ok()) << state.status();
    EXPECT_LE(state->period_spent, budget_ + 1e-9);
    EXPECT_LE(state->fake_spent, budget_ + 1e-9);
    EXPECT_NEAR(state->period_spent, state->fake_spent, 1e-9);
  }

  std::unique_ptr<relay::RelayEnv> env_;
  std::unique_ptr<client::VaultClient> client_;
  double budget_ = 0;
};

// One way around an exhausted budget, and the refusal it must get.
struct Bypass {
  std::string name;
  std::string operation;
  json params;
  // Another client (a new connection and token) instead of the usual one.
  bool fresh_client = false;
};

TEST_F(SpendAttackTest, SplitRunsStopAtTheBudgetAndNoDetourGetsPast) {
  StartWithBudget(1.0);
  // Runs of 0.2 CU: the sixth would cross 1.0.
  std::vector<std::string> runs;
  for (int i = 0; i < 5; ++i) {
    auto run = client_->Call("inferences.execute", Execute(1));
    RELAY_ASSERT_OK(run);
    runs.push_back((*run)["inference_id"]);
  }
  auto crossing = client_->Call("inferences.execute", Execute(1));
  EXPECT_EQ(crossing.status().code(), absl::StatusCode::kResourceExhausted)
      << crossing.status();
  EXPECT_EQ(TypeOf(crossing.status()), kBudgetExceeded);
  EXPECT_THAT(crossing.status().message(), HasSubstr("1 CU"));
  // Finishing the runs turns reservations into charges, not refunds.
  for (const std::string& id : runs) {
    RELAY_ASSERT_OK(client_->Call("inferences.get",
                                  {{"workspace_id", kStudio}, {"inference_id", id}}));
  }
  const size_t sent = ExecutesSent();
  EXPECT_EQ(sent, 5u);

  const std::vector<Bypass> rows = {
      {"same run again", "inferences.execute", Execute(1)},
      {"smallest run", "inferences.execute", Execute(1)},
      {"another workspace", "inferences.execute", Execute(1, kSideProject)},
      {"a workflow instead", "workflows.execute",
       {{"workspace_id", kStudio},
        {"workflow_id", kIconSet},
        {"body", {{"inputs", {{"prompt", "x"}}}}}}},
      {"a new token and connection", "inferences.execute", Execute(1), true},
  };
  for (const Bypass& row : rows) {
    SCOPED_TRACE(row.name);
    std::unique_ptr<client::VaultClient> fresh;
    client::VaultClient* c = client_.get();
    if (row.fresh_client) {
      auto made = env_->Client();
      RELAY_ASSERT_OK(made);
      fresh = *std::move(made);
      c = fresh.get();
    }
    auto refused = c->Call(row.operation, row.params);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted)
        << refused.status();
    EXPECT_EQ(TypeOf(refused.status()), kBudgetExceeded) << refused.status();
    EXPECT_EQ(ExecutesSent(), sent);
  }
  // Free operations still work: the budget blocks spending, not reading.
  RELAY_EXPECT_OK(client_->Call("inferences.estimate", Execute(1)));
  ExpectBudgetHeld();
}

TEST_F(SpendAttackTest, ReplayedExecutesAndPollsAreCountedOnce) {
  StartWithBudget(1.0);
  // The same execute, byte for byte, eight times: each is a new run at
  // Layer.ai and is counted; the budget stops the sixth.
  int started = 0, refused = 0;
  std::vector<std::string> runs;
  for (int i = 0; i < 8; ++i) {
    auto run = client_->Call("inferences.execute", Execute(1));
    if (run.ok()) {
      ++started;
      runs.push_back((*run)["inference_id"]);
    } else {
      EXPECT_EQ(TypeOf(run.status()), kBudgetExceeded) << run.status();
      ++refused;
    }
  }
  EXPECT_EQ(started, 5);
  EXPECT_EQ(refused, 3);
  // Polling a finished run again, many times, does not charge it again.
  for (int i = 0; i < 4; ++i) {
    for (const std::string& id : runs) {
      RELAY_ASSERT_OK(client_->Call(
          "inferences.get", {{"workspace_id", kStudio}, {"inference_id", id}}));
    }
    auto spend = client_->GetSpend();
    RELAY_ASSERT_OK(spend);
    EXPECT_NEAR(spend->period_spent, 1.0, 1e-9);
  }
  // Nor does polling it through another workspace's path.
  auto other = client_->Call("inferences.get", {{"workspace_id", kSideProject},
                                                {"inference_id", runs[0]}});
  (void)other;  // the fake may refuse it; what matters is the count
  ExpectBudgetHeld();
  EXPECT_EQ(ExecutesSent(), 5u);
}

TEST_F(SpendAttackTest, RacingUnequalRunsNeverOverspend) {
  StartWithBudget(1.0);
  constexpr int kThreads = 24;
  std::vector<std::unique_ptr<client::VaultClient>> clients;
  for (int i = 0; i < kThreads; ++i) {
    auto c = env_->Client();
    RELAY_ASSERT_OK(c);
    RELAY_ASSERT_OK((*c)->IssueToken());
    clients.push_back(*std::move(c));
  }
  std::atomic<int> go{0}, other{0};
  std::atomic<int64_t> started_micro_cu{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (go.load() == 0) std::this_thread::yield();
      const int batch = i % 3 + 1;  // 0.2, 0.4 or 0.6 CU
      auto run = clients[i]->Call("inferences.execute", Execute(batch));
      if (run.ok()) {
        started_micro_cu += 200000 * batch;
      } else if (TypeOf(run.status()) != kBudgetExceeded) {
        ++other;
      }
      // Reads race the reservations too.
      (void)clients[i]->GetSpend();
    });
  }
  go = 1;
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_LE(started_micro_cu.load(), 1000000);
  EXPECT_GT(started_micro_cu.load(), 0);
  ExpectBudgetHeld();
  auto spend = client_->GetSpend();
  RELAY_ASSERT_OK(spend);
  EXPECT_NEAR(spend->period_spent, started_micro_cu.load() / 1e6, 1e-9);
}

}  // namespace
}  // namespace layer_vault::tests::hostile
