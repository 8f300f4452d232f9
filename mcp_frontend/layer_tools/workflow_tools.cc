#include "mcp_frontend/layer_tools/workflow_tools.h"

#include <algorithm>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "mcp_frontend/layer_tools/output_saver.h"
#include "mcp_frontend/layer_tools/run_flow.h"
#include "mcp_frontend/layer_tools/run_poller.h"

namespace layer_vault::mcp::layer_tools {
namespace {

using nlohmann::json;
using Env = std::shared_ptr<const ToolEnv>;

// WorkflowCatalog finds workflows' declared inputs (there is no REST
// operation to read one workflow, so it pages through workflows.list) and
// keeps them for options.workflow_cache_ttl. Thread-safe.
class WorkflowCatalog {
 public:
  explicit WorkflowCatalog(Env env) : env_(std::move(env)) {}

  absl::StatusOr<std::shared_ptr<const WorkflowInputs>> Find(
      const std::string& workspace, const std::string& workflow_id,
      const CancellationToken& cancel) {
    const std::string key = absl::StrCat(workspace, "/", workflow_id);
    {
      absl::MutexLock lock(&mu_);
      const auto it = cache_.find(key);
      if (it != cache_.end() &&
          env_->Now() - it->second.fetched < env_->options.workflow_cache_ttl) {
        return it->second.inputs;
      }
    }
    std::string cursor;
    for (int page = 0; page < std::max(1, env_->options.max_list_pages);
         ++page) {
      if (cancel.cancelled()) return absl::CancelledError("cancelled");
      json params = {{"workspace_id", workspace}, {"limit", 100}};
      if (!cursor.empty()) params["cursor"] = cursor;
      absl::StatusOr<json> listed = env_->api->Call("workflows.list", params);
      if (!listed.ok()) return listed.status();
      std::shared_ptr<const WorkflowInputs> found;
      if (listed->contains("workflows") && (*listed)["workflows"].is_array()) {
        for (const json& w : (*listed)["workflows"]) {
          std::optional<std::string> id = StringAt(w, "workflow_id");
          if (!id.has_value()) continue;
          absl::StatusOr<WorkflowInputs> compiled = CompileWorkflowInputs(w);
          if (!compiled.ok()) {
            if (*id == workflow_id) {
              return absl::UnavailableError(absl::StrCat(
                  "workflow ", workflow_id,
                  ": Layer.ai's declaration of its inputs is unusable: ",
                  compiled.status().message()));
            }
            continue;
          }
          auto inputs =
              std::make_shared<const WorkflowInputs>(*std::move(compiled));
          if (*id == workflow_id) found = inputs;
          absl::MutexLock lock(&mu_);
          cache_[absl::StrCat(workspace, "/", *id)] = {inputs, env_->Now()};
        }
      }
      if (found != nullptr) return found;
      std::optional<std::string> next;
      if (listed->contains("pagination")) {
        const json& p = (*listed)["pagination"];
        if (BoolAt(p, "has_more_results").value_or(true)) {
          next = StringAt(p, "next_cursor");
        }
      }
      if (!next.has_value() || next->empty()) break;
      cursor = *next;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("workflow ", workflow_id,
                     " is not in this workspace (list_workflows shows them)"));
  }

 private:
  struct Entry {
    std::shared_ptr<const WorkflowInputs> inputs;
    absl::Time fetched;
  };
  const Env env_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
};

// Checks `inputs` against the workflow's declaration.
absl::StatusOr<std::shared_ptr<const WorkflowInputs>> CheckInputs(
    WorkflowCatalog& catalog, const std::string& workspace,
    const json& args, const CancellationToken& cancel) {
  const std::string workflow_id = args["workflow_id"].get<std::string>();
  absl::StatusOr<std::shared_ptr<const WorkflowInputs>> declared =
      catalog.Find(workspace, workflow_id, cancel);
  if (!declared.ok()) return declared.status();
  const json inputs = args.contains("inputs") ? args["inputs"] : json::object();
  if (absl::Status valid = (*declared)->schema.Validate(inputs, "/inputs");
      !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the inputs do not match workflow ", workflow_id, "'s declared inputs (",
        "list_workflows shows them): ", valid.message()));
  }
  return declared;
}

json WorkflowIdSchema() { return IdSchema("Workflow id (list_workflows)."); }

json InputsSchema() {
  return {{"type", "object"},
          {"description",
           "Input values by input name, as the workflow declares them "
           "(list_workflows: inputs[].name, value_schema, required). File "
           "inputs take a file_id (upload_file)."}};
}

std::unique_ptr<Tool> EstimateWorkflowPrice(
    Env env, std::shared_ptr<WorkflowCatalog> catalog) {
  ToolDefinition d;
  d.name = "estimate_workflow_price";
  d.title = "Estimate a workflow run's price";
  d.description = absl::StrCat(
      "Asks Layer.ai what running a workflow with these inputs would cost "
      "in Creative Units, without running it. The inputs are first checked "
      "against the workflow's declared inputs. Runs above ",
      FormatCu(env->options.confirm_threshold_cu),
      " CU need the user's confirmation.");
  d.input_schema = {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", {"workflow_id", "inputs"}},
                    {"properties",
                     {{"workspace_id", WorkspaceIdSchema()},
                      {"workflow_id", WorkflowIdSchema()},
                      {"inputs", InputsSchema()}}}};
  d.output_schema = ObjectSchema(
      {{"workspace_id", {{"type", "string"}}},
       {"workflow_id", {{"type", "string"}}},
       {"workflow_name", {{"type", "string"}}},
       {"estimated_price_creative_units", {{"type", "number"}}},
       {"workspace_balance_creative_units", {{"type", "number"}}},
       {"estimated_remaining_balance_creative_units", {{"type", "number"}}},
       {"has_sufficient_creative_units", {{"type", "boolean"}}},
       {"expected_outputs", {{"type", "object"}}},
       {"confirmation_threshold_creative_units", {{"type", "number"}}},
       {"needs_confirmation", {{"type", "boolean"}}},
       {"unchecked_inputs",
        {{"type", "array"}, {"items", {{"type", "string"}}}}}},
      {"workspace_id", "workflow_id", "estimated_price_creative_units",
       "needs_confirmation"});
  d.annotations = ReadOnlyAnnotations();
  return MakeTool(std::move(d), [env, catalog](const json& args,
                                               ToolContext& context)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    absl::StatusOr<std::shared_ptr<const WorkflowInputs>> declared =
        CheckInputs(*catalog, *workspace, args, context.cancellation());
    if (!declared.ok()) return declared.status();
    absl::StatusOr<json> estimate = env->api->Call(
        "workflows.estimate", {{"workspace_id", *workspace},
                               {"workflow_id", args["workflow_id"]},
                               {"body", {{"inputs", args["inputs"]}}}});
    if (!estimate.ok()) return estimate.status();
    std::optional<double> price =
        NumberAt(*estimate, "estimated_price_creative_units");
    if (!price.has_value()) {
      return absl::UnavailableError("Layer.ai's estimate has no price");
    }
    json out = {{"workspace_id", *workspace},
                {"workflow_id", args["workflow_id"]},
                {"workflow_name", (*declared)->name},
                {"estimated_price_creative_units", *price}};
    for (const char* key : {"workspace_balance_creative_units",
                            "estimated_remaining_balance_creative_units"}) {
      if (std::optional<double> v = NumberAt(*estimate, key)) out[key] = *v;
    }
    if (std::optional<bool> enough =
            BoolAt(*estimate, "has_sufficient_creative_units")) {
      out["has_sufficient_creative_units"] = *enough;
    }
    if (estimate->contains("expected_outputs") &&
        (*estimate)["expected_outputs"].is_object()) {
      out["expected_outputs"] = (*estimate)["expected_outputs"];
    }
    out["confirmation_threshold_creative_units"] =
        env->options.confirm_threshold_cu;
    out["needs_confirmation"] = *price > env->options.confirm_threshold_cu;
    if (!(*declared)->unchecked.empty()) {
      out["unchecked_inputs"] = (*declared)->unchecked;
    }
    std::string summary =
        absl::StrCat("Estimated price of ", (*declared)->name, ": ",
                     FormatCu(*price), " Creative Units");
    if (out["needs_confirmation"].get<bool>()) {
      absl::StrAppend(&summary, " (above the confirmation threshold of ",
                      FormatCu(env->options.confirm_threshold_cu),
                      ": the user must confirm)");
    }
    return StructuredResult(std::move(out), summary);
  });
}

std::unique_ptr<Tool> RunWorkflow(Env env,
                                  std::shared_ptr<WorkflowCatalog> catalog) {
  ToolDefinition d;
  d.name = "run_workflow";
  d.title = "Run a Layer.ai workflow";
  d.description = absl::StrCat(
      "Runs a workflow (list_workflows) with inputs checked against its "
      "declared inputs, then behaves like generate: estimates the price, "
      "above ",
      FormatCu(env->options.confirm_threshold_cu),
      " Creative Units asks the user (or needs confirm_price), starts the "
      "run, and with wait (default) follows it with progress notifications "
      "(steps done) and saves every output into the asset root. Cancelling "
      "stops waiting, not the run: follow it with get_workflow_run.");
  json properties = FollowProperties(true, true, true);
  properties["workspace_id"] = WorkspaceIdSchema();
  properties["workflow_id"] = WorkflowIdSchema();
  properties["inputs"] = InputsSchema();
  properties["session_id"] = IdSchema("Existing session for the outputs.");
  properties["session_name"] = {
      {"type", "string"},
      {"minLength", 1},
      {"maxLength", 255},
      {"description", "Session (created if missing) for the outputs."}};
  d.input_schema = {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", {"workflow_id", "inputs"}},
                    {"properties", std::move(properties)}};
  d.output_schema = RunOutputSchema();
  d.annotations = RunAnnotations();
  return MakeTool(std::move(d), [env, catalog](const json& args,
                                               ToolContext& context)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    ProgressSteps progress(context);
    progress.Step("checking the inputs");
    absl::StatusOr<std::shared_ptr<const WorkflowInputs>> declared =
        CheckInputs(*catalog, *workspace, args, context.cancellation());
    if (!declared.ok()) return declared.status();
    absl::StatusOr<FollowOptions> follow = FollowOptionsFrom(
        args, true, true, Slug((*declared)->name, 40, "workflow"));
    if (!follow.ok()) return follow.status();
    const json path = {{"workspace_id", *workspace},
                       {"workflow_id", args["workflow_id"]}};
    progress.Step("estimating the price");
    json estimate_params = path;
    estimate_params["body"] = {{"inputs", args["inputs"]}};
    absl::StatusOr<json> estimate =
        env->api->Call("workflows.estimate", estimate_params);
    if (!estimate.ok()) return estimate.status();

    RunStart start;
    start.kind = &WorkflowRunKind();
    start.what = absl::StrCat("this run of ", (*declared)->name);
    start.execute_operation = "workflows.execute";
    start.execute_params = path;
    json body = {{"inputs", args["inputs"]}};
    CopyMembers(args, {"session_id", "session_name"}, body);
    start.execute_params["body"] = std::move(body);
    start.get_params = path;
    start.estimate = *std::move(estimate);
    start.confirm_price = NumberAt(args, "confirm_price");
    return StartAndFollow(*env, start, *follow, context, progress);
  });
}

std::unique_ptr<Tool> GetWorkflowRun(Env env) {
  ToolDefinition d;
  d.name = "get_workflow_run";
  d.title = "Get a workflow run";
  d.description =
      "Reads a workflow run: status, steps, Creative Units charged, "
      "outputs. wait: true follows it until it ends with progress "
      "notifications; download: true saves a finished run's outputs into "
      "the asset root.";
  json properties = FollowProperties(false, false, false);
  properties["workspace_id"] = WorkspaceIdSchema();
  properties["workflow_id"] = WorkflowIdSchema();
  properties["run_id"] = IdSchema("The run id (run_workflow's run_id).");
  d.input_schema = {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", {"workflow_id", "run_id"}},
                    {"properties", std::move(properties)}};
  d.output_schema = RunOutputSchema();
  d.annotations = ReadOnlyAnnotations();
  d.annotations.read_only_hint = false;
  d.annotations.idempotent_hint = false;
  return MakeTool(std::move(d), [env](const json& args, ToolContext& context)
                                    -> absl::StatusOr<ToolResult> {
    absl::StatusOr<std::string> workspace = ResolveWorkspace(args, *env);
    if (!workspace.ok()) return workspace.status();
    absl::StatusOr<FollowOptions> follow =
        FollowOptionsFrom(args, false, false, "workflow");
    if (!follow.ok()) return follow.status();
    const json get_params = {{"workspace_id", *workspace},
                             {"workflow_id", args["workflow_id"]}};
    json params = get_params;
    params["run_id"] = args["run_id"];
    absl::StatusOr<json> run = env->api->Call("workflows.runs.get", params);
    if (!run.ok()) return run.status();
    if (!run->contains("run_id")) (*run)["run_id"] = args["run_id"];
    ProgressSteps progress(context);
    return FollowRun(*env, WorkflowRunKind(), *std::move(run), get_params,
                     *follow, json::object(), context, progress);
  });
}

}  // namespace

absl::StatusOr<WorkflowInputs> CompileWorkflowInputs(const json& workflow) {
  std::string name_of_workflow =
      StringAt(workflow, "name").value_or("workflow");
  std::vector<std::string> unchecked;
  json properties = json::object();
  json required = json::array();
  if (workflow.contains("inputs")) {
    const json& inputs = workflow["inputs"];
    if (!inputs.is_array()) {
      return absl::InvalidArgumentError("\"inputs\" is not an array");
    }
    for (const json& input : inputs) {
      std::optional<std::string> name = StringAt(input, "name");
      if (!name.has_value() || name->empty()) {
        return absl::InvalidArgumentError("an input has no name");
      }
      json value_schema = json::object();
      if (input.contains("value_schema") &&
          (input["value_schema"].is_object() ||
           input["value_schema"].is_boolean())) {
        value_schema = input["value_schema"];
      }
      if (!common::JsonSchema::Compile(value_schema).ok()) {
        unchecked.push_back(*name);
        value_schema = json::object();
      }
      properties[*name] = std::move(value_schema);
      if (BoolAt(input, "required").value_or(false)) required.push_back(*name);
    }
  }
  json schema = {{"type", "object"},
                 {"additionalProperties", false},
                 {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  absl::StatusOr<common::JsonSchema> compiled =
      common::JsonSchema::Compile(schema);
  if (!compiled.ok()) return compiled.status();
  return WorkflowInputs{std::move(name_of_workflow), *std::move(compiled),
                        std::move(unchecked)};
}

std::vector<std::unique_ptr<Tool>> MakeWorkflowTools(Env env) {
  auto catalog = std::make_shared<WorkflowCatalog>(env);
  std::vector<std::unique_ptr<Tool>> tools;
  tools.push_back(EstimateWorkflowPrice(env, catalog));
  tools.push_back(RunWorkflow(env, catalog));
  tools.push_back(GetWorkflowRun(env));
  return tools;
}

}  // namespace layer_vault::mcp::layer_tools
