// Every operation of vaultd's registry, REST and GraphQL, end to end: the
// client library -> vaultd's workload socket -> the relay -> HTTPS to the
// fake Layer.ai. Each test checks the answer the caller got and the request
// the fake recorded (method, path, query, body), so a wrong path template,
// a lost body or a mangled answer fails here.

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/relay/relay_test_base.h"

namespace layer_vault::tests::relay {
namespace {

using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// The operations this file exercises; RegistryIsCovered fails when the
// registry gains one that is not here.
const std::set<std::string>& Covered() {
  static const auto* covered = new std::set<std::string>{
      "workspaces.list",
      "workspaces.get",
      "models.list",
      "models.get",
      "inferences.estimate",
      "inferences.execute",
      "inferences.get",
      "workflows.list",
      "workflows.estimate",
      "workflows.execute",
      "workflows.runs.get",
      "files.upload_url",
      "graphql.DescribeImage",
      "graphql.TransformPrompt",
      "graphql.GeneratePrompt",
      "graphql.ListTranslationLanguages",
      "graphql.GetWorkspaceUsage",
      "graphql.GetFiles",
  };
  return *covered;
}

json ReadJsonRunfile(const std::string& path) {
  auto file = Runfile(path);
  if (!file.ok()) return nullptr;
  std::ifstream in(*file);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str(), nullptr, false);
}

class OperationsTest : public SharedRelayTest<OperationsTest> {
 protected:
  // The only request the fake recorded since the last reset.
  json OnlyRequest() {
    std::vector<json> all = env().Recorded();
    EXPECT_THAT(all, SizeIs(1)) << json(all).dump(1);
    return all.empty() ? json() : all.back();
  }
};

TEST_F(OperationsTest, RegistryIsCovered) {
  std::set<std::string> registry;
  for (const char* file : {"vaultd/relay/operations/rest_operations.json",
                           "vaultd/relay/operations/graphql_operations.json"}) {
    json doc = ReadJsonRunfile(file);
    ASSERT_TRUE(doc.is_object()) << file;
    for (const json& op : doc["operations"]) registry.insert(op["name"]);
  }
  EXPECT_EQ(registry, Covered());
}

TEST_F(OperationsTest, WorkspacesList) {
  auto body = client().Call("workspaces.list", {{"limit", 1}});
  RELAY_ASSERT_OK(body);
  ASSERT_THAT((*body)["workspaces"], SizeIs(1)) << body->dump();
  EXPECT_TRUE((*body)["pagination"]["has_more_results"].get<bool>());
  const json r = OnlyRequest();
  EXPECT_EQ(r["method"], "GET");
  EXPECT_EQ(r["path"], "/api/v1/workspaces");
  EXPECT_EQ(r["raw_query"], "limit=1");
  EXPECT_EQ(r["body_bytes"], 0);
  EXPECT_EQ(r["status"], 200);

  // The cursor the fake handed out leads to the second page.
  const std::string cursor = (*body)["pagination"]["next_cursor"];
  auto next = client().Call("workspaces.list", {{"limit", 1}, {"cursor", cursor}});
  RELAY_ASSERT_OK(next);
  ASSERT_THAT((*next)["workspaces"], SizeIs(1));
  EXPECT_NE((*next)["workspaces"][0]["workspace_id"],
            (*body)["workspaces"][0]["workspace_id"]);
}

TEST_F(OperationsTest, WorkspacesGetShowsBalances) {
  RELAY_ASSERT_OK(fake().Control({{"action", "set_balance"},
                                  {"workspace_id", kStudio},
                                  {"balance_creative_units", 123.5}}));
  auto result = client().CallDetailed("workspaces.get", {{"workspace_id", kStudio}});
  RELAY_ASSERT_OK(result);
  EXPECT_EQ(result->http_status, 200);
  EXPECT_EQ(result->upstream_attempts, 1);
  EXPECT_EQ(result->body["workspace_id"], kStudio);
  EXPECT_DOUBLE_EQ(result->body["balance_creative_units"].get<double>(), 123.5);
  const json r = OnlyRequest();
  EXPECT_EQ(r["method"], "GET");
  EXPECT_EQ(r["path"], absl::StrCat("/api/v1/workspaces/", kStudio));
  EXPECT_EQ(r["raw_query"], "");
}

TEST_F(OperationsTest, ModelsListAndGet) {
  auto list = client().Call("models.list", {{"workspace_id", kStudio}});
  RELAY_ASSERT_OK(list);
  std::set<std::string> ids;
  for (const json& m : (*list)["models"]) ids.insert(m["model_id"]);
  EXPECT_TRUE(ids.count(kImageFast)) << list->dump();
  EXPECT_THAT(MethodsAndPaths(env().Recorded()),
              ElementsAre(absl::StrCat("GET /v1/workspaces/", kStudio, "/models")));

  RELAY_ASSERT_OK(fake().Reset());
  auto model = client().Call("models.get",
                             {{"workspace_id", kStudio}, {"model_id", kImageHd}});
  RELAY_ASSERT_OK(model);
  EXPECT_EQ((*model)["model_id"], kImageHd);
  EXPECT_EQ((*model)["name"], "Layer Image HD");
  EXPECT_THAT(MethodsAndPaths(env().Recorded()),
              ElementsAre(absl::StrCat("GET /v1/workspaces/", kStudio,
                                       "/models/", kImageHd)));
}

TEST_F(OperationsTest, InferenceEstimate) {
  const json body = {{"model_id", kImageFast}, {"prompt", "stone tower"},
                     {"batch_size", 2}};
  auto estimate = client().Call("inferences.estimate",
                                {{"workspace_id", kStudio}, {"body", body}});
  RELAY_ASSERT_OK(estimate);
  // 0.2 CU per image, 2 images.
  EXPECT_NEAR((*estimate)["estimated_price_creative_units"].get<double>(), 0.4,
              1e-9);
  const json r = OnlyRequest();
  EXPECT_EQ(r["method"], "POST");
  EXPECT_EQ(r["path"],
            absl::StrCat("/api/v1/workspaces/", kStudio, "/inferences/estimate"));
  EXPECT_EQ(json::parse(r["body"].get<std::string>()), body);
  EXPECT_THAT(r["headers"]["content-type"].get<std::string>(),
              HasSubstr("application/json"));
}

TEST_F(OperationsTest, InferenceExecuteThenPollToCompletion) {
  const json body = {{"model_id", kImageFast}, {"prompt", "stone tower"},
                     {"batch_size", 1}, {"seed", 7}};
  auto run = client().CallDetailed("inferences.execute",
                                   {{"workspace_id", kStudio}, {"body", body}});
  RELAY_ASSERT_OK(run);
  EXPECT_EQ(run->body["status"], "in_progress");
  EXPECT_NEAR(run->creative_units_charged, 0.2, 1e-9);
  const std::string id = run->body["inference_id"];

  // vaultd asked for the price first, without the fields the estimate
  // endpoint refuses (seed), then started the run once.
  std::vector<json> sent = env().Recorded();
  ASSERT_THAT(MethodsAndPaths(sent),
              ElementsAre(absl::StrCat("POST /v1/workspaces/", kStudio,
                                       "/inferences/estimate"),
                          absl::StrCat("POST /v1/workspaces/", kStudio,
                                       "/inferences")));
  json estimate_body = body;
  estimate_body.erase("seed");
  EXPECT_EQ(json::parse(sent[0]["body"].get<std::string>()), estimate_body);
  EXPECT_EQ(json::parse(sent[1]["body"].get<std::string>()), body);

  auto done = client().Call("inferences.get",
                            {{"workspace_id", kStudio}, {"inference_id", id}});
  RELAY_ASSERT_OK(done);
  EXPECT_EQ((*done)["status"], "complete");
  ASSERT_THAT((*done)["outputs"], SizeIs(1));
  EXPECT_EQ((*done)["outputs"][0]["content_type"], "image/png");
  EXPECT_EQ(MethodsAndPaths(env().Recorded()).back(),
            absl::StrCat("GET /v1/workspaces/", kStudio, "/inferences/", id));
}

TEST_F(OperationsTest, WorkflowsListEstimateExecuteAndRun) {
  auto list = client().Call("workflows.list",
                            {{"workspace_id", kStudio}, {"search", "icon"}});
  RELAY_ASSERT_OK(list);
  ASSERT_THAT((*list)["workflows"], SizeIs(1)) << list->dump();
  EXPECT_EQ((*list)["workflows"][0]["workflow_id"], kIconSet);
  json r = OnlyRequest();
  EXPECT_EQ(r["path"], absl::StrCat("/api/v1/workspaces/", kStudio, "/workflows"));
  EXPECT_EQ(r["raw_query"], "search=icon");

  const json inputs = {{"inputs", {{"prompt", "gem icons"}, {"count", 2}}}};
  const json ids = {{"workspace_id", kStudio}, {"workflow_id", kIconSet}};
  json params = ids;
  params["body"] = inputs;
  RELAY_ASSERT_OK(fake().Reset());
  auto estimate = client().Call("workflows.estimate", params);
  RELAY_ASSERT_OK(estimate);
  // 0.25 CU per icon.
  EXPECT_NEAR((*estimate)["estimated_price_creative_units"].get<double>(), 0.5,
              1e-9);
  r = OnlyRequest();
  EXPECT_EQ(r["path"], absl::StrCat("/api/v1/workspaces/", kStudio,
                                    "/workflows/", kIconSet, "/estimate"));

  params["body"]["session_name"] = "relay test";
  RELAY_ASSERT_OK(fake().Reset());
  auto run = client().CallDetailed("workflows.execute", params);
  RELAY_ASSERT_OK(run);
  EXPECT_NEAR(run->creative_units_charged, 0.5, 1e-9);
  const std::string run_id = run->body["run_id"];
  std::vector<json> sent = env().Recorded();
  ASSERT_THAT(MethodsAndPaths(sent),
              ElementsAre(absl::StrCat("POST /v1/workspaces/", kStudio,
                                       "/workflows/", kIconSet, "/estimate"),
                          absl::StrCat("POST /v1/workspaces/", kStudio,
                                       "/workflows/", kIconSet, "/runs")));
  EXPECT_EQ(json::parse(sent[0]["body"].get<std::string>()), inputs);
  EXPECT_EQ(json::parse(sent[1]["body"].get<std::string>()), params["body"]);

  json get = ids;
  get["run_id"] = run_id;
  auto done = client().Call("workflows.runs.get", get);
  RELAY_ASSERT_OK(done);
  EXPECT_EQ((*done)["run_id"], run_id);
  EXPECT_TRUE((*done).contains("status"));
  EXPECT_EQ(MethodsAndPaths(env().Recorded()).back(),
            absl::StrCat("GET /v1/workspaces/", kStudio, "/workflows/",
                         kIconSet, "/runs/", run_id));
}

TEST_F(OperationsTest, FilesUploadUrl) {
  const json body = {{"content_type", "image/png"}, {"file_size_bytes", 1234},
                     {"file_name", "hero.png"}};
  auto answer = client().Call("files.upload_url",
                              {{"workspace_id", kStudio}, {"body", body}});
  RELAY_ASSERT_OK(answer);
  EXPECT_TRUE(absl::StartsWith((*answer)["upload_url"].get<std::string>(),
                               "https://127.0.0.1:"))
      << answer->dump();
  EXPECT_FALSE((*answer)["file_id"].get<std::string>().empty());
  const json r = OnlyRequest();
  EXPECT_EQ(r["method"], "POST");
  EXPECT_EQ(r["path"],
            absl::StrCat("/api/v1/workspaces/", kStudio, "/files/upload-url"));
  EXPECT_EQ(json::parse(r["body"].get<std::string>()), body);
}

// A GraphQL operation: vaultd posts its persisted document with the
// caller's variables to the GraphQL endpoint.
struct GraphqlCase {
  std::string operation;
  json variables;
  std::string root_field;
  std::string typename_;
};

class GraphqlOperationsTest : public SharedRelayTest<GraphqlOperationsTest>,
                              public ::testing::WithParamInterface<GraphqlCase> {};

TEST_P(GraphqlOperationsTest, SendsThePersistedDocument) {
  const GraphqlCase& c = GetParam();
  auto body = client().Call(c.operation, c.variables);
  RELAY_ASSERT_OK(body);
  const json& value = (*body)["data"][c.root_field];
  if (value.is_array()) {
    ASSERT_THAT(value, SizeIs(c.variables["fileIds"].size())) << body->dump();
    EXPECT_EQ(value[0]["__typename"], c.typename_) << body->dump();
  } else {
    EXPECT_EQ(value["__typename"], c.typename_) << body->dump();
  }

  std::vector<json> sent = env().Recorded();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0]["method"], "POST");
  EXPECT_EQ(sent[0]["path"], "/graphql");
  const json request = json::parse(sent[0]["body"].get<std::string>());
  const std::string name = c.operation.substr(std::string("graphql.").size());
  EXPECT_EQ(request["operationName"], name);
  EXPECT_EQ(request["variables"], c.variables);
  auto document = Runfile(absl::StrCat("vaultd/relay/operations/graphql/", name,
                                       ".graphql"));
  RELAY_ASSERT_OK(document);
  std::ifstream in(*document);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(request["query"], text.str());
}

INSTANTIATE_TEST_SUITE_P(
    All, GraphqlOperationsTest,
    ::testing::Values(
        GraphqlCase{"graphql.ListTranslationLanguages",
                    {{"workspaceId", kStudio}},
                    "listTranslationLanguages",
                    "TranslationLanguagesResult"},
        GraphqlCase{"graphql.GetWorkspaceUsage",
                    {{"workspaceId", kStudio}, {"groupBy", {"MODEL_ID"}}},
                    "getWorkspaceUsage",
                    "WorkspaceUsage"},
        GraphqlCase{"graphql.GetFiles",
                    {{"fileIds", {"30000000-0000-4000-8000-000000000999"}}},
                    "getFilesById",
                    "Error"},
        GraphqlCase{"graphql.DescribeImage",
                    {{"workspaceId", kStudio},
                     {"imageUrl", "https://media.example/hero.png"}},
                    "describeImage",
                    "StringWrapper"},
        GraphqlCase{"graphql.TransformPrompt",
                    {{"workspaceId", kStudio},
                     {"prompt", "a stone tower"},
                     {"guidance", "make it gothic"}},
                    "transformPrompt",
                    "StringWrapper"},
        GraphqlCase{"graphql.GeneratePrompt",
                    {{"workspaceId", kStudio}},
                    "generatePrompt",
                    "StringWrapper"}),
    [](const ::testing::TestParamInfo<GraphqlCase>& info) {
      return info.param.operation.substr(std::string("graphql.").size());
    });

// GetFiles of a file the fake really made: the output of a finished run.
TEST_F(OperationsTest, GraphqlGetFilesOfAGeneratedOutput) {
  auto run = client().Call(
      "inferences.execute",
      {{"workspace_id", kStudio},
       {"body", {{"model_id", kImageFast}, {"prompt", "gem"}, {"batch_size", 1}}}});
  RELAY_ASSERT_OK(run);
  auto done = client().Call("inferences.get",
                            {{"workspace_id", kStudio},
                             {"inference_id", (*run)["inference_id"]}});
  RELAY_ASSERT_OK(done);
  ASSERT_EQ((*done)["status"], "complete");
  const std::string file_id = (*done)["outputs"][0]["file_id"];
  auto files = client().Call("graphql.GetFiles", {{"fileIds", {file_id}}});
  RELAY_ASSERT_OK(files);
  const json& f = (*files)["data"]["getFilesById"][0];
  EXPECT_EQ(f["__typename"], "File");
  EXPECT_EQ(f["id"], file_id);
  EXPECT_EQ(f["contentType"], "image/png");
}

}  // namespace
}  // namespace layer_vault::tests::relay
