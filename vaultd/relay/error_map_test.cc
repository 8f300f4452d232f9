#include "vaultd/relay/error_map.h"

#include <string>

#include "common/typed_error.h"
#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace layer_vault::relay {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1767225600);

struct Case {
  const char* name;
  int http_status;
  const char* body;
  bool graphql;
  absl::StatusCode code;
  const char* type;  // "" for OK
};

class MapTest : public ::testing::TestWithParam<Case> {};

TEST_P(MapTest, Maps) {
  const Case& c = GetParam();
  HttpResponse r;
  r.status = c.http_status;
  r.body = c.body;
  absl::Status status = MapUpstreamResponse(r, c.graphql, kNow);
  EXPECT_EQ(status.code(), c.code) << status;
  if (std::string(c.type).empty()) return;
  auto type = common::ErrorTypeOf(status);
  ASSERT_TRUE(type.has_value()) << status;
  EXPECT_EQ(type->domain, "layer");
  EXPECT_EQ(type->type, c.type) << status;
  EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("[layer:", c.type, "]")));
}

using C = absl::StatusCode;
const Case kCases[] = {
    {"ok", 200, R"({"workspaces":[]})", false, C::kOk, ""},
    {"ok_non_json", 204, "", false, C::kOk, ""},
    {"unauthorized", 401, R"({"detail":"Not authenticated"})", false,
     C::kFailedPrecondition, "CREDENTIAL_REJECTED"},
    {"forbidden_any_body", 403, R"({"code":"INSUFFICIENT_BALANCE"})", false,
     C::kFailedPrecondition, "CREDENTIAL_REJECTED"},
    {"feature_disabled_403", 403,
     R"({"detail":"video generation is not enabled","code":"FEATURE_DISABLED"})",
     false, C::kFailedPrecondition, "FEATURE_DISABLED"},
    {"insufficient_balance_code", 400,
     R"({"error":{"code":"INSUFFICIENT_BALANCE","message":"need 3 CU"}})", false,
     C::kFailedPrecondition, "INSUFFICIENT_BALANCE"},
    {"payment_required_status", 402, "{}", false, C::kFailedPrecondition,
     "INSUFFICIENT_BALANCE"},
    {"model_not_found", 404, R"({"code":"MODEL_NOT_FOUND","message":"no model"})",
     false, C::kInvalidArgument, "MODEL_NOT_FOUND"},
    {"model_not_found_lowercase", 400, R"({"error_code":"model_not_found"})",
     false, C::kInvalidArgument, "MODEL_NOT_FOUND"},
    {"plain_not_found", 404, R"({"detail":"Not Found"})", false,
     C::kInvalidArgument, "NOT_FOUND"},
    {"rate_limited_429", 429, "", false, C::kResourceExhausted, "RATE_LIMITED"},
    {"rate_limited_code", 400, R"({"error":"RATE_LIMITED"})", false,
     C::kResourceExhausted, "RATE_LIMITED"},
    {"feature_disabled", 400, R"({"code":"FEATURE_DISABLED"})", false,
     C::kFailedPrecondition, "FEATURE_DISABLED"},
    {"validation_422", 422,
     R"({"detail":[{"loc":["body","width"],"msg":"must be > 0","type":"value_error"}]})",
     false, C::kInvalidArgument, "INVALID_REQUEST"},
    {"conflict", 409, "{}", false, C::kFailedPrecondition, "CONFLICT"},
    {"other_4xx", 418, "teapot", false, C::kFailedPrecondition,
     "REQUEST_REJECTED"},
    {"body_code_cannot_claim_credential", 400, R"({"code":"UNAUTHENTICATED"})",
     false, C::kInvalidArgument, "INVALID_REQUEST"},
    {"server_error", 500, R"({"code":"INSUFFICIENT_BALANCE"})", false,
     C::kUnavailable, "UPSTREAM_UNAVAILABLE"},
    {"bad_gateway_html", 502, "<html>bad gateway</html>", false, C::kUnavailable,
     "UPSTREAM_UNAVAILABLE"},
    {"redirect", 302, "", false, C::kUnavailable, "UPSTREAM_UNAVAILABLE"},
    {"graphql_ok", 200, R"({"data":{"describeImage":{"__typename":"StringWrapper","value":"a cat"}}})",
     true, C::kOk, ""},
    {"graphql_union_error_type", 200,
     R"({"data":{"getFilesById":null,"x":{"__typename":"Error","type":"NOT_FOUND_ERROR","code":"FILE_NOT_FOUND","title":"t","message":"m","data":null}}})",
     true, C::kInvalidArgument, "NOT_FOUND"},
    {"graphql_union_error_specific_code", 200,
     R"({"data":{"createInference":{"type":"PAYMENT_REQUIRED_ERROR","code":"INSUFFICIENT_BALANCE","title":"t","message":"m"}}})",
     true, C::kFailedPrecondition, "INSUFFICIENT_BALANCE"},
    {"graphql_union_unauthorized", 200,
     R"({"data":{"f":{"__typename":"Error","type":"UNAUTHORIZED_ERROR","code":"X","title":"t","message":"m"}}})",
     true, C::kFailedPrecondition, "CREDENTIAL_REJECTED"},
    {"graphql_union_rate_limited", 200,
     R"({"data":{"f":{"__typename":"Error","type":"RATE_LIMITED_ERROR","code":"X","title":"t","message":"m"}}})",
     true, C::kResourceExhausted, "RATE_LIMITED"},
    {"graphql_top_level_errors", 200,
     R"({"errors":[{"message":"Cannot query field","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}],"data":null})",
     true, C::kInvalidArgument, "INVALID_REQUEST"},
    {"graphql_partial_errors_pass", 200,
     R"({"errors":[{"message":"x"}],"data":{"a":{"b":1}}})", true, C::kOk, ""},
    {"graphql_401", 401, R"({"errors":[{"message":"bad token"}]})", true,
     C::kFailedPrecondition, "CREDENTIAL_REJECTED"},
    {"rest_error_shape_not_checked_on_2xx", 200, R"({"code":"RATE_LIMITED"})",
     false, C::kOk, ""},
};

INSTANTIATE_TEST_SUITE_P(Cases, MapTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param.name; });

TEST(ErrorMapTest, CredentialMessageIsExact) {
  HttpResponse r;
  r.status = 401;
  absl::Status status = MapUpstreamResponse(r, false, kNow);
  EXPECT_THAT(status.message(), HasSubstr(kCredentialRejectedMessage));
  EXPECT_THAT(status.message(),
              HasSubstr("Layer.ai rejected the stored credential; rotate it "
                        "with vaultctl rotate"));
}

TEST(ErrorMapTest, RateLimitCarriesRetryAfter) {
  HttpResponse r;
  r.status = 429;
  r.retry_after = "7";
  absl::Status status = MapUpstreamResponse(r, false, kNow);
  EXPECT_EQ(common::RetryAfterOf(status), absl::Seconds(7));
  EXPECT_THAT(status.message(), HasSubstr("retry after 7s"));
  r.retry_after = "Thu, 01 Jan 2026 00:01:00 GMT";
  status = MapUpstreamResponse(r, false, kNow);
  EXPECT_EQ(common::RetryAfterOf(status), absl::Minutes(1));
  r.retry_after.reset();
  status = MapUpstreamResponse(r, false, kNow);
  EXPECT_FALSE(common::RetryAfterOf(status).has_value());
}

TEST(ErrorMapTest, UpstreamMessageIsIncludedRedactedAndBounded) {
  HttpResponse r;
  r.status = 400;
  r.body = nlohmann::json{{"code", "BAD_REQUEST"},
                          {"message", "token pat_abcdefghijkl is bad\n" +
                                          std::string(5000, 'x')}}
               .dump();
  absl::Status status = MapUpstreamResponse(r, false, kNow);
  EXPECT_THAT(status.message(), HasSubstr("token [REDACTED] is bad"));
  EXPECT_THAT(status.message(), Not(HasSubstr("pat_")));
  EXPECT_THAT(status.message(), Not(HasSubstr("\n")));
  EXPECT_LT(status.message().size(), 500u);
}

TEST(ErrorMapTest, FastApiDetailNamesTheField) {
  HttpResponse r;
  r.status = 422;
  r.body =
      R"({"detail":[{"loc":["body","width"],"msg":"must be > 0","type":"value_error"}]})";
  absl::Status status = MapUpstreamResponse(r, false, kNow);
  EXPECT_THAT(status.message(), HasSubstr("body.width: must be > 0"));
}

TEST(ErrorMapTest, TransportErrors) {
  EXPECT_TRUE(MapTransportError(absl::OkStatus()).ok());
  absl::Status s = MapTransportError(absl::UnavailableError("connect failed"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(common::ErrorTypeOf(s)->type, "UNREACHABLE");
  EXPECT_THAT(s.message(), HasSubstr("connect failed"));
  s = MapTransportError(absl::OutOfRangeError("response over 8 MiB"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(common::ErrorTypeOf(s)->type, "RESPONSE_TOO_LARGE");
}

}  // namespace
}  // namespace layer_vault::relay
