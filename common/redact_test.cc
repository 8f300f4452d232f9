#include "common/redact.h"

#include <chrono>
#include <random>
#include <string>

#include "absl/strings/cord.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::common {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

struct Case {
  const char* name;
  const char* input;
  const char* expected;
};

class RedactTest : public ::testing::TestWithParam<Case> {};

TEST_P(RedactTest, Redacts) {
  EXPECT_EQ(Redact(GetParam().input), GetParam().expected);
  EXPECT_EQ(ContainsCredential(GetParam().input),
            std::string(GetParam().input) != GetParam().expected);
}

const Case kCases[] = {
    {"empty", "", ""},
    {"plain", "nothing to see here", "nothing to see here"},
    {"pat", "token=pat_AbC123xyz_-9", "token=[REDACTED]"},
    {"pat_uppercase_prefix", "PAT_abcdefgh!", "[REDACTED]!"},
    {"pat_at_end", "x pat_12345678", "x [REDACTED]"},
    {"pat_too_short", "pat_1234567", "pat_1234567"},
    {"pat_inside_word", "compat_12345678", "com[REDACTED]"},
    {"pat_in_json_text", R"({"pat":"pat_abcdefghij"})", R"({"pat":"[REDACTED]"})"},
    {"two_pats", "pat_aaaaaaaa pat_bbbbbbbb", "[REDACTED] [REDACTED]"},
    {"paseto_public_footer",
     "t=v4.public.eyJzdWIiOiIxMDAwIn0abc-_.eyJraWQiOiJrMSJ9 end",
     "t=[REDACTED] end"},
    {"paseto_local_no_footer", "v2.local.AAAA", "[REDACTED]"},
    {"paseto_v1", "(v1.public.x)", "([REDACTED])"},
    {"paseto_v5_not_matched", "v5.public.abc", "v5.public.abc"},
    {"paseto_unknown_purpose", "v4.secret.abc", "v4.secret.abc"},
    {"paseto_empty_payload", "v4.public.", "v4.public."},
    {"paseto_dot_without_footer", "v4.public.abc.", "[REDACTED]."},
    {"version_string", "running v4.2.3", "running v4.2.3"},
    {"bearer", "Authorization: Bearer abc.def/ghi=", "Authorization: Bearer [REDACTED]"},
    {"bearer_lowercase_tabs", "bearer\t\tXYZ rest", "bearer\t\t[REDACTED] rest"},
    {"bearer_stops_at_quote", R"("Bearer abc","x")", R"("Bearer [REDACTED]","x")"},
    {"bearer_alone", "Bearer", "Bearer"},
    {"bearer_trailing_space", "Bearer   ", "Bearer   "},
    {"bearer_no_space", "Bearerabc", "Bearerabc"},
    {"bearer_then_stop", "Bearer (x)", "Bearer (x)"},
    {"bearer_of_pat", "Bearer pat_12345678", "Bearer [REDACTED]"},
    {"idempotent", "Bearer [REDACTED]", "Bearer [REDACTED]"},
    {"nul_bytes", "a\0b", "a"},  // string literal stops at NUL
};

INSTANTIATE_TEST_SUITE_P(Cases, RedactTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param.name; });

TEST(RedactTest, HandlesEmbeddedNulsAndInvalidUtf8) {
  std::string text("\xff\xfe pat_\x00\x01", 9);
  EXPECT_EQ(Redact(text), text);
  std::string secret = std::string("\x00\xc3", 2) + "pat_abcdefgh" +
                       std::string("\x00", 1);
  EXPECT_EQ(Redact(secret), std::string("\x00\xc3", 2) + "[REDACTED]" +
                                std::string("\x00", 1));
}

// Random strings over an alphabet rich in rule prefixes: the output never
// still contains a credential, and redaction is idempotent.
TEST(RedactTest, FuzzOutputIsClean) {
  const std::string alphabet = "pPaAtT_vV1245.localpublicbBeErR \t\"x-[]";
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<size_t> len(0, 64);
  const std::string prefixes[] = {"pat_", "v4.public.", "v2.local.",
                                  "Bearer ", ""};
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    size_t n = len(rng);
    for (size_t j = 0; j < n; ++j) {
      if (rng() % 8 == 0) {
        s += prefixes[rng() % 5];
      } else {
        s.push_back(alphabet[pick(rng)]);
      }
    }
    std::string r = Redact(s);
    ASSERT_FALSE(ContainsCredential(r)) << "input: " << s << " output: " << r;
    ASSERT_EQ(Redact(r), r);
  }
}

// Pathological inputs stay linear: many near-misses of every rule.
TEST(RedactTest, HostileInputIsLinear) {
  std::string near_misses;
  for (int i = 0; i < 100000; ++i) near_misses += "pat_1234567 v4.public. Bearer ;";
  std::string long_bearer = "Bearer" + std::string(1 << 20, ' ');
  std::string long_pat = "pat_" + std::string(1 << 22, 'a');
  auto start = std::chrono::steady_clock::now();
  // EXPECT_TRUE keeps megabytes of text out of a failure message.
  EXPECT_TRUE(Redact(near_misses) == near_misses);
  EXPECT_TRUE(Redact(long_bearer) == long_bearer);
  EXPECT_TRUE(Redact(long_pat) == "[REDACTED]");
  auto elapsed = std::chrono::steady_clock::now() - start;
  // Generous bound (sanitizers slow this down ~10x); a quadratic scan would
  // take minutes.
  EXPECT_LT(elapsed, std::chrono::seconds(20));
}

TEST(RedactJsonTest, RedactsValuesAndKeysRecursively) {
  json v = json::parse(R"({
    "ok": "fine",
    "nested": {"list": ["pat_abcdefgh1", 5, null, {"t": "v4.public.abc"}]},
    "pat_zzzzzzzzzz": "key leaked",
    "header": "Bearer secret-value"
  })");
  RedactJsonInPlace(v);
  EXPECT_EQ(v["ok"], "fine");
  EXPECT_EQ(v["nested"]["list"][0], "[REDACTED]");
  EXPECT_EQ(v["nested"]["list"][1], 5);
  EXPECT_EQ(v["nested"]["list"][3]["t"], "[REDACTED]");
  EXPECT_EQ(v["[REDACTED]"], "key leaked");
  EXPECT_EQ(v["header"], "Bearer [REDACTED]");
  EXPECT_FALSE(ContainsCredential(v.dump()));
}

TEST(RedactJsonTest, CollidingKeysKeepEveryMember) {
  json v = json::parse(
      R"({"pat_aaaaaaaa":1,"pat_bbbbbbbb":2,"[REDACTED]":3})");
  RedactJsonInPlace(v);
  EXPECT_EQ(v.size(), 3u);
  EXPECT_EQ(v["[REDACTED]"], 3);  // the unchanged key keeps its name
  EXPECT_TRUE(v.contains("[REDACTED]#2"));
  EXPECT_TRUE(v.contains("[REDACTED]#3"));
  EXPECT_FALSE(ContainsCredential(v.dump()));
}

TEST(RedactJsonTest, RedactsKeysAtDepth) {
  json v = json::parse(R"([[{"a":{"Bearer x":[{"pat_12345678":"v1.local.z"}]}}]])");
  json r = RedactJson(v);
  EXPECT_EQ(r.dump(),
            R"([[{"a":{"Bearer [REDACTED]":[{"[REDACTED]":"[REDACTED]"}]}}]])");
  EXPECT_NE(v, r);  // the original is untouched
}

TEST(RedactJsonTest, DeepNestingDoesNotRecurse) {
  json v = "pat_abcdefghij";
  for (int i = 0; i < 100000; ++i) {
    json wrapper = json::array();
    wrapper.push_back(std::move(v));
    v = std::move(wrapper);
  }
  RedactJsonInPlace(v);
  const json* leaf = &v;
  while (leaf->is_array()) leaf = &(*leaf)[0];
  EXPECT_EQ(*leaf, "[REDACTED]");
}

TEST(RedactStatusTest, RedactsMessageAndPayloadsKeepsCode) {
  absl::Status status = absl::UnavailableError("upstream said pat_abcdefgh1");
  status.SetPayload("type.example/detail", absl::Cord("Bearer xyz"));
  absl::Status r = RedactStatus(status);
  EXPECT_EQ(r.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.message(), "upstream said [REDACTED]");
  EXPECT_EQ(std::string(*r.GetPayload("type.example/detail")),
            "Bearer [REDACTED]");
  EXPECT_TRUE(RedactStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace layer_vault::common
