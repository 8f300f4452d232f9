#include "mcp_frontend/layer_tools/prompt_tools.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace layer_vault::mcp::layer_tools {
namespace {

using nlohmann::json;
using Env = std::shared_ptr<const ToolEnv>;

// The text of a GraphQL answer whose root field `field` is a StringWrapper.
// (vaultd turns the Error member into a typed error before this.)
absl::StatusOr<std::string> StringWrapperValue(const json& body,
                                               const char* field) {
  if (body.is_object() && body.contains("data") && body["data"].is_object() &&
      body["data"].contains(field)) {
    const json& member = body["data"][field];
    if (std::optional<std::string> value = StringAt(member, "value")) {
      return *value;
    }
    if (std::optional<std::string> message = StringAt(member, "message")) {
      return absl::FailedPreconditionError(
          absl::StrCat("Layer.ai refused: ", *message));
    }
  }
  return absl::UnavailableError(
      absl::StrCat("Layer.ai's answer has no ", field, " text"));
}

ToolAnnotations GraphqlAnnotations() {
  // Whether these cost Creative Units is not documented.
  ToolAnnotations a = RunAnnotations();
  a.idempotent_hint = false;
  return a;
}

std::unique_ptr<Tool> DescribeImage(Env env) {
  ToolDefinition d;
  d.name = "describe_image";
  d.title = "Describe an image";
  d.description =
      "Asks Layer.ai to caption an image it can fetch (an https URL, e.g. "
      "an output url from generate). Returns text only. Useful to write a "
      "prompt after a reference.";
  d.input_schema = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"image_url"}},
      {"properties",
       {{"workspace_id", WorkspaceIdSchema()},
        {"image_url",
         {{"type", "string"},
          {"maxLength", 2048},
          {"pattern", "^https://[^\\s]+$"},
          {"description", "https URL of the image."}}}}}};
  d.output_schema = ObjectSchema({{"workspace_id", {{"type", "string"}}},
                                  {"description", {{"type", "string"}}}},
                                 {"workspace_id", "description"});
  d.annotations = GraphqlAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext&)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    absl::StatusOr<json> body = env->api->Call(
        "graphql.DescribeImage",
        {{"workspaceId", *workspace}, {"imageUrl", args["image_url"]}});
    if (!body.ok()) return body.status();
    absl::StatusOr<std::string> text =
        StringWrapperValue(*body, "describeImage");
    if (!text.ok()) return text.status();
    json out = {{"workspace_id", *workspace}, {"description", *text}};
    return StructuredResult(std::move(out), *text);
  });
}

std::unique_ptr<Tool> ImprovePrompt(Env env) {
  ToolDefinition d;
  d.name = "improve_prompt";
  d.title = "Improve a prompt";
  d.description =
      "Asks Layer.ai to rewrite a generation prompt, optionally following "
      "an instruction (e.g. \"make it more detailed\", \"pixel-art "
      "style\"). Returns the new prompt.";
  d.input_schema = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"prompt"}},
      {"properties",
       {{"workspace_id", WorkspaceIdSchema()},
        {"prompt",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 100000},
          {"description", "The prompt to improve."}}},
        {"instruction",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 10000},
          {"description", "How to change it."}}}}}};
  d.output_schema = ObjectSchema({{"workspace_id", {{"type", "string"}}},
                                  {"prompt", {{"type", "string"}}},
                                  {"improved_prompt", {{"type", "string"}}}},
                                 {"workspace_id", "improved_prompt"});
  d.annotations = GraphqlAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext&)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    json variables = {{"workspaceId", *workspace}, {"prompt", args["prompt"]}};
    if (args.contains("instruction")) {
      variables["guidance"] = args["instruction"];
    }
    absl::StatusOr<json> body =
        env->api->Call("graphql.TransformPrompt", variables);
    if (!body.ok()) return body.status();
    absl::StatusOr<std::string> text =
        StringWrapperValue(*body, "transformPrompt");
    if (!text.ok()) return text.status();
    json out = {{"workspace_id", *workspace},
                {"prompt", args["prompt"]},
                {"improved_prompt", *text}};
    return StructuredResult(std::move(out), *text);
  });
}

std::unique_ptr<Tool> SuggestPrompt(Env env) {
  ToolDefinition d;
  d.name = "suggest_prompt";
  d.title = "Suggest a prompt";
  d.description =
      "Asks Layer.ai for a fresh generation prompt idea for the workspace.";
  d.input_schema = {{"type", "object"},
                    {"additionalProperties", false},
                    {"properties", {{"workspace_id", WorkspaceIdSchema()}}}};
  d.output_schema = ObjectSchema({{"workspace_id", {{"type", "string"}}},
                                  {"prompt", {{"type", "string"}}}},
                                 {"workspace_id", "prompt"});
  d.annotations = GraphqlAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext&)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    absl::StatusOr<json> body =
        env->api->Call("graphql.GeneratePrompt", {{"workspaceId", *workspace}});
    if (!body.ok()) return body.status();
    absl::StatusOr<std::string> text =
        StringWrapperValue(*body, "generatePrompt");
    if (!text.ok()) return text.status();
    json out = {{"workspace_id", *workspace}, {"prompt", *text}};
    return StructuredResult(std::move(out), *text);
  });
}

}  // namespace

std::vector<std::unique_ptr<Tool>> MakePromptTools(Env env) {
  std::vector<std::unique_ptr<Tool>> tools;
  tools.push_back(DescribeImage(env));
  tools.push_back(ImprovePrompt(env));
  tools.push_back(SuggestPrompt(env));
  return tools;
}

}  // namespace layer_vault::mcp::layer_tools
