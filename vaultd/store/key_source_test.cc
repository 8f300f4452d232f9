#include "vaultd/store/key_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "vaultd/store/test_util.h"

namespace layer_vault::store {
namespace {

using ::layer_vault::store::testing::MakeTempDir;
using ::layer_vault::store::testing::RemoveTree;
using ::layer_vault::store::testing::WriteFile;

struct ParseCase {
  const char* spec;
  bool ok;
  KeySourceKind kind;
  const char* parameter;
};

class KeySourceParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(KeySourceParseTest, Parses) {
  const ParseCase& c = GetParam();
  absl::StatusOr<KeySource> source = KeySource::Parse(c.spec);
  if (!c.ok) {
    EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
    return;
  }
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(source->kind(), c.kind);
  EXPECT_EQ(source->parameter(), c.parameter);
  absl::StatusOr<KeySource> again = KeySource::Parse(source->ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == *source);
}

INSTANTIATE_TEST_SUITE_P(
    Specs, KeySourceParseTest,
    ::testing::Values(
        ParseCase{"passphrase", true, KeySourceKind::kPassphrase, ""},
        ParseCase{"systemd-credential:vaultd-store-key", true,
                  KeySourceKind::kSystemdCredential, "vaultd-store-key"},
        ParseCase{"key-file:/etc/vaultd/key", true, KeySourceKind::kKeyFile,
                  "/etc/vaultd/key"},
        ParseCase{"", false, KeySourceKind::kPassphrase, ""},
        ParseCase{"password", false, KeySourceKind::kPassphrase, ""},
        ParseCase{"passphrase:x", false, KeySourceKind::kPassphrase, ""},
        ParseCase{"tpm2:foo", false, KeySourceKind::kPassphrase, ""},
        ParseCase{"systemd-credential:", false, KeySourceKind::kPassphrase,
                  ""},
        ParseCase{"systemd-credential:../x", false,
                  KeySourceKind::kPassphrase, ""},
        ParseCase{"systemd-credential:..", false, KeySourceKind::kPassphrase,
                  ""},
        ParseCase{"key-file:", false, KeySourceKind::kPassphrase, ""}));

TEST(KeySourceTest, UnknownKindSaysWhatIsExpected) {
  absl::StatusOr<KeySource> source = KeySource::Parse("vault:xyz");
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.status().message().find("unknown key source"),
            absl::string_view::npos);
  EXPECT_NE(source.status().message().find("systemd-credential:NAME"),
            absl::string_view::npos);
}

TEST(KeySourceTest, RelativeKeyFileBecomesAbsolute) {
  absl::StatusOr<KeySource> source = KeySource::Parse("key-file:k.bin");
  ASSERT_TRUE(source.ok());
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  EXPECT_EQ(source->parameter(), std::string(cwd) + "/k.bin");
}

class KeyMaterialTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { RemoveTree(dir_); }
  std::string dir_;
};

TEST_F(KeyMaterialTest, ReadsKeyFile) {
  const std::string path = dir_ + "/key";
  ASSERT_TRUE(WriteNewKeyFile(path).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  EXPECT_EQ(WriteNewKeyFile(path).code(), absl::StatusCode::kAlreadyExists);

  absl::StatusOr<KeyMaterial> key =
      KeyMaterial::Read(*KeySource::Parse("key-file:" + path), {});
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->secret().size(), 32u);
  EXPECT_TRUE(key->secret().UnsafeView() ==
              testing::ReadFile(path));
}

TEST_F(KeyMaterialTest, KeyFileMustBePrivateAnd32Bytes) {
  const std::string path = dir_ + "/key";
  const KeySource source = *KeySource::Parse("key-file:" + path);

  absl::StatusOr<KeyMaterial> missing = KeyMaterial::Read(source, {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("missing key source"),
            absl::string_view::npos);

  WriteFile(path, std::string(32, 'k'), 0644);
  absl::StatusOr<KeyMaterial> open = KeyMaterial::Read(source, {});
  EXPECT_EQ(open.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(open.status().message().find("chmod 0600 '" + path + "'"),
            absl::string_view::npos)
      << open.status();

  WriteFile(path, std::string(32, 'k'), 0400);
  EXPECT_TRUE(KeyMaterial::Read(source, {}).ok());

  for (size_t size : {0, 31, 33, 64}) {
    chmod(path.c_str(), 0600);
    WriteFile(path, std::string(size, 'k'), 0600);
    EXPECT_EQ(KeyMaterial::Read(source, {}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << size;
  }

  const std::string link = dir_ + "/link";
  WriteFile(path, std::string(32, 'k'), 0600);
  ASSERT_EQ(symlink(path.c_str(), link.c_str()), 0);
  EXPECT_FALSE(
      KeyMaterial::Read(*KeySource::Parse("key-file:" + link), {}).ok());
}

TEST_F(KeyMaterialTest, SystemdCredential) {
  const KeySource source = *KeySource::Parse("systemd-credential:store-key");

  absl::StatusOr<KeyMaterial> unset = KeyMaterial::Read(source, {});
  EXPECT_EQ(unset.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unset.status().message().find("$CREDENTIALS_DIRECTORY"),
            absl::string_view::npos);

  KeyEnvironment env{dir_};
  absl::StatusOr<KeyMaterial> missing = KeyMaterial::Read(source, env);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(dir_ + "/store-key"),
            absl::string_view::npos);

  WriteFile(dir_ + "/store-key", std::string(32, 'c'), 0400);
  absl::StatusOr<KeyMaterial> key = KeyMaterial::Read(source, env);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->secret().UnsafeView(), std::string(32, 'c'));
}

TEST(PassphrasePolicyTest, LengthBounds) {
  EXPECT_FALSE(ValidateNewPassphrase(testing::Secret("short")).ok());
  EXPECT_TRUE(ValidateNewPassphrase(testing::Secret("eight ch")).ok());
  EXPECT_FALSE(
      ValidateNewPassphrase(testing::Secret(std::string(1025, 'x'))).ok());
}

}  // namespace
}  // namespace layer_vault::store
