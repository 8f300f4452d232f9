#include "mcp_frontend/tool_registry/tool_registry.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/redact.h"

namespace layer_vault::mcp {
namespace {

bool IsValidToolName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<common::JsonSchema> CompileObjectSchema(
    const nlohmann::json& schema, absl::string_view what,
    absl::string_view tool) {
  if (!schema.is_object() || !schema.contains("type") ||
      schema.at("type") != "object") {
    return absl::InvalidArgumentError(absl::StrCat(
        "tool ", tool, ": ", what, " must be a schema of \"type\": \"object\""));
  }
  absl::StatusOr<common::JsonSchema> compiled =
      common::JsonSchema::Compile(schema);
  if (!compiled.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tool ", tool, ": ", what, ": ", compiled.status().message()));
  }
  return compiled;
}

nlohmann::json AnnotationsJson(const ToolDefinition& definition) {
  nlohmann::json json = nlohmann::json::object();
  const ToolAnnotations& a = definition.annotations;
  if (a.read_only_hint) json["readOnlyHint"] = *a.read_only_hint;
  if (a.destructive_hint) json["destructiveHint"] = *a.destructive_hint;
  if (a.idempotent_hint) json["idempotentHint"] = *a.idempotent_hint;
  if (a.open_world_hint) json["openWorldHint"] = *a.open_world_hint;
  if (!json.empty() && !definition.title.empty()) {
    // MCP 2025-03-26 read the title from here.
    json["title"] = definition.title;
  }
  return json;
}

}  // namespace

absl::Status ToolRegistry::Register(std::unique_ptr<Tool> tool) {
  if (tool == nullptr) return absl::InvalidArgumentError("null tool");
  const ToolDefinition& definition = tool->definition();
  if (!IsValidToolName(definition.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid tool name \"", definition.name,
                     "\": use 1 to 64 of [A-Za-z0-9_-]"));
  }
  if (definition.description.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tool ", definition.name, ": empty description"));
  }
  if (by_name_.contains(definition.name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("tool ", definition.name, " is already registered"));
  }
  absl::StatusOr<common::JsonSchema> input = CompileObjectSchema(
      definition.input_schema, "inputSchema", definition.name);
  if (!input.ok()) return input.status();
  std::optional<common::JsonSchema> output;
  if (!definition.output_schema.is_null()) {
    absl::StatusOr<common::JsonSchema> compiled = CompileObjectSchema(
        definition.output_schema, "outputSchema", definition.name);
    if (!compiled.ok()) return compiled.status();
    output = *std::move(compiled);
  }
  by_name_[definition.name] = tools_.size();
  tools_.push_back(Entry{std::move(tool), *std::move(input), std::move(output)});
  return absl::OkStatus();
}

nlohmann::json ToolRegistry::ListResult() const {
  nlohmann::json list = nlohmann::json::array();
  for (const Entry& entry : tools_) {
    const ToolDefinition& d = entry.tool->definition();
    nlohmann::json tool = {{"name", d.name},
                           {"description", d.description},
                           {"inputSchema", d.input_schema}};
    if (!d.title.empty()) tool["title"] = d.title;
    if (!d.output_schema.is_null()) tool["outputSchema"] = d.output_schema;
    nlohmann::json annotations = AnnotationsJson(d);
    if (!annotations.empty()) tool["annotations"] = std::move(annotations);
    list.push_back(std::move(tool));
  }
  return {{"tools", std::move(list)}};
}

bool ToolRegistry::Contains(absl::string_view name) const {
  return by_name_.contains(name);
}

absl::StatusOr<ToolResult> ToolRegistry::Call(absl::string_view name,
                                              const nlohmann::json& arguments,
                                              ToolContext& context) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "Unknown tool: ", name.substr(0, 64),
        name.size() > 64 ? "..." : ""));
  }
  const Entry& entry = tools_[it->second];
  const nlohmann::json args =
      arguments.is_null() ? nlohmann::json::object() : arguments;
  if (absl::Status valid = entry.input.Validate(args); !valid.ok()) {
    return ToolResult::Error(absl::StrCat("Invalid arguments for tool ", name,
                                          ": ", valid.message()));
  }
  absl::StatusOr<ToolResult> result;
  try {
    result = entry.tool->Call(args, context);
  } catch (const std::exception&) {
    // nlohmann::json throws on a type mismatch: a bug in the tool, which
    // must not take the server down.
    result = absl::InternalError("internal error (exception in the tool)");
  }
  if (!result.ok()) {
    return ToolResult::Error(
        absl::StrCat(name, " failed: ",
                     common::RedactStatus(result.status()).message()));
  }
  if (!result->is_error && entry.output.has_value()) {
    if (result->structured_content.is_null()) {
      return ToolResult::Error(absl::StrCat(
          name, " failed: internal error: no structured content"));
    }
    if (absl::Status valid =
            entry.output->Validate(result->structured_content);
        !valid.ok()) {
      return ToolResult::Error(
          absl::StrCat(name, " failed: internal error: its result does not "
                             "match its output schema: ",
                       valid.message()));
    }
  }
  return result;
}

}  // namespace layer_vault::mcp
