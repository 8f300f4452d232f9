#ifndef LAYER_VAULT_TESTS_RELAY_RELAY_TEST_BASE_H_
#define LAYER_VAULT_TESTS_RELAY_RELAY_TEST_BASE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "common/typed_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/relay/relay_env.h"

namespace layer_vault::tests::relay {

// "[domain:TYPE]" of a status, or "" if untyped.
std::string TypeOf(const absl::Status& status);

template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& v) {
  return v.status();
}
inline absl::Status StatusOf(const absl::Status& s) { return s; }

#define RELAY_ASSERT_OK(expr)                                  \
  do {                                                         \
    const absl::Status _relay_status =                         \
        ::layer_vault::tests::relay::StatusOf(expr);           \
    ASSERT_TRUE(_relay_status.ok()) << _relay_status;          \
  } while (0)

#define RELAY_EXPECT_OK(expr)                                  \
  do {                                                         \
    const absl::Status _relay_status =                         \
        ::layer_vault::tests::relay::StatusOf(expr);           \
    EXPECT_TRUE(_relay_status.ok()) << _relay_status;          \
  } while (0)

// A suite that shares one RelayEnv (fake + vaultd) between its tests:
// started once, the fake reset before each test, and after each test
// vaultd's logs and the fake's request log checked for the PAT. Derived
// classes may define `static RelayEnvOptions Options()`.
template <typename Derived>
class SharedRelayTest : public ::testing::Test {
 public:
  static RelayEnvOptions Options() { return {}; }

 protected:
  static void SetUpTestSuite() {
    auto env = RelayEnv::Start(Derived::Options());
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
  }
  static void TearDownTestSuite() {
    // A clean exit, so that vaultd's own checks (sanitizers) can fail the
    // suite.
    if (env_ != nullptr) RELAY_EXPECT_OK(env_->vaultd().Stop());
    env_.reset();
  }

  void SetUp() override {
    ASSERT_NE(env_, nullptr) << "the environment did not start";
    RELAY_ASSERT_OK(env_->fake().Reset());
    auto client = env_->Client();
    RELAY_ASSERT_OK(client);
    client_ = *std::move(client);
  }
  void TearDown() override {
    if (env_ == nullptr) return;
    EXPECT_THAT(env_->FindLeaks(), ::testing::IsEmpty());
  }

  RelayEnv& env() { return *env_; }
  FakeLayer& fake() { return env_->fake(); }
  client::VaultClient& client() { return *client_; }

  static inline std::unique_ptr<RelayEnv> env_;
  std::unique_ptr<client::VaultClient> client_;
};

}  // namespace layer_vault::tests::relay

#endif  // LAYER_VAULT_TESTS_RELAY_RELAY_TEST_BASE_H_
