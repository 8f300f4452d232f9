#include "mcp_frontend/layer_tools/tool_support.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace layer_vault::mcp::layer_tools {

absl::Time ToolEnv::Now() const {
  return (clock != nullptr ? clock : common::RealClock())->Now();
}

bool ToolEnv::Sleep(absl::Duration duration,
                    const CancellationToken& cancel) const {
  if (sleep) return sleep(duration, cancel);
  return cancel.WaitFor(duration);
}

absl::StatusOr<std::string> ResolveWorkspace(const nlohmann::json& arguments,
                                             const ToolEnv& env) {
  if (std::optional<std::string> id = StringAt(arguments, "workspace_id")) {
    return *id;
  }
  if (!env.options.default_workspace_id.empty()) {
    return env.options.default_workspace_id;
  }
  return absl::InvalidArgumentError(
      "no workspace: pass workspace_id (list_workspaces shows yours), or "
      "start the MCP server with a default workspace (LAYER_WORKSPACE_ID)");
}

std::optional<std::string> StringAt(const nlohmann::json& object,
                                    absl::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<double> NumberAt(const nlohmann::json& object,
                               absl::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  const double value = it->get<double>();
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<int64_t> IntegerAt(const nlohmann::json& object,
                                 absl::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) {
    const double value = it->get<double>();
    if (std::isfinite(value) && value == std::floor(value) &&
        std::fabs(value) < 9e15) {
      return static_cast<int64_t>(value);
    }
  }
  return std::nullopt;
}

std::optional<bool> BoolAt(const nlohmann::json& object,
                           absl::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

void CopyMembers(const nlohmann::json& from,
                 std::initializer_list<absl::string_view> keys,
                 nlohmann::json& to) {
  if (!from.is_object()) return;
  for (absl::string_view key : keys) {
    const auto it = from.find(key);
    if (it != from.end()) to[std::string(key)] = *it;
  }
}

std::string FormatCu(double cu) {
  std::string text = absl::StrFormat("%.4f", cu);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

nlohmann::json IdSchema(absl::string_view description) {
  return {{"type", "string"},
          {"pattern", "^[A-Za-z0-9_-]{1,128}$"},
          {"description", description}};
}

nlohmann::json WorkspaceIdSchema() {
  return IdSchema(
      "Layer.ai workspace id (list_workspaces). Optional when the server has "
      "a default workspace.");
}

nlohmann::json LimitSchema(int default_limit) {
  return {{"type", "integer"},
          {"minimum", 1},
          {"maximum", 100},
          {"default", default_limit},
          {"description", "Most items to return (1-100)."}};
}

nlohmann::json CursorSchema() {
  return {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 2048},
          {"pattern", "^[\\x21-\\x7E]+$"},
          {"description",
           "next_cursor of the previous page, to continue a listing."}};
}

nlohmann::json ObjectSchema(nlohmann::json properties,
                            std::vector<std::string> required) {
  nlohmann::json schema = {{"type", "object"},
                           {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

ToolAnnotations ReadOnlyAnnotations() {
  ToolAnnotations a;
  a.read_only_hint = true;
  a.destructive_hint = false;
  a.idempotent_hint = true;
  a.open_world_hint = true;
  return a;
}

ToolAnnotations RunAnnotations() {
  ToolAnnotations a;
  a.read_only_hint = false;
  a.destructive_hint = false;
  a.idempotent_hint = false;
  a.open_world_hint = true;
  return a;
}

ToolResult StructuredResult(nlohmann::json structured,
                            absl::string_view summary) {
  std::string text(summary);
  if (!text.empty()) text += "\n";
  text += structured.dump(-1, ' ', false,
                          nlohmann::json::error_handler_t::replace);
  return ToolResult::Structured(std::move(structured), std::move(text));
}

void ProgressSteps::Step(absl::string_view message) {
  value_ += 1;
  context_.ReportProgress(value_, std::nullopt, message);
}

}  // namespace layer_vault::mcp::layer_tools
