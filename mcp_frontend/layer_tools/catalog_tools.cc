#include "mcp_frontend/layer_tools/catalog_tools.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace layer_vault::mcp::layer_tools {
namespace {

using nlohmann::json;
using Env = std::shared_ptr<const ToolEnv>;

constexpr int kPageSize = 100;

json NullableNumber() { return {{"type", {"number", "null"}}}; }
json NullableString() { return {{"type", {"string", "null"}}}; }

json WorkspaceSchema() {
  return ObjectSchema({{"workspace_id", {{"type", "string"}}},
                       {"slug", {{"type", "string"}}},
                       {"name", {{"type", "string"}}},
                       {"balance_creative_units", NullableNumber()},
                       {"reserved_creative_units", NullableNumber()},
                       {"available_creative_units", NullableNumber()},
                       {"last_active_at", NullableString()}},
                      {"workspace_id"});
}

json ModelSchema() {
  return ObjectSchema({{"model_id", {{"type", "string"}}},
                       {"name", {{"type", "string"}}},
                       {"modality", {{"type", "string"}}},
                       {"capabilities", {{"type", "array"}}}},
                      {"model_id"});
}

json WorkflowSchema() {
  return ObjectSchema({{"workflow_id", {{"type", "string"}}},
                       {"name", {{"type", "string"}}},
                       {"description", NullableString()},
                       {"modality", NullableString()},
                       {"inputs", {{"type", "array"}}},
                       {"outputs", {{"type", "array"}}}},
                      {"workflow_id"});
}

json ArrayOf(json items) { return {{"type", "array"}, {"items", items}}; }

// The next page's cursor of a Layer.ai list answer, or null.
json NextCursorOf(const json& page) {
  if (!page.is_object() || !page.contains("pagination")) return nullptr;
  const json& pagination = page["pagination"];
  if (BoolAt(pagination, "has_more_results") == std::optional<bool>(false)) {
    return nullptr;
  }
  std::optional<std::string> next = StringAt(pagination, "next_cursor");
  if (!next.has_value() || next->empty()) return nullptr;
  return *next;
}

const json& ArrayMember(const json& object, const char* key) {
  static const json* const kEmpty = new json(json::array());
  if (!object.is_object()) return *kEmpty;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return *kEmpty;
  return *it;
}

std::string Cu(const json& object, const char* key) {
  std::optional<double> value = NumberAt(object, key);
  return value.has_value() ? FormatCu(*value) : "?";
}

std::string WorkspaceLine(const json& w) {
  return absl::StrCat(StringAt(w, "name").value_or("(unnamed)"), " (",
                      StringAt(w, "workspace_id").value_or("?"), "): ",
                      Cu(w, "available_creative_units"),
                      " CU available (balance ",
                      Cu(w, "balance_creative_units"), ", reserved ",
                      Cu(w, "reserved_creative_units"), ")");
}

// Lower-case letters and digits only, so "textTo3D" matches "text_to_3d".
std::string Folded(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      out += absl::ascii_tolower(static_cast<unsigned char>(c));
    }
  }
  return out;
}

struct ModelFilter {
  std::string modality;    // folded; "" = any
  std::string capability;  // folded; "" = any
  std::string text;        // lower case; "" = any

  bool active() const {
    return !modality.empty() || !capability.empty() || !text.empty();
  }

  bool Matches(const json& model) const {
    if (!modality.empty() &&
        Folded(StringAt(model, "modality").value_or("")) != modality) {
      return false;
    }
    if (!capability.empty()) {
      bool found = false;
      for (const json& c : ArrayMember(model, "capabilities")) {
        if (c.is_string() && Folded(c.get<std::string>()) == capability) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    if (!text.empty()) {
      const std::string haystack = absl::AsciiStrToLower(absl::StrCat(
          StringAt(model, "name").value_or(""), " ",
          StringAt(model, "description").value_or(""), " ",
          StringAt(model, "model_id").value_or("")));
      if (!absl::StrContains(haystack, text)) return false;
    }
    return true;
  }
};

std::unique_ptr<Tool> ListWorkspaces(Env env) {
  ToolDefinition d;
  d.name = "list_workspaces";
  d.title = "List Layer.ai workspaces";
  d.description =
      "Lists the Layer.ai workspaces you belong to, most recently active "
      "first, with their Creative Unit (CU) balances: balance, reserved by "
      "running generations, and available. Most other tools need a "
      "workspace_id from here (unless the server has a default).";
  d.input_schema = {{"type", "object"},
                    {"additionalProperties", false},
                    {"properties",
                     {{"limit", LimitSchema(20)}, {"cursor", CursorSchema()}}}};
  d.output_schema = ObjectSchema(
      {{"workspaces", ArrayOf(WorkspaceSchema())},
       {"next_cursor", NullableString()},
       {"total_count", {{"type", "integer"}}},
       {"default_workspace_id", NullableString()}},
      {"workspaces", "next_cursor"});
  d.annotations = ReadOnlyAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext&)
                                    -> absl::StatusOr<ToolResult> {
    json params = json::object();
    CopyMembers(args, {"limit", "cursor"}, params);
    absl::StatusOr<json> page = env->api->Call("workspaces.list", params);
    if (!page.ok()) return page.status();
    json out = {{"workspaces", ArrayMember(*page, "workspaces")},
                {"next_cursor", NextCursorOf(*page)}};
    if (page->contains("pagination")) {
      if (auto total = IntegerAt((*page)["pagination"], "total_count")) {
        out["total_count"] = *total;
      }
    }
    out["default_workspace_id"] =
        env->options.default_workspace_id.empty()
            ? json(nullptr)
            : json(env->options.default_workspace_id);
    std::string summary =
        absl::StrCat(out["workspaces"].size(), " workspace(s):");
    for (const json& w : out["workspaces"]) {
      absl::StrAppend(&summary, "\n- ", WorkspaceLine(w));
    }
    return StructuredResult(std::move(out), summary);
  });
}

std::unique_ptr<Tool> GetWorkspace(Env env) {
  ToolDefinition d;
  d.name = "get_workspace";
  d.title = "Get a Layer.ai workspace";
  d.description =
      "Shows one workspace: name, slug and Creative Unit balance, reserved "
      "and available amounts.";
  d.input_schema = {{"type", "object"},
                    {"additionalProperties", false},
                    {"properties", {{"workspace_id", WorkspaceIdSchema()}}}};
  d.output_schema = WorkspaceSchema();
  d.annotations = ReadOnlyAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext&)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    absl::StatusOr<json> w =
        env->api->Call("workspaces.get", {{"workspace_id", *workspace}});
    if (!w.ok()) return w.status();
    if (!w->is_object()) {
      return absl::UnavailableError("Layer.ai's answer is not an object");
    }
    const std::string summary = WorkspaceLine(*w);
    return StructuredResult(*std::move(w), summary);
  });
}

std::unique_ptr<Tool> ListModels(Env env) {
  ToolDefinition d;
  d.name = "list_models";
  d.title = "List Layer.ai models";
  d.description =
      "Lists the models and trained styles usable in a workspace (id, name, "
      "modality, capabilities). Filters: modality (e.g. image, video, audio, "
      "three_d), capability (e.g. text_to_image, inpainting; case and "
      "punctuation are ignored), text (in the name). Layer.ai's REST API has "
      "no documented filter parameters, so this tool filters client-side: "
      "it reads pages of 100 (up to 10 per call) and returns the matches; "
      "pass next_cursor to continue.";
  d.input_schema = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       {{"workspace_id", WorkspaceIdSchema()},
        {"modality",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 64},
          {"description", "Only this modality: image, video, audio, three_d."}}},
        {"capability",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 64},
          {"description", "Only models with this capability."}}},
        {"text",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 200},
          {"description", "Only models whose name contains this."}}},
        {"limit", LimitSchema(50)},
        {"cursor", CursorSchema()}}}};
  d.output_schema =
      ObjectSchema({{"workspace_id", {{"type", "string"}}},
                    {"models", ArrayOf(ModelSchema())},
                    {"next_cursor", NullableString()},
                    {"models_scanned", {{"type", "integer"}, {"minimum", 0}}},
                    {"filtered_client_side", {{"type", "boolean"}}}},
                   {"workspace_id", "models", "next_cursor"});
  d.annotations = ReadOnlyAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext& context)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    ModelFilter filter;
    filter.modality = Folded(StringAt(args, "modality").value_or(""));
    filter.capability = Folded(StringAt(args, "capability").value_or(""));
    filter.text = absl::AsciiStrToLower(StringAt(args, "text").value_or(""));
    const size_t limit =
        static_cast<size_t>(IntegerAt(args, "limit").value_or(50));
    ModelCursor cursor =
        DecodeModelCursor(StringAt(args, "cursor").value_or(""));

    json models = json::array();
    json next = nullptr;
    size_t scanned = 0;
    for (int page_count = 0;; ++page_count) {
      if (page_count >= std::max(1, env->options.max_list_pages)) {
        next = EncodeModelCursor(cursor);
        break;
      }
      if (context.cancelled()) return absl::CancelledError("cancelled");
      json params = {{"workspace_id", *workspace}, {"limit", kPageSize}};
      if (!cursor.api_cursor.empty()) params["cursor"] = cursor.api_cursor;
      absl::StatusOr<json> page = env->api->Call("models.list", params);
      if (!page.ok()) return page.status();
      const json& items = ArrayMember(*page, "models");
      bool full = false;
      for (size_t i = cursor.skip; i < items.size(); ++i) {
        if (models.size() >= limit) {
          next = EncodeModelCursor({cursor.api_cursor, i});
          full = true;
          break;
        }
        ++scanned;
        if (filter.Matches(items[i])) models.push_back(items[i]);
      }
      if (full) break;
      const json page_next = NextCursorOf(*page);
      if (page_next.is_null()) break;
      cursor = {page_next.get<std::string>(), 0};
      if (models.size() >= limit) {
        next = EncodeModelCursor(cursor);
        break;
      }
    }
    json out = {{"workspace_id", *workspace},
                {"models", std::move(models)},
                {"next_cursor", next},
                {"models_scanned", scanned},
                {"filtered_client_side", filter.active()}};
    std::string summary = absl::StrCat(out["models"].size(), " model(s)");
    if (filter.active()) absl::StrAppend(&summary, " matching the filters");
    absl::StrAppend(&summary, ":");
    for (const json& m : out["models"]) {
      absl::StrAppend(&summary, "\n- ", StringAt(m, "name").value_or("?"),
                      " (", StringAt(m, "model_id").value_or("?"), ", ",
                      StringAt(m, "modality").value_or("?"), ")");
    }
    if (!next.is_null()) {
      absl::StrAppend(&summary, "\nMore: pass cursor ", next.get<std::string>());
    }
    return StructuredResult(std::move(out), summary);
  });
}

std::unique_ptr<Tool> GetModel(Env env) {
  ToolDefinition d;
  d.name = "get_model";
  d.title = "Get a Layer.ai model";
  d.description =
      "Shows one model or trained style of a workspace: name, modality, "
      "capabilities and whatever else Layer.ai reports about it.";
  d.input_schema = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"model_id"}},
      {"properties",
       {{"workspace_id", WorkspaceIdSchema()},
        {"model_id", IdSchema("Model id (list_models).")}}}};
  d.output_schema = ModelSchema();
  d.annotations = ReadOnlyAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext&)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    absl::StatusOr<json> model = env->api->Call(
        "models.get",
        {{"workspace_id", *workspace}, {"model_id", args["model_id"]}});
    if (!model.ok()) return model.status();
    if (!model->is_object()) {
      return absl::UnavailableError("Layer.ai's answer is not an object");
    }
    const std::string summary =
        absl::StrCat(StringAt(*model, "name").value_or("?"), " (",
                     StringAt(*model, "modality").value_or("?"), ")");
    return StructuredResult(*std::move(model), summary);
  });
}

std::unique_ptr<Tool> ListWorkflows(Env env) {
  ToolDefinition d;
  d.name = "list_workflows";
  d.title = "List Layer.ai workflows";
  d.description =
      "Lists the workflows (multi-step pipelines) of a workspace with each "
      "one's declared inputs (name, type, required, value_schema, default) "
      "and outputs. run_workflow checks inputs against these declarations; "
      "file inputs take a file_id (upload_file). search is Layer.ai's "
      "full-text search over name and description.";
  d.input_schema = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       {{"workspace_id", WorkspaceIdSchema()},
        {"search",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 500},
          {"description", "Words to look for in names and descriptions."}}},
        {"limit", LimitSchema(20)},
        {"cursor", CursorSchema()}}}};
  d.output_schema = ObjectSchema({{"workspace_id", {{"type", "string"}}},
                                  {"workflows", ArrayOf(WorkflowSchema())},
                                  {"next_cursor", NullableString()}},
                                 {"workspace_id", "workflows", "next_cursor"});
  d.annotations = ReadOnlyAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext&)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    json params = {{"workspace_id", *workspace}};
    CopyMembers(args, {"search", "limit", "cursor"}, params);
    absl::StatusOr<json> page = env->api->Call("workflows.list", params);
    if (!page.ok()) return page.status();
    json out = {{"workspace_id", *workspace},
                {"workflows", ArrayMember(*page, "workflows")},
                {"next_cursor", NextCursorOf(*page)}};
    std::string summary =
        absl::StrCat(out["workflows"].size(), " workflow(s):");
    for (const json& w : out["workflows"]) {
      std::string inputs;
      for (const json& input : ArrayMember(w, "inputs")) {
        absl::StrAppend(&inputs, inputs.empty() ? "" : ", ",
                        StringAt(input, "name").value_or("?"),
                        BoolAt(input, "required").value_or(false) ? "*" : "");
      }
      absl::StrAppend(&summary, "\n- ", StringAt(w, "name").value_or("?"),
                      " (", StringAt(w, "workflow_id").value_or("?"),
                      "), inputs: ", inputs.empty() ? "none" : inputs);
    }
    return StructuredResult(std::move(out), summary);
  });
}

json OptionalCu(double value) {
  return value > 0 ? json(value) : json(nullptr);
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::unique_ptr<Tool> GetUsage(Env env) {
  ToolDefinition d;
  d.name = "get_usage";
  d.title = "Creative Unit balance and budget";
  d.description =
      "Shows what can still be spent: the workspace's Creative Unit "
      "balance, reserved and available amounts (Layer.ai), and the local "
      "budget that vaultd enforces for you (period budget, spent, remaining, "
      "per-run cap; null means no limit). include_history adds Layer.ai's "
      "usage history and credit grants.";
  d.input_schema = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       {{"workspace_id", WorkspaceIdSchema()},
        {"include_history",
         {{"type", "boolean"},
          {"default", false},
          {"description", "Also fetch usage history and grants."}}}}}};
  const json budget = ObjectSchema(
      {{"period_budget_creative_units", NullableNumber()},
       {"period_spent_creative_units", {{"type", "number"}}},
       {"period_remaining_creative_units", NullableNumber()},
       {"per_run_cap_creative_units", NullableNumber()},
       {"period_start", {{"type", "string"}}},
       {"period_end", {{"type", "string"}}}},
      {"period_budget_creative_units", "period_spent_creative_units",
       "per_run_cap_creative_units"});
  d.output_schema = ObjectSchema(
      {{"workspace_id", {{"type", "string"}}},
       {"name", {{"type", "string"}}},
       {"balance_creative_units", NullableNumber()},
       {"reserved_creative_units", NullableNumber()},
       {"available_creative_units", NullableNumber()},
       {"vaultd_budget", {{"anyOf", {budget, {{"type", "null"}}}}}},
       {"vaultd_budget_error", {{"type", "string"}}},
       {"history", {{"type", "object"}}},
       {"history_error", {{"type", "string"}}}},
      {"workspace_id", "vaultd_budget"});
  d.annotations = ReadOnlyAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext&)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    absl::StatusOr<json> w =
        env->api->Call("workspaces.get", {{"workspace_id", *workspace}});
    if (!w.ok()) return w.status();
    json out = {{"workspace_id", *workspace}};
    CopyMembers(*w,
                {"name", "balance_creative_units", "reserved_creative_units",
                 "available_creative_units"},
                out);
    std::string summary = WorkspaceLine(*w);
    absl::StatusOr<client::SpendInfo> spend = env->api->GetSpend();
    if (spend.ok()) {
      json budget = {
          {"period_budget_creative_units", OptionalCu(spend->period_budget)},
          {"period_spent_creative_units", spend->period_spent},
          {"period_remaining_creative_units",
           spend->period_budget > 0
               ? json(std::max(0.0, spend->period_budget - spend->period_spent))
               : json(nullptr)},
          {"per_run_cap_creative_units", OptionalCu(spend->per_run_cap)},
          {"period_start", Rfc3339(spend->period_start)},
          {"period_end", Rfc3339(spend->period_end)}};
      absl::StrAppend(
          &summary, "\nvaultd budget: spent ", FormatCu(spend->period_spent),
          spend->period_budget > 0
              ? absl::StrCat(" of ", FormatCu(spend->period_budget))
              : std::string(" (no period limit)"),
          " until ", Rfc3339(spend->period_end), "; per-run cap ",
          spend->per_run_cap > 0 ? FormatCu(spend->per_run_cap)
                                 : std::string("none"));
      out["vaultd_budget"] = std::move(budget);
    } else {
      out["vaultd_budget"] = nullptr;
      out["vaultd_budget_error"] = std::string(spend.status().message());
    }
    if (BoolAt(args, "include_history").value_or(false)) {
      absl::StatusOr<json> history = env->api->Call(
          "graphql.GetWorkspaceUsage", {{"workspaceId", *workspace}});
      if (history.ok() && history->contains("data") &&
          (*history)["data"].is_object() &&
          (*history)["data"].contains("getWorkspaceUsage") &&
          (*history)["data"]["getWorkspaceUsage"].is_object()) {
        json usage = (*history)["data"]["getWorkspaceUsage"];
        usage.erase("__typename");
        out["history"] = std::move(usage);
      } else {
        out["history_error"] =
            history.ok() ? std::string("Layer.ai's answer has no usage data")
                         : std::string(history.status().message());
      }
    }
    return StructuredResult(std::move(out), summary);
  });
}

}  // namespace

std::string EncodeModelCursor(const ModelCursor& cursor) {
  return absl::StrCat("m", cursor.skip, ".", cursor.api_cursor);
}

ModelCursor DecodeModelCursor(absl::string_view text) {
  ModelCursor cursor;
  if (absl::StartsWith(text, "m")) {
    const size_t dot = text.find('.');
    size_t skip = 0;
    if (dot != absl::string_view::npos && dot > 1 &&
        absl::SimpleAtoi(text.substr(1, dot - 1), &skip) && skip < 100000) {
      cursor.skip = skip;
      cursor.api_cursor = std::string(text.substr(dot + 1));
      return cursor;
    }
  }
  cursor.api_cursor = std::string(text);
  return cursor;
}

std::vector<std::unique_ptr<Tool>> MakeCatalogTools(Env env) {
  std::vector<std::unique_ptr<Tool>> tools;
  tools.push_back(ListWorkspaces(env));
  tools.push_back(GetWorkspace(env));
  tools.push_back(ListModels(env));
  tools.push_back(GetModel(env));
  tools.push_back(ListWorkflows(env));
  tools.push_back(GetUsage(env));
  return tools;
}

}  // namespace layer_vault::mcp::layer_tools
