// AuditLog refuses a log file owned by another uid. Needs root (to chown)
// outside the Bazel sandbox, which maps only root (see BUILD.bazel).

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/audit/audit_log.h"

namespace layer_vault::audit {
namespace {

using ::testing::HasSubstr;

TEST(AuditLogOwnerTest, RefusesAFileOwnedBySomeoneElse) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to chown a file to uid 65534; run as root "
                    "(CI does) to exercise it";
  }
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(tmp != nullptr ? tmp : "/tmp") +
                           "/foreign.jsonl";
  std::ofstream(path) << "";
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  AuditOptions o;
  o.path = path;
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Create(std::move(o));
  EXPECT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(log.status().message()),
              HasSubstr("owned by uid 65534"));
  EXPECT_THAT(std::string(log.status().message()),
              HasSubstr("chown root '" + path + "'"));
  unlink(path.c_str());
}

}  // namespace
}  // namespace layer_vault::audit
