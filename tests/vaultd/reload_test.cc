// SIGHUP reloads the policy; a policy that fails to load keeps the one in
// force, and vaultd's log says why.

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/vault.grpc.pb.h"
#include "tests/vaultd/vaultd_harness.h"
#include "tests/vaultd/vaultd_test_base.h"

namespace layer_vault::tests::vaultd {
namespace {

namespace v1 = layer::vault::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using grpc::StatusCode;

constexpr char kReloadFailed[] = "policy reload failed, keeping the old policy";
constexpr absl::Duration kLogWait = absl::Seconds(10);

class ReloadTest : public VaultdTest {
 protected:
  void SetUp() override {
    vaultd_ = StartVaultd();
    ASSERT_NE(vaultd_, nullptr);
  }

  // The test process may still use vaultd, on a new connection too.
  void ExpectStillAllowed() {
    v1::IssueTokenResponse issued;
    grpc::Status s = Issue(*vaultd_, {"layer:read"}, &issued);
    EXPECT_TRUE(s.ok()) << s.error_message();
    auto fresh = vaultd_->NewWorkloadStub();
    EXPECT_TRUE(Ping(*fresh).ok());
    EXPECT_TRUE(Spend(*fresh, issued.token()).ok());
  }

  Vaultd* vaultd_ = nullptr;
};

TEST_F(ReloadTest, BrokenPolicyKeepsTheOldOneAndSaysWhy) {
  // Valid JSON, invalid policy: an unknown scope.
  ASSERT_TRUE(vaultd_
                  ->WritePolicy(PolicyJson({{"broken",
                                             {static_cast<uint32_t>(getuid())},
                                             {},
                                             {"layer:admin"}}}))
                  .ok());
  ASSERT_TRUE(vaultd_->Signal(SIGHUP).ok());
  absl::Status logged = vaultd_->WaitForStderr(kReloadFailed, kLogWait);
  ASSERT_TRUE(logged.ok()) << logged;
  EXPECT_THAT(vaultd_->ReadStderr(),
              HasSubstr("/rules/0/scopes/0: unknown scope"));
  ExpectStillAllowed();

  // Not JSON at all.
  ASSERT_TRUE(vaultd_->WritePolicy("{\"version\": 1, \"rules\": [").ok());
  ASSERT_TRUE(vaultd_->Signal(SIGHUP).ok());
  logged = vaultd_->WaitForStderr(kReloadFailed, kLogWait, 2);
  ASSERT_TRUE(logged.ok()) << logged;
  ExpectStillAllowed();

  // A valid policy that others could have written.
  ASSERT_TRUE(vaultd_->WritePolicy(DefaultPolicy()).ok());
  ASSERT_EQ(chmod(vaultd_->policy_file().c_str(), 0666), 0);
  ASSERT_TRUE(vaultd_->Signal(SIGHUP).ok());
  logged = vaultd_->WaitForStderr(kReloadFailed, kLogWait, 3);
  ASSERT_TRUE(logged.ok()) << logged;
  ExpectStillAllowed();
  EXPECT_THAT(vaultd_->ReadStderr(), Not(HasSubstr("policy reloaded")));
}

TEST_F(ReloadTest, ValidPolicyTakesEffect) {
  // Control for the test above: a reload does happen. The new policy allows
  // another uid only, so this process is refused from now on.
  ASSERT_TRUE(
      vaultd_->WritePolicy(PolicyJson({{"someone-else", {4242}, {}, {"layer:read"}}}))
          .ok());
  ASSERT_TRUE(vaultd_->Signal(SIGHUP).ok());
  absl::Status logged = vaultd_->WaitForStderr("policy reloaded", kLogWait);
  ASSERT_TRUE(logged.ok()) << logged;
  EXPECT_EQ(Ping(*vaultd_->NewWorkloadStub()).error_code(),
            StatusCode::PERMISSION_DENIED);
  v1::IssueTokenResponse issued;
  EXPECT_EQ(Issue(*vaultd_, {"layer:read"}, &issued).error_code(),
            StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace layer_vault::tests::vaultd
