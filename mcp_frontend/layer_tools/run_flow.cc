#include "mcp_frontend/layer_tools/run_flow.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace layer_vault::mcp::layer_tools {
namespace {

using nlohmann::json;

absl::string_view StateName(RunState state) {
  switch (state) {
    case RunState::kRunning:
      return "running";
    case RunState::kSucceeded:
      return "succeeded";
    case RunState::kEnded:
      return "ended";
  }
  return "running";
}

// Copies `key` from `run` when it has the JSON type `type` (so a surprise
// from Layer.ai cannot break the output schema).
void CopyTyped(const json& run, const char* key, json::value_t type,
               json& out) {
  if (!run.is_object()) return;
  const auto it = run.find(key);
  if (it == run.end()) return;
  const bool number = type == json::value_t::number_float;
  if (number ? it->is_number() : it->type() == type) out[key] = *it;
}

}  // namespace

json FollowProperties(bool with_confirm, bool wait_default,
                      bool download_default) {
  json p = json::object();
  p["wait"] = {{"type", "boolean"},
               {"default", wait_default},
               {"description",
                "Follow the run until it ends (polling at the interval "
                "Layer.ai asks for, with progress notifications) and save "
                "its outputs. false: return at once with the run id."}};
  p["download"] = {
      {"type", "boolean"},
      {"default", download_default},
      {"description", "Save the finished run's outputs into the asset root."}};
  p["output_dir"] = {{"type", "string"},
                     {"minLength", 1},
                     {"maxLength", 1024},
                     {"description",
                      "Folder beneath the asset root for the outputs "
                      "(created if missing; relative, no \"..\"). Default: "
                      "the asset root itself."}};
  p["file_name"] = {{"type", "string"},
                    {"pattern", "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"},
                    {"description",
                     "Stem of the saved files, named "
                     "<stem>-<run id end>-<n>.<ext>. Default: from the "
                     "prompt or the workflow's name."}};
  p["overwrite"] = {{"type", "boolean"},
                    {"default", false},
                    {"description",
                     "Replace existing files of the same name; otherwise a "
                     "free name (name-1.png, ...) is used."}};
  if (with_confirm) {
    p["confirm_price"] = {
        {"type", "number"},
        {"minimum", 0},
        {"description",
         "The most Creative Units the user agreed to spend on this run. "
         "Only needed when the estimate is above the confirmation threshold "
         "and the client cannot ask the user itself; ask the user first."}};
  }
  return p;
}

absl::StatusOr<FollowOptions> FollowOptionsFrom(const json& arguments,
                                                bool wait_default,
                                                bool download_default,
                                                std::string default_stem) {
  FollowOptions options;
  options.wait = BoolAt(arguments, "wait").value_or(wait_default);
  options.download = BoolAt(arguments, "download").value_or(download_default);
  options.save.overwrite = BoolAt(arguments, "overwrite").value_or(false);
  options.save.stem =
      StringAt(arguments, "file_name").value_or(std::move(default_stem));
  if (std::optional<std::string> dir = StringAt(arguments, "output_dir")) {
    absl::StatusOr<std::vector<std::string>> parts = SplitRelativePath(*dir);
    if (!parts.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("output_dir: ", parts.status().message()));
    }
    options.save.directory = absl::StrJoin(*parts, "/");
  }
  return options;
}

json RunOutputSchema() {
  const json string = {{"type", "string"}};
  const json nullable_string = {{"type", {"string", "null"}}};
  return ObjectSchema(
      {{"workspace_id", string},
       {"run_id", {{"type", "string"}, {"description", "The run's id."}}},
       {"inference_id", string},
       {"workflow_id", string},
       {"status", {{"type", "string"}, {"description", "Layer.ai's status."}}},
       {"state",
        {{"type", "string"},
         {"enum", {"running", "succeeded", "ended"}},
         {"description",
          "running; succeeded; ended (failed, cancelled or deleted)."}}},
       {"done", {{"type", "boolean"}}},
       {"timed_out", {{"type", "boolean"}}},
       {"estimated_price_creative_units", {{"type", "number"}}},
       {"creative_units_charged",
        {{"type", {"number", "null"}},
         {"description", "What Layer.ai charged (null: not known yet)."}}},
       {"confirmation",
        {{"type", "string"},
         {"enum", {"not_needed", "confirm_price", "elicitation"}}}},
       {"poll_interval_seconds", {{"type", "number"}}},
       {"polls", {{"type", "integer"}, {"minimum", 0}}},
       {"outputs", {{"type", "array"}, {"items", SavedOutputSchema()}}},
       {"error_code", nullable_string},
       {"error_message", nullable_string},
       {"steps", {{"type", "array"}}},
       {"session_id", nullable_string},
       {"normalized_parameters", {{"type", "object"}}},
       {"created_at", nullable_string},
       {"completed_at", nullable_string},
       {"next_step", string}},
      {"run_id", "status", "state", "done", "outputs"});
}

absl::StatusOr<ToolResult> FollowRun(const ToolEnv& env, const RunKind& kind,
                                     json run, const json& get_params,
                                     const FollowOptions& follow, json extra,
                                     ToolContext& context,
                                     ProgressSteps& progress) {
  const std::string run_id = StringAt(run, kind.id_field).value_or("");
  if (run_id.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "Layer.ai's answer about the ", kind.noun, " has no ", kind.id_field));
  }
  json params = get_params;
  params[kind.id_field] = run_id;

  PollResult polled;
  polled.state = StateOf(kind, run);
  polled.run = run;
  if (follow.wait && polled.state == RunState::kRunning) {
    absl::StatusOr<PollResult> result =
        PollRun(env, kind, params, std::move(run), context, progress);
    if (!result.ok()) return result.status();
    polled = *std::move(result);
  }
  const json& last = polled.run;

  SaveResult saved;
  const bool save = polled.state == RunState::kSucceeded && follow.download;
  if (save) {
    SaveRequest request = follow.save;
    request.run_id = run_id;
    absl::StatusOr<SaveResult> result =
        SaveOutputs(env, OutputsOf(last), request, context, progress);
    if (!result.ok()) return result.status();
    saved = *std::move(result);
  }

  json out = json::object();
  if (std::optional<std::string> ws = StringAt(get_params, "workspace_id")) {
    out["workspace_id"] = *ws;
  }
  out["run_id"] = run_id;
  if (kind.id_field == "inference_id") out["inference_id"] = run_id;
  if (std::optional<std::string> wf = StringAt(get_params, "workflow_id")) {
    out["workflow_id"] = *wf;
  }
  out["status"] = StringAt(last, "status").value_or("unknown");
  out["state"] = std::string(StateName(polled.state));
  out["done"] = polled.state != RunState::kRunning;
  if (polled.timed_out) out["timed_out"] = true;
  out["polls"] = polled.polls;
  CopyTyped(last, "estimated_price_creative_units",
            json::value_t::number_float, out);
  if (polled.state == RunState::kRunning) {
    out["creative_units_charged"] = nullptr;
    out["poll_interval_seconds"] =
        absl::ToDoubleSeconds(NextPollInterval(last, env.options));
  } else if (polled.state == RunState::kEnded) {
    out["creative_units_charged"] = 0;
  } else {
    std::optional<double> charged =
        NumberAt(last, "actual_price_creative_units");
    out["creative_units_charged"] =
        charged.has_value() ? json(*charged) : json(nullptr);
  }
  for (const char* key : {"error_code", "error_message", "session_id",
                          "created_at", "completed_at"}) {
    CopyTyped(last, key, json::value_t::string, out);
  }
  CopyTyped(last, "steps", json::value_t::array, out);
  CopyTyped(last, "normalized_parameters", json::value_t::object, out);
  if (extra.is_object()) {
    for (auto& [key, value] : extra.items()) {
      if (!out.contains(key)) out[key] = value;
    }
  }

  json outputs = json::array();
  if (save) {
    for (const SavedOutput& s : saved.files) {
      outputs.push_back(SavedOutputJson(s));
    }
  } else {
    for (const RunOutput& o : OutputsOf(last)) {
      SavedOutput s;
      s.output = o;
      outputs.push_back(SavedOutputJson(s));
    }
  }
  out["outputs"] = std::move(outputs);

  std::string summary = absl::StrCat(kind.noun, " ", run_id, ": ",
                                     out["status"].get<std::string>());
  std::string next_step;
  bool is_error = false;
  switch (polled.state) {
    case RunState::kRunning:
      next_step = absl::StrCat(
          polled.timed_out ? "Still running after the longest wait. " : "",
          "Call ", kind.follow_tool, " with ", kind.id_field, " ", run_id,
          " and wait: true to follow it and save its outputs.");
      break;
    case RunState::kSucceeded: {
      if (std::optional<double> charged =
              NumberAt(out, "creative_units_charged")) {
        absl::StrAppend(&summary, ", charged ", FormatCu(*charged),
                        " Creative Units");
      }
      if (!save) {
        next_step = absl::StrCat("Call ", kind.follow_tool, " with ",
                                 kind.id_field, " ", run_id,
                                 " and download: true to save the outputs.");
        break;
      }
      std::vector<std::string> paths;
      for (const SavedOutput& s : saved.files) {
        if (!s.path.empty()) paths.push_back(s.path);
      }
      absl::StrAppend(&summary, "; saved ", paths.size(), " of ",
                      saved.files.size(), " output(s) under ",
                      env.asset_root->path());
      for (const SavedOutput& s : saved.files) {
        absl::StrAppend(&summary, "\n- ",
                        s.path.empty() ? absl::StrCat("NOT SAVED (", s.error,
                                                      "): ", s.output.url)
                                       : s.path);
      }
      if (saved.failures > 0) {
        is_error = true;
        next_step = absl::StrCat(
            "The run succeeded (and was charged) but ", saved.failures,
            " output(s) could not be saved; fix the cause and call ",
            kind.follow_tool, " with ", kind.id_field, " ", run_id,
            " and download: true.");
      } else {
        next_step = absl::StrCat("Saved under the asset root: ",
                                 absl::StrJoin(paths, ", "), ".");
      }
      break;
    }
    case RunState::kEnded:
      is_error = true;
      absl::StrAppend(
          &summary, StringAt(last, "error_code").has_value()
                        ? absl::StrCat(" (", *StringAt(last, "error_code"), ")")
                        : "",
          StringAt(last, "error_message").has_value()
              ? absl::StrCat(": ", *StringAt(last, "error_message"))
              : "");
      next_step =
          "The run did not succeed; Layer.ai does not charge such runs.";
      break;
  }
  out["next_step"] = next_step;
  absl::StrAppend(&summary, "\n", next_step);

  ToolResult result = StructuredResult(std::move(out), summary);
  result.is_error = is_error;
  for (ContentBlock& image : saved.images) {
    result.content.push_back(std::move(image));
  }
  progress.Step(absl::StrCat(kind.noun, " ", run_id, ": ",
                             StateName(polled.state)));
  return result;
}

absl::StatusOr<ToolResult> StartAndFollow(const ToolEnv& env,
                                          const RunStart& start,
                                          const FollowOptions& follow,
                                          ToolContext& context,
                                          ProgressSteps& progress) {
  const RunKind& kind = *start.kind;
  std::optional<double> price =
      NumberAt(start.estimate, "estimated_price_creative_units");
  if (!price.has_value()) {
    return absl::UnavailableError(
        "Layer.ai's estimate has no price; refusing to run without one");
  }
  if (BoolAt(start.estimate, "has_sufficient_creative_units") ==
      std::optional<bool>(false)) {
    std::optional<double> available =
        NumberAt(start.estimate, "workspace_balance_creative_units");
    return ToolResult::Error(absl::StrCat(
        "Not run: the workspace has not enough Creative Units for ",
        start.what, " (", FormatCu(*price), " needed",
        available.has_value()
            ? absl::StrCat(", ", FormatCu(*available), " available")
            : "",
        ")."));
  }
  progress.Step(absl::StrCat("estimated price: ", FormatCu(*price),
                             " Creative Units"));

  const double threshold = env.options.confirm_threshold_cu;
  const bool needs_consent =
      *price > threshold &&
      !(start.confirm_price.has_value() && *start.confirm_price >= *price);
  if (needs_consent) {
    // Do not ask the user for a run that vaultd will refuse anyway.
    absl::StatusOr<client::SpendInfo> spend = env.api->GetSpend();
    if (spend.ok() && spend->per_run_cap > 0 && *price > spend->per_run_cap) {
      return ToolResult::Error(absl::StrCat(
          "Not run: ", start.what, " is estimated at ", FormatCu(*price),
          " Creative Units, above vaultd's per-run cap of ",
          FormatCu(spend->per_run_cap),
          " for you. Make it cheaper (fewer outputs, smaller size, lower "
          "quality) or ask whoever administers vaultd to raise the cap."));
    }
    if (spend.ok() && spend->period_budget > 0 &&
        spend->period_spent + *price > spend->period_budget) {
      return ToolResult::Error(absl::StrCat(
          "Not run: ", start.what, " (", FormatCu(*price),
          " Creative Units) would exceed your vaultd budget (",
          FormatCu(spend->period_spent), " of ",
          FormatCu(spend->period_budget), " spent this period)."));
    }
  }
  absl::StatusOr<PriceDecision> decision =
      ConfirmPrice(*price, start.confirm_price, threshold, start.what,
                   start.price_note, context);
  if (!decision.ok()) return decision.status();
  if (!decision->proceed) return ToolResult::Error(decision->refusal);
  if (context.cancelled()) return absl::CancelledError("cancelled");

  progress.Step(absl::StrCat("starting ", start.what));
  absl::StatusOr<json> started =
      env.api->Call(start.execute_operation, start.execute_params);
  if (!started.ok()) return started.status();
  progress.Step(DescribeProgress(kind, *started, 0));
  json extra = {{"confirmation", std::string(ConfirmationName(decision->confirmation))},
                {"estimated_price_creative_units", *price}};
  return FollowRun(env, kind, *std::move(started), start.get_params, follow,
                   std::move(extra), context, progress);
}

}  // namespace layer_vault::mcp::layer_tools
