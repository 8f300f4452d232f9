#include "common/typed_error.h"

#include "gtest/gtest.h"

namespace layer_vault::common {
namespace {

TEST(TypedErrorTest, PrefixAndPayload) {
  absl::Status s = TypedError(absl::StatusCode::kFailedPrecondition, "layer",
                              "INSUFFICIENT_BALANCE", "not enough units");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "[layer:INSUFFICIENT_BALANCE] not enough units");
  auto type = ErrorTypeOf(s);
  ASSERT_TRUE(type.has_value());
  EXPECT_EQ(type->domain, "layer");
  EXPECT_EQ(type->type, "INSUFFICIENT_BALANCE");
}

TEST(TypedErrorTest, ParsedFromMessageAfterGrpcRoundTrip) {
  absl::Status s(absl::StatusCode::kResourceExhausted,
                 "[vault:BUDGET_EXCEEDED] over budget");
  auto type = ErrorTypeOf(s);
  ASSERT_TRUE(type.has_value());
  EXPECT_EQ((*type), (ErrorType{"vault", "BUDGET_EXCEEDED"}));
}

TEST(TypedErrorTest, UntypedAndMalformed) {
  EXPECT_FALSE(ErrorTypeOf(absl::OkStatus()).has_value());
  EXPECT_FALSE(ErrorTypeOf(absl::InternalError("plain")).has_value());
  EXPECT_FALSE(ErrorTypeOf(absl::InternalError("[nocolon] x")).has_value());
  EXPECT_FALSE(ErrorTypeOf(absl::InternalError("[Layer:x] x")).has_value());
  EXPECT_FALSE(ErrorTypeOf(absl::InternalError("[layer:BAD")).has_value());
}

TEST(TypedErrorTest, RetryAfterRoundsUp) {
  absl::Status s = absl::ResourceExhaustedError("slow down");
  EXPECT_FALSE(RetryAfterOf(s).has_value());
  SetRetryAfter(s, absl::Microseconds(1500));
  EXPECT_EQ(RetryAfterOf(s), absl::Milliseconds(2));
  SetRetryAfter(s, -absl::Seconds(1));
  EXPECT_EQ(RetryAfterOf(s), absl::ZeroDuration());
}

TEST(TypedErrorDeathTest, RejectsMalformedTypes) {
  EXPECT_DEATH(TypedError(absl::StatusCode::kInternal, "layer", "lower", "x"),
               "");
  EXPECT_DEATH(TypedError(absl::StatusCode::kOk, "layer", "X", "x"), "");
}

}  // namespace
}  // namespace layer_vault::common
