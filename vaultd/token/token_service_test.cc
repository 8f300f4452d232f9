#include "vaultd/token/token_service.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/crypto/ed25519.h"
#include "vaultd/token/base64url.h"
#include "vaultd/token/claims.h"
#include "vaultd/token/keyring.h"
#include "vaultd/token/paseto.h"

namespace layer_vault::token {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixSeconds(1796396400);  // 2026-12-04
const absl::Duration kLeeway = absl::Seconds(30);

CallerIdentity Caller() {
  CallerIdentity caller;
  caller.uid = 1000;
  caller.gid = 1000;
  caller.pid = 4242;
  caller.process_start_time = 987654;
  return caller;
}

IssueRequest Request(std::vector<std::string> scopes = {"layer:read",
                                                        "layer:generate"}) {
  IssueRequest request;
  request.scopes = std::move(scopes);
  return request;
}

std::unique_ptr<TokenService> NewService(absl::Time now = kT0) {
  absl::StatusOr<std::unique_ptr<Keyring>> keyring = Keyring::Create(now);
  EXPECT_TRUE(keyring.ok());
  absl::StatusOr<std::unique_ptr<TokenService>> service =
      TokenService::Create(*std::move(keyring));
  EXPECT_TRUE(service.ok()) << service.status();
  return *std::move(service);
}

// Signs arbitrary claims the way Issue does, for tokens Issue would refuse
// to make (other audience, overlong lifetime, ...).
std::string SignClaims(const Signer& signer, const Claims& claims,
                       const CallerIdentity& caller) {
  absl::StatusOr<std::string> payload = SerializeClaims(claims);
  EXPECT_TRUE(payload.ok()) << payload.status();
  absl::StatusOr<std::string> token =
      SignV4Public(*signer.key, *payload, *SerializeFooter(signer.kid),
                   CallerBinding(caller));
  EXPECT_TRUE(token.ok());
  return *token;
}

Claims ValidClaims(absl::Time iat) {
  Claims c;
  c.iss = "vaultd";
  c.sub = "1000";
  c.aud = "layer-relay";
  c.scope = {"layer:read"};
  c.iat = iat;
  c.nbf = iat;
  c.exp = iat + absl::Minutes(5);
  c.jti = "AAECAwQFBgcICQoLDA0ODw";
  return c;
}

class TokenServiceTest : public testing::Test {
 protected:
  void SetUp() override {
    service_ = NewService();
    absl::StatusOr<IssuedToken> issued =
        service_->Issue(Caller(), Request(), kT0);
    ASSERT_TRUE(issued.ok()) << issued.status();
    issued_ = *std::move(issued);
  }

  absl::Status Check(absl::string_view token,
                     const CallerIdentity& caller = Caller(),
                     absl::Time now = kT0 + absl::Minutes(1),
                     absl::string_view scope = "layer:read") {
    absl::StatusOr<VerifiedToken> verified =
        service_->Verify(token, caller, scope, now);
    if (!verified.ok()) {
      // No failure ever echoes the token.
      EXPECT_THAT(verified.status().message(),
                  Not(HasSubstr(issued_.token.substr(10, 12))));
      EXPECT_THAT(verified.status().message(), Not(HasSubstr(".eyJ")));
    }
    return verified.status();
  }

  void ExpectUnauthenticated(absl::Status status, absl::string_view reason) {
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
    EXPECT_THAT(status.message(), HasSubstr(reason));
  }

  std::unique_ptr<TokenService> service_;
  IssuedToken issued_;
};

TEST_F(TokenServiceTest, IssueAndVerify) {
  EXPECT_TRUE(absl::StartsWith(issued_.token, "v4.public."));
  EXPECT_EQ(issued_.kid, service_->keyring().CurrentSigner().kid);
  EXPECT_TRUE(IsValidJti(issued_.jti));
  EXPECT_EQ(issued_.issued_at, kT0);
  EXPECT_EQ(issued_.expires_at, kT0 + absl::Seconds(300));
  EXPECT_EQ(issued_.scopes,
            (std::vector<std::string>{"layer:read", "layer:generate"}));
  EXPECT_EQ(*ReadUntrustedKeyId(issued_.token), issued_.kid);

  absl::StatusOr<VerifiedToken> verified = service_->Verify(
      issued_.token, Caller(), "layer:generate", kT0 + absl::Minutes(1));
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->kid, issued_.kid);
  EXPECT_EQ(verified->claims.iss, "vaultd");
  EXPECT_EQ(verified->claims.sub, "1000");
  EXPECT_EQ(verified->claims.aud, "layer-relay");
  EXPECT_EQ(verified->claims.jti, issued_.jti);
  EXPECT_EQ(verified->claims.exp, issued_.expires_at);
  EXPECT_EQ(verified->claims.scope, issued_.scopes);
  // No scope required: any valid token.
  EXPECT_TRUE(service_->Verify(issued_.token, Caller(), "", kT0).ok());
}

TEST_F(TokenServiceTest, IssuedAtIsWholeSecondsAndJtisAreUnique) {
  absl::flat_hash_set<std::string> jtis;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<IssuedToken> issued =
        service_->Issue(Caller(), Request(), kT0 + absl::Milliseconds(1500));
    ASSERT_TRUE(issued.ok());
    EXPECT_EQ(issued->issued_at, kT0 + absl::Seconds(1));
    EXPECT_TRUE(jtis.insert(issued->jti).second);
  }
}

TEST_F(TokenServiceTest, TtlDefaultsAndIsClampedToTheHardCap) {
  const std::vector<std::pair<absl::Duration, absl::Duration>> cases = {
      {absl::ZeroDuration(), absl::Seconds(300)},
      {-absl::Seconds(5), absl::Seconds(300)},
      {absl::Seconds(60), absl::Seconds(60)},
      {absl::Milliseconds(60500), absl::Seconds(60)},
      {absl::Seconds(900), absl::Seconds(900)},
      {absl::Seconds(901), absl::Seconds(900)},
      {absl::Hours(24 * 365), absl::Seconds(900)},
  };
  for (const auto& [requested, granted] : cases) {
    IssueRequest request = Request();
    request.ttl = requested;
    absl::StatusOr<IssuedToken> issued =
        service_->Issue(Caller(), request, kT0);
    ASSERT_TRUE(issued.ok());
    EXPECT_EQ(issued->expires_at - issued->issued_at, granted) << requested;
  }
}

TEST_F(TokenServiceTest, ExpiryAndNotBeforeHonourTheLeeway) {
  const absl::Time exp = issued_.expires_at;
  EXPECT_TRUE(Check(issued_.token, Caller(), exp).ok());
  EXPECT_TRUE(Check(issued_.token, Caller(), exp + kLeeway).ok());
  ExpectUnauthenticated(
      Check(issued_.token, Caller(), exp + kLeeway + absl::Seconds(1)),
      "token expired");

  EXPECT_TRUE(Check(issued_.token, Caller(), kT0 - kLeeway).ok());
  ExpectUnauthenticated(
      Check(issued_.token, Caller(), kT0 - kLeeway - absl::Seconds(1)),
      "not yet valid");
}

TEST_F(TokenServiceTest, FutureNotBeforeIsRejected) {
  Claims c = ValidClaims(kT0);
  c.nbf = kT0 + absl::Minutes(2);
  const std::string token =
      SignClaims(service_->keyring().CurrentSigner(), c, Caller());
  ExpectUnauthenticated(Check(token, Caller(), kT0 + absl::Minutes(1)),
                        "not yet valid");
  EXPECT_TRUE(Check(token, Caller(), kT0 + absl::Minutes(2)).ok());
}

TEST_F(TokenServiceTest, ClaimsPolicyIsEnforced) {
  const Signer signer = service_->keyring().CurrentSigner();
  Claims aud = ValidClaims(kT0);
  aud.aud = "someone-else";
  ExpectUnauthenticated(Check(SignClaims(signer, aud, Caller())),
                        "audience is wrong");
  Claims iss = ValidClaims(kT0);
  iss.iss = "not-vaultd";
  ExpectUnauthenticated(Check(SignClaims(signer, iss, Caller())),
                        "issuer is wrong");
  Claims sub = ValidClaims(kT0);
  sub.sub = "0";
  ExpectUnauthenticated(Check(SignClaims(signer, sub, Caller())),
                        "subject is not the calling uid");
  Claims lifetime = ValidClaims(kT0);
  lifetime.exp = kT0 + absl::Seconds(901);
  ExpectUnauthenticated(Check(SignClaims(signer, lifetime, Caller())),
                        "lifetime exceeds");
  EXPECT_TRUE(Check(SignClaims(signer, ValidClaims(kT0), Caller())).ok());
}

TEST_F(TokenServiceTest, MalformedSignedClaimsAreRejected) {
  const Signer signer = service_->keyring().CurrentSigner();
  absl::StatusOr<std::string> token =
      SignV4Public(*signer.key, R"({"sub":"1000"})",
                   *SerializeFooter(signer.kid), CallerBinding(Caller()));
  ASSERT_TRUE(token.ok());
  ExpectUnauthenticated(Check(*token), "malformed token claims");
}

TEST_F(TokenServiceTest, MissingScopeIsPermissionDenied) {
  absl::Status status =
      Check(issued_.token, Caller(), kT0 + absl::Minutes(1), "layer:upload");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("layer:upload"));
}

TEST_F(TokenServiceTest, EveryByteFlipIsRejected) {
  const std::string& token = issued_.token;
  for (size_t i = 0; i < token.size(); ++i) {
    std::string tampered = token;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    EXPECT_EQ(Check(tampered).code(), absl::StatusCode::kUnauthenticated)
        << "position " << i;
  }
}

TEST_F(TokenServiceTest, CallerBindingMismatchIsRejected) {
  CallerIdentity other_pid = Caller();
  other_pid.pid = 4243;
  CallerIdentity other_uid = Caller();
  other_uid.uid = 1001;
  CallerIdentity other_start = Caller();
  other_start.process_start_time += 1;
  for (const CallerIdentity& caller : {other_pid, other_uid, other_start}) {
    ExpectUnauthenticated(Check(issued_.token, caller), "another caller");
  }
  // gid and pidfd_identity are not part of the binding.
  CallerIdentity other_gid = Caller();
  other_gid.gid = 0;
  other_gid.pidfd_identity = "pidfd:123";
  EXPECT_TRUE(Check(issued_.token, other_gid).ok());
}

TEST(CallerBindingTest, IsCanonicalAndInjective) {
  CallerIdentity a = Caller();
  CallerIdentity b = Caller();
  EXPECT_EQ(CallerBinding(a), CallerBinding(b));
  // uid 1, pid 23 vs uid 12, pid 3: distinct thanks to length prefixes.
  a.uid = 1;
  a.pid = 23;
  b.uid = 12;
  b.pid = 3;
  EXPECT_NE(CallerBinding(a), CallerBinding(b));
  EXPECT_THAT(CallerBinding(a), HasSubstr("layer-vault.caller-binding.v1"));
  // The same pid and start time after a reboot is another process.
  b = a;
  b.boot_id = "another-boot";
  EXPECT_NE(CallerBinding(a), CallerBinding(b));
}

TEST_F(TokenServiceTest, TokenFromAnotherKeyIsRejected) {
  std::unique_ptr<TokenService> other = NewService();
  absl::StatusOr<IssuedToken> foreign = other->Issue(Caller(), Request(), kT0);
  ASSERT_TRUE(foreign.ok());
  ExpectUnauthenticated(Check(foreign->token), "unknown or expired key");

  // Another key claiming our kid: the signature does not verify.
  Signer forged = other->keyring().CurrentSigner();
  forged.kid = issued_.kid;
  ExpectUnauthenticated(Check(SignClaims(forged, ValidClaims(kT0), Caller())),
                        "signature is invalid");
}

TEST_F(TokenServiceTest, UnknownOrMalformedKidIsRejected) {
  const Signer signer = service_->keyring().CurrentSigner();
  const std::string payload = *SerializeClaims(ValidClaims(kT0));
  for (const std::string& footer :
       {std::string(R"({"kid":"AAAAAAAAAAAAAAAAAAAAAA"})"), std::string(""),
        std::string(R"({"kid":"x","wpk":"y"})"), std::string(R"({"kid":42})"),
        std::string("not json")}) {
    absl::StatusOr<std::string> token =
        SignV4Public(*signer.key, payload, footer, CallerBinding(Caller()));
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(Check(*token).code(), absl::StatusCode::kUnauthenticated)
        << footer;
  }
  // Non-canonical spelling of our own kid footer: refused by the exact
  // footer comparison.
  absl::StatusOr<std::string> spaced = SignV4Public(
      *signer.key, payload, absl::StrCat(R"({ "kid": ")", signer.kid, "\"}"),
      CallerBinding(Caller()));
  ASSERT_TRUE(spaced.ok());
  ExpectUnauthenticated(Check(*spaced), "footer does not match");
}

TEST_F(TokenServiceTest, MalformedTokensAreRejected) {
  const std::string& token = issued_.token;
  const size_t dot = token.rfind('.');
  const std::string rest = token.substr(10);
  const std::string body = token.substr(10, dot - 10);
  const std::string footer = token.substr(dot + 1);
  std::string padded_body = body;
  while (padded_body.size() % 4 != 0) padded_body += '=';
  std::string padded_footer = footer;
  while (padded_footer.size() % 4 != 0) padded_footer += '=';
  ASSERT_TRUE(padded_body != body || padded_footer != footer);

  ExpectUnauthenticated(Check("v4.local." + rest), "not a v4.public token");
  ExpectUnauthenticated(Check("v3.public." + rest), "not a v4.public token");
  ExpectUnauthenticated(Check("v4.public." + padded_body + "." + padded_footer),
                        "padding");
  ExpectUnauthenticated(Check(token + "." + footer), "more than two segments");
  ExpectUnauthenticated(Check("v4.public." + body), "no footer");
  ExpectUnauthenticated(Check(""), "not a v4.public token");
  ExpectUnauthenticated(Check("v4.public." + std::string(kMaxTokenSize, 'A')),
                        "too large");
}

TEST_F(TokenServiceTest, SwappedFooterAfterRotationIsRejected) {
  service_->keyring().Rotate(kT0 + absl::Seconds(10));
  absl::StatusOr<IssuedToken> newer =
      service_->Issue(Caller(), Request(), kT0 + absl::Seconds(10));
  ASSERT_TRUE(newer.ok());
  ASSERT_NE(newer->kid, issued_.kid);
  const std::string swapped =
      issued_.token.substr(0, issued_.token.rfind('.')) +
      newer->token.substr(newer->token.rfind('.'));
  ExpectUnauthenticated(Check(swapped), "signature is invalid");
}

TEST_F(TokenServiceTest, RotationOverlapAndRetirement) {
  const absl::Time rotated_at = kT0 + absl::Minutes(2);
  const Signer old_signer = service_->keyring().CurrentSigner();
  service_->keyring().Rotate(rotated_at);

  // Old token keeps verifying until it expires.
  EXPECT_TRUE(Check(issued_.token, Caller(), rotated_at).ok());
  EXPECT_TRUE(Check(issued_.token, Caller(), issued_.expires_at).ok());

  // New tokens are signed by the new key and verify too.
  absl::StatusOr<IssuedToken> fresh =
      service_->Issue(Caller(), Request(), rotated_at);
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(fresh->kid, old_signer.kid);
  EXPECT_TRUE(Check(fresh->token, Caller(), rotated_at).ok());

  // A token the retired key signs after its retirement is refused even
  // though the key still verifies older tokens.
  const std::string late = SignClaims(
      old_signer, ValidClaims(rotated_at + absl::Minutes(1)), Caller());
  ExpectUnauthenticated(Check(late, Caller(), rotated_at + absl::Minutes(2)),
                        "outside its signing key's lifetime");

  // A longest-lived token issued right before rotation still verifies at
  // its last second; then the key is gone.
  const absl::Time last = rotated_at + absl::Seconds(900) + kLeeway;
  Claims longest = ValidClaims(rotated_at);
  longest.exp = rotated_at + absl::Seconds(900);
  const std::string longest_token = SignClaims(old_signer, longest, Caller());
  EXPECT_TRUE(Check(longest_token, Caller(), last).ok());
  service_->Prune(last + absl::Seconds(1));
  ExpectUnauthenticated(Check(longest_token, Caller(), last),
                        "unknown or expired key");
}

TEST_F(TokenServiceTest, RevokedJtiIsRejectedUntilItCannotMatter) {
  absl::StatusOr<IssuedToken> other = service_->Issue(Caller(), Request(), kT0);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(service_->RevokeJti(issued_.jti, kT0 + absl::Seconds(5)).ok());
  ExpectUnauthenticated(Check(issued_.token), "token revoked");
  EXPECT_TRUE(Check(other->token).ok());
  EXPECT_EQ(service_->revoked_jti_count(), 1u);

  // Kept for as long as any token carrying it could verify, then pruned.
  const absl::Time keep_until =
      kT0 + absl::Seconds(5) + absl::Seconds(900) + kLeeway;
  service_->Prune(keep_until);
  EXPECT_EQ(service_->revoked_jti_count(), 1u);
  service_->Prune(keep_until + absl::Seconds(1));
  EXPECT_EQ(service_->revoked_jti_count(), 0u);

  EXPECT_EQ(service_->RevokeJti("not-a-jti", kT0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->RevokeJti(issued_.jti + "=", kT0).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TokenServiceTest, RevokeAllRejectsEarlierTokens) {
  const absl::Time epoch = service_->RevokeAll(kT0 + absl::Milliseconds(500));
  EXPECT_EQ(epoch, kT0 + absl::Seconds(1));
  EXPECT_EQ(service_->revocation_epoch(), epoch);
  ExpectUnauthenticated(Check(issued_.token), "revocation epoch");

  // Issued later in the same second: dated at the epoch, so a client that
  // re-issues right after a revoke-all gets a working token.
  absl::StatusOr<IssuedToken> same_second =
      service_->Issue(Caller(), Request(), kT0 + absl::Milliseconds(700));
  ASSERT_TRUE(same_second.ok());
  EXPECT_EQ(same_second->issued_at, epoch);
  EXPECT_TRUE(Check(same_second->token).ok());

  absl::StatusOr<IssuedToken> after =
      service_->Issue(Caller(), Request(), epoch);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(Check(after->token).ok());

  // Never lowered.
  service_->RestoreRevocationEpoch(kT0 - absl::Hours(1));
  EXPECT_EQ(service_->RevokeAll(kT0 - absl::Hours(1)), epoch);
  EXPECT_EQ(service_->revocation_epoch(), epoch);
  service_->RestoreRevocationEpoch(epoch + absl::Seconds(10));
  ExpectUnauthenticated(Check(after->token), "revocation epoch");
}

TEST_F(TokenServiceTest, IssueValidatesItsInput) {
  EXPECT_EQ(service_->Issue(Caller(), Request({}), kT0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(service_->Issue(Caller(), Request({"bad scope"}), kT0).ok());
  EXPECT_FALSE(service_->Issue(Caller(), Request({"a", "a"}), kT0).ok());
  IssueRequest audience = Request();
  audience.audience = "elsewhere";
  EXPECT_EQ(service_->Issue(Caller(), audience, kT0).status().code(),
            absl::StatusCode::kInvalidArgument);
  audience.audience = "layer-relay";
  EXPECT_TRUE(service_->Issue(Caller(), audience, kT0).ok());
  CallerIdentity no_pid = Caller();
  no_pid.pid = 0;
  EXPECT_FALSE(service_->Issue(no_pid, Request(), kT0).ok());
}

TEST(TokenServiceCreateTest, OptionsMustFitTheKeyring) {
  TokenServiceOptions options;
  options.max_ttl = absl::Seconds(1800);
  options.default_ttl = absl::Seconds(300);
  EXPECT_EQ(
      TokenService::Create(*Keyring::Create(kT0), options).status().code(),
      absl::StatusCode::kInvalidArgument);
  options = TokenServiceOptions();
  options.default_ttl = absl::Seconds(1000);
  EXPECT_FALSE(TokenService::Create(*Keyring::Create(kT0), options).ok());
  options = TokenServiceOptions();
  options.default_ttl = absl::Milliseconds(300500);
  EXPECT_FALSE(TokenService::Create(*Keyring::Create(kT0), options).ok());
  options = TokenServiceOptions();
  options.audience = "";
  EXPECT_FALSE(TokenService::Create(*Keyring::Create(kT0), options).ok());
  EXPECT_FALSE(TokenService::Create(nullptr).ok());
}

TEST(TokenServiceConcurrencyTest, IssueVerifyRevokeRotateConcurrently) {
  std::unique_ptr<TokenService> service = NewService();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&, i] {
      CallerIdentity caller = Caller();
      caller.pid += i;
      while (!stop.load()) {
        absl::StatusOr<IssuedToken> issued =
            service->Issue(caller, Request(), kT0 + absl::Seconds(5));
        if (!issued.ok() || !service
                                 ->Verify(issued->token, caller, "layer:read",
                                          kT0 + absl::Seconds(6))
                                 .ok()) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    service->keyring().Rotate(kT0 + absl::Seconds(5));
    ASSERT_TRUE(
        service->RevokeJti(Base64UrlEncode(std::string(16, char(i))), kT0)
            .ok());
    service->Prune(kT0 + absl::Seconds(5));
  }
  stop.store(true);
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace layer_vault::token
