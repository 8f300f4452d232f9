// LoadPolicyFile refuses a policy owned by someone else. Needs root (to
// chown) outside the Bazel sandbox, which maps only root (see BUILD.bazel).

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/policy/policy.h"

namespace layer_vault::policy {
namespace {

using ::testing::HasSubstr;

TEST(PolicyFileOwnerTest, RefusesFilesOfAnotherOwner) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to chown a file to uid 65534; run as root "
                    "(CI does) to exercise it";
  }
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/owner.json");
  std::ofstream(path) << R"({"version": 1, "rules": []})";
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);

  absl::StatusOr<std::unique_ptr<Policy>> p = LoadPolicyFile(path);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("owned by uid 65534"));
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("chown root: '" + path + "'"));

  // vaultd's own user may own it.
  PolicyFileOptions options;
  options.trusted_owner = 65534;
  EXPECT_TRUE(LoadPolicyFile(path, options).ok());
  unlink(path.c_str());
}

}  // namespace
}  // namespace layer_vault::policy
