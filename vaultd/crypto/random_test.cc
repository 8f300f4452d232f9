#include "vaultd/crypto/random.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace layer_vault::crypto {
namespace {

class RandomSizeTest : public ::testing::TestWithParam<size_t> {};

TEST_P(RandomSizeTest, BytesHaveRequestedSize) {
  EXPECT_EQ(RandomBytes(GetParam()).size(), GetParam());
}

TEST_P(RandomSizeTest, SecretHasRequestedSize) {
  SecretBytes secret = RandomSecret(GetParam());
  EXPECT_EQ(secret.size(), GetParam());
  EXPECT_EQ(secret.empty(), GetParam() == 0);
}

INSTANTIATE_TEST_SUITE_P(Sizes, RandomSizeTest,
                         ::testing::Values(0, 1, 12, 32, 4096, 100000));

TEST(RandomTest, CallsDiffer) {
  // 128 bits: a collision among 100 draws means the CSPRNG is broken.
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(seen.insert(RandomBytes(16)).second);
  }
}

TEST(RandomTest, SecretsDifferAndAreNotZero) {
  SecretBytes a = RandomSecret(32);
  SecretBytes b = RandomSecret(32);
  EXPECT_NE(a.UnsafeView(), b.UnsafeView());
  EXPECT_NE(a.UnsafeView(), std::string(32, '\0'));
}

TEST(RandomTest, BytesAreSpreadOverAllValues) {
  // 64 KiB of uniform bytes hit all 256 values with overwhelming probability
  // (a missing value has probability below 2^-360).
  const std::string bytes = RandomBytes(65536);
  std::set<unsigned char> values(bytes.begin(), bytes.end());
  EXPECT_EQ(values.size(), 256u);
}

}  // namespace
}  // namespace layer_vault::crypto
