#include "mcp_frontend/layer_tools/generation_tools.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mcp_frontend/layer_tools/generation_schema.h"
#include "mcp_frontend/layer_tools/output_saver.h"
#include "mcp_frontend/layer_tools/run_flow.h"
#include "mcp_frontend/layer_tools/run_poller.h"

namespace layer_vault::mcp::layer_tools {
namespace {

using nlohmann::json;
using Env = std::shared_ptr<const ToolEnv>;

// Parameters the estimate operation does not take (vaultd's registry:
// estimate_omit_body_fields).
constexpr const char* kExecuteOnly[] = {"seed", "guidance_files", "mask",
                                        "session_name"};

json GenerationInputSchema(bool with_follow) {
  json properties = GenerationProperties(/*with_execute_only=*/true);
  properties["workspace_id"] = WorkspaceIdSchema();
  if (with_follow) {
    const json follow = FollowProperties(true, true, true);
    for (const auto& [key, value] : follow.items()) properties[key] = value;
  }
  return {{"type", "object"},
          {"additionalProperties", false},
          {"required", {"model_id"}},
          {"properties", std::move(properties)}};
}

std::unique_ptr<Tool> EstimatePrice(Env env) {
  ToolDefinition d;
  d.name = "estimate_price";
  d.title = "Estimate a generation's price";
  d.description = absl::StrCat(
      "Asks Layer.ai what a generation would cost, in Creative Units (CU), "
      "without running it (free). Takes the same arguments as generate. "
      "Layer.ai's estimate leaves out seed, guidance_files, mask and "
      "session_name; guidance files are priced only when the run starts, so "
      "the charge can be a little higher. Runs above ",
      FormatCu(env->options.confirm_threshold_cu),
      " CU need the user's confirmation.");
  d.input_schema = GenerationInputSchema(false);
  d.output_schema = ObjectSchema(
      {{"workspace_id", {{"type", "string"}}},
       {"model_id", {{"type", "string"}}},
       {"estimated_price_creative_units", {{"type", "number"}}},
       {"workspace_balance_creative_units", {{"type", "number"}}},
       {"estimated_remaining_balance_creative_units", {{"type", "number"}}},
       {"has_sufficient_creative_units", {{"type", "boolean"}}},
       {"confirmation_threshold_creative_units", {{"type", "number"}}},
       {"needs_confirmation", {{"type", "boolean"}}},
       {"omitted_from_estimate",
        {{"type", "array"}, {"items", {{"type", "string"}}}}}},
      {"workspace_id", "model_id", "estimated_price_creative_units",
       "needs_confirmation"});
  d.annotations = ReadOnlyAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext&)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    absl::StatusOr<json> estimate = env->api->Call(
        "inferences.estimate",
        {{"workspace_id", *workspace}, {"body", GenerationBody(args, false)}});
    if (!estimate.ok()) return estimate.status();
    std::optional<double> price =
        NumberAt(*estimate, "estimated_price_creative_units");
    if (!price.has_value()) {
      return absl::UnavailableError("Layer.ai's estimate has no price");
    }
    json out = {{"workspace_id", *workspace},
                {"model_id", args["model_id"]},
                {"estimated_price_creative_units", *price}};
    for (const char* key : {"workspace_balance_creative_units",
                            "estimated_remaining_balance_creative_units"}) {
      if (std::optional<double> v = NumberAt(*estimate, key)) out[key] = *v;
    }
    if (std::optional<bool> enough =
            BoolAt(*estimate, "has_sufficient_creative_units")) {
      out["has_sufficient_creative_units"] = *enough;
    }
    out["confirmation_threshold_creative_units"] =
        env->options.confirm_threshold_cu;
    out["needs_confirmation"] = *price > env->options.confirm_threshold_cu;
    json omitted = json::array();
    for (const char* key : kExecuteOnly) {
      if (args.contains(key)) omitted.push_back(key);
    }
    if (!omitted.empty()) out["omitted_from_estimate"] = omitted;
    std::string summary = absl::StrCat("Estimated price: ", FormatCu(*price),
                                       " Creative Units");
    if (out["needs_confirmation"].get<bool>()) {
      absl::StrAppend(&summary, " (above the confirmation threshold of ",
                      FormatCu(env->options.confirm_threshold_cu),
                      ": the user must confirm)");
    }
    if (out.value("has_sufficient_creative_units", true) == false) {
      absl::StrAppend(&summary, "; the workspace has not enough Creative Units");
    }
    return StructuredResult(std::move(out), summary);
  });
}

std::unique_ptr<Tool> Generate(Env env) {
  ToolDefinition d;
  d.name = "generate";
  d.title = "Generate assets with a Layer.ai model";
  d.description = absl::StrCat(
      "Generates images (or video, audio, 3D, depending on the model) with "
      "a model from list_models, and saves every output into the asset "
      "root. Flow: estimates the price; above ",
      FormatCu(env->options.confirm_threshold_cu),
      " Creative Units asks the user to confirm (or needs confirm_price); "
      "starts the run; with wait (default) polls it with progress "
      "notifications, downloads the outputs and returns ids, status, "
      "Creative Units charged, saved paths, URLs, sizes and content types "
      "(small images also as image content). Cancelling the call stops "
      "waiting, not the run (the REST API cannot cancel runs): follow it "
      "with get_run. batch_size is the number of outputs (Layer.ai's "
      "default is 4); width/height set the size.");
  d.input_schema = GenerationInputSchema(true);
  d.output_schema = RunOutputSchema();
  d.annotations = RunAnnotations();
  return MakeTool(std::move(d), [env](const json& args, ToolContext& context)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    absl::StatusOr<FollowOptions> follow = FollowOptionsFrom(
        args, true, true,
        Slug(StringAt(args, "prompt").value_or(""), 40, "layer"));
    if (!follow.ok()) return follow.status();
    ProgressSteps progress(context);
    progress.Step("estimating the price");
    absl::StatusOr<json> estimate = env->api->Call(
        "inferences.estimate",
        {{"workspace_id", *workspace}, {"body", GenerationBody(args, false)}});
    if (!estimate.ok()) return estimate.status();

    RunStart start;
    start.kind = &InferenceRunKind();
    start.what = "this generation";
    start.execute_operation = "inferences.execute";
    start.execute_params = {{"workspace_id", *workspace},
                            {"body", GenerationBody(args, true)}};
    start.get_params = {{"workspace_id", *workspace}};
    start.estimate = *std::move(estimate);
    start.confirm_price = NumberAt(args, "confirm_price");
    if (args.contains("guidance_files")) {
      start.price_note =
          "Guidance files are priced only when the run starts, so the "
          "charge may be slightly higher.";
    }
    return StartAndFollow(*env, start, *follow, context, progress);
  });
}

std::unique_ptr<Tool> GetRun(Env env) {
  ToolDefinition d;
  d.name = "get_run";
  d.title = "Get a generation run";
  d.description =
      "Reads a generation run (inference) by id: status, Creative Units "
      "charged, outputs. wait: true follows it until it ends with progress "
      "notifications; download: true saves a finished run's outputs into "
      "the asset root (as generate does).";
  json properties = FollowProperties(false, false, false);
  properties["workspace_id"] = WorkspaceIdSchema();
  properties["inference_id"] = IdSchema("The run id (generate's inference_id).");
  d.input_schema = {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", {"inference_id"}},
                    {"properties", std::move(properties)}};
  d.output_schema = RunOutputSchema();
  d.annotations = ReadOnlyAnnotations();
  // Saving files writes to the asset root (a new copy each time).
  d.annotations.read_only_hint = false;
  d.annotations.idempotent_hint = false;
  return MakeTool(std::move(d), [env](const json& args, ToolContext& context)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    absl::StatusOr<FollowOptions> follow =
        FollowOptionsFrom(args, false, false, "layer");
    if (!follow.ok()) return follow.status();
    const json get_params = {{"workspace_id", *workspace}};
    json params = get_params;
    params["inference_id"] = args["inference_id"];
    absl::StatusOr<json> run = env->api->Call("inferences.get", params);
    if (!run.ok()) return run.status();
    if (!run->contains("inference_id")) (*run)["inference_id"] = args["inference_id"];
    ProgressSteps progress(context);
    return FollowRun(*env, InferenceRunKind(), *std::move(run), get_params,
                     *follow, json::object(), context, progress);
  });
}

}  // namespace

std::vector<std::unique_ptr<Tool>> MakeGenerationTools(Env env) {
  std::vector<std::unique_ptr<Tool>> tools;
  tools.push_back(EstimatePrice(env));
  tools.push_back(Generate(env));
  tools.push_back(GetRun(env));
  return tools;
}

}  // namespace layer_vault::mcp::layer_tools
