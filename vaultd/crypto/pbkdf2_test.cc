#include "vaultd/crypto/pbkdf2.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "vaultd/crypto/test_util.h"

namespace layer_vault::crypto {
namespace {

using ::layer_vault::crypto::testing::HexToBytes;

struct Pbkdf2Vector {
  const char* name;
  const char* password;
  const char* salt;
  uint32_t iterations;
  const char* derived;  // hex
};

// RFC 7914 section 11 (PBKDF2-HMAC-SHA256), plus empty password and salt
// (value from Python's hashlib.pbkdf2_hmac, matching the OpenSSL CLI).
const Pbkdf2Vector kVectors[] = {
    {"Rfc7914Passwd", "passwd", "salt", 1,
     "55 ac 04 6e 56 e3 08 9f ec 16 91 c2 25 44 b6 05"
     "f9 41 85 21 6d de 04 65 e6 8b 9d 57 c2 0d ac bc"
     "49 ca 9c cc f1 79 b6 45 99 16 64 b3 9d 77 ef 31"
     "7c 71 b8 45 b1 e3 0b d5 09 11 20 41 d3 a1 97 83"},
    {"Rfc7914Password", "Password", "NaCl", 80000,
     "4d dc d8 f6 0b 98 be 21 83 0c ee 5e f2 27 01 f9"
     "64 1a 44 18 d0 4c 04 14 ae ff 08 87 6b 34 ab 56"
     "a1 d4 25 a1 22 58 33 54 9a db 84 1b 51 c9 b3 17"
     "6a 27 2b de bb a1 d0 78 47 8f 62 b3 97 f3 3c 8d"},
    {"EmptyPasswordAndSalt", "", "", 1,
     "f7ce0b653d2d72a4108cf5abe912ffdd777616dbbb27a70e8204f3ae2d0f6fad"},
};

class Pbkdf2VectorTest : public ::testing::TestWithParam<Pbkdf2Vector> {};

TEST_P(Pbkdf2VectorTest, DerivesPublishedKey) {
  const Pbkdf2Vector& v = GetParam();
  const std::string expected = HexToBytes(v.derived);
  absl::StatusOr<SecretBytes> key =
      Pbkdf2HmacSha256(v.password, v.salt, v.iterations, expected.size());
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->UnsafeView(), expected);
}

TEST_P(Pbkdf2VectorTest, ShorterOutputIsAPrefix) {
  const Pbkdf2Vector& v = GetParam();
  absl::StatusOr<SecretBytes> key =
      Pbkdf2HmacSha256(v.password, v.salt, v.iterations, 20);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->UnsafeView(), HexToBytes(v.derived).substr(0, 20));
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, Pbkdf2VectorTest, ::testing::ValuesIn(kVectors),
    [](const ::testing::TestParamInfo<Pbkdf2Vector>& info) {
      return std::string(info.param.name);
    });

TEST(Pbkdf2Test, EveryInputChangesTheKey) {
  auto derive = [](absl::string_view password, absl::string_view salt,
                   uint32_t iterations) {
    absl::StatusOr<SecretBytes> key =
        Pbkdf2HmacSha256(password, salt, iterations, 32);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? std::string(key->UnsafeView()) : std::string();
  };
  const std::string base = derive("pw", "salt", 2);
  EXPECT_NE(derive("pW", "salt", 2), base);
  EXPECT_NE(derive("pw", "Salt", 2), base);
  EXPECT_NE(derive("pw", "salt", 3), base);
  EXPECT_EQ(derive("pw", "salt", 2), base);
}

TEST(Pbkdf2Test, AcceptsMaximumLength) {
  absl::StatusOr<SecretBytes> key = Pbkdf2HmacSha256("pw", "salt", 1, 1024);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->size(), 1024u);
}

struct InvalidCase {
  uint32_t iterations;
  size_t length;
};

class Pbkdf2InvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(Pbkdf2InvalidTest, IsInvalidArgument) {
  absl::StatusOr<SecretBytes> key =
      Pbkdf2HmacSha256("pw", "salt", GetParam().iterations, GetParam().length);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Table, Pbkdf2InvalidTest,
                         ::testing::Values(InvalidCase{0, 32},
                                           InvalidCase{1, 0},
                                           InvalidCase{1, 1025},
                                           InvalidCase{1, size_t{1} << 40},
                                           InvalidCase{0xffffffffu, 32}));

}  // namespace
}  // namespace layer_vault::crypto
