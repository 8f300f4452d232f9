// kill -9 of vaultd in the middle of SetCredential and of RotateCredential
// (admin API, verify on: vaultd checks the new PAT with the fake Layer.ai
// over HTTPS, then writes the store), 200 times each. The kill lands at a
// delay after the request is sent, drawn by a fixed-seed PRNG from 0 to 1.2x
// the call's measured duration, so kills fall before, during and after the
// durable write. After every kill the store is loaded offline with the
// Store API: it must hold exactly the old or the new PAT (never neither,
// never unreadable), the new one whenever vaultd had answered OK; a temp
// file left by the crash must not stop the next start, which is checked
// with Admin Status. Both outcomes must occur: that proves the window was
// hit.
//
// The store starts with a PAT the fake rejects (the "old" one); the "new"
// one is the fake's. After a kill that left the new PAT, the old one is put
// back offline, so every iteration starts from the same state.

#include <algorithm>
#include <atomic>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/faults/vaultd_faults.h"
#include "tests/relay/relay_env.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/record.h"

namespace layer_vault::tests::faults {
namespace {

using ::layer_vault::tests::relay::ContainsAnySecret;
using ::layer_vault::tests::relay::RelayEnv;
using ::layer_vault::tests::relay::RelayEnvOptions;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int kIterations = 200;
constexpr uint64_t kSeed = 0x6b696c6c2d39;  // "kill-9"
constexpr int kCalibrationCalls = 3;
constexpr double kWindowFactor = 1.2;

enum class Rpc { kSetCredential, kRotateCredential };

std::string Fingerprint(const std::string& pat) {
  return store::FingerprintOf(crypto::SecretBytes::CopyFrom(pat)).ToString();
}

// The RPC under test, with verification by Layer.ai.
absl::Status Send(client::AdminClient& admin, Rpc rpc, const std::string& pat) {
  const crypto::SecretBytes secret = crypto::SecretBytes::CopyFrom(pat);
  return rpc == Rpc::kSetCredential
             ? admin.SetCredential(secret, "", /*verify=*/true).status()
             : admin.RotateCredential(secret, "", /*verify=*/true).status();
}

class CredentialKillTest : public ::testing::TestWithParam<Rpc> {
 protected:
  void SetUp() override {
    RelayEnvOptions options;
    options.stored = RelayEnvOptions::Stored::kOtherPat;
    auto env = RelayEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    old_pat_ = env_->stored_pat();
    new_pat_ = env_->fake().pat();
    ASSERT_NE(old_pat_, new_pat_);
    ASSERT_NO_FATAL_FAILURE(Connect());
  }

  void TearDown() override {
    if (env_ == nullptr) return;
    EXPECT_THAT(env_->FindLeaks(), IsEmpty());
    admin_.reset();
  }

  // A fresh admin client, connected, and vaultd's Status: it must have
  // loaded the old PAT.
  void Connect() {
    auto admin = env_->Admin();
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = *std::move(admin);
    auto status = admin_->Status();
    ASSERT_TRUE(status.ok()) << status.status();
    ASSERT_EQ(status->credential().fingerprint(), Fingerprint(old_pat_))
        << "vaultd did not start with the old PAT";
  }

  // Kills vaultd, checks nothing of the crash is left that stops it, and
  // starts it again.
  void Restart() {
    admin_.reset();
    ASSERT_TRUE(KillAndReap(env_->vaultd()).ok());
    absl::Status started = env_->vaultd().Start();
    ASSERT_TRUE(started.ok()) << started;
    ASSERT_NO_FATAL_FAILURE(Connect());
  }

  // How long the RPC takes when nothing kills it: the median of a few
  // calls, each the first after a start (as in the loop: a new TLS
  // connection to Layer.ai, a new admin connection).
  absl::Duration MeasureCall() {
    std::vector<absl::Duration> durations;
    for (int i = 0; i < kCalibrationCalls; ++i) {
      const absl::Time start = absl::Now();
      const absl::Status sent = Send(*admin_, GetParam(), new_pat_);
      durations.push_back(absl::Now() - start);
      EXPECT_TRUE(sent.ok()) << sent;
      auto back = admin_->SetCredential(crypto::SecretBytes::CopyFrom(old_pat_),
                                        "", /*verify=*/false);
      EXPECT_TRUE(back.ok()) << back.status();
      Restart();
    }
    std::sort(durations.begin(), durations.end());
    return durations[durations.size() / 2];
  }

  std::unique_ptr<RelayEnv> env_;
  std::unique_ptr<client::AdminClient> admin_;
  std::string old_pat_;
  std::string new_pat_;
};

TEST_P(CredentialKillTest, EveryKillLeavesTheOldOrTheNewPat) {
  const absl::Duration call = MeasureCall();
  ASSERT_FALSE(HasFailure());
  const absl::Duration window = call * kWindowFactor;

  std::mt19937_64 rng(kSeed);
  std::uniform_real_distribution<double> fraction(0.0, 1.0);
  int held_old = 0, held_new = 0, acknowledged = 0, new_unacknowledged = 0,
      temp_left = 0;
  size_t most_temp_files = 0;
  for (int i = 0; i < kIterations; ++i) {
    const absl::Duration delay = window * fraction(rng);
    absl::Status result = absl::UnknownError("not run");
    const absl::Time sent = absl::Now();
    std::thread caller([&] { result = Send(*admin_, GetParam(), new_pat_); });
    absl::SleepFor(delay - (absl::Now() - sent));
    ASSERT_TRUE(KillAndReap(env_->vaultd()).ok()) << "iteration " << i;
    caller.join();
    admin_.reset();

    const std::vector<std::string> temps = StoreTempFiles(env_->vaultd());
    if (!temps.empty()) ++temp_left;
    most_temp_files = std::max(most_temp_files, temps.size());

    absl::StatusOr<store::Record> record = LoadStoreOffline(env_->vaultd());
    ASSERT_TRUE(record.ok()) << "iteration " << i << ", kill after " << delay
                             << ": " << record.status();
    const bool is_old = record->pat.UnsafeView() == old_pat_;
    const bool is_new = record->pat.UnsafeView() == new_pat_;
    ASSERT_TRUE(is_old || is_new)
        << "iteration " << i << ", kill after " << delay
        << ": the store holds neither the old nor the new PAT";
    if (result.ok()) {
      ++acknowledged;
      ASSERT_TRUE(is_new) << "iteration " << i
                          << ": vaultd answered OK but the store lost the PAT";
    }
    if (is_new) {
      ++held_new;
      if (!result.ok()) ++new_unacknowledged;
      absl::Status back = ReplacePatOffline(env_->vaultd(), old_pat_);
      ASSERT_TRUE(back.ok()) << back;
    } else {
      ++held_old;
    }

    absl::Status started = env_->vaultd().Start();
    ASSERT_TRUE(started.ok()) << "iteration " << i << ": " << started;
    ASSERT_NO_FATAL_FAILURE(Connect()) << "iteration " << i;
  }

  std::cout << (GetParam() == Rpc::kSetCredential ? "SetCredential"
                                                  : "RotateCredential")
            << ": " << kIterations << " kills over 0.." << window << " (call "
            << call << "): old " << held_old << ", new " << held_new << " ("
            << acknowledged << " answered OK before the kill, "
            << new_unacknowledged << " written but not answered); " << temp_left
            << " left a temp file (at most " << most_temp_files
            << " at once)\n";
  EXPECT_EQ(held_old + held_new, kIterations);
  EXPECT_GT(held_old, 0) << "no kill landed before the write";
  EXPECT_GT(held_new, 0) << "no kill landed after the write";
  // Each write removes its crashed predecessors' temp files first.
  EXPECT_LE(most_temp_files, 1u);

  // Afterwards a clean call still works and leaves no temp file behind.
  const absl::Status last = Send(*admin_, GetParam(), new_pat_);
  ASSERT_TRUE(last.ok()) << last;
  auto status = admin_->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->credential().fingerprint(), Fingerprint(new_pat_));
  admin_.reset();
  EXPECT_TRUE(env_->vaultd().Stop().ok());
  EXPECT_THAT(StoreTempFiles(env_->vaultd()), IsEmpty());
  absl::StatusOr<store::Record> record = LoadStoreOffline(env_->vaultd());
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE(record->pat.UnsafeView() == new_pat_);
  EXPECT_FALSE(ContainsAnySecret(env_->vaultd().Stderr(), env_->Secrets()));
}

INSTANTIATE_TEST_SUITE_P(Rpcs, CredentialKillTest,
                         ::testing::Values(Rpc::kSetCredential,
                                           Rpc::kRotateCredential),
                         [](const ::testing::TestParamInfo<Rpc>& info) {
                           return std::string(info.param == Rpc::kSetCredential
                                                  ? "SetCredential"
                                                  : "RotateCredential");
                         });

}  // namespace
}  // namespace layer_vault::tests::faults
