#include "vaultd/crypto/ed25519.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/crypto/test_util.h"

namespace layer_vault::crypto {
namespace {

using ::layer_vault::crypto::testing::HexToBytes;

// RFC 8032 section 7.1, TEST 1-3.
struct Ed25519Vector {
  const char* name;
  const char* secret_key;
  const char* public_key;
  const char* message;
  const char* signature;
};

const Ed25519Vector kVectors[] = {
    {"Test1",
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"Test2",
     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"Test3",
     "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

class Ed25519VectorTest : public ::testing::TestWithParam<Ed25519Vector> {
 protected:
  std::unique_ptr<Ed25519PrivateKey> PrivateKey() const {
    absl::StatusOr<std::unique_ptr<Ed25519PrivateKey>> key =
        Ed25519PrivateKey::FromSeed(
            SecretBytes::CopyFrom(HexToBytes(GetParam().secret_key)));
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? *std::move(key) : nullptr;
  }
  Ed25519PublicKey PublicKey() const {
    absl::StatusOr<Ed25519PublicKey> key =
        Ed25519PublicKey::FromBytes(HexToBytes(GetParam().public_key));
    EXPECT_TRUE(key.ok()) << key.status();
    return *std::move(key);
  }
  std::string Message() const { return HexToBytes(GetParam().message); }
  std::string Signature() const { return HexToBytes(GetParam().signature); }
};

TEST_P(Ed25519VectorTest, SeedGivesPublicKey) {
  std::unique_ptr<Ed25519PrivateKey> key = PrivateKey();
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->public_key().bytes(), HexToBytes(GetParam().public_key));
  EXPECT_EQ(key->UnsafeSeed().UnsafeView(), HexToBytes(GetParam().secret_key));
}

TEST_P(Ed25519VectorTest, SignatureMatchesVector) {
  std::unique_ptr<Ed25519PrivateKey> key = PrivateKey();
  ASSERT_NE(key, nullptr);
  absl::StatusOr<std::string> signature = key->Sign(Message());
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(*signature, Signature());
}

TEST_P(Ed25519VectorTest, VectorSignatureVerifies) {
  EXPECT_TRUE(PublicKey().Verify(Message(), Signature()).ok());
}

TEST_P(Ed25519VectorTest, TamperedMessageIsRejected) {
  const Ed25519PublicKey key = PublicKey();
  const std::string message = Message();
  EXPECT_EQ(key.Verify(message + "x", Signature()).code(),
            absl::StatusCode::kUnauthenticated);
  for (size_t bit = 0; bit < message.size() * 8; ++bit) {
    std::string tampered = message;
    tampered[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    SCOPED_TRACE(bit);
    EXPECT_EQ(key.Verify(tampered, Signature()).code(),
              absl::StatusCode::kUnauthenticated);
  }
}

TEST_P(Ed25519VectorTest, EveryBitFlipOfTheSignatureIsRejected) {
  const Ed25519PublicKey key = PublicKey();
  const std::string signature = Signature();
  for (size_t bit = 0; bit < signature.size() * 8; ++bit) {
    std::string tampered = signature;
    tampered[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    SCOPED_TRACE(bit);
    EXPECT_EQ(key.Verify(Message(), tampered).code(),
              absl::StatusCode::kUnauthenticated);
  }
}

TEST_P(Ed25519VectorTest, WrongLengthSignatureIsRejected) {
  const Ed25519PublicKey key = PublicKey();
  const std::string signature = Signature();
  for (size_t len : {0, 1, 32, 63}) {
    SCOPED_TRACE(len);
    EXPECT_EQ(key.Verify(Message(), signature.substr(0, len)).code(),
              absl::StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(key.Verify(Message(), signature + '\0').code(),
            absl::StatusCode::kUnauthenticated);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8032, Ed25519VectorTest, ::testing::ValuesIn(kVectors),
    [](const ::testing::TestParamInfo<Ed25519Vector>& info) {
      return std::string(info.param.name);
    });

TEST(Ed25519Test, GeneratedKeysSignAndVerify) {
  std::unique_ptr<Ed25519PrivateKey> a = Ed25519PrivateKey::Generate();
  std::unique_ptr<Ed25519PrivateKey> b = Ed25519PrivateKey::Generate();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->public_key().bytes(), b->public_key().bytes());
  EXPECT_EQ(a->UnsafeSeed().size(), Ed25519PrivateKey::kSeedSize);

  absl::StatusOr<std::string> signature = a->Sign("v4.public payload");
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(signature->size(), Ed25519PublicKey::kSignatureSize);
  EXPECT_TRUE(a->public_key().Verify("v4.public payload", *signature).ok());
  EXPECT_EQ(b->public_key().Verify("v4.public payload", *signature).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(Ed25519Test, SeedRoundTripsThroughFromSeed) {
  std::unique_ptr<Ed25519PrivateKey> a = Ed25519PrivateKey::Generate();
  absl::StatusOr<std::unique_ptr<Ed25519PrivateKey>> b =
      Ed25519PrivateKey::FromSeed(a->UnsafeSeed());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->public_key().bytes(), a->public_key().bytes());
  // Ed25519 is deterministic: same key, same message, same signature.
  EXPECT_EQ(*(*b)->Sign("m"), *a->Sign("m"));
}

TEST(Ed25519Test, PublicKeyRoundTripsThroughBytes) {
  std::unique_ptr<Ed25519PrivateKey> key = Ed25519PrivateKey::Generate();
  absl::StatusOr<Ed25519PublicKey> copy =
      Ed25519PublicKey::FromBytes(key->public_key().bytes());
  ASSERT_TRUE(copy.ok()) << copy.status();
  absl::StatusOr<std::string> signature = key->Sign("");
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(copy->Verify("", *signature).ok());
}

TEST(Ed25519Test, PublicKeyMustBe32Bytes) {
  for (size_t len : {0, 1, 31, 33, 64}) {
    SCOPED_TRACE(len);
    absl::StatusOr<Ed25519PublicKey> key =
        Ed25519PublicKey::FromBytes(std::string(len, 'k'));
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(Ed25519Test, SeedMustBe32Bytes) {
  for (size_t len : {0, 1, 31, 33, 64}) {
    SCOPED_TRACE(len);
    absl::StatusOr<std::unique_ptr<Ed25519PrivateKey>> key =
        Ed25519PrivateKey::FromSeed(SecretBytes(len));
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace layer_vault::crypto
