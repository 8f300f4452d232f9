#include "vaultd/token/paseto.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/crypto/ed25519.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/token/base64url.h"
#include "vaultd/token/pae.h"

namespace layer_vault::token {
namespace {

using ::testing::HasSubstr;

// Upstream PASETO test vectors 4-S-1..3 (paseto-standard/test-vectors v4.json).
constexpr absl::string_view kSeedHex =
    "b4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774";
constexpr absl::string_view kPublicHex =
    "1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2";
constexpr absl::string_view kPayload =
    "{\"data\":\"this is a signed "
    "message\",\"exp\":\"2022-01-01T00:00:00+00:00\"}";
constexpr absl::string_view kFooter =
    "{\"kid\":\"zVhMiPBP9fRf2snEcT7gFTioeA9COcNy9DfgL1W60haN\"}";

struct Vector {
  const char* name;
  const char* token;
  const char* footer;
  const char* implicit_assertion;
};

const Vector kVectors[] = {
    {"4-S-1",
     "v4.public.eyJkYXRhIjoidGhpcyBpcyBhIHNpZ25lZCBtZXNzYWdlIiwiZXhwIjoiMjAyMi0"
     "wMS0wMVQwMDowMDowMCswMDowMCJ9bg_XBBzds8lTZShVlwwKSgeKpLT3yukTw6JUz3W4h_E"
     "xsQV-P0V54zemZDcAxFaSeef1QlXEFtkqxT1ciiQEDA",
     "", ""},
    {"4-S-2",
     "v4.public.eyJkYXRhIjoidGhpcyBpcyBhIHNpZ25lZCBtZXNzYWdlIiwiZXhwIjoiMjAyMi0"
     "wMS0wMVQwMDowMDowMCswMDowMCJ9v3Jt8mx_TdM2ceTGoqwrh4yDFn0XsHvvV_D0DtwQxVr"
     "JEBMl0F2caAdgnpKlt4p7xBnx1HcO-SPo8FPp214HDw.eyJraWQiOiJ6VmhNaVBCUDlmUmYy"
     "c25FY1Q3Z0ZUaW9lQTlDT2NOeTlEZmdMMVc2MGhhTiJ9",
     "{\"kid\":\"zVhMiPBP9fRf2snEcT7gFTioeA9COcNy9DfgL1W60haN\"}", ""},
    {"4-S-3",
     "v4.public.eyJkYXRhIjoidGhpcyBpcyBhIHNpZ25lZCBtZXNzYWdlIiwiZXhwIjoiMjAyMi0"
     "wMS0wMVQwMDowMDowMCswMDowMCJ9NPWciuD3d0o5eXJXG5pJy-DiVEoyPYWs1YSTwWHNJq6"
     "DZD3je5gf-0M4JR9ipdUSJbIovzmBECeaWmaqcaP0DQ.eyJraWQiOiJ6VmhNaVBCUDlmUmYy"
     "c25FY1Q3Z0ZUaW9lQTlDT2NOeTlEZmdMMVc2MGhhTiJ9",
     "{\"kid\":\"zVhMiPBP9fRf2snEcT7gFTioeA9COcNy9DfgL1W60haN\"}",
     "{\"test-vector\":\"4-S-3\"}"},
};

class PasetoTest : public testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<crypto::Ed25519PrivateKey>> key =
        crypto::Ed25519PrivateKey::FromSeed(
            crypto::SecretBytes::CopyFrom(absl::HexStringToBytes(kSeedHex)));
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = *std::move(key);
    ASSERT_EQ(key_->public_key().bytes(), absl::HexStringToBytes(kPublicHex));
  }

  // A fresh token with a footer and an implicit assertion.
  std::string Token() {
    absl::StatusOr<std::string> token =
        SignV4Public(*key_, kPayload, kFooter, "binding");
    EXPECT_TRUE(token.ok()) << token.status();
    return token.value_or("");
  }

  absl::Status VerifyStatus(absl::string_view token,
                            absl::string_view assertion = "binding") {
    return VerifyV4Public(key_->public_key(), token, assertion).status();
  }

  std::unique_ptr<crypto::Ed25519PrivateKey> key_;
};

TEST_F(PasetoTest, UpstreamVectorsSignAndVerifyExactly) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    absl::StatusOr<std::string> token =
        SignV4Public(*key_, kPayload, v.footer, v.implicit_assertion);
    ASSERT_TRUE(token.ok()) << token.status();
    EXPECT_EQ(*token, v.token);
    absl::StatusOr<std::string> payload = VerifyV4Public(
        key_->public_key(), v.token, v.implicit_assertion, v.footer);
    ASSERT_TRUE(payload.ok()) << payload.status();
    EXPECT_EQ(*payload, kPayload);
    absl::StatusOr<std::string> footer = ReadUntrustedFooterV4Public(v.token);
    ASSERT_TRUE(footer.ok());
    EXPECT_EQ(*footer, v.footer);
  }
}

TEST_F(PasetoTest, NoFooterSegmentWhenFooterEmpty) {
  absl::StatusOr<std::string> token = SignV4Public(*key_, "{}", "", "");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->find('.', kV4PublicHeader.size()), std::string::npos);
  // The smallest body: an empty payload and the signature.
  absl::StatusOr<std::string> empty = SignV4Public(*key_, "", "", "");
  ASSERT_TRUE(empty.ok());
  absl::StatusOr<std::string> payload =
      VerifyV4Public(key_->public_key(), *empty, "");
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(*payload, "");
}

TEST_F(PasetoTest, EveryByteFlipIsRejected) {
  const std::string token = Token();
  ASSERT_TRUE(VerifyStatus(token).ok());
  for (size_t i = 0; i < token.size(); ++i) {
    for (int bit : {0x01, 0x20}) {
      std::string tampered = token;
      tampered[i] = static_cast<char>(tampered[i] ^ bit);
      absl::Status status = VerifyStatus(tampered);
      EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated)
          << "position " << i << " bit " << bit;
    }
  }
}

TEST_F(PasetoTest, WrongImplicitAssertionIsRejected) {
  const std::string token = Token();
  absl::Status status = VerifyStatus(token, "other binding");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(status.message(), kBadSignatureMessage);
  EXPECT_FALSE(VerifyStatus(token, "").ok());
}

TEST_F(PasetoTest, OtherKeyIsRejected) {
  std::unique_ptr<crypto::Ed25519PrivateKey> other =
      crypto::Ed25519PrivateKey::Generate();
  absl::StatusOr<std::string> payload =
      VerifyV4Public(other->public_key(), Token(), "binding");
  EXPECT_EQ(payload.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(PasetoTest, ExpectedFooterIsEnforced) {
  const std::string token = Token();
  EXPECT_TRUE(
      VerifyV4Public(key_->public_key(), token, "binding", kFooter).ok());
  absl::Status mismatch =
      VerifyV4Public(key_->public_key(), token, "binding",
                     absl::string_view("{\"kid\":\"other\"}"))
          .status();
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(mismatch.message(), HasSubstr("footer does not match"));
  // A token without a footer does not match a required one, and vice versa.
  absl::StatusOr<std::string> bare = SignV4Public(*key_, kPayload, "", "");
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(VerifyV4Public(key_->public_key(), *bare, "", kFooter).ok());
  EXPECT_FALSE(VerifyV4Public(key_->public_key(), token, "binding",
                              absl::string_view(""))
                   .ok());
}

TEST_F(PasetoTest, SwappedFooterIsRejected) {
  absl::StatusOr<std::string> a = SignV4Public(*key_, kPayload, "footer-a", "");
  absl::StatusOr<std::string> b = SignV4Public(*key_, kPayload, "footer-b", "");
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string swapped =
      a->substr(0, a->rfind('.')) + b->substr(b->rfind('.'));
  absl::Status status = VerifyStatus(swapped, "");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(status.message(), kBadSignatureMessage);
  // Dropping the footer is also caught by the signature.
  EXPECT_FALSE(VerifyStatus(a->substr(0, a->rfind('.')), "").ok());
}

struct Malformed {
  std::string name;
  std::string token;
  std::string reason;
};

TEST_F(PasetoTest, MalformedTokensAreRejectedWithReasons) {
  const std::string token = Token();
  const size_t dot = token.rfind('.');
  const std::string body =
      token.substr(kV4PublicHeader.size(), dot - kV4PublicHeader.size());
  const std::string footer = token.substr(dot + 1);
  const std::string rest = token.substr(kV4PublicHeader.size());
  std::string padded_body = body;
  while (padded_body.size() % 4 != 0) padded_body += '=';
  ASSERT_NE(padded_body, body) << "pick a payload whose body needs padding";

  const Malformed cases[] = {
      {"local purpose", "v4.local." + rest, "not a v4.public token"},
      {"v3", "v3.public." + rest, "not a v4.public token"},
      {"v2", "v2.public." + rest, "not a v4.public token"},
      {"uppercase", "V4.PUBLIC." + rest, "not a v4.public token"},
      {"no dot", "v4.public" + rest, "not a v4.public token"},
      {"leading space", " " + token, "not a v4.public token"},
      {"empty", "", "not a v4.public token"},
      {"header only", "v4.public.", "shorter than a 64-byte signature"},
      {"three segments", token + ".eyJ9", "more than two segments"},
      {"empty footer segment", token.substr(0, dot) + ".",
       "empty footer segment"},
      {"empty body with footer", "v4.public.." + footer,
       "shorter than a 64-byte signature"},
      {"padded body", "v4.public." + padded_body + "." + footer, "padding"},
      {"padded footer", token + "==", "padding"},
      {"standard alphabet", "v4.public." + body + "+." + footer, "alphabet"},
      {"short body", "v4.public." + Base64UrlEncode(std::string(63, 'x')),
       "shorter than a 64-byte signature"},
  };
  for (const Malformed& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status status = VerifyStatus(c.token);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(status.message(), HasSubstr(c.reason));
    EXPECT_THAT(status.message(), testing::Not(HasSubstr(body.substr(0, 16))));
  }
}

TEST_F(PasetoTest, NonCanonicalTrailingBitsAreRejected) {
  // Find a token whose body length leaves unused bits, then set them.
  for (int extra = 0; extra < 3; ++extra) {
    const std::string payload = std::string(kPayload) + std::string(extra, ' ');
    absl::StatusOr<std::string> token = SignV4Public(*key_, payload, "", "");
    ASSERT_TRUE(token.ok());
    const size_t body_len = token->size() - kV4PublicHeader.size();
    if (body_len % 4 == 0) continue;
    std::string tampered = *token;
    char& last = tampered.back();
    // 'A' has all low bits clear; 'B' (=1) sets the lowest unused bit.
    ASSERT_TRUE(VerifyStatus(tampered, "").ok());
    const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    last = alphabet[alphabet.find(last) | 1];
    absl::Status status = VerifyStatus(tampered, "");
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(status.message(), HasSubstr("non-canonical"));
    return;
  }
  FAIL() << "no body length with unused bits";
}

TEST_F(PasetoTest, SignedMessageIsPaeOfHeaderPayloadFooterAssertion) {
  absl::StatusOr<std::string> token = SignV4Public(*key_, "m", "f", "i");
  ASSERT_TRUE(token.ok());
  const size_t dot = token->rfind('.');
  absl::StatusOr<std::string> body = Base64UrlDecode(
      token->substr(kV4PublicHeader.size(), dot - kV4PublicHeader.size()));
  ASSERT_TRUE(body.ok());
  ASSERT_EQ(body->size(), 1 + kV4PublicSignatureSize);
  EXPECT_EQ(body->substr(0, 1), "m");
  const absl::string_view pieces[] = {"v4.public.", "m", "f", "i"};
  EXPECT_TRUE(key_->public_key().Verify(Pae(pieces), body->substr(1)).ok());
}

TEST(PasetoFooterTest, UntrustedFooterNeedsAWellFormedToken) {
  EXPECT_FALSE(ReadUntrustedFooterV4Public("v4.local.abc.def").ok());
  EXPECT_FALSE(ReadUntrustedFooterV4Public("v4.public.abc.de=").ok());
  absl::StatusOr<std::string> footer =
      ReadUntrustedFooterV4Public("v4.public.AAAA." + Base64UrlEncode("kid"));
  ASSERT_TRUE(footer.ok());
  EXPECT_EQ(*footer, "kid");
}

}  // namespace
}  // namespace layer_vault::token
