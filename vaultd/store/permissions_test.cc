#include "vaultd/store/permissions.h"

#include <sys/stat.h>

#include "gtest/gtest.h"

namespace layer_vault::store {
namespace {

struct stat Stat(mode_t type, mode_t mode, uid_t uid) {
  struct stat st = {};
  st.st_mode = type | mode;
  st.st_uid = uid;
  return st;
}

TEST(ShellQuoteTest, QuotesSingleQuotes) {
  EXPECT_EQ(ShellQuote("/a b"), "'/a b'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
}

struct ModeCase {
  mode_t type;
  mode_t mode;
  bool ok;
  const char* fix;  // expected fix command prefix when !ok
};

class DirectoryModeTest : public ::testing::TestWithParam<ModeCase> {};

TEST_P(DirectoryModeTest, RefusesGroupOrWorldAccess) {
  const ModeCase& c = GetParam();
  absl::Status s = CheckPrivateDirectory(Stat(c.type, c.mode, 7), "/s d", 7);
  if (c.ok) {
    EXPECT_TRUE(s.ok()) << s;
  } else {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find(c.fix), absl::string_view::npos) << s;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, DirectoryModeTest,
    ::testing::Values(ModeCase{S_IFDIR, 0700, true, ""},
                      ModeCase{S_IFDIR, 0500, true, ""},
                      ModeCase{S_IFDIR, 0750, false, "chmod 0700 '/s d'"},
                      ModeCase{S_IFDIR, 0701, false, "chmod 0700 '/s d'"},
                      ModeCase{S_IFDIR, 0777, false, "chmod 0700 '/s d'"},
                      ModeCase{S_IFREG, 0700, false, "not a directory"}));

class FileModeTest : public ::testing::TestWithParam<ModeCase> {};

TEST_P(FileModeTest, RefusesGroupOrWorldAccess) {
  const ModeCase& c = GetParam();
  absl::Status s = CheckPrivateFile(Stat(c.type, c.mode, 7), "/f", 7);
  if (c.ok) {
    EXPECT_TRUE(s.ok()) << s;
  } else {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find(c.fix), absl::string_view::npos) << s;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, FileModeTest,
    ::testing::Values(ModeCase{S_IFREG, 0600, true, ""},
                      ModeCase{S_IFREG, 0400, true, ""},
                      ModeCase{S_IFREG, 0640, false, "chmod 0600 '/f'"},
                      ModeCase{S_IFREG, 0604, false, "chmod 0600 '/f'"},
                      ModeCase{S_IFREG, 0666, false, "chmod 0600 '/f'"},
                      ModeCase{S_IFDIR, 0600, false, "not a regular file"}));

class KeyFileModeTest : public ::testing::TestWithParam<ModeCase> {};

TEST_P(KeyFileModeTest, AcceptsOnly0400And0600) {
  const ModeCase& c = GetParam();
  absl::Status s = CheckKeyFile(Stat(c.type, c.mode, 7), "/k", 7);
  if (c.ok) {
    EXPECT_TRUE(s.ok()) << s;
  } else {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find(c.fix), absl::string_view::npos) << s;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, KeyFileModeTest,
    ::testing::Values(ModeCase{S_IFREG, 0600, true, ""},
                      ModeCase{S_IFREG, 0400, true, ""},
                      ModeCase{S_IFREG, 0700, false, "chmod 0600 '/k'"},
                      ModeCase{S_IFREG, 0200, false, "chmod 0600 '/k'"},
                      ModeCase{S_IFREG, 0644, false, "chmod 0600 '/k'"}));

TEST(OwnerTest, ForeignOwnerGivesChown) {
  absl::Status dir = CheckPrivateDirectory(Stat(S_IFDIR, 0700, 1234), "/d", 0);
  EXPECT_EQ(dir.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(dir.message().find("owned by uid 1234"), absl::string_view::npos);
  EXPECT_NE(dir.message().find("chown "), absl::string_view::npos);
  EXPECT_NE(dir.message().find(" '/d'"), absl::string_view::npos);

  EXPECT_EQ(CheckPrivateFile(Stat(S_IFREG, 0600, 1234), "/f", 0).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckKeyFile(Stat(S_IFREG, 0600, 1234), "/k", 0).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace layer_vault::store
