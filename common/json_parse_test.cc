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

}  // namespace
}  // namespace layer_vault::common
