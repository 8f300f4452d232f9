#include "vaultd/store/format.h"

#include <string>

#include "gtest/gtest.h"

namespace layer_vault::store {
namespace {

Header PassphraseHeader() {
  Header h;
  h.key_source = KeySource::Passphrase();
  h.kdf = KdfId::kPbkdf2HmacSha256;
  h.iterations = 600000;
  h.salt = std::string(kSaltSize, 's');
  h.store_id = std::string(kStoreIdSize, 'i');
  return h;
}

std::string File(const Header& h, size_t ciphertext_size = 40) {
  return EncodeHeader(h, ciphertext_size) + std::string(ciphertext_size, 'c');
}

TEST(FormatTest, RoundTripsHeader) {
  Header h = PassphraseHeader();
  absl::StatusOr<ParsedFile> parsed = ParseFile(File(h), kMinPbkdf2Iterations);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->header.iterations, 600000u);
  EXPECT_EQ(parsed->header.salt, h.salt);
  EXPECT_EQ(parsed->header.store_id, h.store_id);
  EXPECT_EQ(parsed->associated_data, EncodeHeader(h, 40));
  EXPECT_EQ(parsed->ciphertext, std::string(40, 'c'));

  Header k = PassphraseHeader();
  k.key_source = *KeySource::Parse("key-file:/etc/k");
  k.kdf = KdfId::kNone;
  k.iterations = 0;
  parsed = ParseFile(File(k), kMinPbkdf2Iterations);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->header.key_source == k.key_source);
}

TEST(FormatTest, LayoutMatchesFormatMd) {
  std::string bytes = EncodeHeader(PassphraseHeader(), 40);
  ASSERT_EQ(bytes.size(), kFixedHeaderSize + 4);
  EXPECT_EQ(bytes.substr(0, 8), "LAYERVLT");
  EXPECT_EQ(bytes.substr(8, 2), std::string("\x00\x01", 2));
  EXPECT_EQ(bytes[10], 1);                                    // passphrase
  EXPECT_EQ(bytes[11], 1);                                    // PBKDF2
  EXPECT_EQ(bytes.substr(12, 4), std::string("\x00\x09\x27\xc0", 4));
  EXPECT_EQ(bytes.substr(64, 2), std::string("\x00\x00", 2));  // no parameter
  EXPECT_EQ(bytes.substr(66, 4), std::string("\x00\x00\x00\x28", 4));
}

TEST(FormatTest, EveryTruncationIsOutOfRange) {
  Header h = PassphraseHeader();
  h.key_source = *KeySource::Parse("systemd-credential:abc");
  h.kdf = KdfId::kNone;
  h.iterations = 0;
  std::string file = File(h);
  for (size_t len = 0; len < file.size(); ++len) {
    EXPECT_EQ(ParseFile(file.substr(0, len), kMinPbkdf2Iterations)
                  .status()
                  .code(),
              absl::StatusCode::kOutOfRange)
        << len;
  }
}

struct EditCase {
  const char* name;
  size_t offset;
  std::string bytes;
  absl::StatusCode code;
};

class HeaderEditTest : public ::testing::TestWithParam<EditCase> {};

TEST_P(HeaderEditTest, IsRejected) {
  std::string file = File(PassphraseHeader());
  const EditCase& c = GetParam();
  file.replace(c.offset, c.bytes.size(), c.bytes);
  EXPECT_EQ(ParseFile(file, kMinPbkdf2Iterations).status().code(), c.code);
}

INSTANTIATE_TEST_SUITE_P(
    Edits, HeaderEditTest,
    ::testing::Values(
        EditCase{"magic", 0, "X", absl::StatusCode::kDataLoss},
        EditCase{"version", 8, std::string("\x00\x02", 2),
                 absl::StatusCode::kUnimplemented},
        EditCase{"version0", 8, std::string("\x00\x00", 2),
                 absl::StatusCode::kUnimplemented},
        EditCase{"key_source", 10, "\x09", absl::StatusCode::kUnimplemented},
        EditCase{"key_source_zero", 10, std::string("\0", 1),
                 absl::StatusCode::kUnimplemented},
        EditCase{"kdf", 11, "\x07", absl::StatusCode::kUnimplemented},
        EditCase{"kdf_mismatch", 11, std::string("\0", 1),
                 absl::StatusCode::kDataLoss},
        EditCase{"iterations_low", 12, std::string("\0\0\0\x01", 4),
                 absl::StatusCode::kDataLoss},
        EditCase{"iterations_high", 12, "\xff\xff\xff\xff",
                 absl::StatusCode::kDataLoss},
        EditCase{"parameter_length", 64, std::string("\x00\x05", 2),
                 absl::StatusCode::kDataLoss},
        EditCase{"ciphertext_length_short", 66, std::string("\0\0\0\x01", 4),
                 absl::StatusCode::kDataLoss},
        EditCase{"ciphertext_length_long", 66, std::string("\0\0\0\x29", 4),
                 absl::StatusCode::kOutOfRange}),
    [](const ::testing::TestParamInfo<EditCase>& info) {
      return std::string(info.param.name);
    });

TEST(FormatTest, TrailingBytesAreRejected) {
  EXPECT_EQ(ParseFile(File(PassphraseHeader()) + "x", kMinPbkdf2Iterations)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

TEST(FormatTest, IterationFloorIsEnforced) {
  Header h = PassphraseHeader();
  h.iterations = 99999;
  EXPECT_EQ(ParseFile(File(h), kMinPbkdf2Iterations).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(ParseFile(File(h), 1000).ok());
}

}  // namespace
}  // namespace layer_vault::store
