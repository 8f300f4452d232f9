#include "vaultd/token/claims.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::token {
namespace {

using ::testing::HasSubstr;

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

Claims Example() {
  Claims c;
  c.iss = "vaultd";
  c.sub = "1000";
  c.aud = "layer-relay";
  c.scope = {"layer:read", "layer:generate"};
  c.iat = Utc(2026, 12, 4, 15, 0, 0);
  c.nbf = c.iat;
  c.exp = c.iat + absl::Minutes(5);
  c.jti = "AAECAwQFBgcICQoLDA0ODw";
  return c;
}

constexpr absl::string_view kExampleJson =
    R"({"aud":"layer-relay","exp":"2026-12-04T15:05:00Z",)"
    R"("iat":"2026-12-04T15:00:00Z","iss":"vaultd",)"
    R"("jti":"AAECAwQFBgcICQoLDA0ODw","nbf":"2026-12-04T15:00:00Z",)"
    R"("scope":["layer:read","layer:generate"],"sub":"1000"})";

TEST(ClaimsTest, SerializesCanonically) {
  absl::StatusOr<std::string> json = SerializeClaims(Example());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, kExampleJson);
}

TEST(ClaimsTest, RoundTrips) {
  absl::StatusOr<Claims> parsed = ParseClaims(kExampleJson);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, Example());
}

TEST(ClaimsTest, AcceptsWhitespaceAndKeyOrder) {
  absl::StatusOr<Claims> parsed = ParseClaims(
      R"( { "sub" : "1000", "scope": ["layer:read", "layer:generate"],
      "nbf":"2026-12-04T15:00:00Z","jti":"AAECAwQFBgcICQoLDA0ODw",
      "iss":"vaultd","iat":"2026-12-04T16:00:00+01:00",
      "exp":"2026-12-04T15:05:00.000Z","aud":"layer-relay"} )");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, Example());
}

struct BadPayload {
  std::string name;
  std::string payload;
  std::string reason;
};

class ClaimsRejectTest : public testing::TestWithParam<BadPayload> {};

TEST_P(ClaimsRejectTest, Rejects) {
  absl::StatusOr<Claims> parsed = ParseClaims(GetParam().payload);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr(GetParam().reason));
}

std::string Replace(absl::string_view from, absl::string_view to) {
  std::string out = absl::StrReplaceAll(kExampleJson, {{from, to}});
  EXPECT_NE(out, kExampleJson) << from;
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Strictness, ClaimsRejectTest,
    testing::ValuesIn(std::vector<BadPayload>{
        {"NotJson", "{", "not valid UTF-8 JSON"},
        {"Empty", "", "not valid UTF-8 JSON"},
        {"Array", "[]", "not a JSON object"},
        {"Scalar", "\"x\"", "not a JSON object"},
        {"TrailingGarbage", std::string(kExampleJson) + "x",
         "not valid UTF-8 JSON"},
        {"Bom", "\xEF\xBB\xBF" + std::string(kExampleJson), "byte order mark"},
        {"InvalidUtf8", Replace("vaultd", "vault\xff"), "not valid UTF-8 JSON"},
        {"DuplicateKey",
         Replace(R"("sub":"1000")", R"("sub":"1000","sub":"0")"),
         "duplicate object key"},
        {"MissingClaim", Replace(R"(,"sub":"1000")", ""),
         "claim 'sub' is missing"},
        {"ExtraClaim", Replace(R"("sub":"1000")", R"("sub":"1000","x":1)"),
         "unexpected claim"},
        {"NestedTooDeep",
         Replace(R"(["layer:read","layer:generate"])", R"([["a"]])"),
         "nested too deeply"},
        {"SubNumber", Replace(R"("sub":"1000")", R"("sub":1000)"),
         "'sub' is not a string"},
        {"SubNotCanonical", Replace(R"("sub":"1000")", R"("sub":"01000")"),
         "'sub'"},
        {"SubTooLarge", Replace(R"("sub":"1000")", R"("sub":"4294967296")"),
         "'sub'"},
        {"SubNegative", Replace(R"("sub":"1000")", R"("sub":"-1")"), "'sub'"},
        {"ScopeString",
         Replace(R"(["layer:read","layer:generate"])", R"("layer:read")"),
         "'scope' is not an array"},
        {"ScopeEmpty", Replace(R"(["layer:read","layer:generate"])", "[]"),
         "1-32 scopes"},
        {"ScopeNumber",
         Replace(R"(["layer:read","layer:generate"])", R"(["a",1])"),
         "not a string"},
        {"ScopeDuplicate",
         Replace(R"(["layer:read","layer:generate"])", R"(["a","a"])"),
         "twice"},
        {"ScopeBadChars",
         Replace(R"(["layer:read","layer:generate"])", R"(["a b"])"),
         "scope name"},
        {"IssEmpty", Replace(R"("iss":"vaultd")", R"("iss":"")"), "'iss'"},
        {"AudNull", Replace(R"("aud":"layer-relay")", R"("aud":null)"),
         "'aud' is not a string"},
        {"JtiShort", Replace("AAECAwQFBgcICQoLDA0ODw", "AAECAwQFBgcICQoLDA0OD"),
         "'jti'"},
        {"JtiPadded",
         Replace("AAECAwQFBgcICQoLDA0ODw", "AAECAwQFBgcICQoLDA0ODw=="),
         "'jti'"},
        {"JtiNonCanonical",
         Replace("AAECAwQFBgcICQoLDA0ODw", "AAECAwQFBgcICQoLDA0ODx"), "'jti'"},
        {"ExpNumber",
         Replace(R"("exp":"2026-12-04T15:05:00Z")", R"("exp":1796396700)"),
         "'exp' is not a string"},
        {"ExpLowercaseT",
         Replace("2026-12-04T15:05:00Z", "2026-12-04t15:05:00Z"), "'exp'"},
        {"ExpLowercaseZ",
         Replace("2026-12-04T15:05:00Z", "2026-12-04T15:05:00z"), "'exp'"},
        {"ExpNoOffset", Replace("2026-12-04T15:05:00Z", "2026-12-04T15:05:00"),
         "'exp'"},
        {"ExpBadDate", Replace("2026-12-04T15:05:00Z", "2026-02-30T15:05:00Z"),
         "calendar"},
        {"ExpBeforeNbf",
         Replace("2026-12-04T15:05:00Z", "2026-12-04T14:05:00Z"),
         "'exp' is not after 'nbf'"},
        {"NbfBeforeIat",
         Replace(R"("nbf":"2026-12-04T15:00:00Z")",
                 R"("nbf":"2026-12-04T14:00:00Z")"),
         "'nbf' is before 'iat'"},
        {"TooLarge",
         Replace(R"("iss":"vaultd")",
                 absl::StrCat(R"("iss":")", std::string(9000, 'a'), "\"")),
         "exceeds 8 KiB"},
    }),
    [](const testing::TestParamInfo<BadPayload>& info) {
      return info.param.name;
    });

TEST(ClaimsTest, SerializeRejectsInvalidClaims) {
  Claims c = Example();
  c.scope.push_back("bad scope");
  EXPECT_EQ(SerializeClaims(c).status().code(),
            absl::StatusCode::kInvalidArgument);
  c = Example();
  c.sub = "root";
  EXPECT_FALSE(SerializeClaims(c).ok());
  c = Example();
  c.iss = "bad\"\nissuer";
  EXPECT_FALSE(SerializeClaims(c).ok());
}

TEST(ClaimsTest, ErrorsDoNotEchoThePayload) {
  absl::StatusOr<Claims> parsed =
      ParseClaims(Replace(R"("sub":"1000")", R"("sub":"SECRETVALUE")"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(),
              testing::Not(HasSubstr("SECRETVALUE")));
  parsed = ParseClaims("{\"SECRETVALUE\"");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(),
              testing::Not(HasSubstr("SECRETVALUE")));
}

TEST(Rfc3339Test, ParsesOffsetsAndFractions) {
  const absl::Time base = Utc(2039, 1, 1, 0, 0, 0);
  EXPECT_EQ(*ParseRfc3339("2039-01-01T00:00:00Z"), base);
  EXPECT_EQ(*ParseRfc3339("2039-01-01T00:00:00+00:00"), base);
  EXPECT_EQ(*ParseRfc3339("2039-01-01T02:30:00+02:30"), base);
  EXPECT_EQ(*ParseRfc3339("2038-12-31T23:00:00-01:00"), base);
  EXPECT_EQ(*ParseRfc3339("2039-01-01T00:00:00.5Z"),
            base + absl::Milliseconds(500));
  EXPECT_EQ(*ParseRfc3339("2039-01-01T00:00:00.000000001Z"),
            base + absl::Nanoseconds(1));
  EXPECT_EQ(FormatRfc3339(base + absl::Milliseconds(999)),
            "2039-01-01T00:00:00Z");
}

TEST(Rfc3339Test, RejectsNonRfc3339) {
  for (absl::string_view bad :
       {"", "2039-01-01", "2039-01-01 00:00:00Z", "2039-01-01T00:00Z",
        "2039-1-01T00:00:00Z", "2039-01-01T00:00:00.Z",
        "2039-01-01T00:00:00.0000000001Z", "2039-01-01T24:00:00Z",
        "2039-01-01T00:60:00Z", "2039-01-01T00:00:60Z", "2039-13-01T00:00:00Z",
        "2039-01-01T00:00:00+0000", "2039-01-01T00:00:00+24:00",
        "2039-01-01T00:00:00Z ", "+2039-01-01T00:00:00Z",
        "2039-01-01T00:00:00UTC"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
}

TEST(FooterTest, RoundTripsAndIsStrict) {
  absl::StatusOr<std::string> footer = SerializeFooter("abc-_DEF");
  ASSERT_TRUE(footer.ok());
  EXPECT_EQ(*footer, R"({"kid":"abc-_DEF"})");
  EXPECT_EQ(*ParseFooterKeyId(*footer), "abc-_DEF");
  EXPECT_EQ(*ParseFooterKeyId(R"( {"kid" : "abc"} )"), "abc");
  for (absl::string_view bad :
       {"", "kid", "{}", R"({"kid":1})", R"({"kid":""})", R"({"kid":"a b"})",
        R"({"kid":"a","kid":"b"})", R"({"kid":"a","x":"b"})",
        R"({"kid":{"a":"b"}})", R"(["kid"])", R"({"kid":"a.b"})"}) {
    EXPECT_EQ(ParseFooterKeyId(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_FALSE(ParseFooterKeyId(
                   absl::StrCat(R"({"kid":")", std::string(300, 'a'), "\"}"))
                   .ok());
  EXPECT_FALSE(SerializeFooter("").ok());
  EXPECT_FALSE(SerializeFooter("a\"b").ok());
}

TEST(JtiTest, Validity) {
  EXPECT_TRUE(IsValidJti("AAECAwQFBgcICQoLDA0ODw"));
  EXPECT_FALSE(IsValidJti("AAECAwQFBgcICQoLDA0ODx"));  // non-canonical
  EXPECT_FALSE(IsValidJti("AAECAwQFBgcICQoLDA0OD"));
  EXPECT_FALSE(IsValidJti("AAECAwQFBgcICQoLDA0OD+"));
  EXPECT_FALSE(IsValidJti(""));
}

}  // namespace
}  // namespace layer_vault::token
