// A passphrase store: vaultd starts sealed, answers FAILED_PRECONDITION
// until an admin unlocks it, and Lock seals it again.

#include <string>

#include "gtest/gtest.h"
#include "proto/vault.grpc.pb.h"
#include "tests/vaultd/vaultd_harness.h"
#include "tests/vaultd/vaultd_test_base.h"

namespace layer_vault::tests::vaultd {
namespace {

namespace v1 = layer::vault::v1;
using grpc::StatusCode;

constexpr char kPassphrase[] = "correct horse battery staple 42";

grpc::Status Unlock(Vaultd& vaultd, const std::string& passphrase) {
  v1::UnlockRequest req;
  req.set_passphrase(passphrase);
  v1::UnlockResponse resp;
  return Call(&v1::Admin::Stub::Unlock, vaultd.admin(), req, &resp);
}

grpc::Status Lock(Vaultd& vaultd) {
  v1::LockResponse resp;
  return Call(&v1::Admin::Stub::Lock, vaultd.admin(), v1::LockRequest(),
              &resp);
}

v1::StatusResponse AdminStatus(Vaultd& vaultd) {
  v1::StatusResponse resp;
  grpc::Status s =
      Call(&v1::Admin::Stub::Status, vaultd.admin(), v1::StatusRequest(), &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

bool PingSaysSealed(Vaultd& vaultd) {
  v1::PingResponse pong;
  grpc::Status s = Ping(vaultd.workload(), &pong);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return pong.sealed();
}

class SealedTest : public VaultdTest {};

TEST_F(SealedTest, PassphraseStoreStartsSealedUnlocksAndLocks) {
  VaultdOptions options;
  options.key_source = VaultdOptions::KeySource::kPassphrase;
  options.passphrase = kPassphrase;
  Vaultd* vaultd = StartVaultd(options);
  ASSERT_NE(vaultd, nullptr);

  // Sealed: Ping and Status work, token operations do not.
  EXPECT_TRUE(PingSaysSealed(*vaultd));
  v1::StatusResponse status = AdminStatus(*vaultd);
  EXPECT_TRUE(status.sealed());
  EXPECT_EQ(status.key_source(), "passphrase");
  v1::IssueTokenResponse issued;
  EXPECT_EQ(Issue(*vaultd, {"layer:read"}, &issued).error_code(),
            StatusCode::FAILED_PRECONDITION);
  v1::GetVerificationKeysResponse keys;
  EXPECT_EQ(Call(&v1::Workload::Stub::GetVerificationKeys, vaultd->workload(),
                 v1::GetVerificationKeysRequest(), &keys)
                .error_code(),
            StatusCode::FAILED_PRECONDITION);

  // A wrong passphrase leaves it sealed.
  EXPECT_EQ(Unlock(*vaultd, "not the passphrase").error_code(),
            StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(PingSaysSealed(*vaultd));
  EXPECT_EQ(Issue(*vaultd, {"layer:read"}, &issued).error_code(),
            StatusCode::FAILED_PRECONDITION);

  grpc::Status unlocked = Unlock(*vaultd, kPassphrase);
  ASSERT_TRUE(unlocked.ok()) << unlocked.error_message();
  EXPECT_FALSE(PingSaysSealed(*vaultd));
  EXPECT_FALSE(AdminStatus(*vaultd).sealed());
  ASSERT_TRUE(Issue(*vaultd, {"layer:read"}, &issued).ok());
  EXPECT_TRUE(Spend(vaultd->workload(), issued.token()).ok());
  EXPECT_EQ(Unlock(*vaultd, kPassphrase).error_code(),
            StatusCode::FAILED_PRECONDITION)
      << "already unlocked";

  // Lock: sealed again, and the outstanding token is unusable meanwhile.
  ASSERT_TRUE(Lock(*vaultd).ok());
  EXPECT_TRUE(PingSaysSealed(*vaultd));
  status = AdminStatus(*vaultd);
  EXPECT_TRUE(status.sealed());
  EXPECT_EQ(status.signing_key_ids_size(), 0);
  v1::IssueTokenResponse after_lock;
  EXPECT_EQ(Issue(*vaultd, {"layer:read"}, &after_lock).error_code(),
            StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Spend(vaultd->workload(), issued.token()).error_code(),
            StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Lock(*vaultd).ok()) << "Lock is idempotent";

  // The signing keys were persisted at the first unlock: after unlocking
  // again the earlier token verifies.
  ASSERT_TRUE(Unlock(*vaultd, kPassphrase).ok());
  EXPECT_TRUE(Spend(vaultd->workload(), issued.token()).ok());
}

TEST_F(SealedTest, KeyFileStoreStartsUnsealedAndRefusesUnlock) {
  Vaultd* vaultd = StartVaultd();
  ASSERT_NE(vaultd, nullptr);
  EXPECT_FALSE(PingSaysSealed(*vaultd));
  v1::StatusResponse status = AdminStatus(*vaultd);
  EXPECT_FALSE(status.sealed());
  EXPECT_EQ(status.key_source(), "key-file");
  EXPECT_EQ(Unlock(*vaultd, kPassphrase).error_code(),
            StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace layer_vault::tests::vaultd
