#include "vaultd/store/record.h"

#include <string>

#include "gtest/gtest.h"
#include "vaultd/store/test_util.h"

namespace layer_vault::store {
namespace {

using ::layer_vault::store::testing::FakePat;
using ::layer_vault::store::testing::Secret;

struct PatCase {
  std::string pat;
  bool ok;
};

class ValidatePatTest : public ::testing::TestWithParam<PatCase> {};

TEST_P(ValidatePatTest, Validates) {
  const std::string& pat = GetParam().pat;
  absl::Status s = ValidatePat(pat);
  EXPECT_EQ(s.ok(), GetParam().ok) << s;
  if (!s.ok() && pat.size() > 4) {
    // The message never repeats the token, not even its tail.
    EXPECT_EQ(s.message().find(pat.substr(4)), absl::string_view::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Tokens, ValidatePatTest,
    ::testing::Values(PatCase{FakePat(32), true}, PatCase{FakePat(512), true},
                      PatCase{FakePat(48) + "_-", true},
                      PatCase{FakePat(31), false}, PatCase{FakePat(513), false},
                      PatCase{"", false}, PatCase{"tok_" + FakePat(40), false},
                      PatCase{"PAT_" + FakePat(40).substr(4), false},
                      PatCase{FakePat(40) + " ", false},
                      PatCase{FakePat(40) + "\n", false},
                      PatCase{FakePat(40) + ".x", false},
                      PatCase{FakePat(40) + "\xc3\xa9", false}));

TEST(ValidateWorkspaceIdTest, AcceptsOnlyUuids) {
  EXPECT_TRUE(ValidateWorkspaceId("123e4567-e89b-12d3-a456-426614174000").ok());
  EXPECT_TRUE(ValidateWorkspaceId("123E4567-E89B-12D3-A456-426614174000").ok());
  for (const char* bad :
       {"", "123e4567e89b12d3a456426614174000",
        "123e4567-e89b-12d3-a456-42661417400", "123e4567-e89b-12d3-a456_426614174000",
        "g23e4567-e89b-12d3-a456-426614174000",
        "123e4567-e89b-12d3-a456-4266141740000"}) {
    EXPECT_EQ(ValidateWorkspaceId(bad).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

Record FullRecord() {
  Record r;
  r.pat = Secret(FakePat());
  r.workspace_id = "123e4567-e89b-12d3-a456-426614174000";
  r.created_at = absl::FromUnixSeconds(1700000000);
  r.rotated_at = absl::FromUnixSeconds(1700000100);
  r.rotation_due = absl::FromUnixSeconds(1700000100 + 90 * 86400);
  r.labels = {{"env", "prod"}, {"owner", "asset team"}};
  r.signing_keys = Secret(R"({"keys":[{"kid":"k1","seed":"..."}]})");
  return r;
}

TEST(RecordTest, RoundTripsEveryField) {
  Record r = FullRecord();
  absl::StatusOr<crypto::SecretBytes> bytes = SerializeRecord(r);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<Record> back = ParseRecord(bytes->UnsafeView());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->pat.UnsafeView(), r.pat.UnsafeView());
  EXPECT_EQ(back->workspace_id, r.workspace_id);
  EXPECT_EQ(back->created_at, r.created_at);
  EXPECT_EQ(back->rotated_at, r.rotated_at);
  EXPECT_EQ(back->rotation_due, r.rotation_due);
  EXPECT_EQ(back->labels, r.labels);
  EXPECT_EQ(back->signing_keys.UnsafeView(), r.signing_keys.UnsafeView());
}

TEST(RecordTest, RoundTripsEmptyRecord) {
  Record r;
  r.created_at = absl::FromUnixSeconds(5);
  absl::StatusOr<Record> back =
      ParseRecord(SerializeRecord(r)->UnsafeView());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->pat.empty());
  EXPECT_FALSE(back->rotated_at.has_value());
  EXPECT_TRUE(back->signing_keys.empty());
  EXPECT_EQ(back->created_at, r.created_at);
}

TEST(RecordTest, SerializeRejectsInvalidFields) {
  Record r = FullRecord();
  r.pat = Secret("pat_short");
  EXPECT_EQ(SerializeRecord(r).status().code(),
            absl::StatusCode::kInvalidArgument);
  r = FullRecord();
  r.workspace_id = "nope";
  EXPECT_FALSE(SerializeRecord(r).ok());
  r = FullRecord();
  r.labels["bad key"] = "x";
  EXPECT_FALSE(SerializeRecord(r).ok());
  r = FullRecord();
  r.labels["k"] = "line\nbreak";
  EXPECT_FALSE(SerializeRecord(r).ok());
}

TEST(RecordTest, EveryTruncationIsRejected) {
  std::string bytes(SerializeRecord(FullRecord())->UnsafeView());
  for (size_t len = 0; len < bytes.size(); ++len) {
    absl::StatusOr<Record> r = ParseRecord(bytes.substr(0, len));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << len;
  }
}

TEST(RecordTest, RejectsUnknownAndRepeatedFields) {
  const std::string end("\xff\0\0\0\0", 5);
  std::string bytes(SerializeRecord(FullRecord())->UnsafeView());
  ASSERT_EQ(bytes.substr(bytes.size() - 5), end);
  std::string body = bytes.substr(0, bytes.size() - 5);
  ASSERT_TRUE(ParseRecord(body + end).ok());
  EXPECT_FALSE(ParseRecord(body + std::string("\x09\0\0\0\0", 5) + end).ok());
  EXPECT_FALSE(ParseRecord(bytes + end).ok());
  Record r;
  std::string minimal(SerializeRecord(r)->UnsafeView());
  std::string minimal_body = minimal.substr(0, minimal.size() - 5);
  EXPECT_FALSE(ParseRecord(minimal_body + minimal_body + end).ok());
}

TEST(SetTokenTest, SetsRotationDates) {
  Record r;
  absl::Time now = absl::FromUnixSeconds(1800000000);
  ASSERT_TRUE(SetToken(r, Secret(FakePat()), now).ok());
  EXPECT_EQ(r.rotated_at, now);
  EXPECT_EQ(r.rotation_due, now + absl::Hours(24 * 90));
  ASSERT_TRUE(SetToken(r, Secret(FakePat()), now, absl::Hours(24)).ok());
  EXPECT_EQ(r.rotation_due, now + absl::Hours(24));

  std::string before(r.pat.UnsafeView());
  EXPECT_FALSE(SetToken(r, Secret("pat_bad"), now + absl::Hours(1)).ok());
  EXPECT_EQ(r.pat.UnsafeView(), before);
  EXPECT_EQ(r.rotated_at, now);
}

TEST(FingerprintTest, ShowsPrefixAndShortHashOnly) {
  std::string pat = FakePat();
  TokenFingerprint fp = FingerprintOf(Secret(pat));
  EXPECT_EQ(fp.prefix, pat.substr(0, 8));
  EXPECT_EQ(fp.sha256.size(), 16u);
  EXPECT_EQ(fp.ToString().find(pat.substr(8)), std::string::npos);
  EXPECT_NE(FingerprintOf(Secret(FakePat())).sha256, fp.sha256);
}

}  // namespace
}  // namespace layer_vault::store
