#include "common/json_parse.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::common {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseJsonBoundedTest, ParsesWithinLimits) {
  auto v = ParseJsonBounded(R"({"a":[1,{"b":"c"}]})", {}, "params");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["a"][1]["b"], "c");
}

TEST(ParseJsonBoundedTest, RejectsOversizedText) {
  JsonParseLimits limits;
  limits.max_bytes = 10;
  auto v = ParseJsonBounded(R"({"a":"0123456789"})", limits, "params");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(v.status().message(), HasSubstr("params is 18 bytes"));
}

TEST(ParseJsonBoundedTest, RejectsDeepNestingBeforeParsing) {
  JsonParseLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(ParseJsonBounded("[[[1]]]", limits, "x").ok());
  auto v = ParseJsonBounded("[[[[1]]]]", limits, "x");
  EXPECT_THAT(v.status().message(), HasSubstr("deeper than 3"));
  // Brackets inside strings do not count.
  EXPECT_TRUE(ParseJsonBounded(R"(["[[[[\"[[[["])", limits, "x").ok());
  // A hostile 64 KiB of brackets is refused cheaply.
  auto deep = ParseJsonBounded(std::string(65536, '['), {}, "x");
  EXPECT_EQ(deep.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseJsonBoundedTest, MalformedTextDoesNotEchoContent) {
  auto v = ParseJsonBounded(R"({"token": pat_abcdefghijk})", {}, "params");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(v.status().message(), HasSubstr("byte"));
  EXPECT_THAT(v.status().message(), Not(HasSubstr("pat_")));
}

TEST(ParseJsonBoundedTest, RejectsInvalidUtf8) {
  auto v = ParseJsonBounded("\"\xff\"", {}, "x");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseJsonBoundedTest, RejectsDuplicateKeysAtAnyDepth) {
  EXPECT_FALSE(ParseJsonBounded(R"({"a":1,"a":2})", {}, "x").ok());
  EXPECT_FALSE(ParseJsonBounded(R"({"b":{"a":1,"a":2}})", {}, "x").ok());
  EXPECT_FALSE(ParseJsonBounded(R"([{"a":1,"\u0061":2}])", {}, "x").ok());
  // The same key in sibling objects is fine.
  EXPECT_TRUE(ParseJsonBounded(R"([{"a":1},{"a":2}])", {}, "x").ok());
  EXPECT_TRUE(ParseJsonBounded(R"({"a":{"a":{"a":1}}})", {}, "x").ok());
  JsonParseLimits lenient;
  lenient.reject_duplicate_keys = false;
  EXPECT_TRUE(ParseJsonBounded(R"({"a":1,"a":2})", lenient, "x").ok());
}

TEST(RawMemberSpanTest, ReturnsExactBytes) {
  const std::string text =
      " { \"workspace_id\" : \"w\", \"body\" :  {\"b\": [1, \"}\\\"\"],\n \"a\":1.50} ,\"x\":null}";
  auto span = RawMemberSpan(text, "body");
  ASSERT_TRUE(span.ok()) << span.status();
  ASSERT_TRUE(span->has_value());
  EXPECT_EQ(**span, "{\"b\": [1, \"}\\\"\"],\n \"a\":1.50}");
  EXPECT_EQ(**RawMemberSpan(text, "workspace_id"), "\"w\"");
  EXPECT_EQ(**RawMemberSpan(text, "x"), "null");
  EXPECT_FALSE(RawMemberSpan(text, "missing")->has_value());
  EXPECT_FALSE(RawMemberSpan("{}", "body")->has_value());
}

TEST(RawMemberSpanTest, DecodesEscapedKeys) {
  auto span = RawMemberSpan(R"({"b\u006fdy":[1,2]})", "body");
  ASSERT_TRUE(span.ok());
  EXPECT_EQ(**span, "[1,2]");
}

TEST(RawMemberSpanTest, RejectsNonObjectsAndDuplicates) {
  EXPECT_FALSE(RawMemberSpan("[1]", "a").ok());
  EXPECT_FALSE(RawMemberSpan("", "a").ok());
  EXPECT_FALSE(RawMemberSpan(R"({"a":1,"a":2})", "a").ok());
  EXPECT_FALSE(RawMemberSpan(R"({"a":1)", "a").ok());
}

}  // namespace
}  // namespace layer_vault::common
