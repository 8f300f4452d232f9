// AdminClient against the real vaultd binary (client/testing/vaultd_fixture).

#include "client/admin_client.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "client/testing/vaultd_fixture.h"
#include "client/vault_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::client {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::FakePat;
using testing::VaultdFixture;
using testing::VaultdFixtureOptions;

class AdminClientTest : public ::testing::Test {
 protected:
  void StartVaultd(VaultdFixtureOptions options = {}, bool start = true) {
    auto fixture = VaultdFixture::Create(options);
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    vaultd_ = *std::move(fixture);
    if (start) {
      absl::Status s = vaultd_->Start();
      ASSERT_TRUE(s.ok()) << s;
    }
    AdminClientOptions admin_options;
    admin_options.admin_socket = vaultd_->admin_socket();
    admin_options.retry.sleeper = [this](absl::Duration) { ++sleeps_; };
    auto admin = AdminClient::Create(admin_options);
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = *std::move(admin);
  }

  void TearDown() override {
    if (vaultd_ == nullptr) return;
    std::string logs = vaultd_->Logs();
    for (const std::string& secret : secrets_) {
      EXPECT_FALSE(absl::StrContains(logs, secret))
          << "a secret reached vaultd's log";
    }
    // Close our connection first: vaultd's SIGTERM path waits ~5 s for
    // connected clients to go away.
    admin_.reset();
    if (vaultd_->running()) {
      absl::Status s = vaultd_->Stop();
      EXPECT_TRUE(s.ok()) << s;
    }
  }

  std::unique_ptr<VaultClient> MakeClient() {
    VaultClientOptions options;
    options.workload_socket = vaultd_->workload_socket();
    options.scopes = {"layer:read"};
    auto client = VaultClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  std::unique_ptr<VaultdFixture> vaultd_;
  std::unique_ptr<AdminClient> admin_;
  std::vector<std::string> secrets_;
  int sleeps_ = 0;
};

TEST_F(AdminClientTest, StatusDescribesTheDaemonWithoutTheSecret) {
  StartVaultd();
  secrets_.push_back(vaultd_->pat());
  auto status = admin_->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->sealed());
  EXPECT_EQ(status->key_source(), "key-file");
  EXPECT_TRUE(status->credential().present());
  EXPECT_THAT(status->credential().fingerprint(), StartsWith("pat_TEST"));
  EXPECT_FALSE(status->DebugString().find(vaultd_->pat()) != std::string::npos);
  EXPECT_FALSE(status->signing_key_ids().empty());
  EXPECT_EQ(status->tokens_issued(), 0u);
}

TEST_F(AdminClientTest, SetAndRotateCredentialChangeTheFingerprint) {
  StartVaultd();
  const std::string first = FakePat(), second = FakePat(64);
  secrets_ = {vaultd_->pat(), first, second};
  auto set = admin_->SetCredential(crypto::SecretBytes::CopyFrom(first), "",
                                   /*verify=*/false);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT(set->fingerprint(), StartsWith(first.substr(0, 8)));
  auto rotated = admin_->RotateCredential(
      crypto::SecretBytes::CopyFrom(second), "", /*verify=*/false);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_NE(rotated->fingerprint(), set->fingerprint());
  auto status = admin_->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->credential().fingerprint(), rotated->fingerprint());
}

TEST_F(AdminClientTest, InvalidPatIsRejectedWithoutEchoingIt) {
  StartVaultd();
  const std::string bad = "pat_TESTONLY!!!notvalid!!!xxxxxxxxxxxxxxxx";
  auto set = admin_->SetCredential(crypto::SecretBytes::CopyFrom(bad), "",
                                   /*verify=*/false);
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(absl::StrContains(set.status().message(), "TESTONLY"));
  EXPECT_EQ(sleeps_, 0);
}

TEST_F(AdminClientTest, RotateSigningKeyKeepsOldTokensValid) {
  StartVaultd();
  auto client = MakeClient();
  auto token = client->IssueToken();
  ASSERT_TRUE(token.ok());
  auto rotated = admin_->RotateSigningKey();
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_EQ(rotated->previous_key_id(), token->key_id);
  EXPECT_NE(rotated->new_key_id(), token->key_id);
  auto status = admin_->Status();
  ASSERT_TRUE(status.ok());
  ASSERT_FALSE(status->signing_key_ids().empty());
  EXPECT_EQ(status->signing_key_ids(0), rotated->new_key_id());
  // The retired key still verifies the outstanding token: no reissue.
  EXPECT_TRUE(client->GetSpend().ok());
  EXPECT_EQ(client->IssueToken()->jti, token->jti);
}

TEST_F(AdminClientTest, RevokeTokenRejectsAMalformedJti) {
  StartVaultd();
  absl::Status s = admin_->RevokeToken("not a jti");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST_F(AdminClientTest, LockSealsAndAdminCallsSayRunUnlock) {
  VaultdFixtureOptions options;
  options.passphrase_store = true;
  StartVaultd(options);
  secrets_ = {vaultd_->pat(), vaultd_->passphrase()};
  auto status = admin_->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->sealed());
  EXPECT_EQ(status->key_source(), "passphrase");
  absl::Status revoke = admin_->RevokeAll().status();
  EXPECT_EQ(revoke.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(revoke.message(), "vaultd is sealed: run vaultctl unlock");

  ASSERT_TRUE(
      admin_->Unlock(crypto::SecretBytes::CopyFrom(vaultd_->passphrase())).ok());
  EXPECT_FALSE(admin_->Status()->sealed());
  EXPECT_TRUE(admin_->RevokeAll().ok());
  ASSERT_TRUE(admin_->Lock().ok());
  EXPECT_TRUE(admin_->Status()->sealed());
  EXPECT_EQ(sleeps_, 0);
}

TEST_F(AdminClientTest, NotRunningWhenNoDaemon) {
  StartVaultd({}, /*start=*/false);
  absl::Status s = admin_->Status().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("vaultd is not running at " + vaultd_->admin_socket()));
  // Mutations are retried too when nothing could be sent.
  int before = sleeps_;
  EXPECT_EQ(admin_->Lock().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sleeps_ - before, AdminClientOptions{}.retry.max_attempts - 1);
}

}  // namespace
}  // namespace layer_vault::client
