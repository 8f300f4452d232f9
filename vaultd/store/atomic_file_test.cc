#include "vaultd/store/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "vaultd/store/fault_injection.h"
#include "vaultd/store/test_util.h"

namespace layer_vault::store {
namespace {

using testing::FaultyFileOps;
using testing::WriteStep;

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    dir_fd_ = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir_fd_, 0);
  }
  void TearDown() override {
    close(dir_fd_);
    testing::RemoveTree(dir_);
  }
  std::string dir_;
  int dir_fd_ = -1;
};

TEST_F(AtomicFileTest, WritesPrivateFile) {
  ASSERT_TRUE(WriteFileAtomically(FileOps::Default(), dir_fd_, dir_, "f",
                                  "first")
                  .ok());
  ASSERT_TRUE(WriteFileAtomically(FileOps::Default(), dir_fd_, dir_, "f",
                                  "second")
                  .ok());
  EXPECT_EQ(testing::ReadFile(dir_ + "/f"), "second");
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(List(dir_), std::vector<std::string>{"f"});
}

class AtomicFileFaultTest
    : public AtomicFileTest,
      public ::testing::WithParamInterface<WriteStep> {};

TEST_P(AtomicFileFaultTest, FailureLeavesOldFileOrNewFileNeverPartial) {
  ASSERT_TRUE(WriteFileAtomically(FileOps::Default(), dir_fd_, dir_, "f",
                                  "old contents")
                  .ok());
  FaultyFileOps faulty(GetParam());
  absl::Status s =
      WriteFileAtomically(faulty, dir_fd_, dir_, "f", "new contents");
  ASSERT_FALSE(s.ok());
  // No temp file is left behind, whatever the step.
  EXPECT_EQ(List(dir_), std::vector<std::string>{"f"});
  if (GetParam() == WriteStep::kSyncDirectory) {
    // The rename happened; only its durability is unknown, and we say so.
    EXPECT_EQ(testing::ReadFile(dir_ + "/f"), "new contents");
    EXPECT_NE(s.message().find("may not survive a crash"),
              absl::string_view::npos);
  } else {
    EXPECT_EQ(testing::ReadFile(dir_ + "/f"), "old contents");
    EXPECT_NE(s.message().find("previous file is intact"),
              absl::string_view::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Steps, AtomicFileFaultTest,
    ::testing::Values(WriteStep::kCreateTemp, WriteStep::kWrite,
                      WriteStep::kSync, WriteStep::kRename,
                      WriteStep::kSyncDirectory),
    [](const ::testing::TestParamInfo<WriteStep>& info) {
      return std::string(testing::WriteStepName(info.param));
    });

}  // namespace
}  // namespace layer_vault::store
