// Foreign-owner refusals. Root owns everything it creates, so these tests
// hand a directory or file to another uid with chown: they need root and no
// linux-sandbox (which maps only root), hence tags = ["no-sandbox"].
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"
#include "vaultd/store/store.h"
#include "vaultd/store/test_util.h"

namespace layer_vault::store {
namespace {

constexpr uid_t kOther = 65534;  // nobody

class OwnershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to chown to another uid";
    root_ = testing::MakeTempDir();
    dir_ = root_ + "/state";
    file_ = dir_ + "/credentials.enc";
    key_path_ = root_ + "/store.key";
    ASSERT_TRUE(WriteNewKeyFile(key_path_).ok());
    Record record;
    ASSERT_TRUE(Store::Create(dir_, Key(), record).ok());
    if (chown(file_.c_str(), kOther, static_cast<gid_t>(-1)) != 0) {
      GTEST_SKIP() << "cannot chown to uid 65534 here (errno " << errno
                   << "); run without the sandbox";
    }
    ASSERT_EQ(chown(file_.c_str(), 0, static_cast<gid_t>(-1)), 0);
  }
  void TearDown() override {
    if (!root_.empty()) testing::RemoveTree(root_);
  }

  KeyMaterial Key() {
    return *KeyMaterial::Read(*KeySource::Parse("key-file:" + key_path_), {});
  }

  void ExpectChownFix(const std::string& path) {
    ASSERT_EQ(chown(path.c_str(), kOther, static_cast<gid_t>(-1)), 0);
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_);
    absl::Status s = store.ok() ? (*store)->Load(Key()).status()
                                : store.status();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "owned by uid 65534")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "chown root '" + path + "'"))
        << s;
    ASSERT_EQ(chown(path.c_str(), 0, static_cast<gid_t>(-1)), 0);
  }

  std::string root_, dir_, file_, key_path_;
};

TEST_F(OwnershipTest, ForeignOwnedStateDirectory) { ExpectChownFix(dir_); }

TEST_F(OwnershipTest, ForeignOwnedStoreFile) { ExpectChownFix(file_); }

TEST_F(OwnershipTest, ForeignOwnedKeyFile) {
  ASSERT_EQ(chown(key_path_.c_str(), kOther, static_cast<gid_t>(-1)), 0);
  absl::StatusOr<KeyMaterial> key =
      KeyMaterial::Read(*KeySource::Parse("key-file:" + key_path_), {});
  EXPECT_EQ(key.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(key.status().message(),
                                "chown root '" + key_path_ + "'"))
      << key.status();
}

TEST_F(OwnershipTest, OwnFilesLoad) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->Load(Key()).ok());
}

}  // namespace
}  // namespace layer_vault::store
