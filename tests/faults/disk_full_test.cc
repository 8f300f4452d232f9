// vaultd started under a small RLIMIT_FSIZE (the stand-in for a full disk
// that needs no root and no tmpfs) with SIGXFSZ at its default disposition,
// as systemd's LimitFSIZE= leaves it: vaultd must ignore the signal itself
// so that write(2) fails with EFBIG, as it fails with ENOSPC on a full disk,
// instead of killing it part-way through the write. The limit lets
// the store's current version be rewritten but not a longer one. Storing a
// longer PAT (verified by the fake Layer.ai first) must fail with a clear
// gRPC error naming the cause and the store file; vaultd must keep serving;
// nothing may change on disk (same bytes, no temp file); after a restart
// without the limit the old PAT is still there and the new one can then be
// stored.

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/faults/vaultd_faults.h"
#include "tests/relay/relay_env.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/record.h"
#include "vaultd/store/test_util.h"

namespace layer_vault::tests::faults {
namespace {

using ::layer_vault::tests::relay::ContainsAnySecret;
using ::layer_vault::tests::relay::RelayEnv;
using ::layer_vault::tests::relay::RelayEnvOptions;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string Fingerprint(const std::string& pat) {
  return store::FingerprintOf(crypto::SecretBytes::CopyFrom(pat)).ToString();
}

// Starts `vaultd` with its soft RLIMIT_FSIZE at `limit` bytes: the limit is
// lowered in this process only while vaultd is spawned (it inherits it),
// then put back.
absl::Status StartWithFileSizeLimit(relay::VaultdProcess& vaultd,
                                    rlim_t limit) {
  struct rlimit saved;
  if (getrlimit(RLIMIT_FSIZE, &saved) != 0) {
    return absl::InternalError("getrlimit");
  }
  struct rlimit lowered = saved;
  lowered.rlim_cur = limit;
  if (setrlimit(RLIMIT_FSIZE, &lowered) != 0) {
    return absl::InternalError("setrlimit");
  }
  absl::Status started = vaultd.Start();
  if (setrlimit(RLIMIT_FSIZE, &saved) != 0) {
    return absl::InternalError("setrlimit (restore)");
  }
  return started;
}

// The "Max file size" soft limit of process `pid`, from /proc.
std::string MaxFileSize(pid_t pid) {
  std::istringstream limits(ReadWhole(absl::StrCat("/proc/", pid, "/limits")));
  std::string line;
  while (std::getline(limits, line)) {
    if (!absl::StartsWith(line, "Max file size")) continue;
    std::istringstream fields(line.substr(sizeof("Max file size") - 1));
    std::string soft;
    fields >> soft;
    return soft;
  }
  return "";
}

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // vaultd inherits the default disposition (a write past the limit
    // kills the writer) and must set its own.
    previous_sigxfsz_ = signal(SIGXFSZ, SIG_DFL);
    // The fake accepts a PAT of the longest form, so the new store version
    // is 464 bytes longer than the old one (which holds a 48-byte PAT).
    new_pat_ = store::testing::FakePat(512);
    RelayEnvOptions options;
    options.fake.pat = new_pat_;
    options.stored = RelayEnvOptions::Stored::kOtherPat;
    auto env = RelayEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    old_pat_ = env_->stored_pat();
    ASSERT_EQ(old_pat_.size(), 48u);
    store_file_ = env_->vaultd().state_dir() + "/credentials.enc";
  }

  void TearDown() override {
    admin_.reset();
    if (env_ != nullptr) {
      EXPECT_THAT(env_->FindLeaks(), IsEmpty());
      std::vector<std::string> secrets = env_->Secrets();
      secrets.push_back(new_pat_);
      EXPECT_FALSE(ContainsAnySecret(env_->vaultd().Stderr(), secrets));
      EXPECT_TRUE(env_->vaultd().Stop().ok());
    }
    signal(SIGXFSZ, previous_sigxfsz_);
  }

  void Connect() {
    auto admin = env_->Admin();
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = *std::move(admin);
  }

  std::string StoredFingerprint() {
    auto status = admin_->Status();
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? status->credential().fingerprint() : "";
  }

  sighandler_t previous_sigxfsz_ = SIG_DFL;
  std::unique_ptr<RelayEnv> env_;
  std::unique_ptr<client::AdminClient> admin_;
  std::string old_pat_;
  std::string new_pat_;
  std::string store_file_;
};

TEST_F(DiskFullTest, StoringAPatWithNoRoomFailsClearlyAndChangesNothing) {
  // vaultd has written its store once (signing keys); restart it under a
  // limit between the current size and the size of the next version.
  ASSERT_TRUE(env_->vaultd().Stop().ok());
  const std::string before = ReadWhole(store_file_);
  ASSERT_FALSE(before.empty());
  const rlim_t limit = before.size() + 232;
  absl::Status started = StartWithFileSizeLimit(env_->vaultd(), limit);
  ASSERT_TRUE(started.ok()) << started;
  ASSERT_EQ(MaxFileSize(env_->vaultd().pid()), std::to_string(limit));
  ASSERT_NO_FATAL_FAILURE(Connect());
  ASSERT_EQ(StoredFingerprint(), Fingerprint(old_pat_));

  const crypto::SecretBytes pat = crypto::SecretBytes::CopyFrom(new_pat_);
  auto set = admin_->SetCredential(pat, "", /*verify=*/true);
  ASSERT_FALSE(set.ok());
  std::cout << "SetCredential under RLIMIT_FSIZE=" << limit << ": "
            << set.status() << "\n";
  EXPECT_EQ(set.status().code(), absl::StatusCode::kResourceExhausted)
      << set.status();
  EXPECT_THAT(set.status().message(),
              AllOf(HasSubstr(store_file_), HasSubstr("File too large"),
                    HasSubstr("file size limit"),
                    HasSubstr("the previous file is intact")));
  EXPECT_FALSE(ContainsAnySecret(set.status().message(), {old_pat_, new_pat_}));
  // Layer.ai did accept the PAT: the write is what failed.
  std::vector<nlohmann::json> checks = env_->Recorded("GET", "/v1/workspaces");
  ASSERT_THAT(checks, SizeIs(1));
  EXPECT_EQ(checks[0]["status"], 200);

  // Nothing changed on disk, nothing was left behind.
  EXPECT_EQ(ReadWhole(store_file_), before);
  EXPECT_THAT(StoreTempFiles(env_->vaultd()), IsEmpty());

  // vaultd keeps serving, on the old PAT, and fails the same way again
  // (no half-applied state in memory, no stuck lock).
  EXPECT_EQ(StoredFingerprint(), Fingerprint(old_pat_));
  auto workload = env_->Client();
  ASSERT_TRUE(workload.ok()) << workload.status();
  auto token = (*workload)->IssueToken();
  EXPECT_TRUE(token.ok()) << token.status();
  auto rotate = admin_->RotateCredential(pat, "", /*verify=*/true);
  EXPECT_EQ(rotate.status().code(), absl::StatusCode::kResourceExhausted)
      << rotate.status();
  EXPECT_EQ(ReadWhole(store_file_), before);
  EXPECT_THAT(StoreTempFiles(env_->vaultd()), IsEmpty());
  EXPECT_TRUE(env_->vaultd().running());
  workload->reset();

  // Restarted without the limit: the old PAT is there, and the new one can
  // now be stored.
  admin_.reset();
  absl::Status stopped = env_->vaultd().Stop();
  ASSERT_TRUE(stopped.ok()) << stopped;
  absl::StatusOr<store::Record> offline = LoadStoreOffline(env_->vaultd());
  ASSERT_TRUE(offline.ok()) << offline.status();
  EXPECT_TRUE(offline->pat.UnsafeView() == old_pat_);
  started = env_->vaultd().Start();
  ASSERT_TRUE(started.ok()) << started;
  ASSERT_NO_FATAL_FAILURE(Connect());
  EXPECT_EQ(StoredFingerprint(), Fingerprint(old_pat_));
  auto retried = admin_->SetCredential(pat, "", /*verify=*/true);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(StoredFingerprint(), Fingerprint(new_pat_));
  EXPECT_THAT(StoreTempFiles(env_->vaultd()), IsEmpty());
}

}  // namespace
}  // namespace layer_vault::tests::faults
