#include "vaultd/store/store.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "vaultd/store/fault_injection.h"
#include "vaultd/store/test_util.h"

namespace layer_vault::store {
namespace {

using ::layer_vault::store::testing::FakePat;
using ::layer_vault::store::testing::ListDir;
using ::layer_vault::store::testing::MakeTempDir;
using ::layer_vault::store::testing::ReadFile;
using ::layer_vault::store::testing::RemoveTree;
using ::layer_vault::store::testing::Secret;
using ::layer_vault::store::testing::WriteFile;

constexpr char kPassphrase[] = "correct horse battery staple";
constexpr char kWorkspace[] = "123e4567-e89b-12d3-a456-426614174000";

// The KDF is not the point of most tests: 1,000 iterations keep them fast.
StoreOptions FastOptions() {
  StoreOptions options;
  options.pbkdf2_iterations = 1000;
  options.min_iterations_for_testing = 1000;
  return options;
}

KeyMaterial Passphrase(const char* p = kPassphrase) {
  return KeyMaterial::FromPassphrase(Secret(p));
}

Record MakeRecord(const std::string& pat) {
  Record r;
  r.created_at = absl::FromUnixSeconds(1700000000);
  if (!pat.empty()) {
    EXPECT_TRUE(
        SetToken(r, Secret(pat), absl::FromUnixSeconds(1700000100)).ok());
  }
  r.workspace_id = kWorkspace;
  r.labels["env"] = "test";
  r.signing_keys = Secret(R"({"keys":[]})");
  return r;
}

bool HasCode(const absl::Status& s, std::set<absl::StatusCode> codes) {
  return codes.count(s.code()) > 0;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    dir_ = root_ + "/state";
    file_ = dir_ + "/credentials.enc";
  }
  void TearDown() override {
    chmod(dir_.c_str(), 0700);
    RemoveTree(root_);
  }

  // A store holding `pat`, unlocked by a passphrase.
  void CreatePassphraseStore(const std::string& pat) {
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Create(dir_, Passphrase(), MakeRecord(pat), FastOptions());
    ASSERT_TRUE(store.ok()) << store.status();
  }

  // A store holding `pat`, unlocked by a key file outside the state dir.
  KeyMaterial CreateKeyFileStore(const std::string& pat) {
    const std::string key_path = root_ + "/store.key";
    EXPECT_TRUE(WriteNewKeyFile(key_path).ok());
    absl::StatusOr<KeyMaterial> key =
        KeyMaterial::Read(*KeySource::Parse("key-file:" + key_path), {});
    EXPECT_TRUE(key.ok()) << key.status();
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Create(dir_, *key, MakeRecord(pat), FastOptions());
    EXPECT_TRUE(store.ok()) << store.status();
    return *std::move(key);
  }

  absl::StatusOr<Record> OpenAndLoad(const KeyMaterial& key,
                                     const StoreOptions& options =
                                         FastOptions()) {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_, options);
    if (!store.ok()) return store.status();
    return (*store)->Load(key);
  }

  std::string root_;
  std::string dir_;
  std::string file_;
};

TEST_F(StoreTest, PassphraseRoundTrip) {
  const std::string pat = FakePat();
  CreatePassphraseStore(pat);

  absl::StatusOr<Record> r = OpenAndLoad(Passphrase());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pat.UnsafeView(), pat);
  EXPECT_EQ(r->workspace_id, kWorkspace);
  EXPECT_EQ(r->created_at, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(r->rotated_at, absl::FromUnixSeconds(1700000100));
  EXPECT_EQ(r->rotation_due,
            absl::FromUnixSeconds(1700000100) + kDefaultRotationPeriod);
  EXPECT_EQ(r->labels.at("env"), "test");
  EXPECT_EQ(r->signing_keys.UnsafeView(), R"({"keys":[]})");

  struct stat st;
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // No plaintext on disk: neither the PAT nor the passphrase nor the record.
  const std::string bytes = ReadFile(file_);
  EXPECT_FALSE(absl::StrContains(bytes, pat));
  EXPECT_FALSE(absl::StrContains(bytes, "pat_"));
  EXPECT_FALSE(absl::StrContains(bytes, kPassphrase));
  EXPECT_FALSE(absl::StrContains(bytes, kWorkspace));
  EXPECT_EQ(ListDir(dir_), std::vector<std::string>{"credentials.enc"});
}

TEST_F(StoreTest, KeyFileRoundTrip) {
  const std::string pat = FakePat();
  KeyMaterial key = CreateKeyFileStore(pat);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->header().key_source == key.source());
  EXPECT_EQ((*store)->header().kdf, KdfId::kNone);
  absl::StatusOr<Record> r = (*store)->Load(key);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pat.UnsafeView(), pat);
}

TEST_F(StoreTest, SystemdCredentialRoundTrip) {
  const std::string creds = root_ + "/creds";
  ASSERT_EQ(mkdir(creds.c_str(), 0700), 0);
  WriteFile(creds + "/vaultd-store-key", std::string(32, '\x5a'), 0400);
  const KeySource source = *KeySource::Parse("systemd-credential:vaultd-store-key");
  absl::StatusOr<KeyMaterial> key = KeyMaterial::Read(source, {creds});
  ASSERT_TRUE(key.ok()) << key.status();
  const std::string pat = FakePat();
  ASSERT_TRUE(Store::Create(dir_, *key, MakeRecord(pat)).ok());

  absl::StatusOr<Record> r = OpenAndLoad(*KeyMaterial::Read(source, {creds}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pat.UnsafeView(), pat);

  // Without $CREDENTIALS_DIRECTORY the key source is missing.
  absl::StatusOr<KeyMaterial> none = KeyMaterial::Read(source, {});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, DefaultIterationsAre600000) {
  StoreOptions defaults;
  EXPECT_EQ(defaults.pbkdf2_iterations, 600000u);
  ASSERT_TRUE(Store::Create(dir_, Passphrase(), MakeRecord(FakePat())).ok());
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->header().iterations, 600000u);
  EXPECT_EQ((*store)->header().salt.size(), 32u);
}

TEST_F(StoreTest, RefusesFewerThan100000Iterations) {
  StoreOptions weak;
  weak.pbkdf2_iterations = 99999;
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Create(dir_, Passphrase(), MakeRecord(""), weak);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ListDir(root_).empty()) << "nothing may be created";

  // A store written with the test floor does not open in production.
  CreatePassphraseStore(FakePat());
  EXPECT_EQ(Store::Open(dir_).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(StoreTest, WrongPassphraseIsUnauthenticatedAndChangesNothing) {
  CreatePassphraseStore(FakePat());
  const std::string before = ReadFile(file_);
  absl::StatusOr<Record> r = OpenAndLoad(Passphrase("wrong passphrase"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "wrong passphrase"));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "tampered"));
  EXPECT_EQ(ReadFile(file_), before);
}

TEST_F(StoreTest, KeyOfAnotherKindIsRefused) {
  CreatePassphraseStore(FakePat());
  const std::string key_path = root_ + "/other.key";
  ASSERT_TRUE(WriteNewKeyFile(key_path).ok());
  absl::StatusOr<Record> r = OpenAndLoad(
      *KeyMaterial::Read(*KeySource::Parse("key-file:" + key_path), {}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, EveryByteFlippedFailsCleanly) {
  for (bool passphrase : {false, true}) {
    SCOPED_TRACE(passphrase ? "passphrase" : "key-file");
    RemoveTree(dir_);
    std::optional<KeyMaterial> key;
    if (passphrase) {
      CreatePassphraseStore(FakePat());
      key.emplace(Passphrase());
    } else {
      unlink((root_ + "/store.key").c_str());
      key.emplace(CreateKeyFileStore(FakePat()));
    }
    ASSERT_TRUE(OpenAndLoad(*key).ok());
    const std::string original = ReadFile(file_);
    for (size_t i = 0; i < original.size(); ++i) {
      for (uint8_t mask : {0x01, 0x80, 0xff}) {
        std::string flipped = original;
        flipped[i] = static_cast<char>(flipped[i] ^ mask);
        WriteFile(file_, flipped);
        absl::StatusOr<Record> r = OpenAndLoad(*key);
        ASSERT_FALSE(r.ok()) << "byte " << i << " mask " << int{mask};
        EXPECT_TRUE(HasCode(r.status(),
                            {absl::StatusCode::kUnauthenticated,
                             absl::StatusCode::kDataLoss,
                             absl::StatusCode::kOutOfRange,
                             absl::StatusCode::kUnimplemented,
                             absl::StatusCode::kInvalidArgument}))
            << "byte " << i << ": " << r.status();
        EXPECT_EQ(ReadFile(file_), flipped);
      }
    }
    WriteFile(file_, original);
    EXPECT_TRUE(OpenAndLoad(*key).ok());
  }
}

TEST_F(StoreTest, EveryTruncationIsReportedAsTruncated) {
  KeyMaterial key = CreateKeyFileStore(FakePat());
  const std::string original = ReadFile(file_);
  for (size_t len = 0; len < original.size(); ++len) {
    WriteFile(file_, original.substr(0, len));
    absl::StatusOr<Record> r = OpenAndLoad(key);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kOutOfRange) << len;
    EXPECT_TRUE(absl::StrContains(r.status().message(), "truncated")) << len;
  }
  WriteFile(file_, original + "x");
  EXPECT_EQ(OpenAndLoad(key).status().code(), absl::StatusCode::kDataLoss);
}

// Header fields that still parse after an edit are caught by the AEAD,
// because the whole header is the associated data.
TEST_F(StoreTest, HeaderFieldEditsAreDetected) {
  CreatePassphraseStore(FakePat());
  const std::string original = ReadFile(file_);
  struct Edit {
    const char* field;
    size_t offset;
    std::string bytes;
    absl::StatusCode code;
  };
  const std::vector<Edit> edits = {
      {"version", 8, std::string("\x00\x02", 2),
       absl::StatusCode::kUnimplemented},
      {"key source", 10, "\x07", absl::StatusCode::kUnimplemented},
      {"iterations", 12, std::string("\x00\x00\x03\xe9", 4),
       absl::StatusCode::kUnauthenticated},
      {"salt", 16, "S", absl::StatusCode::kUnauthenticated},
      {"salt end", 47, "S", absl::StatusCode::kUnauthenticated},
      {"store id", 48, "I", absl::StatusCode::kUnauthenticated},
      {"store id end", 63, "I", absl::StatusCode::kUnauthenticated},
  };
  for (const Edit& e : edits) {
    std::string edited = original;
    edited.replace(e.offset, e.bytes.size(), e.bytes);
    ASSERT_NE(edited, original) << e.field;
    WriteFile(file_, edited);
    absl::StatusOr<Record> r = OpenAndLoad(Passphrase());
    EXPECT_EQ(r.status().code(), e.code) << e.field << ": " << r.status();
  }
  WriteFile(file_, original);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_, FastOptions());
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Load(Passphrase()).ok());
}

TEST_F(StoreTest, KeyFilePathEditIsDetectedEvenWithTheSameKey) {
  KeyMaterial key = CreateKeyFileStore(FakePat());
  // Same key bytes at another path of the same length.
  const std::string other = root_ + "/other.key";
  ASSERT_EQ(other.size(), key.source().parameter().size());
  WriteFile(other, key.secret().UnsafeView(), 0600);
  std::string bytes = ReadFile(file_);
  size_t at = bytes.find(key.source().parameter());
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, other.size(), other);
  WriteFile(file_, bytes);
  absl::StatusOr<Record> r = OpenAndLoad(
      *KeyMaterial::Read(*KeySource::Parse("key-file:" + other), {}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated)
      << r.status();
}

TEST_F(StoreTest, UnknownVersionIsClear) {
  KeyMaterial key = CreateKeyFileStore(FakePat());
  std::string bytes = ReadFile(file_);
  bytes[9] = 7;
  WriteFile(file_, bytes);
  absl::Status s = Store::Open(dir_, FastOptions()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(absl::StrContains(s.message(), "format version 7")) << s;
}

TEST_F(StoreTest, MissingStoreIsNotFound) {
  absl::Status s = Store::Open(dir_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(s.message(), "vaultctl init")) << s;
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  s = Store::Open(dir_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(s.message(), "no credential store")) << s;
}

TEST_F(StoreTest, CreateRefusesToOverwrite) {
  CreatePassphraseStore(FakePat());
  const std::string before = ReadFile(file_);
  absl::StatusOr<std::unique_ptr<Store>> again =
      Store::Create(dir_, Passphrase(), MakeRecord(FakePat()), FastOptions());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(file_), before);
}

TEST_F(StoreTest, ShortPassphraseIsRefusedAtCreate) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Create(
      dir_, Passphrase("short"), MakeRecord(""), FastOptions());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, KeyFileInsideStateDirIsRefused) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  const std::string key_path = dir_ + "/key";
  ASSERT_TRUE(WriteNewKeyFile(key_path).ok());
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Create(
      dir_, *KeyMaterial::Read(*KeySource::Parse("key-file:" + key_path), {}),
      MakeRecord(""));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(store.status().message(), "beside the data"));
  EXPECT_EQ(ListDir(dir_), std::vector<std::string>{"key"});
}

TEST_F(StoreTest, OneStoreObjectPerDirectory) {
  CreatePassphraseStore(FakePat());
  absl::StatusOr<std::unique_ptr<Store>> first = Store::Open(dir_, FastOptions());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Store::Open(dir_, FastOptions()).status().code(),
            absl::StatusCode::kUnavailable);
  first->reset();
  EXPECT_TRUE(Store::Open(dir_, FastOptions()).ok());
}

TEST_F(StoreTest, SaveNeedsUnlockAndValidRecord) {
  CreatePassphraseStore(FakePat());
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_, FastOptions());
  ASSERT_TRUE(store.ok());
  const std::string before = ReadFile(file_);
  EXPECT_EQ((*store)->Save(MakeRecord(FakePat())).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*store)->Load(Passphrase()).ok());
  Record bad = MakeRecord(FakePat());
  bad.workspace_id = "not-a-uuid";
  EXPECT_EQ((*store)->Save(bad).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFile(file_), before);

  const std::string pat = FakePat();
  ASSERT_TRUE((*store)->Save(MakeRecord(pat)).ok());
  (*store)->Lock();
  EXPECT_FALSE((*store)->unlocked());
  store->reset();
  absl::StatusOr<Record> r = OpenAndLoad(Passphrase());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pat.UnsafeView(), pat);
}

TEST_F(StoreTest, SaveRemovesStaleTempFiles) {
  CreatePassphraseStore(FakePat());
  WriteFile(dir_ + "/.credentials.enc.tmp-deadbeef", "junk");
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_, FastOptions());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Load(Passphrase()).ok());
  ASSERT_TRUE((*store)->Save(MakeRecord(FakePat())).ok());
  EXPECT_EQ(ListDir(dir_), std::vector<std::string>{"credentials.enc"});
}

TEST_F(StoreTest, OpenRemovesTempFilesOfACrashedWriter) {
  // vaultd killed mid-write leaves a temp file (encrypted, but clutter);
  // the next process to open the store holds its lock and removes it.
  CreatePassphraseStore(FakePat());
  WriteFile(dir_ + "/.credentials.enc.tmp-0123456789abcdef", "junk");
  WriteFile(dir_ + "/unrelated", "kept");
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_, FastOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(ListDir(dir_),
            (std::vector<std::string>{"credentials.enc", "unrelated"}));
}

TEST_F(StoreTest, ChangePassphrase) {
  const std::string pat = FakePat();
  CreatePassphraseStore(pat);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_, FastOptions());
  ASSERT_TRUE(store.ok());
  const std::string old_salt = (*store)->header().salt;
  const std::string before = ReadFile(file_);

  EXPECT_EQ((*store)
                ->ChangePassphrase(Passphrase("not the passphrase"),
                                   Secret("a new passphrase"))
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*store)->ChangePassphrase(Passphrase(), Secret("short")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFile(file_), before);

  ASSERT_TRUE(
      (*store)->ChangePassphrase(Passphrase(), Secret("a new passphrase")).ok());
  EXPECT_NE((*store)->header().salt, old_salt);
  EXPECT_TRUE((*store)->unlocked());
  store->reset();

  EXPECT_EQ(OpenAndLoad(Passphrase()).status().code(),
            absl::StatusCode::kUnauthenticated);
  absl::StatusOr<Record> r = OpenAndLoad(Passphrase("a new passphrase"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pat.UnsafeView(), pat);
}

TEST_F(StoreTest, ChangePassphraseNeedsAPassphraseStore) {
  KeyMaterial key = CreateKeyFileStore(FakePat());
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_, FastOptions());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->ChangePassphrase(key, Secret("a new passphrase")).code(),
            absl::StatusCode::kFailedPrecondition);
}

class StoreFaultTest
    : public StoreTest,
      public ::testing::WithParamInterface<testing::WriteStep> {};

TEST_P(StoreFaultTest, FailedSaveKeepsTheOldStoreLoadable) {
  const std::string old_pat = FakePat();
  CreatePassphraseStore(old_pat);
  testing::FaultyFileOps faulty(GetParam());
  StoreOptions options = FastOptions();
  options.file_ops = &faulty;
  const std::string new_pat = FakePat();
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_, options);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Load(Passphrase()).ok());
    EXPECT_FALSE((*store)->Save(MakeRecord(new_pat)).ok());
  }
  EXPECT_EQ(ListDir(dir_), std::vector<std::string>{"credentials.enc"});
  absl::StatusOr<Record> r = OpenAndLoad(Passphrase());
  ASSERT_TRUE(r.ok()) << r.status();
  // Up to the rename the old store is untouched; a failed directory fsync
  // comes after the rename, so the new (complete) store is there.
  EXPECT_EQ(r->pat.UnsafeView(),
            GetParam() == testing::WriteStep::kSyncDirectory ? new_pat
                                                             : old_pat);
}

TEST_P(StoreFaultTest, FailedChangePassphraseLeavesOneWorkingPassphrase) {
  CreatePassphraseStore(FakePat());
  testing::FaultyFileOps faulty(GetParam());
  StoreOptions options = FastOptions();
  options.file_ops = &faulty;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_, options);
    ASSERT_TRUE(store.ok());
    EXPECT_FALSE((*store)
                     ->ChangePassphrase(Passphrase(), Secret("a new passphrase"))
                     .ok());
  }
  const bool renamed = GetParam() == testing::WriteStep::kSyncDirectory;
  EXPECT_EQ(OpenAndLoad(Passphrase()).ok(), !renamed);
  EXPECT_EQ(OpenAndLoad(Passphrase("a new passphrase")).ok(), renamed);
}

INSTANTIATE_TEST_SUITE_P(
    Steps, StoreFaultTest,
    ::testing::Values(testing::WriteStep::kCreateTemp,
                      testing::WriteStep::kWrite, testing::WriteStep::kSync,
                      testing::WriteStep::kRename,
                      testing::WriteStep::kSyncDirectory),
    [](const ::testing::TestParamInfo<testing::WriteStep>& info) {
      return std::string(testing::WriteStepName(info.param));
    });

TEST_F(StoreTest, InsecurePermissionsAreRefusedWithTheFix) {
  CreatePassphraseStore(FakePat());
  const std::string before = ReadFile(file_);

  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  absl::Status s = Store::Open(dir_, FastOptions()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "chmod 0700 '" + dir_ + "'"))
      << s;
  ASSERT_EQ(chmod(dir_.c_str(), 0700), 0);

  for (mode_t mode : {0640, 0604, 0660}) {
    ASSERT_EQ(chmod(file_.c_str(), mode), 0);
    s = Store::Open(dir_, FastOptions()).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(absl::StrContains(s.message(), "chmod 0600 '" + file_ + "'"))
        << s;
  }
  ASSERT_EQ(chmod(file_.c_str(), 0400), 0);
  EXPECT_TRUE(OpenAndLoad(Passphrase()).ok()) << "0400 is private too";
  ASSERT_EQ(chmod(file_.c_str(), 0600), 0);

  // A symlink in place of the store is refused, never followed.
  ASSERT_EQ(rename(file_.c_str(), (root_ + "/real").c_str()), 0);
  ASSERT_EQ(symlink((root_ + "/real").c_str(), file_.c_str()), 0);
  s = Store::Open(dir_, FastOptions()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "symlink")) << s;
  ASSERT_EQ(unlink(file_.c_str()), 0);
  ASSERT_EQ(rename((root_ + "/real").c_str(), file_.c_str()), 0);
  EXPECT_EQ(ReadFile(file_), before);
}

TEST_F(StoreTest, ExistingOpenDirectoryIsRefusedAtCreate) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  absl::Status s =
      Store::Create(dir_, Passphrase(), MakeRecord(""), FastOptions()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "chmod 0700")) << s;
  EXPECT_TRUE(ListDir(dir_).empty());
}

}  // namespace
}  // namespace layer_vault::store
