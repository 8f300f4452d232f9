#include "mcp_frontend/layer_tools/layer_api.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "common/typed_error.h"
#include "gtest/gtest.h"

namespace layer_vault::mcp::layer_tools {
namespace {

struct FixCase {
  const char* name;
  absl::Status status;
  const char* expected_fix;  // nullptr: unchanged
};

class WithVaultdFixTest : public ::testing::TestWithParam<FixCase> {};

TEST_P(WithVaultdFixTest, AppendsTheFixOnlyWhenVaultdIsTheProblem) {
  const FixCase& c = GetParam();
  const absl::Status fixed = WithVaultdFix(c.status);
  EXPECT_EQ(fixed.code(), c.status.code());
  EXPECT_TRUE(absl::StartsWith(fixed.message(), c.status.message()));
  if (c.expected_fix == nullptr) {
    EXPECT_EQ(fixed, c.status);
  } else {
    EXPECT_TRUE(absl::StrContains(fixed.message(), c.expected_fix))
        << fixed.message();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, WithVaultdFixTest,
    ::testing::Values(
        FixCase{"not_running",
                absl::UnavailableError(
                    "vaultd is not running at /run/vaultd/workload.sock (no "
                    "socket there)"),
                "systemctl start vaultd"},
        FixCase{"no_answer",
                absl::UnavailableError(
                    "vaultd at /run/vaultd/workload.sock did not answer "
                    "within 1000 ms"),
                "reconnects by itself"},
        FixCase{"connection_lost_mid_call",
                absl::UnavailableError("Socket closed"),
                "vaultd is unavailable: the connection to it was lost"},
        FixCase{"relay_not_configured",
                absl::UnavailableError("the Layer.ai relay is not configured"),
                nullptr},
        FixCase{"refused",
                absl::PermissionDeniedError(
                    "vaultd refused this process: no rule matches"),
                "policy.json"},
        FixCase{"sealed_names_its_fix",
                absl::FailedPreconditionError(
                    "vaultd is sealed: run vaultctl unlock"),
                nullptr},
        FixCase{"sealed_without_fix",
                absl::FailedPreconditionError("vaultd is sealed"),
                "vaultctl unlock"},
        FixCase{"layer_rate_limit",
                common::TypedError(absl::StatusCode::kResourceExhausted,
                                   "layer", "RATE_LIMITED", "slow down"),
                nullptr},
        FixCase{"layer_down",
                common::TypedError(absl::StatusCode::kUnavailable, "layer",
                                   "UPSTREAM_UNAVAILABLE",
                                   "Layer.ai answered 503 to vaultd"),
                nullptr},
        FixCase{"vault_budget",
                common::TypedError(absl::StatusCode::kResourceExhausted,
                                   "vault", "BUDGET_EXCEEDED", "over budget"),
                nullptr},
        FixCase{"bad_argument", absl::InvalidArgumentError("bad params"),
                nullptr},
        FixCase{"ok", absl::OkStatus(), nullptr}),
    [](const ::testing::TestParamInfo<FixCase>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace layer_vault::mcp::layer_tools
