// A token replayed by a child that dropped to another uid (nobody), which
// the policy also lets use vaultd: the token is bound to the uid, pid and
// start time it was issued to, so vaultd refuses it, while the same child
// may get and use a token of its own. Needs root (the child setuid()s)
// and runs outside the sandbox (tags = ["no-sandbox"], as
// tests/vaultd:foreign_uid_test); skips itself when not root.

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/hostile/hostile_env.h"
#include "tests/relay/relay_test_base.h"

namespace layer_vault::tests::hostile {
namespace {

using ::testing::HasSubstr;
using relay::kStudio;

constexpr uint32_t kNobody = 65534;
constexpr uint32_t kNogroup = 65534;

TEST(ForeignUidReplayTest, ATokenReplayedByAnotherUidIsRefused) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to fork a child that drops to uid " << kNobody
                 << "; run as root (CI does) to exercise it";
  }
  relay::RelayEnvOptions options;
  options.policy = relay::PolicyForSelf();
  nlohmann::json nobody = options.policy["rules"][0];
  nobody["name"] = "nobody";
  nobody["match"]["uids"] = {kNobody};
  nobody["scopes"] = {"layer:read"};
  options.policy["rules"].push_back(nobody);
  auto env = relay::RelayEnv::Start(options);
  RELAY_ASSERT_OK(env);
  relay::VaultdProcess& vaultd = (*env)->vaultd();
  // Let nobody reach the workload socket (the admin socket stays root's).
  ASSERT_EQ(chmod(vaultd.dir().c_str(), 0711), 0);
  ASSERT_EQ(chmod((vaultd.dir() + "/w").c_str(), 0711), 0);
  ASSERT_EQ(chmod(vaultd.workload_socket().c_str(), 0666), 0);

  RawWorkload raw(vaultd.workload_socket());
  auto token = raw.IssueToken({"layer:read"});
  RELAY_ASSERT_OK(token);
  const std::vector<std::string> as_nobody = {
      absl::StrCat("--uid=", kNobody), absl::StrCat("--gid=", kNogroup),
      "--socket=" + vaultd.workload_socket(),
      absl::StrCat("--workspace=", kStudio)};

  // Control: nobody is allowed a token of its own.
  std::vector<std::string> args = as_nobody;
  args.push_back("--rpc=issue_and_spend");
  auto own = RunPeer(args, "");
  RELAY_ASSERT_OK(own);
  EXPECT_EQ(own->code, 0) << own->message;

  for (const char* rpc : {"--rpc=spend", "--rpc=call"}) {
    SCOPED_TRACE(rpc);
    args = as_nobody;
    args.push_back(rpc);
    auto replayed = RunPeer(args, *token);
    RELAY_ASSERT_OK(replayed);
    EXPECT_EQ(replayed->code, static_cast<int>(grpc::StatusCode::UNAUTHENTICATED))
        << replayed->message;
    EXPECT_THAT(replayed->message, HasSubstr("issued to another caller"));
  }
  EXPECT_THAT((*env)->Recorded(), ::testing::IsEmpty());
  // Still good for the process it was issued to.
  EXPECT_TRUE(raw.GetSpend(*token).ok());
  EXPECT_THAT((*env)->FindLeaks(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace layer_vault::tests::hostile
