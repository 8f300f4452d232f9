#include "vaultd/crypto/hash.h"

#include <string>

#include "gtest/gtest.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/crypto/test_util.h"

namespace layer_vault::crypto {
namespace {

using ::layer_vault::crypto::testing::HexToBytes;

struct HashVector {
  const char* name;
  std::string data;
  const char* digest;  // hex
};

// FIPS 180-2 appendix B.1 ("abc") and the empty string.
const HashVector kSha256Vectors[] = {
    {"Abc", "abc",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"Empty", "",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
};

class Sha256Test : public ::testing::TestWithParam<HashVector> {};

TEST_P(Sha256Test, MatchesVector) {
  EXPECT_EQ(HexEncode(Sha256(GetParam().data)), GetParam().digest);
  EXPECT_EQ(Sha256(GetParam().data), HexToBytes(GetParam().digest));
}

INSTANTIATE_TEST_SUITE_P(Vectors, Sha256Test,
                         ::testing::ValuesIn(kSha256Vectors),
                         [](const ::testing::TestParamInfo<HashVector>& info) {
                           return std::string(info.param.name);
                         });

struct HmacVector {
  const char* name;
  std::string key;
  std::string data;
  const char* mac;  // hex
};

// RFC 4231 test case 2, and an empty key and message (value from Python's
// hmac module, matching the OpenSSL CLI).
const HmacVector kHmacVectors[] = {
    {"Rfc4231Case2", "Jefe", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {"EmptyKeyAndData", "", "",
     "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
};

class HmacSha256Test : public ::testing::TestWithParam<HmacVector> {};

TEST_P(HmacSha256Test, MatchesVector) {
  const HmacVector& v = GetParam();
  EXPECT_EQ(HexEncode(HmacSha256(SecretBytes::CopyFrom(v.key), v.data)), v.mac);
}

INSTANTIATE_TEST_SUITE_P(Vectors, HmacSha256Test,
                         ::testing::ValuesIn(kHmacVectors),
                         [](const ::testing::TestParamInfo<HmacVector>& info) {
                           return std::string(info.param.name);
                         });

TEST(HmacSha256KeyTest, KeyChangesTheMac) {
  EXPECT_NE(HmacSha256(SecretBytes::CopyFrom("Jefe"), "data"),
            HmacSha256(SecretBytes::CopyFrom("Jeff"), "data"));
}

TEST(HexEncodeTest, EncodesLowerCase) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string("\x00\x01\x7f\x80\xab\xff", 6)),
            "00017f80abff");
}

}  // namespace
}  // namespace layer_vault::crypto
