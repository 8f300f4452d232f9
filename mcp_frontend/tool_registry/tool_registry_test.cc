#include "mcp_frontend/tool_registry/tool_registry.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mcp_frontend/tool_registry/log_level.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp {
namespace {

using ::testing::HasSubstr;

ToolDefinition EchoDefinition(std::string name = "echo") {
  ToolDefinition d;
  d.name = std::move(name);
  d.title = "Echo";
  d.description = "Repeats the prompt.";
  d.input_schema = nlohmann::json::parse(R"({
    "type": "object",
    "properties": {
      "prompt": {"type": "string", "minLength": 1, "maxLength": 100},
      "count": {"type": "integer", "minimum": 1, "maximum": 4}
    },
    "required": ["prompt"],
    "additionalProperties": false
  })");
  d.output_schema = nlohmann::json::parse(R"({
    "type": "object",
    "properties": {"echo": {"type": "string"}},
    "required": ["echo"]
  })");
  d.annotations.read_only_hint = true;
  d.annotations.open_world_hint = false;
  return d;
}

class ToolRegistryTest : public ::testing::Test {
 protected:
  ToolRegistryTest() : context_(CancellationToken(), {}) {}

  // Registers an echo tool that counts its runs and returns `reply`.
  void AddEcho(std::function<absl::StatusOr<ToolResult>(const nlohmann::json&)>
                   reply = nullptr) {
    ASSERT_TRUE(registry_
                    .Register(MakeTool(
                        EchoDefinition(),
                        [this, reply](const nlohmann::json& args,
                                      ToolContext&) -> absl::StatusOr<ToolResult> {
                          ++runs_;
                          if (reply) return reply(args);
                          return ToolResult::Structured(
                              {{"echo", args["prompt"]}});
                        }))
                    .ok());
  }

  ToolRegistry registry_;
  ToolContext context_;
  std::atomic<int> runs_{0};
};

TEST_F(ToolRegistryTest, ListIncludesSchemasAndAnnotations) {
  AddEcho();
  nlohmann::json list = registry_.ListResult();
  ASSERT_EQ(list["tools"].size(), 1u);
  const nlohmann::json& tool = list["tools"][0];
  EXPECT_EQ(tool["name"], "echo");
  EXPECT_EQ(tool["title"], "Echo");
  EXPECT_EQ(tool["description"], "Repeats the prompt.");
  EXPECT_EQ(tool["inputSchema"], EchoDefinition().input_schema);
  EXPECT_EQ(tool["outputSchema"], EchoDefinition().output_schema);
  EXPECT_EQ(tool["annotations"]["readOnlyHint"], true);
  EXPECT_EQ(tool["annotations"]["openWorldHint"], false);
  EXPECT_FALSE(tool["annotations"].contains("destructiveHint"));
}

TEST_F(ToolRegistryTest, ValidCallRunsTool) {
  AddEcho();
  auto result = registry_.Call("echo", {{"prompt", "hi"}}, context_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->is_error);
  EXPECT_EQ(result->structured_content["echo"], "hi");
  nlohmann::json json = result->ToJson();
  EXPECT_EQ(json["content"][0]["type"], "text");
  EXPECT_EQ(nlohmann::json::parse(json["content"][0]["text"].get<std::string>()),
            result->structured_content);
  EXPECT_EQ(runs_, 1);
}

TEST_F(ToolRegistryTest, UnknownToolIsNotFound) {
  auto result = registry_.Call("nope", nlohmann::json::object(), context_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("nope"));
}

struct BadArgs {
  const char* name;
  nlohmann::json args;
  const char* expected;  // substring of the error text
};

class BadArgumentsTest : public ToolRegistryTest,
                         public ::testing::WithParamInterface<BadArgs> {};

TEST_P(BadArgumentsTest, IsErrorResultAndToolDoesNotRun) {
  AddEcho();
  auto result = registry_.Call("echo", GetParam().args, context_);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->is_error);
  ASSERT_EQ(result->content.size(), 1u);
  EXPECT_THAT(result->content[0].text, HasSubstr("Invalid arguments"));
  EXPECT_THAT(result->content[0].text, HasSubstr(GetParam().expected));
  EXPECT_EQ(runs_, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadArgumentsTest,
    ::testing::Values(
        BadArgs{"missing", nlohmann::json::object(), "required"},
        BadArgs{"null_is_empty_object", nullptr, "required"},
        BadArgs{"wrong_type", {{"prompt", 5}}, "/prompt"},
        BadArgs{"too_long", {{"prompt", std::string(101, 'x')}}, "maxLength"},
        BadArgs{"out_of_range", {{"prompt", "x"}, {"count", 9}}, "/count"},
        BadArgs{"unknown_field", {{"prompt", "x"}, {"extra", 1}}, "extra"},
        BadArgs{"not_object", nlohmann::json::array(), "type"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(ToolRegistryTest, ToolErrorBecomesRedactedErrorResult) {
  AddEcho([](const nlohmann::json&) -> absl::StatusOr<ToolResult> {
    return absl::FailedPreconditionError(
        "vaultd is sealed (token pat_0123456789abcdef)");
  });
  auto result = registry_.Call("echo", {{"prompt", "hi"}}, context_);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->is_error);
  EXPECT_THAT(result->content[0].text, HasSubstr("vaultd is sealed"));
  EXPECT_EQ(result->content[0].text.find("pat_"), std::string::npos);
}

TEST_F(ToolRegistryTest, ExceptionInToolIsContained) {
  AddEcho([](const nlohmann::json& args) -> absl::StatusOr<ToolResult> {
    (void)args["prompt"].get<int>();  // throws type_error
    return ToolResult{};
  });
  auto result = registry_.Call("echo", {{"prompt", "hi"}}, context_);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->is_error);
  EXPECT_THAT(result->content[0].text, HasSubstr("internal error"));
}

TEST_F(ToolRegistryTest, OutputNotMatchingSchemaIsError) {
  AddEcho([](const nlohmann::json&) -> absl::StatusOr<ToolResult> {
    return ToolResult::Structured({{"echo", 42}});
  });
  auto result = registry_.Call("echo", {{"prompt", "hi"}}, context_);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->is_error);
  EXPECT_THAT(result->content[0].text, HasSubstr("output schema"));
}

TEST_F(ToolRegistryTest, MissingStructuredContentIsError) {
  AddEcho([](const nlohmann::json&) -> absl::StatusOr<ToolResult> {
    ToolResult r;
    r.content.push_back(ContentBlock::Text("only text"));
    return r;
  });
  auto result = registry_.Call("echo", {{"prompt", "hi"}}, context_);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->is_error);
}

TEST_F(ToolRegistryTest, ErrorResultFromToolIsPassedThrough) {
  AddEcho([](const nlohmann::json&) -> absl::StatusOr<ToolResult> {
    return ToolResult::Error("price 25 CU needs confirm: true");
  });
  auto result = registry_.Call("echo", {{"prompt", "hi"}}, context_);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->is_error);
  EXPECT_EQ(result->content[0].text, "price 25 CU needs confirm: true");
}

struct BadDefinition {
  const char* name;
  std::function<void(ToolDefinition&)> mutate;
};

class RegisterTest : public ::testing::TestWithParam<BadDefinition> {};

TEST_P(RegisterTest, Rejected) {
  ToolDefinition d = EchoDefinition();
  GetParam().mutate(d);
  ToolRegistry registry;
  absl::Status status = registry.Register(MakeTool(
      d, [](const nlohmann::json&, ToolContext&) -> absl::StatusOr<ToolResult> {
        return ToolResult{};
      }));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(registry.size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RegisterTest,
    ::testing::Values(
        BadDefinition{"empty_name", [](ToolDefinition& d) { d.name = ""; }},
        BadDefinition{"space_in_name",
                      [](ToolDefinition& d) { d.name = "list workspaces"; }},
        BadDefinition{"dot_in_name",
                      [](ToolDefinition& d) { d.name = "layer.generate"; }},
        BadDefinition{"long_name",
                      [](ToolDefinition& d) { d.name = std::string(65, 'a'); }},
        BadDefinition{"no_description",
                      [](ToolDefinition& d) { d.description = ""; }},
        BadDefinition{"input_not_object",
                      [](ToolDefinition& d) {
                        d.input_schema = {{"type", "string"}};
                      }},
        BadDefinition{"input_unknown_keyword",
                      [](ToolDefinition& d) {
                        d.input_schema["patternProperties"] =
                            nlohmann::json::object();
                      }},
        BadDefinition{"output_not_object",
                      [](ToolDefinition& d) {
                        d.output_schema = {{"type", "array"}};
                      }}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ToolRegistryRegisterTest, DuplicateName) {
  ToolRegistry registry;
  auto handler = [](const nlohmann::json&,
                    ToolContext&) -> absl::StatusOr<ToolResult> {
    return ToolResult{};
  };
  ASSERT_TRUE(registry.Register(MakeTool(EchoDefinition(), handler)).ok());
  EXPECT_EQ(registry.Register(MakeTool(EchoDefinition(), handler)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(registry.Contains("echo"));
  EXPECT_FALSE(registry.Contains("ech"));
}

TEST(ToolContextTest, HooksAreCalledAndMissingHooksAreSafe) {
  std::vector<double> progress;
  std::vector<std::string> logs;
  ToolContext::Hooks hooks;
  hooks.progress = [&](double p, std::optional<double>, absl::string_view) {
    progress.push_back(p);
  };
  hooks.log = [&](LogLevel level, absl::string_view m) {
    logs.push_back(std::string(LogLevelName(level)) + ":" + std::string(m));
  };
  ToolContext context(CancellationToken(), hooks);
  context.ReportProgress(1, 2, "half");
  context.Log(LogLevel::kWarning, "careful");
  EXPECT_EQ(progress, std::vector<double>{1});
  EXPECT_EQ(logs, std::vector<std::string>{"warning:careful"});
  EXPECT_FALSE(context.CanElicit());
  EXPECT_EQ(context.Elicit({}).status().code(),
            absl::StatusCode::kUnimplemented);

  ToolContext bare(CancellationToken(), {});
  bare.ReportProgress(1);
  bare.Log(LogLevel::kInfo, "x");
  EXPECT_FALSE(bare.cancelled());
}

TEST(ContentBlockTest, ImageIsBase64) {
  nlohmann::json json =
      ContentBlock::Image(std::string("\x89PNG\r\n", 6), "image/png").ToJson();
  EXPECT_EQ(json["type"], "image");
  EXPECT_EQ(json["mimeType"], "image/png");
  std::string decoded;
  ASSERT_TRUE(absl::Base64Unescape(json["data"].get<std::string>(), &decoded));
  EXPECT_EQ(decoded, std::string("\x89PNG\r\n", 6));
}

TEST(LogLevelTest, RoundTripAndOrder) {
  for (const char* name : {"debug", "info", "notice", "warning", "error",
                           "critical", "alert", "emergency"}) {
    auto level = ParseLogLevel(name);
    ASSERT_TRUE(level.has_value()) << name;
    EXPECT_EQ(LogLevelName(*level), name);
  }
  EXPECT_FALSE(ParseLogLevel("WARNING").has_value());
  EXPECT_FALSE(ParseLogLevel("trace").has_value());
  EXPECT_LT(LogLevel::kDebug, LogLevel::kEmergency);
}

}  // namespace
}  // namespace layer_vault::mcp
