#include "mcp_frontend/layer_tools/price_gate.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "mcp_frontend/layer_tools/test_fakes.h"

namespace layer_vault::mcp::layer_tools {
namespace {

using testing::ContextHarness;

ElicitResult Answer(ElicitResult::Action action, nlohmann::json content = {}) {
  ElicitResult r;
  r.action = action;
  r.content = std::move(content);
  return r;
}

TEST(PriceGateTest, AtOrBelowTheThresholdNeedsNothing) {
  ContextHarness harness;
  harness.set_can_elicit(true);
  auto context = harness.MakeContext();
  for (double price : {0.0, 1.4, 20.0}) {
    absl::StatusOr<PriceDecision> d =
        ConfirmPrice(price, std::nullopt, 20, "this run", "", *context);
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->proceed) << price;
    EXPECT_EQ(d->confirmation, Confirmation::kNotNeeded);
  }
  EXPECT_TRUE(harness.elicitations().empty());
}

TEST(PriceGateTest, ConfirmPriceCoveringThePriceProceedsWithoutAsking) {
  ContextHarness harness;
  harness.set_can_elicit(true);
  auto context = harness.MakeContext();
  absl::StatusOr<PriceDecision> d =
      ConfirmPrice(25, 25.0, 20, "this run", "", *context);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->proceed);
  EXPECT_EQ(d->confirmation, Confirmation::kArgument);
  EXPECT_EQ(ConfirmationName(d->confirmation), "confirm_price");
  EXPECT_TRUE(harness.elicitations().empty());
}

TEST(PriceGateTest, WithoutElicitationRefusesWithThePriceAndHowToConfirm) {
  ContextHarness harness;
  auto context = harness.MakeContext();
  absl::StatusOr<PriceDecision> d =
      ConfirmPrice(25.5, std::nullopt, 20, "this generation", "", *context);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->proceed);
  EXPECT_TRUE(absl::StrContains(d->refusal, "25.5 Creative Units"))
      << d->refusal;
  EXPECT_TRUE(absl::StrContains(d->refusal, "threshold of 20"));
  EXPECT_TRUE(absl::StrContains(d->refusal, "confirm_price: 25.5"));
  EXPECT_TRUE(harness.elicitations().empty());
}

TEST(PriceGateTest, ALowConfirmPriceIsNamedInTheRefusal) {
  ContextHarness harness;
  auto context = harness.MakeContext();
  absl::StatusOr<PriceDecision> d =
      ConfirmPrice(30, 22.0, 20, "this run", "", *context);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->proceed);
  EXPECT_TRUE(absl::StrContains(d->refusal, "confirm_price 22 does not cover"))
      << d->refusal;
}

TEST(PriceGateTest, AsksTheUserAndProceedsWhenConfirmed) {
  ContextHarness harness;
  harness.set_can_elicit(true);
  harness.set_elicit([](const ElicitRequest&) {
    return Answer(ElicitResult::Action::kAccept, {{"confirm", true}});
  });
  auto context = harness.MakeContext();
  absl::StatusOr<PriceDecision> d = ConfirmPrice(
      24, std::nullopt, 20, "this generation", "Guidance is extra.", *context);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->proceed);
  EXPECT_EQ(d->confirmation, Confirmation::kElicitation);
  ASSERT_EQ(harness.elicitations().size(), 1u);
  const ElicitRequest& asked = harness.elicitations()[0];
  EXPECT_TRUE(absl::StrContains(asked.message, "24 Creative Units"));
  EXPECT_TRUE(absl::StrContains(asked.message, "Guidance is extra."));
  EXPECT_EQ(asked.requested_schema["properties"]["confirm"]["type"], "boolean");
  EXPECT_EQ(asked.requested_schema["required"][0], "confirm");
}

struct RefusalCase {
  const char* name;
  absl::StatusOr<ElicitResult> answer;
  const char* expected;
};

class PriceGateRefusalTest : public ::testing::TestWithParam<RefusalCase> {};

TEST_P(PriceGateRefusalTest, DoesNotProceed) {
  ContextHarness harness;
  harness.set_can_elicit(true);
  const absl::StatusOr<ElicitResult> answer = GetParam().answer;
  harness.set_elicit([answer](const ElicitRequest&) { return answer; });
  auto context = harness.MakeContext();
  absl::StatusOr<PriceDecision> d =
      ConfirmPrice(50, std::nullopt, 20, "this run", "", *context);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->proceed);
  EXPECT_TRUE(absl::StrContains(d->refusal, GetParam().expected))
      << d->refusal;
}

INSTANTIATE_TEST_SUITE_P(
    Answers, PriceGateRefusalTest,
    ::testing::Values(
        RefusalCase{"declined", Answer(ElicitResult::Action::kDecline),
                    "the user declined spending 50"},
        RefusalCase{"dismissed", Answer(ElicitResult::Action::kCancel),
                    "dismissed"},
        RefusalCase{"unchecked",
                    Answer(ElicitResult::Action::kAccept, {{"confirm", false}}),
                    "did not confirm"},
        RefusalCase{"timed_out",
                    absl::StatusOr<ElicitResult>(
                        absl::DeadlineExceededError("no answer in 600 s")),
                    "confirm_price: 50"}),
    [](const ::testing::TestParamInfo<RefusalCase>& info) {
      return std::string(info.param.name);
    });

TEST(PriceGateTest, CancellationWhileAskingIsCancelled) {
  ContextHarness harness;
  harness.set_can_elicit(true);
  harness.set_elicit([&harness](const ElicitRequest&)
                         -> absl::StatusOr<ElicitResult> {
    harness.cancellation().Cancel();
    return absl::CancelledError("cancelled");
  });
  auto context = harness.MakeContext();
  absl::StatusOr<PriceDecision> d =
      ConfirmPrice(50, std::nullopt, 20, "this run", "", *context);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace layer_vault::mcp::layer_tools
