// Tokens end to end through the real vaultd: issue, verify (GetSpend),
// refusals, revocation, and the binding of a token to the process it was
// issued to. Expiry and not-yet-valid tokens need an injected clock: they
// are covered by vaultd/token's unit tests.

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "proto/vault.grpc.pb.h"
#include "tests/vaultd/vaultd_harness.h"
#include "tests/vaultd/vaultd_test_base.h"

namespace layer_vault::tests::vaultd {
namespace {

namespace v1 = layer::vault::v1;
using grpc::StatusCode;

constexpr char kHeader[] = "v4.public.";

// The token's two segments after the header: payload (claims || signature)
// and footer, both base64url.
struct Parts {
  std::string payload;
  std::string footer;
};

Parts Split(const std::string& token) {
  std::vector<std::string> parts =
      absl::StrSplit(token.substr(sizeof(kHeader) - 1), '.');
  EXPECT_EQ(parts.size(), 2u) << "token is not header.payload.footer";
  parts.resize(2);
  return {parts[0], parts[1]};
}

std::string Join(const Parts& p) {
  return absl::StrCat(kHeader, p.payload, ".", p.footer);
}

// Changes the character at `i` to another base64url character that is
// valid at any position but the last.
std::string Flip(std::string s, size_t i) {
  s[i] = s[i] == 'A' ? 'B' : 'A';
  return s;
}

class TokenTest : public VaultdTest {
 protected:
  void SetUp() override {
    vaultd_ = StartVaultd();
    ASSERT_NE(vaultd_, nullptr);
  }
  Vaultd* vaultd_ = nullptr;
};

TEST_F(TokenTest, IssuedTokenVerifiesAndDescribesItself) {
  v1::IssueTokenResponse issued;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &issued).ok());
  EXPECT_EQ(issued.token().rfind(kHeader, 0), 0u);
  EXPECT_EQ(issued.jti().size(), 22u);  // 128 bits, unpadded base64url
  EXPECT_FALSE(issued.key_id().empty());
  ASSERT_EQ(issued.scopes_size(), 1);
  EXPECT_EQ(issued.scopes(0), "layer:read");
  EXPECT_EQ(issued.expires_at_unix() - issued.issued_at_unix(), 300);
  EXPECT_NEAR(issued.issued_at_unix(), absl::ToUnixSeconds(absl::Now()), 5);

  grpc::Status spend = Spend(vaultd_->workload(), issued.token());
  EXPECT_TRUE(spend.ok()) << spend.error_message();

  // The key that signed it is published as the current one.
  v1::GetVerificationKeysResponse keys;
  ASSERT_TRUE(Call(&v1::Workload::Stub::GetVerificationKeys,
                   vaultd_->workload(), v1::GetVerificationKeysRequest(), &keys)
                  .ok());
  bool found = false;
  for (const auto& key : keys.keys()) {
    if (key.key_id() != issued.key_id()) continue;
    found = true;
    EXPECT_TRUE(key.current());
    EXPECT_EQ(key.algorithm(), "Ed25519");
    EXPECT_EQ(key.public_key().size(), 32u);
  }
  EXPECT_TRUE(found) << "key " << issued.key_id() << " not published";
}

TEST_F(TokenTest, TokenIsBoundToTheProcessNotTheConnection) {
  v1::IssueTokenResponse issued;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read", "layer:upload"}, &issued).ok());
  auto other_connection = vaultd_->NewWorkloadStub();
  grpc::Status spend = Spend(*other_connection, issued.token());
  EXPECT_TRUE(spend.ok()) << spend.error_message();
}

TEST_F(TokenTest, RequestedLifetimeIsClampedToTheHardCap) {
  v1::IssueTokenRequest req;
  req.add_scopes("layer:read");
  req.set_ttl_seconds(100000);
  v1::IssueTokenResponse issued;
  ASSERT_TRUE(
      Call(&v1::Workload::Stub::IssueToken, vaultd_->workload(), req, &issued)
          .ok());
  vaultd_->AddSecret(issued.token());
  EXPECT_EQ(issued.expires_at_unix() - issued.issued_at_unix(), 900);
}

TEST_F(TokenTest, AnotherAudienceIsInvalidArgument) {
  v1::IssueTokenResponse issued;
  EXPECT_EQ(Issue(*vaultd_, {"layer:read"}, &issued, "some-other-service")
                .error_code(),
            StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(issued.token().empty());
  // The one audience vaultd serves may be named explicitly.
  EXPECT_TRUE(Issue(*vaultd_, {"layer:read"}, &issued, "layer-relay").ok());
}

TEST_F(TokenTest, EmptyScopeListIsInvalidArgument) {
  v1::IssueTokenResponse issued;
  EXPECT_EQ(Issue(*vaultd_, {}, &issued).error_code(),
            StatusCode::INVALID_ARGUMENT);
}

TEST_F(TokenTest, UnknownScopeIsInvalidArgument) {
  v1::IssueTokenResponse issued;
  EXPECT_EQ(Issue(*vaultd_, {"layer:admin"}, &issued).error_code(),
            StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Issue(*vaultd_, {"layer:read", "layer:read "}, &issued)
                .error_code(),
            StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(issued.token().empty());
}

TEST_F(TokenTest, ScopeNotGrantedByPolicyIsPermissionDenied) {
  // The default policy grants this process layer:read and layer:upload.
  v1::IssueTokenResponse issued;
  EXPECT_EQ(Issue(*vaultd_, {"layer:generate"}, &issued).error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Issue(*vaultd_, {"layer:read", "layer:generate"}, &issued)
                .error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(issued.token().empty());
  EXPECT_TRUE(Issue(*vaultd_, {"layer:upload"}, &issued).ok());
}

TEST_F(TokenTest, TamperedTokensAreUnauthenticated) {
  v1::IssueTokenResponse issued;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &issued).ok());
  const Parts parts = Split(issued.token());
  ASSERT_GT(parts.payload.size(), 100u);

  struct Case {
    std::string name;
    std::string token;
  };
  std::vector<Case> cases = {
      {"claims byte", Join({Flip(parts.payload, 10), parts.footer})},
      {"signature byte",
       Join({Flip(parts.payload, parts.payload.size() - 10), parts.footer})},
      {"footer kid",
       Join({parts.payload, absl::WebSafeBase64Escape(R"({"kid":"x"})")})},
      {"no footer", absl::StrCat(kHeader, parts.payload)},
      {"truncated", issued.token().substr(0, issued.token().size() / 2)},
      {"appended byte", issued.token() + "A"},
      {"v4.local header",
       absl::StrCat("v4.local.", parts.payload, ".", parts.footer)},
      {"empty", ""},
  };
  for (const Case& c : cases) {
    vaultd_->AddSecret(c.token);
    EXPECT_EQ(Spend(vaultd_->workload(), c.token).error_code(),
              StatusCode::UNAUTHENTICATED)
        << c.name;
  }
  // The untouched token still verifies.
  EXPECT_TRUE(Spend(vaultd_->workload(), issued.token()).ok());
}

TEST_F(TokenTest, TokenOfAnotherVaultdIsUnauthenticated) {
  Vaultd* other = StartVaultd();
  ASSERT_NE(other, nullptr);
  v1::IssueTokenResponse mine, theirs;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &mine).ok());
  ASSERT_TRUE(Issue(*other, {"layer:read"}, &theirs).ok());
  vaultd_->AddSecret(theirs.token());
  ASSERT_NE(mine.key_id(), theirs.key_id());
  ASSERT_TRUE(Spend(other->workload(), theirs.token()).ok());

  // As issued: its key id is unknown here.
  EXPECT_EQ(Spend(vaultd_->workload(), theirs.token()).error_code(),
            StatusCode::UNAUTHENTICATED);
  // Relabelled with this vaultd's key id: the signature does not verify.
  const std::string relabelled =
      Join({Split(theirs.token()).payload, Split(mine.token()).footer});
  vaultd_->AddSecret(relabelled);
  EXPECT_EQ(Spend(vaultd_->workload(), relabelled).error_code(),
            StatusCode::UNAUTHENTICATED);
}

TEST_F(TokenTest, RevokedJtiIsUnauthenticated) {
  v1::IssueTokenResponse revoked, kept;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &revoked).ok());
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &kept).ok());
  ASSERT_TRUE(Spend(vaultd_->workload(), revoked.token()).ok());

  v1::RevokeTokenRequest req;
  req.set_jti(revoked.jti());
  v1::RevokeTokenResponse resp;
  grpc::Status s =
      Call(&v1::Admin::Stub::RevokeToken, vaultd_->admin(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();

  EXPECT_EQ(Spend(vaultd_->workload(), revoked.token()).error_code(),
            StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Spend(vaultd_->workload(), kept.token()).ok());

  req.set_jti("not a jti");
  EXPECT_EQ(Call(&v1::Admin::Stub::RevokeToken, vaultd_->admin(), req, &resp)
                .error_code(),
            StatusCode::INVALID_ARGUMENT);
}

TEST_F(TokenTest, RevokeAllRefusesEarlierTokensButNotLaterOnes) {
  v1::IssueTokenResponse before;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &before).ok());
  ASSERT_TRUE(Spend(vaultd_->workload(), before.token()).ok());

  v1::RevokeAllResponse revoked;
  ASSERT_TRUE(Call(&v1::Admin::Stub::RevokeAll, vaultd_->admin(),
                   v1::RevokeAllRequest(), &revoked)
                  .ok());
  EXPECT_GT(revoked.revoked_before_unix(), before.issued_at_unix());
  EXPECT_EQ(Spend(vaultd_->workload(), before.token()).error_code(),
            StatusCode::UNAUTHENTICATED);

  // A token issued right after RevokeAll, even within the same second,
  // verifies: vaultd dates it at the epoch.
  v1::IssueTokenResponse after;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &after).ok());
  grpc::Status after_status = Spend(vaultd_->workload(), after.token());
  EXPECT_TRUE(after_status.ok()) << after_status.error_message();
  EXPECT_GE(after.issued_at_unix(), revoked.revoked_before_unix());
}

TEST_F(TokenTest, TokenPresentedByAnotherProcessIsUnauthenticated) {
  v1::IssueTokenResponse issued;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &issued).ok());
  const std::string socket = "--socket=" + vaultd_->workload_socket();

  // Control: the helper (same uid, allowed by the policy) can get and use
  // a token of its own.
  auto own = RunTestClient({socket, "--rpc=issue_and_spend"});
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(*own, CodeLine(StatusCode::OK));

  auto copied = RunTestClient({socket, "--rpc=spend"}, issued.token());
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(*copied, CodeLine(StatusCode::UNAUTHENTICATED));

  // Still good for the process it was issued to.
  EXPECT_TRUE(Spend(vaultd_->workload(), issued.token()).ok());
}

}  // namespace
}  // namespace layer_vault::tests::vaultd
