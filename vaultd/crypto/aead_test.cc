#include "vaultd/crypto/aead.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "vaultd/crypto/random.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/crypto/test_util.h"

namespace layer_vault::crypto {
namespace {

using ::layer_vault::crypto::testing::HexToBytes;

constexpr char kDecryptionFailed[] =
    "decryption failed: wrong key, tampered data or wrong associated data";

std::unique_ptr<Aead> NewAead(absl::string_view key) {
  absl::StatusOr<std::unique_ptr<Aead>> aead =
      Aead::New(SecretBytes::CopyFrom(key));
  EXPECT_TRUE(aead.ok()) << aead.status();
  return aead.ok() ? *std::move(aead) : nullptr;
}

void ExpectAuthenticationFailure(const absl::StatusOr<SecretBytes>& result) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(result.status().message(), kDecryptionFailed);
}

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases
// 13-16 (AES-256).
struct GcmVector {
  const char* name;
  const char* key;
  const char* iv;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
};

constexpr char kKey15[] =
    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr char kIv15[] = "cafebabefacedbaddecaf888";

const GcmVector kGcmVectors[] = {
    {"TestCase13",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"TestCase14",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"TestCase15", kKey15, kIv15,
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"TestCase16", kKey15, kIv15,
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

class GcmVectorTest : public ::testing::TestWithParam<GcmVector> {
 protected:
  std::string Key() const { return HexToBytes(GetParam().key); }
  std::string Iv() const { return HexToBytes(GetParam().iv); }
  std::string Plaintext() const { return HexToBytes(GetParam().plaintext); }
  std::string Aad() const { return HexToBytes(GetParam().aad); }
  // nonce || ciphertext || tag, the layout Aead produces.
  std::string Sealed() const {
    return Iv() + HexToBytes(GetParam().ciphertext) +
           HexToBytes(GetParam().tag);
  }
};

TEST_P(GcmVectorTest, EncryptMatchesVector) {
  std::unique_ptr<Aead> aead = NewAead(Key());
  ASSERT_NE(aead, nullptr);
  absl::StatusOr<std::string> sealed =
      aead->EncryptWithNonceForTesting(Iv(), Plaintext(), Aad());
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(*sealed, Sealed());
  EXPECT_EQ(sealed->size(), Plaintext().size() + Aead::kOverhead);
}

TEST_P(GcmVectorTest, DecryptMatchesVector) {
  std::unique_ptr<Aead> aead = NewAead(Key());
  ASSERT_NE(aead, nullptr);
  absl::StatusOr<SecretBytes> plaintext = aead->Decrypt(Sealed(), Aad());
  ASSERT_TRUE(plaintext.ok()) << plaintext.status();
  EXPECT_EQ(plaintext->UnsafeView(), Plaintext());
}

TEST_P(GcmVectorTest, EveryBitFlipIsRejected) {
  std::unique_ptr<Aead> aead = NewAead(Key());
  ASSERT_NE(aead, nullptr);
  const std::string sealed = Sealed();
  for (size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    std::string tampered = sealed;
    tampered[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    SCOPED_TRACE(bit);
    ExpectAuthenticationFailure(aead->Decrypt(tampered, Aad()));
  }
}

TEST_P(GcmVectorTest, EveryTruncationIsRejected) {
  std::unique_ptr<Aead> aead = NewAead(Key());
  ASSERT_NE(aead, nullptr);
  const std::string sealed = Sealed();
  for (size_t len = 0; len < sealed.size(); ++len) {
    SCOPED_TRACE(len);
    absl::StatusOr<SecretBytes> result =
        aead->Decrypt(absl::string_view(sealed).substr(0, len), Aad());
    if (len < Aead::kOverhead) {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    } else {
      ExpectAuthenticationFailure(result);
    }
  }
}

TEST_P(GcmVectorTest, AppendedByteIsRejected) {
  std::unique_ptr<Aead> aead = NewAead(Key());
  ASSERT_NE(aead, nullptr);
  ExpectAuthenticationFailure(aead->Decrypt(Sealed() + '\0', Aad()));
}

TEST_P(GcmVectorTest, WrongAssociatedDataIsRejected) {
  std::unique_ptr<Aead> aead = NewAead(Key());
  ASSERT_NE(aead, nullptr);
  ExpectAuthenticationFailure(aead->Decrypt(Sealed(), Aad() + "x"));
  if (!Aad().empty()) {
    ExpectAuthenticationFailure(aead->Decrypt(Sealed(), ""));
    std::string flipped = Aad();
    flipped[0] ^= 1;
    ExpectAuthenticationFailure(aead->Decrypt(Sealed(), flipped));
  }
}

TEST_P(GcmVectorTest, WrongKeyIsRejected) {
  std::string key = Key();
  key[31] ^= 0x80;
  std::unique_ptr<Aead> aead = NewAead(key);
  ASSERT_NE(aead, nullptr);
  ExpectAuthenticationFailure(aead->Decrypt(Sealed(), Aad()));
}

INSTANTIATE_TEST_SUITE_P(McGrewViega, GcmVectorTest,
                         ::testing::ValuesIn(kGcmVectors),
                         [](const ::testing::TestParamInfo<GcmVector>& info) {
                           return std::string(info.param.name);
                         });

class AeadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Aead>> aead = Aead::New(RandomSecret(32));
    ASSERT_TRUE(aead.ok()) << aead.status();
    aead_ = *std::move(aead);
  }
  std::unique_ptr<Aead> aead_;
};

TEST_F(AeadTest, RoundTripsWithRandomNonces) {
  for (const std::string& plaintext :
       {std::string(), std::string("pat_secret"), std::string(1 << 20, 'x')}) {
    absl::StatusOr<std::string> a = aead_->Encrypt(plaintext, "record:1");
    absl::StatusOr<std::string> b = aead_->Encrypt(plaintext, "record:1");
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(a->size(), plaintext.size() + Aead::kOverhead);
    EXPECT_NE(a->substr(0, Aead::kNonceSize), b->substr(0, Aead::kNonceSize));
    EXPECT_NE(*a, *b);
    for (const std::string* sealed : {&*a, &*b}) {
      absl::StatusOr<SecretBytes> opened = aead_->Decrypt(*sealed, "record:1");
      ASSERT_TRUE(opened.ok()) << opened.status();
      EXPECT_EQ(opened->UnsafeView(), plaintext);
    }
  }
}

TEST_F(AeadTest, AssociatedDataIsBound) {
  absl::StatusOr<std::string> sealed = aead_->Encrypt("pat_x", "record:1");
  ASSERT_TRUE(sealed.ok());
  ExpectAuthenticationFailure(aead_->Decrypt(*sealed, "record:2"));
  ExpectAuthenticationFailure(aead_->Decrypt(*sealed, ""));
}

TEST_F(AeadTest, AnotherKeyCannotDecrypt) {
  absl::StatusOr<std::string> sealed = aead_->Encrypt("pat_x", "ad");
  ASSERT_TRUE(sealed.ok());
  absl::StatusOr<std::unique_ptr<Aead>> other = Aead::New(RandomSecret(32));
  ASSERT_TRUE(other.ok());
  ExpectAuthenticationFailure((*other)->Decrypt(*sealed, "ad"));
}

TEST_F(AeadTest, ArbitraryInputNeverDecrypts) {
  for (size_t len = 0; len < 200; ++len) {
    const std::string garbage = RandomBytes(len);
    absl::StatusOr<SecretBytes> result = aead_->Decrypt(garbage, "ad");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), len < Aead::kOverhead
                                          ? absl::StatusCode::kInvalidArgument
                                          : absl::StatusCode::kDataLoss);
  }
}

TEST(AeadKeyTest, RejectsWrongKeySizes) {
  for (size_t size : {0, 1, 16, 24, 31, 33, 64}) {
    SCOPED_TRACE(size);
    absl::StatusOr<std::unique_ptr<Aead>> aead = Aead::New(SecretBytes(size));
    ASSERT_FALSE(aead.ok());
    EXPECT_EQ(aead.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(AeadKeyTest, KeepsItsOwnCopyOfTheKey) {
  SecretBytes key = RandomSecret(32);
  absl::StatusOr<std::unique_ptr<Aead>> aead = Aead::New(key);
  ASSERT_TRUE(aead.ok());
  absl::StatusOr<std::string> sealed = (*aead)->Encrypt("data", "ad");
  ASSERT_TRUE(sealed.ok());
  key = SecretBytes();  // The caller wipes its key.
  absl::StatusOr<SecretBytes> opened = (*aead)->Decrypt(*sealed, "ad");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->UnsafeView(), "data");
}

TEST(AeadNonceTest, RejectsWrongNonceSizes) {
  absl::StatusOr<std::unique_ptr<Aead>> aead = Aead::New(RandomSecret(32));
  ASSERT_TRUE(aead.ok());
  for (size_t size : {0, 8, 11, 13, 16}) {
    SCOPED_TRACE(size);
    absl::StatusOr<std::string> sealed =
        (*aead)->EncryptWithNonceForTesting(std::string(size, '\0'), "p", "ad");
    ASSERT_FALSE(sealed.ok());
    EXPECT_EQ(sealed.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace layer_vault::crypto
