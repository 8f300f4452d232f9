// Hostile framing on the real mcp_frontend binary over stdio: every row is
// raw bytes written to its stdin and the JSON-RPC answers expected on its
// stdout, in order. After each row the frontend must still answer ping and
// tools/list, exit 0 at end of input, and have changed nothing on disk.
// No upstream: vaultd's socket does not exist (no row reaches a tool that
// needs it). The parser's own unit tables are mcp_frontend/jsonrpc/*_test;
// these rows prove the whole binary (line reader, parser, server) holds.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/hostile/frontend_process.h"
#include "tests/hostile/frontend_sandbox.h"

namespace layer_vault::tests::hostile {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr size_t kCap = 4 * 1024 * 1024;  // mcp::kMaxMessageBytes
constexpr int kResult = 0;                 // Answer::code for a result

// One expected answer: a result (code kResult) or an error with `code`,
// for `id`, whose error message contains `mentions`.
struct Answer {
  int code;
  json id;
  std::string mentions;
};

struct FramingRow {
  const char* name;
  std::string (*bytes)();
  std::vector<Answer> answers;
  bool initialize = true;  // initialize before the attack
  bool at_eof = false;     // close stdin right after the attack
};

// {"jsonrpc":"2.0","id":<id>,"method":"ping","params":{"pad":"xxx"}}, padded
// to exactly `size` bytes.
std::string PaddedPing(const std::string& id, size_t size) {
  const std::string head = absl::StrCat(
      R"({"jsonrpc":"2.0","id":)", id, R"(,"method":"ping","params":{"pad":")");
  const std::string tail = "\"}}";
  return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

std::string Ping(const std::string& id) {
  return absl::StrCat(R"({"jsonrpc":"2.0","id":)", id, R"(,"method":"ping"})");
}

// A ping request (id 5) whose params hold `bytes` inside a string.
std::string PingWith(absl::string_view bytes) {
  return absl::StrCat(R"({"jsonrpc":"2.0","id":5,"method":"ping","params":{"s":")",
                      bytes, "\"}}\n");
}

// A ping whose params nest `arrays` arrays: total depth 2 + arrays.
std::string NestedPing(int arrays) {
  return absl::StrCat(R"({"jsonrpc":"2.0","id":6,"method":"ping","params":{"a":)",
                      std::string(arrays, '['), std::string(arrays, ']'),
                      "}}\n");
}

Answer Utf8Error() { return {-32700, nullptr, "invalid UTF-8"}; }
Answer ParseError(std::string mentions = "Parse error") {
  return {-32700, nullptr, std::move(mentions)};
}
Answer NotObject() { return {-32600, nullptr, "must be a JSON object"}; }
Answer BadId() { return {-32600, nullptr, "\"id\" must be a string or an integer"}; }
Answer BadVersion(json id) { return {-32600, std::move(id), "\"jsonrpc\" must be \"2.0\""}; }
Answer Oversize() { return {-32600, nullptr, "exceeds 4194304 bytes"}; }

std::vector<FramingRow> Rows() {
  return {
      // --- size ---
      {"cap_exactly_is_accepted",
       [] { return PaddedPing("1", kCap) + "\n"; },
       {{kResult, 1, ""}}},
      {"cap_plus_one_is_refused",
       [] { return PaddedPing("1", kCap + 1) + "\n"; },
       {Oversize()}},
      {"cap_with_crlf_counts_the_cr",
       [] { return PaddedPing("1", kCap) + "\r\n"; },
       {Oversize()}},
      {"oversize_16mib_garbage",
       [] { return std::string(16 * 1024 * 1024, '{') + "\n"; },
       {Oversize()}},
      {"oversize_then_valid_in_one_write",
       [] { return PaddedPing("1", kCap + 10) + "\n" + Ping("2") + "\n"; },
       {Oversize(), {kResult, 2, ""}}},
      {"oversize_without_newline_at_eof",
       [] { return PaddedPing("1", kCap + 1); },
       {Oversize()},
       true,
       /*at_eof=*/true},
      {"valid_without_newline_at_eof",
       [] { return Ping("3"); },
       {{kResult, 3, ""}},
       true,
       /*at_eof=*/true},
      {"many_medium_lines",
       [] {
         std::string all;
         for (int i = 0; i < 48; ++i) {
           all += PaddedPing(absl::StrCat(i), 256 * 1024) + "\n";
         }
         return all;
       },
       [] {
         std::vector<Answer> answers;
         for (int i = 0; i < 48; ++i) answers.push_back({kResult, i, ""});
         return answers;
       }()},
      {"many_oversize_lines",
       [] {
         std::string all;
         for (int i = 0; i < 4; ++i) all += PaddedPing("1", kCap + 1) + "\n";
         return all + Ping("9") + "\n";
       },
       {Oversize(), Oversize(), Oversize(), Oversize(), {kResult, 9, ""}}},
      // --- invalid UTF-8 (RFC 3629) ---
      {"utf8_overlong_slash", [] { return PingWith("\xc0\xaf"); }, {Utf8Error()}},
      {"utf8_overlong_nul", [] { return PingWith("\xc0\x80"); }, {Utf8Error()}},
      {"utf8_overlong_3_byte", [] { return PingWith("\xe0\x80\xaf"); }, {Utf8Error()}},
      {"utf8_overlong_4_byte", [] { return PingWith("\xf0\x80\x80\xaf"); }, {Utf8Error()}},
      {"utf8_lone_high_surrogate", [] { return PingWith("\xed\xa0\x80"); }, {Utf8Error()}},
      {"utf8_lone_low_surrogate", [] { return PingWith("\xed\xbf\xbf"); }, {Utf8Error()}},
      {"utf8_cesu_surrogate_pair",
       [] { return PingWith("\xed\xa0\xbd\xed\xb8\x80"); },
       {Utf8Error()}},
      {"utf8_truncated_2_byte", [] { return PingWith("\xc3"); }, {Utf8Error()}},
      {"utf8_truncated_4_byte", [] { return PingWith("\xf0\x9f\x98"); }, {Utf8Error()}},
      {"utf8_truncated_at_end_of_line",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"method":"ping"})") + "\xe2\x82\n"; },
       {Utf8Error()}},
      {"utf8_ff", [] { return PingWith("\xff"); }, {Utf8Error()}},
      {"utf8_fe", [] { return PingWith("\xfe"); }, {Utf8Error()}},
      {"utf8_above_u10ffff", [] { return PingWith("\xf4\x90\x80\x80"); }, {Utf8Error()}},
      {"utf8_five_byte_form", [] { return PingWith("\xf8\x88\x80\x80\x80"); }, {Utf8Error()}},
      {"utf8_lone_continuation", [] { return PingWith("\x80"); }, {Utf8Error()}},
      {"utf8_invalid_in_method",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"method":"pi)") + "\xc0\xae" + "ng\"}\n"; },
       {Utf8Error()}},
      {"json_escaped_lone_surrogate",
       [] { return PingWith("\\ud800"); },
       {ParseError()}},
      // nlohmann::json skips a leading BOM (RFC 8259 allows ignoring it).
      {"utf8_bom_prefix_is_tolerated",
       [] { return "\xef\xbb\xbf" + Ping("5") + "\n"; },
       {{kResult, 5, ""}}},
      {"utf8_bom_in_the_middle",
       [] { return std::string(R"({"jsonrpc":"2.0",)") + "\xef\xbb\xbf" + R"("id":5,"method":"ping"})" + "\n"; },
       {ParseError()}},
      // --- nesting ---
      {"nesting_1e4_open", [] { return std::string(10000, '[') + "\n"; },
       {ParseError("nested deeper than 64")}},
      {"nesting_1e5_open", [] { return std::string(100000, '[') + "\n"; },
       {ParseError("nested deeper than 64")}},
      {"nesting_1e5_balanced",
       [] { return std::string(100000, '[') + std::string(100000, ']') + "\n"; },
       {ParseError("nested deeper than 64")}},
      {"nesting_1e5_objects",
       [] {
         std::string s;
         for (int i = 0; i < 100000; ++i) s += "{\"a\":";
         return s + "\n";
       },
       {ParseError("nested deeper than 64")}},
      {"nesting_closers_first_do_not_hide_depth",
       [] { return std::string(1000, ']') + std::string(2000, '[') + "\n"; },
       {ParseError()}},
      {"nesting_depth_64_is_accepted", [] { return NestedPing(62); }, {{kResult, 6, ""}}},
      {"nesting_depth_65_in_params", [] { return NestedPing(63); },
       {ParseError("nested deeper than 64")}},
      // --- NUL and control bytes ---
      {"nul_alone", [] { return std::string("\0\n", 2); }, {ParseError("NUL")}},
      {"nul_after_valid_json",
       [] { return Ping("5") + std::string("\0", 1) + R"({"x":1})" + "\n"; },
       {ParseError("NUL")}},
      {"nul_inside_string", [] { return PingWith(std::string("a\0b", 3)); },
       {ParseError("NUL")}},
      {"nul_between_tokens",
       [] { return std::string(R"({"jsonrpc":"2.0",)") + '\0' + R"("id":5,"method":"ping"})" + "\n"; },
       {ParseError("NUL")}},
      {"bare_cr_joins_two_messages",
       [] { return Ping("5") + "\r" + Ping("6") + "\n"; },
       {ParseError()}},
      {"blank_lines_are_ignored", [] { return std::string("\n\r\n   \n\t\n"); }, {}},
      // --- shape ---
      {"top_level_number", [] { return std::string("42\n"); }, {NotObject()}},
      {"top_level_string", [] { return std::string("\"ping\"\n"); }, {NotObject()}},
      {"top_level_null", [] { return std::string("null\n"); }, {NotObject()}},
      {"top_level_true", [] { return std::string("true\n"); }, {NotObject()}},
      {"batch_of_requests",
       [] { return "[" + Ping("5") + "," + Ping("6") + "]\n"; },
       {{-32600, nullptr, "batches are not supported"}}},
      {"empty_batch", [] { return std::string("[]\n"); },
       {{-32600, nullptr, "batches are not supported"}}},
      {"garbage_text", [] { return std::string("GET / HTTP/1.1\n"); }, {ParseError()}},
      {"two_objects_on_one_line", [] { return Ping("5") + Ping("6") + "\n"; },
       {ParseError()}},
      {"trailing_comma",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"method":"ping",})") + "\n"; },
       {ParseError()}},
      // --- duplicate keys (smuggling) ---
      {"duplicate_id",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"id":6,"method":"ping"})") + "\n"; },
       {ParseError("duplicate key")}},
      {"duplicate_method",
       [] {
         return std::string(
                    R"({"jsonrpc":"2.0","id":5,"method":"ping","method":"tools/call","params":{"name":"get_frontend_status"}})") +
                "\n";
       },
       {ParseError("duplicate key")}},
      {"duplicate_key_in_params",
       [] {
         return std::string(
                    R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get_frontend_status","name":"upload_file"}})") +
                "\n";
       },
       {ParseError("duplicate key")}},
      {"duplicate_key_via_escape",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"\u0069d":6,"method":"ping"})") + "\n"; },
       {ParseError("duplicate key")}},
      // --- ids and numbers ---
      {"id_uint64_max_is_echoed", [] { return Ping("18446744073709551615") + "\n"; },
       {{kResult, json(18446744073709551615ull), ""}}},
      {"id_int64_min_is_echoed", [] { return Ping("-9223372036854775808") + "\n"; },
       {{kResult, json(INT64_MIN), ""}}},
      {"id_2_pow_64", [] { return Ping("18446744073709551616") + "\n"; }, {BadId()}},
      {"id_below_int64_min", [] { return Ping("-9223372036854775809") + "\n"; }, {BadId()}},
      {"id_1e400_overflows", [] { return Ping("1e400") + "\n"; }, {ParseError()}},
      {"id_float", [] { return Ping("1.5") + "\n"; }, {BadId()}},
      {"id_integral_float", [] { return Ping("1.0") + "\n"; }, {BadId()}},
      {"id_null", [] { return Ping("null") + "\n"; }, {BadId()}},
      {"id_bool", [] { return Ping("true") + "\n"; }, {BadId()}},
      {"id_object", [] { return Ping("{\"a\":1}") + "\n"; }, {BadId()}},
      {"id_array", [] { return Ping("[1]") + "\n"; }, {BadId()}},
      {"id_1mib_string_is_echoed",
       [] { return Ping("\"" + std::string(1 << 20, 'i') + "\"") + "\n"; },
       {{kResult, std::string(1 << 20, 'i'), ""}}},
      {"huge_numbers_in_params",
       [] {
         return std::string(
                    R"({"jsonrpc":"2.0","id":5,"method":"ping","params":{"a":1e308,"b":-1.7976931348623157e308,"c":123456789012345678901234567890123456789,"d":5e-324}})") +
                "\n";
       },
       {{kResult, 5, ""}}},
      {"number_over_double_range_in_params",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"method":"ping","params":{"b":-1e999}})") + "\n"; },
       {ParseError()}},
      {"progress_token_float_is_ignored",
       [] {
         return std::string(
                    R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get_frontend_status","_meta":{"progressToken":1.5}}})") +
                "\n";
       },
       {{kResult, 5, ""}}},
      // --- jsonrpc version ---
      {"jsonrpc_1_0",
       [] { return std::string(R"({"jsonrpc":"1.0","id":5,"method":"ping"})") + "\n"; },
       {BadVersion(5)}},
      {"jsonrpc_number",
       [] { return std::string(R"({"jsonrpc":2.0,"id":5,"method":"ping"})") + "\n"; },
       {BadVersion(5)}},
      {"jsonrpc_with_space",
       [] { return std::string(R"({"jsonrpc":"2.0 ","id":"x","method":"ping"})") + "\n"; },
       {BadVersion("x")}},
      {"jsonrpc_missing",
       [] { return std::string(R"({"id":5,"method":"ping"})") + "\n"; },
       {BadVersion(5)}},
      {"jsonrpc_missing_with_bad_id",
       [] { return std::string(R"({"id":[5],"method":"ping"})") + "\n"; },
       {BadVersion(nullptr)}},
      // --- methods and params ---
      {"unknown_method_long_name",
       [] {
         return absl::StrCat(R"({"jsonrpc":"2.0","id":5,"method":")",
                             std::string(100000, 'm'), "\"}\n");
       },
       {{-32601, 5, "Method not found"}}},
      {"method_with_escaped_nul",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"method":"ping\u0000"})") + "\n"; },
       {{-32601, 5, "Method not found"}}},
      {"method_not_a_string",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"method":["ping"]})") + "\n"; },
       {{-32600, 5, "\"method\" must be a string"}}},
      {"params_array",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"method":"ping","params":[1]})") + "\n"; },
       {{-32602, 5, "params as an object"}}},
      {"params_scalar",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"method":"ping","params":"x"})") + "\n"; },
       {{-32600, 5, "\"params\" must be an object"}}},
      {"tools_call_name_not_a_string",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":7}})") + "\n"; },
       {{-32602, 5, "needs a string name"}}},
      {"tools_call_unknown_tool",
       [] { return absl::StrCat(R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":")", std::string(5000, 't'), "\"}}\n"); },
       {{-32602, 5, "Unknown tool"}}},
      {"tools_call_arguments_not_an_object",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get_frontend_status","arguments":[1]}})") + "\n"; },
       {{kResult, 5, ""}}},  // isError result, checked below by name
      {"second_initialize",
       [] { return std::string(R"({"jsonrpc":"2.0","id":5,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})") + "\n"; },
       {{-32600, 5, "already initialized"}}},
      {"response_to_nothing_is_dropped",
       [] { return std::string(R"({"jsonrpc":"2.0","id":99,"result":{}})") + "\n" +
                   R"({"jsonrpc":"2.0","id":98,"error":"x"})" + "\n" +
                   R"({"jsonrpc":"2.0","id":97,"result":{},"error":{"code":1,"message":"m"}})" + "\n"; },
       {}},
      {"bad_notifications_are_not_answered",
       [] { return std::string(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{}}})") + "\n" +
                   R"({"jsonrpc":"2.0","method":"notifications/cancelled"})" + "\n" +
                   R"({"jsonrpc":"2.0","method":"no/such/notification","params":{}})" + "\n"; },
       {}},
      // --- before initialize ---
      {"tools_list_before_initialize",
       [] { return std::string(R"({"jsonrpc":"2.0","id":7,"method":"tools/list"})") + "\n"; },
       {{-32600, 7, "not initialized"}},
       /*initialize=*/false},
      {"tools_call_before_initialize",
       [] { return std::string(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"upload_file","arguments":{"path":"x.png"}}})") + "\n"; },
       {{-32600, 7, "not initialized"}},
       /*initialize=*/false},
      {"set_level_before_initialize",
       [] { return std::string(R"({"jsonrpc":"2.0","id":7,"method":"logging/setLevel","params":{"level":"debug"}})") + "\n"; },
       {{-32600, 7, "not initialized"}},
       /*initialize=*/false},
      {"unknown_method_before_initialize",
       [] { return std::string(R"({"jsonrpc":"2.0","id":7,"method":"resources/list"})") + "\n"; },
       {{-32600, 7, "not initialized"}},
       /*initialize=*/false},
      {"initialize_with_bad_params",
       [] { return std::string(R"({"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":20250618}})") + "\n"; },
       {{-32602, 7, "protocolVersion"}},
       /*initialize=*/false},
      {"ping_before_initialize",
       [] { return Ping("7") + "\n"; },
       {{kResult, 7, ""}},
       /*initialize=*/false},
  };
}

class FramingTest : public FrontendSandboxTest,
                    public ::testing::WithParamInterface<FramingRow> {};

// The row's answers: everything before the answer to a sentinel ping
// (answered on the reading thread, so after every earlier line was), plus
// the answers to tools/call rows, which run on workers and may come later.
std::vector<json> CollectAnswers(FrontendProcess& frontend,
                                 const std::vector<Answer>& expected) {
  auto sentinel = frontend.Request("ping", json::object());
  EXPECT_TRUE(sentinel.ok()) << sentinel.status();
  if (!sentinel.ok()) return {};
  std::vector<json> answers(sentinel->begin(), sentinel->end() - 1);
  for (const Answer& want : expected) {
    if (want.id.is_null()) continue;
    bool seen = false;
    for (const json& got : answers) seen = seen || got.value("id", json()) == want.id;
    if (seen) continue;
    auto late = frontend.ReadUntilResponse(want.id, absl::Seconds(20));
    EXPECT_TRUE(late.ok()) << late.status();
    if (late.ok()) answers.insert(answers.end(), late->begin(), late->end());
  }
  return answers;
}

// Matches each expected answer to the first unmatched message with its id.
void ExpectAnswers(const std::vector<json>& got,
                   const std::vector<Answer>& expected) {
  ASSERT_EQ(got.size(), expected.size()) << "answers: " << json(got).dump().substr(0, 2000);
  std::vector<bool> used(got.size(), false);
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("answer ", i));
    const Answer& want = expected[i];
    size_t match = 0;
    while (match < got.size() &&
           (used[match] || got[match].value("id", json()) != want.id)) {
      ++match;
    }
    ASSERT_LT(match, got.size()) << "no answer with id " << want.id.dump()
                                 << " in " << json(got).dump().substr(0, 2000);
    used[match] = true;
    const json& message = got[match];
    EXPECT_FALSE(message.contains("method")) << message.dump().substr(0, 500);
    EXPECT_EQ(message.value("id", json()), want.id);
    if (want.code == kResult) {
      EXPECT_TRUE(message.contains("result")) << message.dump().substr(0, 500);
      continue;
    }
    ASSERT_TRUE(message.contains("error")) << message.dump().substr(0, 500);
    EXPECT_EQ(message["error"].value("code", 0), want.code)
        << message.dump().substr(0, 500);
    EXPECT_THAT(message["error"].value("message", ""), HasSubstr(want.mentions));
  }
}

// ping and tools/list still work (initializing first if the row did not).
void ExpectStillServing(FrontendProcess& frontend, bool initialized) {
  auto ping = frontend.Request("ping", json::object());
  ASSERT_TRUE(ping.ok()) << ping.status();
  ASSERT_EQ(ping->size(), 1u) << json(*ping).dump().substr(0, 1000);
  EXPECT_EQ(ping->back()["result"], json::object());
  if (!initialized) {
    ASSERT_TRUE(frontend.Initialize().ok());
  }
  auto list = frontend.Request("tools/list", json::object());
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  const json& tools = list->back()["result"]["tools"];
  ASSERT_TRUE(tools.is_array());
  EXPECT_GE(tools.size(), 10u);
}

TEST_P(FramingTest, IsRefusedCleanlyAndServingGoesOn) {
  const FramingRow& row = GetParam();
  SCOPED_TRACE(row.name);
  const Snapshot before = TakeSnapshot(sandbox_->tree());
  std::unique_ptr<FrontendProcess> frontend = StartFrontend(row.initialize);
  ASSERT_NE(frontend, nullptr);

  ASSERT_TRUE(frontend->Write(row.bytes()).ok());
  if (row.at_eof) {
    std::vector<json> answers;
    auto exit_code = frontend->CloseAndWait(&answers);
    ASSERT_TRUE(exit_code.ok()) << exit_code.status();
    EXPECT_EQ(*exit_code, 0);
    ExpectAnswers(answers, row.answers);
  } else {
    std::vector<json> answers = CollectAnswers(*frontend, row.answers);
    ExpectAnswers(answers, row.answers);
    if (std::string(row.name) == "tools_call_arguments_not_an_object") {
      EXPECT_TRUE(answers.back()["result"].value("isError", false));
    }
    ExpectStillServing(*frontend, row.initialize);
    std::vector<json> rest;
    auto exit_code = frontend->CloseAndWait(&rest);
    ASSERT_TRUE(exit_code.ok()) << exit_code.status();
    EXPECT_EQ(*exit_code, 0);
    EXPECT_TRUE(rest.empty()) << json(rest).dump().substr(0, 1000);
  }
  EXPECT_EQ(SnapshotDiff(before, TakeSnapshot(sandbox_->tree())), "");
}

INSTANTIATE_TEST_SUITE_P(Rows, FramingTest, ::testing::ValuesIn(Rows()),
                         [](const auto& info) { return std::string(info.param.name); });

// Every row (except the end-of-input ones) against one process in turn: a
// row must not leave state behind that breaks a later one.
TEST_F(FramingTest, AllRowsInOneProcess) {
  const Snapshot before = TakeSnapshot(sandbox_->tree());
  std::unique_ptr<FrontendProcess> frontend = StartFrontend();
  ASSERT_NE(frontend, nullptr);
  int rows = 0;
  for (const FramingRow& row : Rows()) {
    if (row.at_eof || !row.initialize) continue;
    if (std::string(row.name) == "many_medium_lines" ||
        std::string(row.name) == "oversize_16mib_garbage") {
      continue;  // covered above; keeps this test fast
    }
    SCOPED_TRACE(row.name);
    ASSERT_TRUE(frontend->Write(row.bytes()).ok());
    ExpectAnswers(CollectAnswers(*frontend, row.answers), row.answers);
    ++rows;
  }
  EXPECT_GT(rows, 50);
  ExpectStillServing(*frontend, true);
  auto exit_code = frontend->CloseAndWait(nullptr);
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
  EXPECT_EQ(SnapshotDiff(before, TakeSnapshot(sandbox_->tree())), "");
}

}  // namespace
}  // namespace layer_vault::tests::hostile
