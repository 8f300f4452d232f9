// Callers with another uid, through the real sockets. Needs root (the
// helper process drops to nobody before it connects; SO_PEERCRED records
// the credentials at connect time) and runs outside the Bazel sandbox,
// which maps only root (tags = ["no-sandbox"]).

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/vault.grpc.pb.h"
#include "tests/vaultd/vaultd_harness.h"
#include "tests/vaultd/vaultd_test_base.h"

namespace layer_vault::tests::vaultd {
namespace {

namespace v1 = layer::vault::v1;
using ::testing::HasSubstr;
using grpc::StatusCode;

constexpr uint32_t kNobody = 65534;
constexpr uint32_t kNogroup = 65534;

const std::string kAsNobody[] = {absl::StrCat("--uid=", kNobody),
                                 absl::StrCat("--gid=", kNogroup)};

std::string AsNobody(const std::string& socket, const std::string& rpc) {
  auto out = RunTestClient({kAsNobody[0], kAsNobody[1], "--socket=" + socket,
                            "--rpc=" + rpc});
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : "";
}

class ForeignUidTest : public VaultdTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root to start a helper that drops to uid "
                   << kNobody << "; run as root (CI does) to exercise it";
    }
  }
};

TEST_F(ForeignUidTest, WorkloadPolicyRefusesAnotherUid) {
  // nobody can reach the workload socket (0660, group nogroup, in a 0750
  // directory of group nogroup) but the policy allows only root.
  VaultdOptions options;
  options.top_dir_mode = 0711;
  options.workload_dir_group = kNogroup;
  options.workload_socket_group = std::to_string(kNogroup);
  Vaultd* vaultd = StartVaultd(options);
  ASSERT_NE(vaultd, nullptr);
  const std::string socket = vaultd->workload_socket();

  EXPECT_EQ(AsNobody(socket, "connect"), "errno=0");
  EXPECT_EQ(AsNobody(socket, "ping"), CodeLine(StatusCode::PERMISSION_DENIED));
  EXPECT_EQ(AsNobody(socket, "issue_and_spend"),
            CodeLine(StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(vaultd->ReadStderr(),
              HasSubstr(absl::StrCat("\"uid\":", kNobody)));

  // Control: once the policy names nobody, the same helper gets through, so
  // the refusal above came from the policy, not from the socket.
  ASSERT_TRUE(vaultd
                  ->WritePolicy(PolicyJson(
                      {{"root", {0}, {}, {"layer:read"}},
                       {"nobody", {kNobody}, {}, {"layer:read"}}}))
                  .ok());
  ASSERT_TRUE(vaultd->Signal(SIGHUP).ok());
  ASSERT_TRUE(vaultd->WaitForStderr("policy reloaded", absl::Seconds(10)).ok());
  EXPECT_EQ(AsNobody(socket, "ping"), CodeLine(StatusCode::OK));
  EXPECT_EQ(AsNobody(socket, "issue_and_spend"), CodeLine(StatusCode::OK));
}

TEST_F(ForeignUidTest, AdminSocketIsUnreachableForAnotherUid) {
  // vaultd's own admin socket: 0600 in a 0700 directory, both root's. The
  // kernel refuses nobody's connect(2) (EACCES), so the gRPC call never
  // reaches vaultd: UNAVAILABLE.
  VaultdOptions options;
  options.top_dir_mode = 0711;
  Vaultd* vaultd = StartVaultd(options);
  ASSERT_NE(vaultd, nullptr);
  EXPECT_EQ(AsNobody(vaultd->admin_socket(), "connect"),
            absl::StrCat("errno=", EACCES));
  EXPECT_EQ(AsNobody(vaultd->admin_socket(), "admin_status"),
            CodeLine(StatusCode::UNAVAILABLE));
}

TEST_F(ForeignUidTest, AdminServiceRefusesAnotherUidThatReachesIt) {
  // Defence in depth: with a socket-activated admin socket that anyone can
  // connect to (a misconfigured socket unit), vaultd itself refuses a
  // caller that is neither root, its own uid nor a policy admin.
  VaultdOptions options;
  options.top_dir_mode = 0711;
  options.socket_activation = true;
  options.activated_dir_mode = 0755;
  options.activated_socket_mode = 0666;
  Vaultd* vaultd = StartVaultd(options);
  ASSERT_NE(vaultd, nullptr);
  EXPECT_EQ(AsNobody(vaultd->admin_socket(), "connect"), "errno=0");
  EXPECT_EQ(AsNobody(vaultd->admin_socket(), "admin_status"),
            CodeLine(StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(vaultd->ReadStderr(), HasSubstr("not an administrator"));

  // Control: root is served on the same socket.
  v1::StatusResponse status;
  EXPECT_TRUE(Call(&v1::Admin::Stub::Status, vaultd->admin(),
                   v1::StatusRequest(), &status)
                  .ok());
}

TEST_F(ForeignUidTest, AdminUidsFollowPolicyReloads) {
  // The policy's admin_uids grant the admin API to other users; a SIGHUP
  // that removes one must take it away without a restart.
  VaultdOptions options;
  options.top_dir_mode = 0711;
  options.socket_activation = true;
  options.activated_dir_mode = 0755;
  options.activated_socket_mode = 0666;
  const std::vector<PolicyRule> rules = {{"root", {0}, {}, {"layer:read"}}};
  options.policy_json = PolicyJson(rules, /*admin_uids=*/{kNobody});
  Vaultd* vaultd = StartVaultd(options);
  ASSERT_NE(vaultd, nullptr);
  EXPECT_EQ(AsNobody(vaultd->admin_socket(), "admin_status"),
            CodeLine(StatusCode::OK));

  ASSERT_TRUE(vaultd->WritePolicy(PolicyJson(rules)).ok());
  ASSERT_TRUE(vaultd->Signal(SIGHUP).ok());
  ASSERT_TRUE(vaultd->WaitForStderr("policy reloaded", absl::Seconds(10)).ok());
  EXPECT_EQ(AsNobody(vaultd->admin_socket(), "admin_status"),
            CodeLine(StatusCode::PERMISSION_DENIED));
}

}  // namespace
}  // namespace layer_vault::tests::vaultd
