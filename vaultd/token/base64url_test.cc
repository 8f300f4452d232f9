#include "vaultd/token/base64url.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::token {
namespace {

using ::testing::HasSubstr;

constexpr absl::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct KnownAnswer {
  std::string decoded;
  std::string encoded;
};

class Base64UrlKnownAnswerTest : public testing::TestWithParam<KnownAnswer> {};

TEST_P(Base64UrlKnownAnswerTest, EncodesAndDecodes) {
  EXPECT_EQ(Base64UrlEncode(GetParam().decoded), GetParam().encoded);
  absl::StatusOr<std::string> decoded = Base64UrlDecode(GetParam().encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, GetParam().decoded);
  EXPECT_EQ(Base64UrlEncodedSize(GetParam().decoded.size()),
            GetParam().encoded.size());
}

// RFC 4648 section 10 without padding, plus the two URL-safe characters.
INSTANTIATE_TEST_SUITE_P(
    Rfc4648, Base64UrlKnownAnswerTest,
    testing::Values(KnownAnswer{"", ""}, KnownAnswer{"f", "Zg"},
                    KnownAnswer{"fo", "Zm8"}, KnownAnswer{"foo", "Zm9v"},
                    KnownAnswer{"foob", "Zm9vYg"},
                    KnownAnswer{"fooba", "Zm9vYmE"},
                    KnownAnswer{"foobar", "Zm9vYmFy"},
                    KnownAnswer{"\xfb\xff", "-_8"},
                    KnownAnswer{std::string("\0\0\0", 3), "AAAA"}));

struct Rejected {
  std::string encoded;
  std::string reason;
};

class Base64UrlRejectTest : public testing::TestWithParam<Rejected> {};

TEST_P(Base64UrlRejectTest, Rejects) {
  absl::StatusOr<std::string> decoded = Base64UrlDecode(GetParam().encoded);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(decoded.status().message(), HasSubstr(GetParam().reason));
  EXPECT_FALSE(Base64UrlDecodeSecret(GetParam().encoded).ok());
}

INSTANTIATE_TEST_SUITE_P(
    Strictness, Base64UrlRejectTest,
    testing::Values(
        Rejected{"Zg==", "padding"}, Rejected{"Zm8=", "padding"},
        Rejected{"Zg=", "padding"}, Rejected{"Z", "impossible length"},
        Rejected{"Zm9vYmFyZ", "impossible length"},
        Rejected{"Zm9vY", "impossible length"}, Rejected{"Zh", "non-canonical"},
        Rejected{"Zm9", "non-canonical"}, Rejected{"Zm+v", "alphabet"},
        Rejected{"Zm/v", "alphabet"}, Rejected{"Zm9v\n", "alphabet"},
        Rejected{" Zm9v", "alphabet"}, Rejected{"Zm.v", "alphabet"},
        Rejected{std::string("Zm\0v", 4), "alphabet"},
        Rejected{"Z\xc3\xa9v", "alphabet"}));

TEST(Base64UrlTest, RoundTripsEveryLength) {
  std::string data;
  for (int n = 0; n < 100; ++n) {
    absl::StatusOr<std::string> decoded =
        Base64UrlDecode(Base64UrlEncode(data));
    ASSERT_TRUE(decoded.ok()) << n;
    EXPECT_EQ(*decoded, data);
    data.push_back(static_cast<char>(n * 37 + 11));
  }
}

// Exhaustive over 2- and 3-character inputs from the alphabet: a string
// decodes if and only if it is the canonical encoding of what it decodes to.
TEST(Base64UrlTest, AcceptsExactlyCanonicalShortEncodings) {
  int accepted2 = 0;
  int accepted3 = 0;
  for (char a : kAlphabet) {
    for (char b : kAlphabet) {
      const std::string two = {a, b};
      absl::StatusOr<std::string> d2 = Base64UrlDecode(two);
      if (d2.ok()) {
        ++accepted2;
        EXPECT_EQ(Base64UrlEncode(*d2), two);
      }
      for (char c : kAlphabet) {
        const std::string three = {a, b, c};
        absl::StatusOr<std::string> d3 = Base64UrlDecode(three);
        if (d3.ok()) {
          ++accepted3;
          EXPECT_EQ(Base64UrlEncode(*d3), three);
        }
      }
    }
  }
  EXPECT_EQ(accepted2, 256);        // one per byte value
  EXPECT_EQ(accepted3, 256 * 256);  // one per two-byte value
}

TEST(Base64UrlTest, SecretVariantsMatchPlainOnes) {
  const std::string raw = "\x01\x02seed material\xff\xfe";
  crypto::SecretBytes secret = crypto::SecretBytes::CopyFrom(raw);
  crypto::SecretBytes encoded = Base64UrlEncodeSecret(secret);
  EXPECT_EQ(encoded.UnsafeView(), Base64UrlEncode(raw));
  absl::StatusOr<crypto::SecretBytes> decoded =
      Base64UrlDecodeSecret(encoded.UnsafeView());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->UnsafeView(), raw);
}

TEST(Base64UrlTest, ErrorsDoNotEchoInput) {
  absl::StatusOr<std::string> decoded = Base64UrlDecode("secretsecret+==");
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), testing::Not(HasSubstr("secret")));
}

}  // namespace
}  // namespace layer_vault::token
