// VaultClient against the real vaultd binary (client/testing/vaultd_fixture).

#include "client/vault_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "client/admin_client.h"
#include "client/testing/vaultd_fixture.h"
#include "common/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::client {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::VaultdFixture;
using testing::VaultdFixtureOptions;

class VaultClientTest : public ::testing::Test {
 protected:
  // A fixture with vaultd running (unless `start` is false).
  void StartVaultd(VaultdFixtureOptions options = {}, bool start = true) {
    auto fixture = VaultdFixture::Create(options);
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    vaultd_ = *std::move(fixture);
    if (start) {
      absl::Status s = vaultd_->Start();
      ASSERT_TRUE(s.ok()) << s;
    }
  }

  void TearDown() override {
    if (vaultd_ != nullptr) {
      std::string logs = vaultd_->Logs();
      if (!vaultd_->pat().empty()) {
        EXPECT_FALSE(absl::StrContains(logs, vaultd_->pat()))
            << "the PAT reached vaultd's log";
      }
      EXPECT_FALSE(absl::StrContains(logs, "v4.public."))
          << "a token reached vaultd's log";
      if (vaultd_->running()) {
        absl::Status s = vaultd_->Stop();
        EXPECT_TRUE(s.ok()) << s;
      }
    }
  }

  VaultClientOptions ClientOptions() {
    VaultClientOptions options;
    options.workload_socket = vaultd_->workload_socket();
    options.scopes = {"layer:read"};
    options.clock = &clock_;
    options.retry.sleeper = [this](absl::Duration) {
      ++sleeps_;
      if (on_sleep_) on_sleep_();
    };
    return options;
  }

  std::unique_ptr<VaultClient> MakeClient(VaultClientOptions options) {
    auto client = VaultClient::Create(std::move(options));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }
  std::unique_ptr<VaultClient> MakeClient() {
    return MakeClient(ClientOptions());
  }

  std::unique_ptr<AdminClient> MakeAdmin() {
    AdminClientOptions options;
    options.admin_socket = vaultd_->admin_socket();
    auto admin = AdminClient::Create(options);
    EXPECT_TRUE(admin.ok()) << admin.status();
    return admin.ok() ? *std::move(admin) : nullptr;
  }

  uint64_t TokensIssued() {
    auto status = MakeAdmin()->Status();
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? status->tokens_issued() : 0;
  }

  std::unique_ptr<VaultdFixture> vaultd_;
  common::FakeClock clock_;
  std::atomic<int> sleeps_{0};
  std::function<void()> on_sleep_;
};

TEST_F(VaultClientTest, CreateRejectsBadOptions) {
  VaultClientOptions options;
  options.scopes = {"layer:read"};
  options.workload_socket = "relative.sock";
  EXPECT_EQ(VaultClient::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.workload_socket = "/tmp/x.sock";
  options.scopes.clear();
  EXPECT_EQ(VaultClient::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.scopes = {"layer:read"};
  options.ttl = absl::Seconds(901);
  EXPECT_EQ(VaultClient::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.ttl = absl::ZeroDuration();
  options.retry.max_attempts = 0;
  EXPECT_EQ(VaultClient::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(VaultClientTest, PingReportsUnsealed) {
  StartVaultd();
  auto client = MakeClient();
  auto ping = client->Ping();
  ASSERT_TRUE(ping.ok()) << ping.status();
  EXPECT_FALSE(ping->sealed);
}

TEST_F(VaultClientTest, CachedTokenIsReusedAcrossCalls) {
  StartVaultd();
  auto client = MakeClient();
  ASSERT_TRUE(client->GetSpend().ok());
  ASSERT_TRUE(client->GetSpend().ok());
  auto first = client->IssueToken();
  auto second = client->IssueToken();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->jti, second->jti);
  EXPECT_EQ(first->scopes, std::vector<std::string>{"layer:read"});
  EXPECT_EQ(TokensIssued(), 1u);
}

TEST_F(VaultClientTest, RenewsAtHalfOfTheLifetime) {
  StartVaultd();
  VaultClientOptions options = ClientOptions();
  options.ttl = absl::Seconds(300);
  auto client = MakeClient(options);
  auto first = client->IssueToken();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->expires_at - first->issued_at, absl::Seconds(300));

  clock_.Advance(absl::Seconds(140));
  auto still = client->IssueToken();
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->jti, first->jti);
  EXPECT_EQ(TokensIssued(), 1u);

  clock_.Advance(absl::Seconds(20));  // 160 s: past half of 300 s.
  auto renewed = client->IssueToken();
  ASSERT_TRUE(renewed.ok());
  EXPECT_NE(renewed->jti, first->jti);
  EXPECT_EQ(TokensIssued(), 2u);
  // The renewed token works.
  EXPECT_TRUE(client->GetSpend().ok());
  EXPECT_EQ(TokensIssued(), 2u);
}

TEST_F(VaultClientTest, ConcurrentCallersShareOneIssue) {
  StartVaultd();
  auto client = MakeClient();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (client->GetSpend().ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(TokensIssued(), 1u);
}

TEST_F(VaultClientTest, NotRunningWhenNoDaemon) {
  StartVaultd({}, /*start=*/false);
  VaultClientOptions options = ClientOptions();
  options.retry.max_attempts = 3;
  auto client = MakeClient(options);
  for (absl::Status s :
       {client->Ping().status(), client->IssueToken().status(),
        client->Call("workspaces.list", nlohmann::json::object()).status()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(s.message()),
                StartsWith("vaultd is not running at " +
                           vaultd_->workload_socket()));
  }
  EXPECT_EQ(sleeps_.load(), 3 * 2);
}

TEST_F(VaultClientTest, NotRunningWhenSocketIsStale) {
  StartVaultd({}, /*start=*/false);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s",
                vaultd_->workload_socket().c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
  auto client = MakeClient();
  absl::Status s = client->Ping().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("vaultd is not running at " +
                         vaultd_->workload_socket()));
}

TEST_F(VaultClientTest, RetriesUntilTheDaemonIsUp) {
  StartVaultd({}, /*start=*/false);
  on_sleep_ = [this] {
    if (!vaultd_->running()) {
      absl::Status s = vaultd_->Start();
      ASSERT_TRUE(s.ok()) << s;
    }
  };
  auto client = MakeClient();
  auto ping = client->Ping();
  ASSERT_TRUE(ping.ok()) << ping.status();
  EXPECT_EQ(sleeps_.load(), 1);
}

TEST_F(VaultClientTest, CallLayerIsRetriedOnlyWhenNothingWasSent) {
  StartVaultd();
  auto client = MakeClient();
  ASSERT_TRUE(client->IssueToken().ok());

  // vaultd answers (today: relay not configured, UNAVAILABLE; with a relay:
  // unknown operation). Either way the request reached vaultd: no retry.
  absl::Status answered =
      client->Call("no.such.operation", nlohmann::json::object()).status();
  EXPECT_FALSE(answered.ok());
  EXPECT_EQ(sleeps_.load(), 0) << answered;

  // vaultd down: the connection fails, nothing is sent, so CallLayer is
  // retried; vaultd comes back during the first wait and the retry reaches
  // it with the cached token (signing keys survive the restart).
  ASSERT_TRUE(vaultd_->Stop().ok());
  on_sleep_ = [this] {
    if (!vaultd_->running()) {
      absl::Status s = vaultd_->Start();
      ASSERT_TRUE(s.ok()) << s;
    }
  };
  absl::Status after_restart =
      client->Call("no.such.operation", nlohmann::json::object()).status();
  EXPECT_EQ(sleeps_.load(), 1) << after_restart;
  EXPECT_EQ(after_restart.code(), answered.code()) << after_restart;
}

TEST_F(VaultClientTest, CallRejectsNonObjectParamsBeforeSending) {
  StartVaultd();
  auto client = MakeClient();
  EXPECT_EQ(client->Call("workspaces.list", nlohmann::json::array()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Call("", nlohmann::json::object()).status().code(),
            absl::StatusCode::kInvalidArgument);
  nlohmann::json big = {{"body", std::string(70 * 1024, 'a')}};
  EXPECT_EQ(client->Call("workspaces.list", big).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TokensIssued(), 0u);
}

TEST_F(VaultClientTest, SealedDaemonSaysRunUnlock) {
  VaultdFixtureOptions options;
  options.passphrase_store = true;
  StartVaultd(options);
  auto client = MakeClient();
  auto ping = client->Ping();
  ASSERT_TRUE(ping.ok()) << ping.status();
  EXPECT_TRUE(ping->sealed);
  absl::Status s = client->IssueToken().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "vaultd is sealed: run vaultctl unlock");
  EXPECT_EQ(sleeps_.load(), 0);

  auto admin = MakeAdmin();
  absl::Status wrong =
      admin->Unlock(crypto::SecretBytes::CopyFrom("TESTONLY-wrong-passphrase"));
  EXPECT_EQ(wrong.code(), absl::StatusCode::kUnauthenticated) << wrong;
  ASSERT_TRUE(admin->Unlock(crypto::SecretBytes::CopyFrom(vaultd_->passphrase()))
                  .ok());
  EXPECT_TRUE(client->GetSpend().ok());
  EXPECT_FALSE(client->Ping()->sealed);

  // Locking again: the cached token is refused with the same message.
  ASSERT_TRUE(admin->Lock().ok());
  absl::Status locked = client->GetSpend().status();
  EXPECT_EQ(locked.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(locked.message(), "vaultd is sealed: run vaultctl unlock");
  EXPECT_FALSE(absl::StrContains(vaultd_->Logs(), vaultd_->passphrase()));
}

TEST_F(VaultClientTest, RecoversAfterRevokeAll) {
  StartVaultd();
  auto client = MakeClient();
  auto before = client->IssueToken();
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(client->GetSpend().ok());

  auto epoch = MakeAdmin()->RevokeAll();
  ASSERT_TRUE(epoch.ok()) << epoch.status();
  // No waiting: vaultd dates tokens issued right after a revoke-all at the
  // epoch, so the client's one fresh token works at once.
  auto spend = client->GetSpend();
  ASSERT_TRUE(spend.ok()) << spend.status();
  auto after = client->IssueToken();
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->jti, before->jti);
  EXPECT_EQ(TokensIssued(), 2u);
  EXPECT_EQ(sleeps_.load(), 0);
}

TEST_F(VaultClientTest, RecoversAfterItsTokenIsRevoked) {
  StartVaultd();
  auto client = MakeClient();
  auto before = client->IssueToken();
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(MakeAdmin()->RevokeToken(before->jti).ok());
  ASSERT_TRUE(client->GetSpend().ok());
  EXPECT_NE(client->IssueToken()->jti, before->jti);
  EXPECT_EQ(TokensIssued(), 2u);
}

TEST_F(VaultClientTest, RefusedProcessIsToldSo) {
  VaultdFixtureOptions options;
  options.grant_current_uid = false;
  StartVaultd(options);
  auto client = MakeClient();
  for (absl::Status s : {client->Ping().status(), client->IssueToken().status()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(std::string(s.message()),
                StartsWith("vaultd refused this process: "));
  }
  EXPECT_EQ(sleeps_.load(), 0);
}

TEST_F(VaultClientTest, ScopeOutsideThePolicyIsRefused) {
  VaultdFixtureOptions options;
  options.scopes = {"layer:read"};
  StartVaultd(options);
  VaultClientOptions client_options = ClientOptions();
  client_options.scopes = {"layer:read", "layer:generate"};
  auto client = MakeClient(client_options);
  absl::Status s = client->IssueToken().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("vaultd refused this process: "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("layer:generate"));
}

TEST_F(VaultClientTest, VerificationKeysIncludeTheTokensKey) {
  StartVaultd();
  auto client = MakeClient();
  auto token = client->IssueToken();
  ASSERT_TRUE(token.ok());
  auto keys = client->GetVerificationKeys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_FALSE(keys->empty());
  bool found = false;
  for (const VerificationKey& k : *keys) {
    EXPECT_EQ(k.algorithm, "Ed25519");
    EXPECT_EQ(k.public_key.size(), 32u);
    if (k.key_id == token->key_id) {
      found = true;
      EXPECT_TRUE(k.current);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace layer_vault::client
