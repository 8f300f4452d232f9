#include "mcp_frontend/jsonrpc/message.h"

#include <string>
#include <variant>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp {
namespace {

using Kind = IncomingMessage::Kind;

struct RejectCase {
  const char* name;
  std::string line;
  int code;
  nlohmann::json id;  // expected id of the error response
  bool respond;
};

class RejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RejectTest, IsRejectedWithCodeAndId) {
  const RejectCase& c = GetParam();
  auto parsed = ParseMessage(c.line);
  ASSERT_TRUE(std::holds_alternative<RejectedMessage>(parsed));
  const auto& rejected = std::get<RejectedMessage>(parsed);
  EXPECT_EQ(rejected.error.code, c.code) << rejected.error.message;
  EXPECT_EQ(rejected.id, c.id);
  EXPECT_EQ(rejected.respond, c.respond);
  EXPECT_FALSE(rejected.error.message.empty());
}

std::string Nested(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RejectTest,
    ::testing::Values(
        RejectCase{"garbage", "hello", kParseError, nullptr, true},
        RejectCase{"truncated", R"({"jsonrpc":"2.0","id":1,"method":)",
                   kParseError, nullptr, true},
        RejectCase{"empty", "", kParseError, nullptr, true},
        RejectCase{"invalid_utf8_in_string",
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xffng\"}",
                   kParseError, nullptr, true},
        RejectCase{"overlong_utf8",
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xc0\xaf\"}",
                   kParseError, nullptr, true},
        RejectCase{"utf8_surrogate",
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xed\xa0\x80\"}",
                   kParseError, nullptr, true},
        RejectCase{"too_deep", Nested(65), kParseError, nullptr, true},
        RejectCase{"duplicate_key",
                   R"({"jsonrpc":"2.0","id":1,"method":"a","method":"b"})",
                   kParseError, nullptr, true},
        RejectCase{"batch",
                   R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])",
                   kInvalidRequest, nullptr, true},
        RejectCase{"empty_batch", "[]", kInvalidRequest, nullptr, true},
        RejectCase{"scalar", "42", kInvalidRequest, nullptr, true},
        RejectCase{"no_jsonrpc", R"({"id":7,"method":"ping"})",
                   kInvalidRequest, 7, true},
        RejectCase{"wrong_jsonrpc",
                   R"({"jsonrpc":"1.0","id":"a","method":"ping"})",
                   kInvalidRequest, "a", true},
        RejectCase{"method_not_string",
                   R"({"jsonrpc":"2.0","id":3,"method":5})", kInvalidRequest,
                   3, true},
        RejectCase{"no_method", R"({"jsonrpc":"2.0","id":3})",
                   kInvalidRequest, 3, true},
        RejectCase{"null_id", R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
                   kInvalidRequest, nullptr, true},
        RejectCase{"fraction_id",
                   R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})",
                   kInvalidRequest, nullptr, true},
        RejectCase{"bool_id",
                   R"({"jsonrpc":"2.0","id":true,"method":"ping"})",
                   kInvalidRequest, nullptr, true},
        RejectCase{"array_params",
                   R"({"jsonrpc":"2.0","id":4,"method":"ping","params":[]})",
                   kInvalidParams, 4, true},
        RejectCase{"scalar_params",
                   R"({"jsonrpc":"2.0","id":4,"method":"ping","params":1})",
                   kInvalidRequest, 4, true},
        RejectCase{"notification_bad_params",
                   R"({"jsonrpc":"2.0","method":"x","params":"s"})",
                   kInvalidRequest, nullptr, false},
        RejectCase{"response_both",
                   R"({"jsonrpc":"2.0","id":1,"result":{},"error":{}})",
                   kInvalidRequest, 1, false},
        RejectCase{"response_bad_error",
                   R"({"jsonrpc":"2.0","id":1,"error":{"code":"x"}})",
                   kInvalidRequest, 1, false},
        RejectCase{"response_null_id",
                   R"({"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"m"}})",
                   kInvalidRequest, nullptr, false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ParseMessageTest, Request) {
  auto parsed = ParseMessage(
      R"({"jsonrpc":"2.0","id":"abc","method":"tools/call","params":{"name":"x"}})");
  ASSERT_TRUE(std::holds_alternative<IncomingMessage>(parsed));
  const auto& m = std::get<IncomingMessage>(parsed);
  EXPECT_EQ(m.kind, Kind::kRequest);
  EXPECT_EQ(m.id, "abc");
  EXPECT_EQ(m.method, "tools/call");
  EXPECT_EQ(m.params, (nlohmann::json{{"name", "x"}}));
}

TEST(ParseMessageTest, RequestWithoutParamsAndIntegerId) {
  auto parsed = ParseMessage(R"({"jsonrpc":"2.0","id":-9,"method":"ping"})");
  ASSERT_TRUE(std::holds_alternative<IncomingMessage>(parsed));
  const auto& m = std::get<IncomingMessage>(parsed);
  EXPECT_EQ(m.kind, Kind::kRequest);
  EXPECT_EQ(m.id, -9);
  EXPECT_TRUE(m.params.is_null());
}

TEST(ParseMessageTest, Notification) {
  auto parsed = ParseMessage(
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  ASSERT_TRUE(std::holds_alternative<IncomingMessage>(parsed));
  EXPECT_EQ(std::get<IncomingMessage>(parsed).kind, Kind::kNotification);
}

TEST(ParseMessageTest, ResultResponse) {
  auto parsed =
      ParseMessage(R"({"jsonrpc":"2.0","id":12,"result":{"action":"accept"}})");
  ASSERT_TRUE(std::holds_alternative<IncomingMessage>(parsed));
  const auto& m = std::get<IncomingMessage>(parsed);
  EXPECT_EQ(m.kind, Kind::kResponse);
  EXPECT_FALSE(m.is_error);
  EXPECT_EQ(m.result["action"], "accept");
}

TEST(ParseMessageTest, ErrorResponse) {
  auto parsed = ParseMessage(
      R"({"jsonrpc":"2.0","id":12,"error":{"code":-32601,"message":"no","data":{"k":1}}})");
  ASSERT_TRUE(std::holds_alternative<IncomingMessage>(parsed));
  const auto& m = std::get<IncomingMessage>(parsed);
  EXPECT_EQ(m.kind, Kind::kResponse);
  EXPECT_TRUE(m.is_error);
  EXPECT_EQ(m.error.code, -32601);
  EXPECT_EQ(m.error.message, "no");
  EXPECT_EQ(m.error.data["k"], 1);
}

TEST(ParseMessageTest, NonAsciiUtf8IsAccepted) {
  auto parsed = ParseMessage(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"p\":"
      "\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8e\xae\"}}");
  ASSERT_TRUE(std::holds_alternative<IncomingMessage>(parsed));
}

TEST(ParseMessageTest, OversizeIsRejectedWithoutParsing) {
  std::string line = R"({"jsonrpc":"2.0","id":1,"method":"x","params":{"p":")";
  line.append(kMaxMessageBytes, 'a');
  line += "\"}}";
  auto parsed = ParseMessage(line);
  ASSERT_TRUE(std::holds_alternative<RejectedMessage>(parsed));
  EXPECT_EQ(std::get<RejectedMessage>(parsed).error.code, kInvalidRequest);
}

TEST(ParseMessageTest, ErrorMessagesDoNotQuoteInput) {
  auto parsed = ParseMessage("pat_secretsecretsecret not json");
  ASSERT_TRUE(std::holds_alternative<RejectedMessage>(parsed));
  EXPECT_EQ(std::get<RejectedMessage>(parsed).error.message.find("pat_"),
            std::string::npos);
}

TEST(FindInvalidUtf8Test, Offsets) {
  EXPECT_EQ(FindInvalidUtf8("plain"), absl::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("\xf4\x8f\xbf\xbf"), absl::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("ab\x80"), 2u);
  EXPECT_EQ(FindInvalidUtf8("ab\xe2\x9c"), 2u);            // truncated
  EXPECT_EQ(FindInvalidUtf8("\xf4\x90\x80\x80"), 0u);      // > U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("\xe0\x80\xaf"), 0u);          // overlong
  EXPECT_EQ(FindInvalidUtf8(absl::string_view("a\0b", 3)),  // NUL is UTF-8
            absl::string_view::npos);
}

TEST(RequestIdKeyTest, KeepsStringAndNumberApart) {
  EXPECT_NE(RequestIdKey(1), RequestIdKey("1"));
  EXPECT_EQ(RequestIdKey(1), RequestIdKey(nlohmann::json::parse("1")));
  EXPECT_EQ(RequestIdKey("x"), "s:x");
}

TEST(BuildersTest, Shapes) {
  EXPECT_EQ(MakeResult(1, nlohmann::json::object()).dump(),
            R"({"id":1,"jsonrpc":"2.0","result":{}})");
  EXPECT_EQ(MakeError(nullptr, kParseError, "Parse error").dump(),
            R"({"error":{"code":-32700,"message":"Parse error"},"id":null,"jsonrpc":"2.0"})");
  EXPECT_EQ(MakeNotification("notifications/x", nullptr).dump(),
            R"({"jsonrpc":"2.0","method":"notifications/x"})");
  EXPECT_EQ(MakeRequest(5, "ping", nullptr).dump(),
            R"({"id":5,"jsonrpc":"2.0","method":"ping"})");
}

}  // namespace
}  // namespace layer_vault::mcp
