#include "vaultd/server/config.h"

#include "gtest/gtest.h"

namespace layer_vault::server {
namespace {

TEST(ConfigTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateConfig(DaemonConfig{}).ok());
}

TEST(ConfigTest, FileOverridesOnlyGivenKeys) {
  auto c = ParseConfigJson(
      R"({"state_dir": "/tmp/s", "connect_timeout_seconds": 2.5,
          "audit_stderr": false})",
      DaemonConfig{});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->state_dir, "/tmp/s");
  EXPECT_EQ(c->connect_timeout, absl::Milliseconds(2500));
  EXPECT_FALSE(c->audit_stderr);
  EXPECT_EQ(c->admin_socket, DaemonConfig{}.admin_socket);
}

struct BadConfig {
  const char* json;
  const char* expected;
};

class BadConfigTest : public testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, IsRejectedWithTheKey) {
  auto c = ParseConfigJson(GetParam().json, DaemonConfig{});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find(GetParam().expected), std::string::npos)
      << c.status();
}

INSTANTIATE_TEST_SUITE_P(
    All, BadConfigTest,
    testing::Values(BadConfig{"[]", "not a JSON object"},
                    BadConfig{"{", "not a JSON object"},
                    BadConfig{R"({"state_dri": "/x"})", "state_dri"},
                    BadConfig{R"({"state_dir": 3})", "state_dir"},
                    BadConfig{R"({"audit_stderr": "yes"})", "audit_stderr"},
                    BadConfig{R"({"total_timeout_seconds": -1})",
                              "total_timeout_seconds"},
                    BadConfig{R"({"max_response_bytes": 1.5})",
                              "max_response_bytes"}));

TEST(ConfigTest, ValidationRejectsUnsafeLayouts) {
  DaemonConfig c;
  c.admin_socket = "/run/vaultd/admin.sock";  // Same dir as workload.
  EXPECT_FALSE(ValidateConfig(c).ok());
  c = DaemonConfig{};
  c.layer_api_base = "http://api.app.layer.ai/api";
  EXPECT_FALSE(ValidateConfig(c).ok());
  c = DaemonConfig{};
  c.state_dir = "relative";
  EXPECT_FALSE(ValidateConfig(c).ok());
}

}  // namespace
}  // namespace layer_vault::server
