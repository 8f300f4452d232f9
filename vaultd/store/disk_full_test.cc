// A store write that runs out of room part-way, with the real FileOps: a
// forked child lowers RLIMIT_FSIZE (SIGXFSZ ignored, so write(2) fails with
// EFBIG as it would with ENOSPC on a full disk) below the size of the new
// version and saves. The error must name the cause and the store file; the
// old store must be byte-for-byte intact and load with the old contents; no
// temp file may be left behind.

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/store/atomic_file.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"
#include "vaultd/store/store.h"
#include "vaultd/store/test_util.h"

namespace layer_vault::store {
namespace {

using ::layer_vault::store::testing::FakePat;
using ::layer_vault::store::testing::ListDir;
using ::layer_vault::store::testing::MakeTempDir;
using ::layer_vault::store::testing::ReadFile;
using ::layer_vault::store::testing::RemoveTree;
using ::layer_vault::store::testing::Secret;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kWorkspace[] = "123e4567-e89b-12d3-a456-426614174000";

Record MakeRecord(const std::string& pat, const std::string& label) {
  Record r;
  r.created_at = absl::FromUnixSeconds(1700000000);
  EXPECT_TRUE(SetToken(r, Secret(pat), absl::FromUnixSeconds(1700000100)).ok());
  r.workspace_id = kWorkspace;
  r.labels["version"] = label;
  r.signing_keys = Secret(R"({"keys":[]})");
  return r;
}

// The real FileOps, noting how far the temp file got when a write failed.
class MeasuringFileOps : public FileOps {
 public:
  absl::Status Write(int fd, absl::string_view data) override {
    absl::Status status = FileOps::Write(fd, data);
    struct stat st;
    if (!status.ok() && fstat(fd, &st) == 0) {
      reached = st.st_size;
      wanted = static_cast<off_t>(data.size());
    }
    return status;
  }
  off_t reached = -1;
  off_t wanted = -1;
};

// What the child saw: the status of Save and how far the temp file got.
struct ChildResult {
  int code = -1;
  std::string message;
  off_t reached = -1;
  off_t wanted = -1;
};

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    dir_ = root_ + "/state";
    file_ = dir_ + "/" + Store::kFileName;
    key_path_ = root_ + "/store.key";
    ASSERT_TRUE(WriteNewKeyFile(key_path_).ok());
  }
  void TearDown() override { RemoveTree(root_); }

  KeyMaterial Key() {
    absl::StatusOr<KeySource> source =
        KeySource::Parse("key-file:" + key_path_);
    EXPECT_TRUE(source.ok()) << source.status();
    absl::StatusOr<KeyMaterial> key = KeyMaterial::Read(*source, {});
    EXPECT_TRUE(key.ok()) << key.status();
    return *std::move(key);
  }

  // Creates the store holding `record` (no limit).
  void CreateStore(const Record& record) {
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Create(dir_, Key(), record);
    ASSERT_TRUE(store.ok()) << store.status();
  }

  // In a forked child limited to `limit` bytes per file: Open, Load, Save
  // MakeRecord(pat, label). The child reports through a pipe and never
  // returns to gtest. (The record is made in the child: SecretBytes memory
  // is wiped in a forked child.)
  ChildResult SaveInLimitedChild(const std::string& pat,
                                 const std::string& label, rlim_t limit) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      signal(SIGXFSZ, SIG_IGN);
      struct rlimit rl;
      getrlimit(RLIMIT_FSIZE, &rl);
      rl.rlim_cur = limit;
      std::string report;
      if (setrlimit(RLIMIT_FSIZE, &rl) != 0) {
        report = absl::StrCat("-1\n-1\n-1\nsetrlimit: ", std::strerror(errno));
      } else {
        MeasuringFileOps ops;
        StoreOptions options;
        options.file_ops = &ops;
        absl::Status status;
        absl::StatusOr<std::unique_ptr<Store>> store =
            Store::Open(dir_, options);
        if (!store.ok()) {
          status = store.status();
        } else if (absl::StatusOr<Record> loaded = (*store)->Load(Key());
                   !loaded.ok()) {
          status = loaded.status();
        } else {
          status = (*store)->Save(MakeRecord(pat, label));
        }
        report =
            absl::StrCat(static_cast<int>(status.code()), "\n", ops.reached,
                         "\n", ops.wanted, "\n", status.message());
      }
      const char* p = report.data();
      size_t left = report.size();
      while (left > 0) {
        const ssize_t n = write(fds[1], p, left);
        if (n <= 0) break;
        p += n;
        left -= static_cast<size_t>(n);
      }
      _exit(0);
    }
    close(fds[1]);
    std::string report;
    char buf[1024];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof(buf))) > 0) report.append(buf, n);
    close(fds[0]);
    int wstatus = 0;
    EXPECT_EQ(waitpid(pid, &wstatus, 0), pid);
    EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
    ChildResult result;
    std::vector<std::string> lines =
        absl::StrSplit(report, absl::MaxSplits('\n', 3));
    if (lines.size() != 4) {
      ADD_FAILURE() << "child report: " << report;
      return result;
    }
    result.code = std::stoi(lines[0]);
    result.reached = std::stoll(lines[1]);
    result.wanted = std::stoll(lines[2]);
    result.message = lines[3];
    return result;
  }

  // The store loads and holds `pat` and `label`.
  void ExpectStoreHolds(const std::string& pat, const std::string& label) {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<Record> record = (*store)->Load(Key());
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_TRUE(record->pat.UnsafeView() == pat) << "the stored PAT changed";
    EXPECT_EQ(record->workspace_id, kWorkspace);
    EXPECT_EQ(record->labels["version"], label);
  }

  std::string root_;
  std::string dir_;
  std::string file_;
  std::string key_path_;
};

TEST_F(DiskFullTest, SaveThatRunsOutOfRoomPartWayLeavesTheOldStore) {
  const std::string old_pat = FakePat(48);
  CreateStore(MakeRecord(old_pat, "old"));
  const std::string before = ReadFile(file_);
  // The new version is 464 bytes longer; the limit falls in the middle of
  // the growth, so the kernel takes part of the write and refuses the rest.
  const rlim_t limit = before.size() + 232;

  ChildResult result = SaveInLimitedChild(FakePat(512), "new", limit);
  std::cout << "the error ("
            << absl::StatusCodeToString(
                   static_cast<absl::StatusCode>(result.code))
            << "): " << result.message << "\n";
  EXPECT_EQ(result.code, static_cast<int>(absl::StatusCode::kResourceExhausted))
      << result.message;
  EXPECT_THAT(result.message,
              AllOf(HasSubstr(file_), HasSubstr("File too large"),
                    HasSubstr("file size limit"),
                    HasSubstr("the previous file is intact")));
  // Part-way: the kernel accepted bytes up to the limit, not the whole.
  EXPECT_EQ(result.reached, static_cast<off_t>(limit));
  EXPECT_GT(result.wanted, result.reached);

  EXPECT_EQ(ReadFile(file_), before);
  EXPECT_THAT(ListDir(dir_), ElementsAre(Store::kFileName));
  ExpectStoreHolds(old_pat, "old");
}

TEST_F(DiskFullTest, NoRoomAtAllLeavesTheOldStore) {
  const std::string old_pat = FakePat(48);
  CreateStore(MakeRecord(old_pat, "old"));
  const std::string before = ReadFile(file_);

  ChildResult result = SaveInLimitedChild(FakePat(48), "new", 0);
  EXPECT_EQ(result.code, static_cast<int>(absl::StatusCode::kResourceExhausted))
      << result.message;
  EXPECT_THAT(result.message,
              AllOf(HasSubstr(file_), HasSubstr("File too large")));
  EXPECT_EQ(result.reached, 0);

  EXPECT_EQ(ReadFile(file_), before);
  EXPECT_THAT(ListDir(dir_), ElementsAre(Store::kFileName));
  ExpectStoreHolds(old_pat, "old");
}

TEST_F(DiskFullTest, TheLimitIsTheOnlyCause) {
  // Control: the same save in the same kind of child, with room to spare,
  // succeeds (so the failures above come from the limit).
  CreateStore(MakeRecord(FakePat(48), "old"));
  const std::string before = ReadFile(file_);
  const std::string new_pat = FakePat(512);
  ChildResult result = SaveInLimitedChild(new_pat, "new", before.size() + 4096);
  EXPECT_EQ(result.code, 0) << result.message;
  EXPECT_THAT(ListDir(dir_), ElementsAre(Store::kFileName));
  ExpectStoreHolds(new_pat, "new");
}

}  // namespace
}  // namespace layer_vault::store
