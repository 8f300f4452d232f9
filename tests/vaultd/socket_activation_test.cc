// systemd socket activation: the test binds both sockets itself, as
// systemd would, and vaultd serves them from fds 3 and 4
// (LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES) without binding its own. Also
// checks what vaultd tells systemd through NOTIFY_SOCKET.

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/vault.grpc.pb.h"
#include "tests/vaultd/vaultd_harness.h"
#include "tests/vaultd/vaultd_test_base.h"

namespace layer_vault::tests::vaultd {
namespace {

namespace v1 = layer::vault::v1;
using ::testing::Contains;
using ::testing::HasSubstr;

class SocketActivationTest : public VaultdTest {};

TEST_F(SocketActivationTest, ServesThePassedSockets) {
  VaultdOptions options;
  options.socket_activation = true;
  Vaultd* vaultd = StartVaultd(options);
  ASSERT_NE(vaultd, nullptr);

  EXPECT_TRUE(Ping(vaultd->workload()).ok());
  v1::StatusResponse status;
  grpc::Status s = Call(&v1::Admin::Stub::Status, vaultd->admin(),
                        v1::StatusRequest(), &status);
  EXPECT_TRUE(s.ok()) << s.error_message();
  v1::IssueTokenResponse issued;
  ASSERT_TRUE(Issue(*vaultd, {"layer:read"}, &issued).ok());
  EXPECT_TRUE(Spend(vaultd->workload(), issued.token()).ok());

  // It bound nothing of its own.
  EXPECT_NE(access(vaultd->unused_workload_socket().c_str(), F_OK), 0);
  EXPECT_NE(access(vaultd->unused_admin_socket().c_str(), F_OK), 0);

  // The sockets belong to "systemd" (the test): they outlive vaultd and the
  // next instance serves them again, with the same keys. The channels opened
  // by Start stay connected and idle: they must not make the stop wait out
  // the shutdown grace (10 s by default), as they once did.
  const absl::Time restart_started = absl::Now();
  ASSERT_TRUE(vaultd->Restart().ok());
  EXPECT_LT(absl::Now() - restart_started, absl::Seconds(5));
  EXPECT_TRUE(Ping(vaultd->workload()).ok());
  EXPECT_TRUE(Spend(vaultd->workload(), issued.token()).ok());
  EXPECT_EQ(access(vaultd->workload_socket().c_str(), F_OK), 0)
      << "vaultd removed a socket it does not own";
}

TEST_F(SocketActivationTest, RefusesUnnamedSockets) {
  VaultdOptions options;
  options.socket_activation = true;
  options.listen_fdnames = "workload:something-else";
  options.ready_timeout = absl::Seconds(20);
  Vaultd* vaultd = CreateVaultd(options);
  ASSERT_NE(vaultd, nullptr);
  absl::Status started = vaultd->Start();
  EXPECT_FALSE(started.ok());
  EXPECT_THAT(std::string(started.message()), HasSubstr("vaultd exited"));
  EXPECT_THAT(vaultd->ReadStderr(),
              HasSubstr("two sockets named workload and admin"));
}

TEST_F(SocketActivationTest, NotifiesReadyAndStopping) {
  Vaultd* vaultd = StartVaultd();
  ASSERT_NE(vaultd, nullptr);
  ASSERT_TRUE(vaultd->WaitForStderr("serving", absl::Seconds(10)).ok());
  std::vector<std::string> messages = vaultd->NotifyMessages();
  EXPECT_THAT(messages, Contains(HasSubstr("READY=1")));
  EXPECT_THAT(messages, Contains(HasSubstr("STATUS=unsealed")));
  ASSERT_TRUE(vaultd->Stop().ok());
  EXPECT_THAT(vaultd->NotifyMessages(), Contains(HasSubstr("STOPPING=1")));
}

}  // namespace
}  // namespace layer_vault::tests::vaultd
