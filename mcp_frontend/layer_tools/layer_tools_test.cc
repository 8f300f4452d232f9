#include "mcp_frontend/layer_tools/layer_tools.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fake_clock.h"
#include "common/json_schema.h"
#include "gtest/gtest.h"
#include "mcp_frontend/layer_tools/catalog_tools.h"
#include "mcp_frontend/layer_tools/test_fakes.h"
#include "mcp_frontend/layer_tools/workflow_tools.h"
#include "mcp_frontend/safe_files/safe_files.h"
#include "mcp_frontend/tool_registry/tool_registry.h"

namespace layer_vault::mcp::layer_tools {
namespace {

using nlohmann::json;
using testing::ContextHarness;
using testing::FakeLayerApi;
using testing::FakeMediaTransport;
using testing::FakeSleeper;
using testing::MakeTempDir;
using testing::TinyPng;

constexpr char kWs[] = "00000000-0000-4000-8000-000000000001";
constexpr char kModel[] = "00000000-0000-4000-8000-0000000000aa";
constexpr char kRun[] = "10000000-0000-4000-8000-000000000001";
constexpr char kWorkflow[] = "00000000-0000-4000-8000-0000000000e1";
constexpr char kWorkflowRun[] = "20000000-0000-4000-8000-000000000001";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TextOf(const ToolResult& r) {
  std::string text;
  for (const ContentBlock& b : r.content) {
    if (b.kind == ContentBlock::Kind::kText) text += b.text;
  }
  return text;
}

class LayerToolsTest : public ::testing::Test {
 protected:
  LayerToolsTest() : sleeper_(&clock_) {}

  void SetUp() override {
    asset_dir_ = MakeTempDir();
    input_dir_ = MakeTempDir();
    ASSERT_FALSE(asset_dir_.empty());
    ASSERT_FALSE(input_dir_.empty());
    assets_ = *SafeRoot::Create(asset_dir_);
    inputs_ = *SafeRoot::Create(input_dir_);
    env_.api = &api_;
    env_.media = &media_;
    env_.asset_root = assets_.get();
    env_.input_root = inputs_.get();
    env_.clock = &clock_;
    env_.sleep = sleeper_.AsSleeper();
    env_.options.default_workspace_id = kWs;
  }

  void Register() {
    absl::Status s = RegisterLayerTools(env_, registry_);
    ASSERT_TRUE(s.ok()) << s;
  }

  ToolResult Call(const std::string& name, const json& args) {
    if (registry_.size() == 0) Register();
    std::unique_ptr<ToolContext> context = harness_.MakeContext();
    absl::StatusOr<ToolResult> r = registry_.Call(name, args, *context);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return ToolResult::Error("protocol error");
    // Structured content must match the output schema, errors included
    // (the official SDK client checks both).
    if (!r->structured_content.is_null()) {
      const json list = registry_.ListResult();
      for (const json& tool : list["tools"]) {
        if (tool["name"] != name || !tool.contains("outputSchema")) continue;
        absl::StatusOr<common::JsonSchema> schema =
            common::JsonSchema::Compile(tool["outputSchema"]);
        EXPECT_TRUE(schema.ok());
        if (schema.ok()) {
          absl::Status valid = schema->Validate(r->structured_content);
          EXPECT_TRUE(valid.ok()) << name << ": " << valid;
        }
      }
    }
    return *std::move(r);
  }

  // A generation of `outputs` images priced `price` that completes on the
  // `polls`-th read.
  void ScriptInference(double price, int outputs, int polls) {
    api_.On("inferences.estimate", [price](const json&) -> absl::StatusOr<json> {
      return json{{"estimated_price_creative_units", price},
                  {"workspace_balance_creative_units", 300},
                  {"estimated_remaining_balance_creative_units", 300 - price},
                  {"has_sufficient_creative_units", true}};
    });
    api_.On("inferences.execute", [price](const json&) -> absl::StatusOr<json> {
      return json{{"inference_id", kRun},
                  {"status", "in_progress"},
                  {"poll_interval_seconds", 0.5},
                  {"estimated_price_creative_units", price},
                  {"created_at", "2026-12-04T12:00:00Z"}};
    });
    json done = {{"inference_id", kRun},
                 {"status", "complete"},
                 {"estimated_price_creative_units", price},
                 {"actual_price_creative_units", price},
                 {"completed_at", "2026-12-04T12:00:03Z"},
                 {"outputs", json::array()}};
    for (int i = 0; i < outputs; ++i) {
      const std::string url =
          absl::StrCat("https://media.test/media/3000000", i, ".png");
      media_.Serve(url, TinyPng(absl::StrCat("out", i)), "image/png");
      done["outputs"].push_back({{"file_id", absl::StrCat("3000000", i)},
                                 {"url", url},
                                 {"content_type", "image/png"},
                                 {"size_bytes", TinyPng("x").size() + 4},
                                 {"width", 64},
                                 {"height", 64}});
    }
    std::vector<absl::StatusOr<json>> reads;
    for (int i = 1; i < polls; ++i) {
      reads.push_back(json{{"inference_id", kRun},
                           {"status", "in_progress"},
                           {"poll_interval_seconds", 1}});
    }
    reads.push_back(done);
    api_.OnSequence("inferences.get", reads);
  }

  common::FakeClock clock_;
  FakeSleeper sleeper_;
  FakeLayerApi api_;
  FakeMediaTransport media_;
  std::string asset_dir_;
  std::string input_dir_;
  std::unique_ptr<SafeRoot> assets_;
  std::unique_ptr<SafeRoot> inputs_;
  ToolEnv env_;
  ToolRegistry registry_;
  ContextHarness harness_;
};

TEST_F(LayerToolsTest, RegistersEveryToolWithSchemasAndAnnotations) {
  Register();
  const json list = registry_.ListResult();
  std::set<std::string> names;
  for (const json& tool : list["tools"]) {
    names.insert(tool["name"].get<std::string>());
    EXPECT_TRUE(tool.contains("outputSchema")) << tool["name"];
    EXPECT_TRUE(tool.contains("annotations")) << tool["name"];
    EXPECT_TRUE(tool["annotations"].contains("readOnlyHint"));
    EXPECT_TRUE(tool["annotations"].contains("openWorldHint"));
    EXPECT_EQ(tool["inputSchema"]["additionalProperties"], false)
        << tool["name"];
  }
  EXPECT_EQ(names, (std::set<std::string>{
                       "list_workspaces", "get_workspace", "list_models",
                       "get_model", "estimate_price", "generate", "get_run",
                       "list_workflows", "estimate_workflow_price",
                       "run_workflow", "get_workflow_run", "upload_file",
                       "get_usage", "describe_image", "improve_prompt",
                       "suggest_prompt"}));
}

TEST_F(LayerToolsTest, RefusesMissingParts) {
  ToolEnv env = env_;
  env.api = nullptr;
  EXPECT_EQ(RegisterLayerTools(env, registry_).code(),
            absl::StatusCode::kInvalidArgument);
  env = env_;
  env.options.min_poll_interval = absl::ZeroDuration();
  EXPECT_EQ(RegisterLayerTools(env, registry_).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_.size(), 0u);
}

TEST_F(LayerToolsTest, InvalidArgumentsAreErrorsThatSayWhatIsWrong) {
  struct Case {
    const char* tool;
    json args;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"generate", {{"prompt", "tower"}}, "model_id"},
      {"generate", {{"model_id", kModel}, {"batch_size", 17}}, "batch_size"},
      {"generate", {{"model_id", kModel}, {"quality", "ultra"}}, "quality"},
      {"generate", {{"model_id", "../../admin"}}, "model_id"},
      {"generate", {{"model_id", kModel}, {"colour", "red"}}, "colour"},
      {"generate", {{"model_id", kModel}, {"wait", "yes"}}, "wait"},
      {"get_run", json::object(), "inference_id"},
      {"list_models", {{"limit", 0}}, "limit"},
      {"upload_file", json::object(), "path"},
      {"run_workflow", {{"workflow_id", kWorkflow}}, "inputs"},
  };
  for (const Case& c : cases) {
    ToolResult r = Call(c.tool, c.args);
    EXPECT_TRUE(r.is_error) << c.tool << " " << c.args;
    EXPECT_TRUE(absl::StrContains(TextOf(r), c.expected))
        << c.tool << ": " << TextOf(r);
  }
  EXPECT_TRUE(api_.calls().empty());
}

TEST_F(LayerToolsTest, WorkspaceComesFromTheArgumentTheDefaultOrAnError) {
  api_.On("workspaces.get", [](const json& p) -> absl::StatusOr<json> {
    return json{{"workspace_id", p["workspace_id"]},
                {"name", "W"},
                {"balance_creative_units", 300},
                {"reserved_creative_units", 1.4},
                {"available_creative_units", 298.6}};
  });
  ToolResult r = Call("get_workspace", json::object());
  EXPECT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["workspace_id"], kWs);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "298.6 CU available"));
  r = Call("get_workspace", {{"workspace_id", "other"}});
  EXPECT_EQ(r.structured_content["workspace_id"], "other");

  env_.options.default_workspace_id = "";
  ToolRegistry no_default;
  ASSERT_TRUE(RegisterLayerTools(env_, no_default).ok());
  auto context = harness_.MakeContext();
  absl::StatusOr<ToolResult> missing =
      no_default.Call("list_models", json::object(), *context);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(*missing), "LAYER_WORKSPACE_ID"));
}

TEST_F(LayerToolsTest, GenerateEstimatesRunsPollsAndSavesEveryOutput) {
  ScriptInference(1.6, 2, 3);
  ToolResult r = Call("generate", {{"model_id", kModel},
                                   {"prompt", "Isometric stone tower"},
                                   {"batch_size", 2},
                                   {"seed", 42},
                                   {"width", 512},
                                   {"height", 512},
                                   {"quality", "high"}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  const json& s = r.structured_content;
  EXPECT_EQ(s["inference_id"], kRun);
  EXPECT_EQ(s["run_id"], kRun);
  EXPECT_EQ(s["status"], "complete");
  EXPECT_EQ(s["state"], "succeeded");
  EXPECT_EQ(s["done"], true);
  EXPECT_EQ(s["creative_units_charged"], 1.6);
  EXPECT_EQ(s["confirmation"], "not_needed");
  EXPECT_EQ(s["polls"], 3);
  ASSERT_EQ(s["outputs"].size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const json& o = s["outputs"][i];
    const std::string name =
        absl::StrCat("isometric-stone-tower-00000001-", i + 1, ".png");
    EXPECT_EQ(o["saved_path"], name);
    EXPECT_EQ(o["absolute_path"], asset_dir_ + "/" + name);
    EXPECT_EQ(o["content_type"], "image/png");
    EXPECT_EQ(o["file_id"], absl::StrCat("3000000", i));
    EXPECT_EQ(ReadAll(asset_dir_ + "/" + name),
              TinyPng(absl::StrCat("out", i)));
  }
  // Two images came back for the model to see.
  int images = 0;
  for (const ContentBlock& b : r.content) {
    if (b.kind == ContentBlock::Kind::kImage) ++images;
  }
  EXPECT_EQ(images, 2);

  // The estimate got the body without what it does not take; execute all.
  const json estimate = api_.CallsOf("inferences.estimate").at(0);
  EXPECT_EQ(estimate["workspace_id"], kWs);
  EXPECT_EQ(estimate["body"]["model_id"], kModel);
  EXPECT_EQ(estimate["body"]["batch_size"], 2);
  EXPECT_FALSE(estimate["body"].contains("seed"));
  const json execute = api_.CallsOf("inferences.execute").at(0);
  EXPECT_EQ(execute["body"]["seed"], 42);
  EXPECT_EQ(execute["body"]["quality"], "high");
  EXPECT_FALSE(execute["body"].contains("wait"));
  EXPECT_EQ(api_.CallsOf("inferences.get").at(0),
            (json{{"workspace_id", kWs}, {"inference_id", kRun}}));
  // Polled at the intervals the API gave: 0.5 s, then 1 s.
  EXPECT_EQ(sleeper_.sleeps(),
            (std::vector<absl::Duration>{absl::Milliseconds(500),
                                         absl::Seconds(1), absl::Seconds(1)}));
  // Progress: strictly increasing, from estimate to saved files.
  const auto& progress = harness_.progress();
  ASSERT_GE(progress.size(), 7u);
  for (size_t i = 1; i < progress.size(); ++i) {
    EXPECT_GT(progress[i].value, progress[i - 1].value);
  }
  EXPECT_TRUE(absl::StrContains(progress.front().message, "estimating"));
  EXPECT_EQ(api_.spend_calls(), 0);
}

TEST_F(LayerToolsTest, AboveTheThresholdWithoutElicitationNothingRuns) {
  ScriptInference(24, 1, 1);
  ToolResult r = Call("generate", {{"model_id", kModel}, {"prompt", "p"}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "24 Creative Units")) << TextOf(r);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "confirm_price: 24"));
  EXPECT_TRUE(api_.CallsOf("inferences.execute").empty());

  r = Call("generate",
           {{"model_id", kModel}, {"prompt", "p"}, {"confirm_price", 24}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["confirmation"], "confirm_price");
  EXPECT_EQ(api_.CallsOf("inferences.execute").size(), 1u);
}

TEST_F(LayerToolsTest, AboveTheThresholdTheUserIsAskedAndDecides) {
  ScriptInference(24, 1, 1);
  harness_.set_can_elicit(true);
  bool accept = true;
  harness_.set_elicit([&accept](const ElicitRequest&) {
    ElicitResult r;
    r.action = accept ? ElicitResult::Action::kAccept
                      : ElicitResult::Action::kDecline;
    if (accept) r.content = {{"confirm", true}};
    return absl::StatusOr<ElicitResult>(r);
  });
  ToolResult r = Call("generate", {{"model_id", kModel}, {"prompt", "p"}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["confirmation"], "elicitation");
  ASSERT_EQ(harness_.elicitations().size(), 1u);
  EXPECT_TRUE(absl::StrContains(harness_.elicitations()[0].message, "24"));

  accept = false;
  r = Call("generate", {{"model_id", kModel}, {"prompt", "p"}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "declined")) << TextOf(r);
  EXPECT_EQ(api_.CallsOf("inferences.execute").size(), 1u);
}

TEST_F(LayerToolsTest, TheThresholdIsConfigurable) {
  env_.options.confirm_threshold_cu = 1;
  ScriptInference(1.6, 1, 1);
  ToolResult r = Call("generate", {{"model_id", kModel}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "threshold of 1.")) << TextOf(r);
}

TEST_F(LayerToolsTest, VaultdCapsAreCheckedBeforeAskingTheUser) {
  ScriptInference(24, 1, 1);
  harness_.set_can_elicit(true);
  client::SpendInfo spend;
  spend.per_run_cap = 10;
  api_.SetSpend(spend);
  ToolResult r = Call("generate", {{"model_id", kModel}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "per-run cap of 10")) << TextOf(r);
  EXPECT_TRUE(harness_.elicitations().empty());
  EXPECT_TRUE(api_.CallsOf("inferences.execute").empty());
}

TEST_F(LayerToolsTest, InsufficientBalanceStopsBeforeRunning) {
  api_.On("inferences.estimate", [](const json&) -> absl::StatusOr<json> {
    return json{{"estimated_price_creative_units", 8},
                {"workspace_balance_creative_units", 5},
                {"has_sufficient_creative_units", false}};
  });
  ToolResult r = Call("generate", {{"model_id", kModel}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "5 available")) << TextOf(r);
  EXPECT_TRUE(api_.CallsOf("inferences.execute").empty());
}

TEST_F(LayerToolsTest, WaitFalseReturnsTheRunningRun) {
  ScriptInference(1, 1, 2);
  ToolResult r =
      Call("generate", {{"model_id", kModel}, {"wait", false}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["state"], "running");
  EXPECT_EQ(r.structured_content["done"], false);
  EXPECT_EQ(r.structured_content["creative_units_charged"], nullptr);
  EXPECT_TRUE(absl::StrContains(
      r.structured_content["next_step"].get<std::string>(), "get_run"));
  EXPECT_TRUE(api_.CallsOf("inferences.get").empty());

  // get_run follows it and saves the outputs when asked.
  r = Call("get_run",
           {{"inference_id", kRun}, {"wait", true}, {"download", true},
            {"output_dir", "towers"}, {"file_name", "tower"}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["state"], "succeeded");
  EXPECT_EQ(r.structured_content["outputs"][0]["saved_path"],
            "towers/tower-00000001-1.png");
}

TEST_F(LayerToolsTest, GetRunWithoutDownloadOnlyReports) {
  ScriptInference(1, 1, 1);
  ToolResult r = Call("get_run", {{"inference_id", kRun}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["state"], "succeeded");
  EXPECT_FALSE(r.structured_content["outputs"][0].contains("saved_path"));
  EXPECT_TRUE(media_.downloads().empty());
  EXPECT_TRUE(absl::StrContains(
      r.structured_content["next_step"].get<std::string>(), "download: true"));
}

TEST_F(LayerToolsTest, CancellationMidPollStopsPollingAndDownloads) {
  ScriptInference(1, 1, 100);
  sleeper_.CancelAt(3, &harness_.cancellation());
  ToolResult r = Call("generate", {{"model_id", kModel}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "cancelled")) << TextOf(r);
  EXPECT_EQ(api_.CallsOf("inferences.get").size(), 2u);
  EXPECT_TRUE(media_.downloads().empty());
}

TEST_F(LayerToolsTest, AFailedRunIsAnErrorWithItsDetails) {
  ScriptInference(1, 0, 1);
  api_.OnSequence("inferences.get",
                  {json{{"inference_id", kRun},
                        {"status", "failed"},
                        {"error_code", "CONTENT_POLICY_VIOLATION"},
                        {"error_message", "no"}}});
  ToolResult r = Call("generate", {{"model_id", kModel}});
  EXPECT_TRUE(r.is_error);
  EXPECT_EQ(r.structured_content["state"], "ended");
  EXPECT_EQ(r.structured_content["error_code"], "CONTENT_POLICY_VIOLATION");
  EXPECT_EQ(r.structured_content["creative_units_charged"], 0);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "CONTENT_POLICY_VIOLATION"));
}

TEST_F(LayerToolsTest, AnOutputThatCannotBeSavedMakesTheResultAnError) {
  ScriptInference(1, 1, 1);
  api_.OnSequence(
      "inferences.get",
      {json{{"inference_id", kRun},
            {"status", "complete"},
            {"actual_price_creative_units", 1},
            {"outputs", {{{"url", "https://elsewhere.test/x.png"},
                          {"content_type", "image/png"}}}}}});
  ToolResult r = Call("generate", {{"model_id", kModel}});
  EXPECT_TRUE(r.is_error);
  EXPECT_EQ(r.structured_content["state"], "succeeded");
  EXPECT_TRUE(r.structured_content["outputs"][0].contains("error"));
  EXPECT_TRUE(absl::StrContains(TextOf(r), "download: true")) << TextOf(r);
}

TEST_F(LayerToolsTest, VaultdProblemsReachTheModelAsErrors) {
  api_.OnSequence("inferences.estimate",
                  {absl::UnavailableError("vaultd is not running at /x"),
                   absl::FailedPreconditionError(
                       "vaultd is sealed: run vaultctl unlock")});
  ToolResult r = Call("generate", {{"model_id", kModel}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "vaultd is not running"));
  api_.OnSequence("inferences.estimate",
                  {absl::FailedPreconditionError(
                      "vaultd is sealed: run vaultctl unlock")});
  r = Call("estimate_price", {{"model_id", kModel}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "vaultctl unlock"));
}

TEST_F(LayerToolsTest, EstimatePriceSaysWhatTheEstimateLeavesOut) {
  ScriptInference(21, 1, 1);
  ToolResult r = Call(
      "estimate_price",
      {{"model_id", kModel},
       {"seed", 3},
       {"guidance_files", {{{"file_id", "f"}, {"type", "reference_image"}}}}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["estimated_price_creative_units"], 21);
  EXPECT_EQ(r.structured_content["needs_confirmation"], true);
  EXPECT_EQ(r.structured_content["omitted_from_estimate"],
            (json{"seed", "guidance_files"}));
  EXPECT_FALSE(api_.CallsOf("inferences.estimate")[0]["body"].contains(
      "guidance_files"));
}

json Model(int i, const char* modality, const char* capability) {
  return {{"model_id", absl::StrCat("m", i)},
          {"name", absl::StrCat("Model ", i)},
          {"modality", modality},
          {"capabilities", {capability}}};
}

TEST_F(LayerToolsTest, ListModelsFiltersClientSideAcrossPages) {
  // Page 1: 4 models (2 image), page 2: 3 models (2 image).
  api_.On("models.list", [](const json& p) -> absl::StatusOr<json> {
    if (!p.contains("cursor")) {
      return json{{"models",
                   {Model(1, "image", "text_to_image"),
                    Model(2, "audio", "text_to_speech"),
                    Model(3, "image", "inpainting"),
                    Model(4, "video", "text_to_video")}},
                  {"pagination",
                   {{"has_more_results", true}, {"next_cursor", "page2"}}}};
    }
    EXPECT_EQ(p["cursor"], "page2");
    return json{{"models",
                 {Model(5, "image", "text_to_image"),
                  Model(6, "three_d", "textTo3D"),
                  Model(7, "image", "upscaling")}},
                {"pagination", {{"has_more_results", false}}}};
  });
  ToolResult r = Call("list_models", {{"modality", "IMAGE"}, {"limit", 3}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  std::vector<std::string> ids;
  for (const json& m : r.structured_content["models"]) ids.push_back(m["model_id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"m1", "m3", "m5"}));
  EXPECT_EQ(r.structured_content["filtered_client_side"], true);
  const std::string cursor = r.structured_content["next_cursor"];
  EXPECT_EQ(DecodeModelCursor(cursor).api_cursor, "page2");
  EXPECT_EQ(DecodeModelCursor(cursor).skip, 1u);

  r = Call("list_models",
           {{"modality", "image"}, {"limit", 3}, {"cursor", cursor}});
  ASSERT_EQ(r.structured_content["models"].size(), 1u);
  EXPECT_EQ(r.structured_content["models"][0]["model_id"], "m7");
  EXPECT_EQ(r.structured_content["next_cursor"], nullptr);

  r = Call("list_models", {{"capability", "text-to-3d"}});
  ASSERT_EQ(r.structured_content["models"].size(), 1u);
  EXPECT_EQ(r.structured_content["models"][0]["model_id"], "m6");
  r = Call("list_models", {{"text", "model 4"}});
  ASSERT_EQ(r.structured_content["models"].size(), 1u);
  for (const json& p : api_.CallsOf("models.list")) {
    EXPECT_EQ(p["limit"], 100);
  }
}

TEST(ModelCursorTest, RoundTripsAndAcceptsLayerCursors) {
  const ModelCursor c = DecodeModelCursor(EncodeModelCursor({"abc.def", 7}));
  EXPECT_EQ(c.api_cursor, "abc.def");
  EXPECT_EQ(c.skip, 7u);
  EXPECT_EQ(DecodeModelCursor("opaque").api_cursor, "opaque");
  EXPECT_EQ(DecodeModelCursor("mx.y").api_cursor, "mx.y");
  EXPECT_EQ(DecodeModelCursor("").api_cursor, "");
}

json TurnaroundWorkflow() {
  return {{"workflow_id", kWorkflow},
          {"name", "Character turnaround"},
          {"inputs",
           {{{"name", "character_image"},
             {"type", "file"},
             {"required", true},
             {"value_schema", {{"type", "string"}}}},
            {{"name", "view_count"},
             {"type", "integer"},
             {"required", false},
             {"value_schema",
              {{"type", "integer"}, {"minimum", 1}, {"maximum", 8}}}}}},
          {"outputs", {{{"name", "views"}, {"type", "image"}}}}};
}

void ScriptWorkflow(FakeLayerApi& api, FakeMediaTransport& media) {
  api.On("workflows.list", [](const json&) -> absl::StatusOr<json> {
    return json{{"workflows", {TurnaroundWorkflow()}},
                {"pagination", {{"has_more_results", false}}}};
  });
  api.On("workflows.estimate", [](const json&) -> absl::StatusOr<json> {
    return json{{"estimated_price_creative_units", 3},
                {"has_sufficient_creative_units", true},
                {"expected_outputs", {{"views", 4}}}};
  });
  api.On("workflows.execute", [](const json&) -> absl::StatusOr<json> {
    return json{{"run_id", kWorkflowRun},
                {"workflow_id", kWorkflow},
                {"status", "pending"},
                {"poll_interval_seconds", 0.5},
                {"estimated_price_creative_units", 3}};
  });
  const std::string url = "https://media.test/media/view.png";
  media.Serve(url, TinyPng("view"), "image/png");
  json running = {{"run_id", kWorkflowRun},
                  {"status", "running"},
                  {"poll_interval_seconds", 0.5},
                  {"steps",
                   {{{"name", "prepare"}, {"status", "success"}},
                    {{"name", "generate_views"}, {"status", "running"}}}}};
  json done = {{"run_id", kWorkflowRun},
               {"status", "success"},
               {"actual_price_creative_units", 3},
               {"steps",
                {{{"name", "prepare"}, {"status", "success"}},
                 {{"name", "generate_views"}, {"status", "success"}}}},
               {"outputs",
                {{{"url", url},
                  {"content_type", "image/png"},
                  {"output_name", "views"}}}}};
  api.OnSequence("workflows.runs.get", {running, done});
}

TEST_F(LayerToolsTest, RunWorkflowChecksInputsAgainstTheDeclaration) {
  ScriptWorkflow(api_, media_);
  ToolResult r = Call("run_workflow", {{"workflow_id", kWorkflow},
                                       {"inputs", {{"view_count", 20}}}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "/inputs/view_count")) << TextOf(r);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "character_image")) << TextOf(r);
  r = Call("estimate_workflow_price",
           {{"workflow_id", kWorkflow},
            {"inputs", {{"character_image", "f1"}, {"style", "x"}}}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "style")) << TextOf(r);
  r = Call("run_workflow",
           {{"workflow_id", "00000000-0000-4000-8000-0000000000ff"},
            {"inputs", json::object()}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(absl::StrContains(TextOf(r), "not in this workspace"));
  EXPECT_TRUE(api_.CallsOf("workflows.estimate").empty());
  // The declaration was listed once and then cached.
  EXPECT_EQ(api_.CallsOf("workflows.list").size(), 2u);
}

TEST_F(LayerToolsTest, RunWorkflowRunsFollowsAndSaves) {
  ScriptWorkflow(api_, media_);
  ToolResult r = Call("estimate_workflow_price",
                      {{"workflow_id", kWorkflow},
                       {"inputs", {{"character_image", "f1"}}}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["expected_outputs"]["views"], 4);

  r = Call("run_workflow", {{"workflow_id", kWorkflow},
                            {"inputs", {{"character_image", "f1"},
                                        {"view_count", 2}}},
                            {"session_name", "hero"}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  const json& s = r.structured_content;
  EXPECT_EQ(s["run_id"], kWorkflowRun);
  EXPECT_EQ(s["workflow_id"], kWorkflow);
  EXPECT_EQ(s["status"], "success");
  EXPECT_EQ(s["creative_units_charged"], 3);
  EXPECT_EQ(s["outputs"][0]["output_name"], "views");
  EXPECT_EQ(s["outputs"][0]["saved_path"],
            "character-turnaround-00000001-1.png");
  const json execute = api_.CallsOf("workflows.execute").at(0);
  EXPECT_EQ(execute["workflow_id"], kWorkflow);
  EXPECT_EQ(execute["body"]["inputs"]["view_count"], 2);
  EXPECT_EQ(execute["body"]["session_name"], "hero");
  bool steps_reported = false;
  for (const auto& p : harness_.progress()) {
    if (absl::StrContains(p.message, "1/2 steps done")) steps_reported = true;
  }
  EXPECT_TRUE(steps_reported);

  r = Call("get_workflow_run",
           {{"workflow_id", kWorkflow}, {"run_id", kWorkflowRun}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["state"], "succeeded");
}

TEST(CompileWorkflowInputsTest, KeepsWhatItCannotCheckUnchecked) {
  json w = TurnaroundWorkflow();
  w["inputs"].push_back({{"name", "odd"},
                         {"required", false},
                         {"value_schema", {{"type", "string"},
                                           {"format", "date-time"}}}});
  absl::StatusOr<WorkflowInputs> inputs = CompileWorkflowInputs(w);
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  EXPECT_EQ(inputs->unchecked, std::vector<std::string>{"odd"});
  EXPECT_TRUE(inputs->schema
                  .Validate({{"character_image", "f"}, {"odd", 5}})
                  .ok());
  EXPECT_FALSE(inputs->schema.Validate({{"view_count", 2}}).ok());
  EXPECT_FALSE(CompileWorkflowInputs({{"inputs", "x"}}).ok());
  EXPECT_FALSE(CompileWorkflowInputs({{"inputs", {{{"type", "file"}}}}}).ok());
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

TEST_F(LayerToolsTest, UploadFileSendsTheBytesThroughTheSignedUrl) {
  const std::string png = TinyPng("reference");
  mkdir((input_dir_ + "/refs").c_str(), 0755);
  WriteFile(input_dir_ + "/refs/hero.png", png);
  api_.On("files.upload_url", [](const json& p) -> absl::StatusOr<json> {
    return json{{"file_id", "30000000-0000-4000-8000-000000000009"},
                {"upload_url", "https://media.test/upload/9?X-Goog-Signature=s"},
                {"content_type", p["body"]["content_type"]}};
  });
  ToolResult r = Call("upload_file", {{"path", "refs/hero.png"}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["file_id"],
            "30000000-0000-4000-8000-000000000009");
  EXPECT_EQ(r.structured_content["size_bytes"], png.size());
  const json request = api_.CallsOf("files.upload_url").at(0);
  EXPECT_EQ(request["body"],
            (json{{"content_type", "image/png"},
                  {"file_size_bytes", png.size()},
                  {"file_name", "hero.png"}}));
  ASSERT_EQ(media_.uploads().size(), 1u);
  EXPECT_EQ(media_.uploads()[0].bytes, png);
  EXPECT_EQ(media_.uploads()[0].content_type, "image/png");
}

TEST_F(LayerToolsTest, UploadFileRefusesPathsOutsideAndDisguisedFiles) {
  WriteFile(input_dir_ + "/secret.png", "pat_not_really_an_image_at_all");
  WriteFile(input_dir_ + "/notes.txt", "hello");
  ASSERT_EQ(symlink("/etc/passwd", (input_dir_ + "/link.png").c_str()), 0);
  struct Case {
    json args;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {{{"path", "../outside.png"}}, ".."},
      {{{"path", "/etc/passwd"}}, "absolute"},
      {{{"path", "secret.png"}}, "does not look like a image/png"},
      {{{"path", "notes.txt"}}, "cannot tell the type"},
      {{{"path", "link.png"}}, "symbolic link"},
      {{{"path", "missing.png"}}, "missing.png"},
  };
  for (const Case& c : cases) {
    ToolResult r = Call("upload_file", c.args);
    EXPECT_TRUE(r.is_error) << c.args;
    EXPECT_TRUE(absl::StrContains(TextOf(r), c.expected))
        << c.args << ": " << TextOf(r);
  }
  EXPECT_TRUE(api_.calls().empty());
  EXPECT_TRUE(media_.uploads().empty());
}

TEST_F(LayerToolsTest, GetUsageCombinesTheBalanceAndVaultdsBudget) {
  api_.On("workspaces.get", [](const json&) -> absl::StatusOr<json> {
    return json{{"workspace_id", kWs},
                {"name", "My Studio"},
                {"balance_creative_units", 300},
                {"reserved_creative_units", 0},
                {"available_creative_units", 300}};
  });
  client::SpendInfo spend;
  spend.period_budget = 100;
  spend.period_spent = 12.5;
  spend.per_run_cap = 0;
  spend.period_start = absl::FromUnixSeconds(1767225600);
  spend.period_end = absl::FromUnixSeconds(1767312000);
  api_.SetSpend(spend);
  ToolResult r = Call("get_usage", json::object());
  ASSERT_FALSE(r.is_error) << TextOf(r);
  const json& b = r.structured_content["vaultd_budget"];
  EXPECT_EQ(b["period_budget_creative_units"], 100);
  EXPECT_EQ(b["period_remaining_creative_units"], 87.5);
  EXPECT_EQ(b["per_run_cap_creative_units"], nullptr);
  EXPECT_EQ(b["period_end"], "2026-01-02T00:00:00Z");
  EXPECT_EQ(r.structured_content["available_creative_units"], 300);

  api_.SetSpend(absl::UnavailableError("vaultd is not running at /x"));
  r = Call("get_usage", json::object());
  ASSERT_FALSE(r.is_error);
  EXPECT_EQ(r.structured_content["vaultd_budget"], nullptr);
  EXPECT_TRUE(absl::StrContains(
      r.structured_content["vaultd_budget_error"].get<std::string>(),
      "not running"));
}

TEST_F(LayerToolsTest, GraphqlToolsReturnText) {
  api_.On("graphql.DescribeImage", [](const json& v) -> absl::StatusOr<json> {
    EXPECT_EQ(v["workspaceId"], kWs);
    return json{{"data",
                 {{"describeImage",
                   {{"__typename", "StringWrapper"}, {"value", "a tower"}}}}}};
  });
  api_.On("graphql.TransformPrompt", [](const json& v) -> absl::StatusOr<json> {
    EXPECT_EQ(v["guidance"], "more moss");
    return json{{"data",
                 {{"transformPrompt",
                   {{"__typename", "StringWrapper"},
                    {"value", "a mossy tower"}}}}}};
  });
  ToolResult r = Call("describe_image",
                      {{"image_url", "https://media.test/media/a.png"}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["description"], "a tower");
  r = Call("improve_prompt",
           {{"prompt", "a tower"}, {"instruction", "more moss"}});
  ASSERT_FALSE(r.is_error) << TextOf(r);
  EXPECT_EQ(r.structured_content["improved_prompt"], "a mossy tower");
  r = Call("describe_image", {{"image_url", "http://insecure/a.png"}});
  EXPECT_TRUE(r.is_error);
}

}  // namespace
}  // namespace layer_vault::mcp::layer_tools
