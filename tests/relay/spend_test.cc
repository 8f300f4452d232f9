// Spend control end to end: vaultd asks the fake Layer.ai for the price of
// a run before sending it, refuses runs above the per-run cap or beyond the
// period budget (RESOURCE_EXHAUSTED, a clear message, and nothing sent to
// Layer.ai), keeps the budget across a restart through its ledger, and
// cannot be pushed over the budget by concurrent callers.
//
// Prices in the fake: model ...aa costs 0.2 CU per image (batch_size).

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/relay/relay_test_base.h"

namespace layer_vault::tests::relay {
namespace {

using ::nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const std::string& InferencesPath() {
  static const auto* path =
      new std::string(absl::StrCat("/v1/workspaces/", kStudio, "/inferences"));
  return *path;
}

json Execute(int batch_size) {
  return {{"workspace_id", kStudio},
          {"body",
           {{"model_id", kImageFast},
            {"prompt", "stone tower"},
            {"batch_size", batch_size}}}};
}

class SpendTest : public ::testing::Test {
 protected:
  // Starts the fake and vaultd with a monthly budget of `per_period` CU
  // and a cap of `per_run` CU per run (0: no limit).
  void StartWithBudget(double per_period, double per_run,
                       json rule_budget = nullptr) {
    RelayEnvOptions options;
    options.policy = PolicyForSelf(
        AllScopes(), {{"budget",
                       {{"period", "month"},
                        {"creative_units_per_period", per_period},
                        {"max_creative_units_per_run", per_run}}}});
    if (!rule_budget.is_null()) options.policy["rules"][0]["budget"] = rule_budget;
    auto env = RelayEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    auto client = env_->Client();
    RELAY_ASSERT_OK(client);
    client_ = *std::move(client);
  }

  void TearDown() override {
    if (env_ != nullptr) {
      EXPECT_THAT(env_->FindLeaks(), ::testing::IsEmpty());
      client_.reset();  // an idle connection holds vaultd's shutdown back
      RELAY_EXPECT_OK(env_->vaultd().Stop());
    }
  }

  size_t ExecutesSent() {
    return env_->Recorded("POST", InferencesPath()).size();
  }

  // Polls run `id` until Layer.ai reports it finished (vaultd records the
  // charge when it sees that).
  void Finish(const std::string& id) {
    auto run = client_->Call("inferences.get",
                             {{"workspace_id", kStudio}, {"inference_id", id}});
    RELAY_ASSERT_OK(run);
    ASSERT_NE((*run)["status"], "in_progress") << run->dump();
  }

  std::unique_ptr<RelayEnv> env_;
  std::unique_ptr<client::VaultClient> client_;
};

TEST_F(SpendTest, RunAboveThePerRunCapIsRefusedBeforeItIsSent) {
  StartWithBudget(/*per_period=*/100, /*per_run=*/0.5);
  auto ok = client_->CallDetailed("inferences.execute", Execute(2));  // 0.4
  RELAY_ASSERT_OK(ok);
  EXPECT_NEAR(ok->creative_units_charged, 0.4, 1e-9);

  auto refused = client_->Call("inferences.execute", Execute(3));  // 0.6
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted)
      << refused.status();
  EXPECT_EQ(TypeOf(refused.status()), "[vault:RUN_CAP_EXCEEDED]");
  EXPECT_THAT(refused.status().message(),
              AllOf(HasSubstr("0.6 CU"), HasSubstr("per-run cap of 0.5 CU")));
  // The estimate was asked for; the run itself never left vaultd.
  EXPECT_EQ(ExecutesSent(), 1u);
  EXPECT_THAT(env_->Recorded("POST", InferencesPath() + "/estimate"), SizeIs(2));
}

TEST_F(SpendTest, PolicyRuleOverridesTheGlobalCap) {
  StartWithBudget(/*per_period=*/100, /*per_run=*/10,
                  json{{"max_creative_units_per_run", 0.3}});
  auto refused = client_->Call("inferences.execute", Execute(2));  // 0.4
  EXPECT_EQ(TypeOf(refused.status()), "[vault:RUN_CAP_EXCEEDED]")
      << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("0.3 CU"));
  EXPECT_EQ(ExecutesSent(), 0u);
  auto spend = client_->GetSpend();
  RELAY_ASSERT_OK(spend);
  EXPECT_DOUBLE_EQ(spend->per_run_cap, 0.3);
  EXPECT_DOUBLE_EQ(spend->period_budget, 100);
}

TEST_F(SpendTest, PeriodBudgetHoldsAcrossARestart) {
  StartWithBudget(/*per_period=*/1.0, /*per_run=*/0);
  std::vector<std::string> runs;
  for (int i = 0; i < 2; ++i) {
    auto run = client_->Call("inferences.execute", Execute(2));  // 0.4 each
    RELAY_ASSERT_OK(run);
    runs.push_back((*run)["inference_id"]);
  }
  Finish(runs[0]);  // charged 0.4; runs[1] stays reserved

  auto refused = client_->Call("inferences.execute", Execute(2));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted)
      << refused.status();
  EXPECT_EQ(TypeOf(refused.status()), "[vault:BUDGET_EXCEEDED]");
  EXPECT_THAT(refused.status().message(),
              AllOf(HasSubstr("0.8 of 1 CU"), HasSubstr("budget")));
  EXPECT_EQ(ExecutesSent(), 2u);

  // A smaller run still fits.
  auto small = client_->Call("inferences.execute", Execute(1));  // 0.2
  RELAY_ASSERT_OK(small);
  EXPECT_EQ(ExecutesSent(), 3u);

  // After a restart the ledger still counts 1.0 CU.
  client_.reset();  // an idle connection holds vaultd's shutdown back
  RELAY_ASSERT_OK(env_->vaultd().Restart());
  auto client = env_->Client();
  RELAY_ASSERT_OK(client);
  client_ = *std::move(client);
  auto spend = client_->GetSpend();
  RELAY_ASSERT_OK(spend);
  EXPECT_NEAR(spend->period_spent, 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(spend->period_budget, 1.0);
  refused = client_->Call("inferences.execute", Execute(1));
  EXPECT_EQ(TypeOf(refused.status()), "[vault:BUDGET_EXCEEDED]")
      << refused.status();
  EXPECT_EQ(ExecutesSent(), 3u);

  // Admin Status shows the vault-wide spend too.
  auto admin = env_->Admin();
  RELAY_ASSERT_OK(admin);
  auto status = (*admin)->Status();
  RELAY_ASSERT_OK(status);
  EXPECT_NEAR(status->spend().period_spent(), 1.0, 1e-9);
}

TEST_F(SpendTest, FailedRunsGiveTheirReservationBack) {
  StartWithBudget(/*per_period=*/0.4, /*per_run=*/0);
  RELAY_ASSERT_OK(env_->fake().Control(
      {{"action", "script_runs"},
       {"outcomes", {{{"status", "failed"}, {"error_code", "NSFW"}}}}}));
  auto run = client_->Call("inferences.execute", Execute(2));
  RELAY_ASSERT_OK(run);
  auto refused = client_->Call("inferences.execute", Execute(2));
  EXPECT_EQ(TypeOf(refused.status()), "[vault:BUDGET_EXCEEDED]")
      << refused.status();

  Finish((*run)["inference_id"]);  // failed: Layer.ai charges nothing
  auto spend = client_->GetSpend();
  RELAY_ASSERT_OK(spend);
  EXPECT_NEAR(spend->period_spent, 0, 1e-9);
  auto again = client_->Call("inferences.execute", Execute(2));
  RELAY_ASSERT_OK(again);
  EXPECT_EQ(ExecutesSent(), 2u);
}

TEST_F(SpendTest, ConcurrentRunsCannotJointlyExceedTheBudget) {
  StartWithBudget(/*per_period=*/1.0, /*per_run=*/0);
  constexpr int kCallers = 16;
  std::vector<std::unique_ptr<client::VaultClient>> clients;
  for (int i = 0; i < kCallers; ++i) {
    auto c = env_->Client();
    RELAY_ASSERT_OK(c);
    RELAY_ASSERT_OK((*c)->IssueToken());
    clients.push_back(*std::move(c));
  }
  std::atomic<int> started{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      auto run = clients[i]->Call("inferences.execute", Execute(1));  // 0.2
      if (run.ok()) {
        ++started;
      } else if (TypeOf(run.status()) == "[vault:BUDGET_EXCEEDED]") {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(started.load(), 5);  // 5 x 0.2 = 1.0
  EXPECT_EQ(refused.load(), kCallers - 5);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ExecutesSent(), 5u);
  auto spend = client_->GetSpend();
  RELAY_ASSERT_OK(spend);
  EXPECT_NEAR(spend->period_spent, 1.0, 1e-9);
}

}  // namespace
}  // namespace layer_vault::tests::relay
