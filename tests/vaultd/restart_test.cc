// A restart keeps the signing keys (in the encrypted store) and the
// revocation state (revocations.json), so outstanding tokens keep their
// fate. The test process is the same caller before and after the restart.

#include <sys/stat.h>

#include <string>

#include "gtest/gtest.h"
#include "proto/vault.grpc.pb.h"
#include "tests/vaultd/vaultd_harness.h"
#include "tests/vaultd/vaultd_test_base.h"

namespace layer_vault::tests::vaultd {
namespace {

namespace v1 = layer::vault::v1;
using grpc::StatusCode;

v1::GetVerificationKeysResponse Keys(Vaultd& vaultd) {
  v1::GetVerificationKeysResponse keys;
  grpc::Status s = Call(&v1::Workload::Stub::GetVerificationKeys,
                        vaultd.workload(), v1::GetVerificationKeysRequest(),
                        &keys);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return keys;
}

std::string CurrentKeyId(Vaultd& vaultd) {
  const v1::GetVerificationKeysResponse keys = Keys(vaultd);
  for (const auto& key : keys.keys()) {
    if (key.current()) return key.key_id();
  }
  ADD_FAILURE() << "no current key";
  return "";
}

class RestartTest : public VaultdTest {
 protected:
  void SetUp() override {
    vaultd_ = StartVaultd();
    ASSERT_NE(vaultd_, nullptr);
  }
  Vaultd* vaultd_ = nullptr;
};

TEST_F(RestartTest, KeepsSigningKeyAndRevokedJtis) {
  v1::IssueTokenResponse revoked, kept;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &revoked).ok());
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &kept).ok());
  const std::string kid = CurrentKeyId(*vaultd_);
  EXPECT_EQ(kid, kept.key_id());
  v1::RevokeTokenRequest req;
  req.set_jti(revoked.jti());
  v1::RevokeTokenResponse resp;
  ASSERT_TRUE(
      Call(&v1::Admin::Stub::RevokeToken, vaultd_->admin(), req, &resp).ok());

  const pid_t first_pid = vaultd_->pid();
  ASSERT_TRUE(vaultd_->Restart().ok());
  ASSERT_NE(vaultd_->pid(), first_pid);

  EXPECT_EQ(CurrentKeyId(*vaultd_), kid);
  EXPECT_EQ(Spend(vaultd_->workload(), revoked.token()).error_code(),
            StatusCode::UNAUTHENTICATED);
  grpc::Status s = Spend(vaultd_->workload(), kept.token());
  EXPECT_TRUE(s.ok()) << s.error_message();

  struct stat st;
  ASSERT_EQ(stat((vaultd_->state_dir() + "/revocations.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(RestartTest, AfterACrashReplacesStaleSocketsAndKeepsRevocations) {
  v1::IssueTokenResponse revoked, kept;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &revoked).ok());
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &kept).ok());
  v1::RevokeTokenRequest req;
  req.set_jti(revoked.jti());
  v1::RevokeTokenResponse resp;
  ASSERT_TRUE(
      Call(&v1::Admin::Stub::RevokeToken, vaultd_->admin(), req, &resp).ok());

  ASSERT_TRUE(vaultd_->Kill().ok());
  // Left behind by the crash: nobody listens on them any more.
  struct stat st;
  ASSERT_EQ(lstat(vaultd_->workload_socket().c_str(), &st), 0);
  ASSERT_TRUE(S_ISSOCK(st.st_mode));
  ASSERT_NE(ConnectErrno(vaultd_->workload_socket()), 0);

  absl::Status started = vaultd_->Start();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_EQ(Spend(vaultd_->workload(), revoked.token()).error_code(),
            StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Spend(vaultd_->workload(), kept.token()).ok());
}

TEST_F(RestartTest, KeepsRevokeAll) {
  v1::IssueTokenResponse issued;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &issued).ok());
  v1::RevokeAllResponse resp;
  ASSERT_TRUE(Call(&v1::Admin::Stub::RevokeAll, vaultd_->admin(),
                   v1::RevokeAllRequest(), &resp)
                  .ok());
  ASSERT_TRUE(vaultd_->Restart().ok());
  EXPECT_EQ(Spend(vaultd_->workload(), issued.token()).error_code(),
            StatusCode::UNAUTHENTICATED);
}

TEST_F(RestartTest, RotatedKeysOverlapAndSurviveARestart) {
  v1::IssueTokenResponse old_token;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &old_token).ok());
  v1::RotateSigningKeyResponse rotation;
  ASSERT_TRUE(Call(&v1::Admin::Stub::RotateSigningKey, vaultd_->admin(),
                   v1::RotateSigningKeyRequest(), &rotation)
                  .ok());
  EXPECT_EQ(rotation.previous_key_id(), old_token.key_id());
  ASSERT_NE(rotation.new_key_id(), old_token.key_id());

  v1::IssueTokenResponse new_token;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &new_token).ok());
  EXPECT_EQ(new_token.key_id(), rotation.new_key_id());
  // The retired key verifies its outstanding tokens.
  EXPECT_TRUE(Spend(vaultd_->workload(), old_token.token()).ok());
  EXPECT_TRUE(Spend(vaultd_->workload(), new_token.token()).ok());

  ASSERT_TRUE(vaultd_->Restart().ok());
  EXPECT_EQ(CurrentKeyId(*vaultd_), rotation.new_key_id());
  EXPECT_EQ(Keys(*vaultd_).keys_size(), 2);
  EXPECT_TRUE(Spend(vaultd_->workload(), old_token.token()).ok());
  EXPECT_TRUE(Spend(vaultd_->workload(), new_token.token()).ok());
}

}  // namespace
}  // namespace layer_vault::tests::vaultd
