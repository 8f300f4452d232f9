#include "vaultd/relay/registry.h"

#include <functional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::relay {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kShippedDir[] = "vaultd/relay/operations";
constexpr char kWs[] = "00000000-0000-4000-8000-000000000001";
constexpr char kModel[] = "00000000-0000-4000-8000-0000000000aa";

std::unique_ptr<Registry> Shipped(RegistryOptions options = {}) {
  auto registry = Registry::LoadFromDirectory(kShippedDir, options);
  EXPECT_TRUE(registry.ok()) << registry.status();
  return registry.ok() ? *std::move(registry) : nullptr;
}

// ---- The shipped registry files ----

TEST(ShippedRegistryTest, LoadsAndCoversTheIssue) {
  auto registry = Shipped();
  ASSERT_NE(registry, nullptr);
  for (const char* name :
       {"workspaces.list", "workspaces.get", "models.list", "models.get",
        "inferences.estimate", "inferences.execute", "inferences.get",
        "workflows.list", "workflows.estimate", "workflows.execute",
        "workflows.runs.get", "files.upload_url"}) {
    EXPECT_NE(registry->Find(name), nullptr) << name;
  }
  EXPECT_EQ(registry->rest_base_url(), "https://api.app.layer.ai/api");
  EXPECT_EQ(registry->graphql_url(), "https://api.app.layer.ai/graphql");
  EXPECT_EQ(*registry->ScopeOf("inferences.execute"), "layer:generate");
  EXPECT_EQ(*registry->ScopeOf("workspaces.list"), "layer:read");
  EXPECT_EQ(registry->ScopeOf("tokens.delete").status().code(),
            absl::StatusCode::kInvalidArgument);
  const Operation* execute = registry->Find("inferences.execute");
  EXPECT_FALSE(execute->idempotent);
  ASSERT_TRUE(execute->cost.has_value());
  EXPECT_EQ(registry->ExecuteReadBy("inferences.get"), execute);
  EXPECT_EQ(registry->ExecuteReadBy("workspaces.get"), nullptr);
  for (const auto& name : registry->OperationNames()) {
    const Operation* op = registry->Find(name);
    if (op->is_execute()) {
      EXPECT_FALSE(op->idempotent) << name;
    }
  }
}

TEST(ShippedRegistryTest, BaseUrlsCanBeOverridden) {
  RegistryOptions options;
  options.rest_base_url = "https://127.0.0.1:8443/api/";
  options.graphql_url = "https://127.0.0.1:8443/graphql";
  auto registry = Shipped(options);
  ASSERT_NE(registry, nullptr);
  auto request = registry->BuildRequest("workspaces.list", json::object());
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->url, "https://127.0.0.1:8443/api/v1/workspaces");
  EXPECT_TRUE(request->idempotent);
  options.rest_base_url = "http://127.0.0.1:8080/api";
  EXPECT_EQ(Registry::LoadFromDirectory(kShippedDir, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ShippedRegistryTest, BuildsGetWithEncodedQuery) {
  auto registry = Shipped();
  auto request = registry->BuildRequest(
      "workspaces.list", json{{"limit", 20}, {"cursor", "a+b/c=="}});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->url,
            "https://api.app.layer.ai/api/v1/workspaces?cursor=a%2Bb%2Fc%3D%3D&limit=20");
  EXPECT_TRUE(request->body.empty());
}

TEST(ShippedRegistryTest, BuildsPathFromParams) {
  auto registry = Shipped();
  auto request = registry->BuildRequest(
      "inferences.get", json{{"workspace_id", kWs}, {"inference_id", "run_1"}});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->url,
            absl::StrCat("https://api.app.layer.ai/api/v1/workspaces/", kWs,
                         "/inferences/run_1"));
}

TEST(ShippedRegistryTest, ForwardsBodyByteForByte) {
  auto registry = Shipped();
  const std::string raw = absl::StrCat(
      R"({"workspace_id":")", kWs,
      R"(","body": {"prompt":"stone tower \u00e9","model_id":")", kModel,
      R"(", "batch_size":1.0}})");
  auto params = json::parse(raw);
  auto request = registry->BuildRequest("inferences.execute", params, raw);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->content_type, "application/json");
  EXPECT_FALSE(request->idempotent);  // never replayed on a reused connection
  EXPECT_EQ(request->body,
            absl::StrCat(R"({"prompt":"stone tower \u00e9","model_id":")",
                         kModel, R"(", "batch_size":1.0})"));
  // Without the raw text the body is serialized from the parsed value.
  request = registry->BuildRequest("inferences.execute", params);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(json::parse(request->body), params["body"]);
}

TEST(ShippedRegistryTest, ValidatesBody) {
  auto registry = Shipped();
  auto request = registry->BuildRequest(
      "inferences.execute",
      json{{"workspace_id", kWs}, {"body", {{"model_id", kModel}, {"width", 0}}}});
  EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(request.status().message(), HasSubstr("/body/width: minimum"));
  request = registry->BuildRequest(
      "inferences.execute",
      json{{"workspace_id", kWs},
           {"body", {{"model_id", kModel}, {"negative_prompt", "x"}}}});
  EXPECT_THAT(request.status().message(), HasSubstr("additionalProperties"));
  request = registry->BuildRequest("inferences.execute", json{{"workspace_id", kWs}});
  EXPECT_THAT(request.status().message(), HasSubstr("required"));
}

TEST(ShippedRegistryTest, RefusesUnknownAndMisplacedParams) {
  auto registry = Shipped();
  auto r = registry->BuildRequest("workspaces.list", json{{"url", "https://evil"}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("\"/url\" is not allowed"));
  r = registry->BuildRequest("workspaces.list", json{{"body", json::object()}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  r = registry->BuildRequest("workspaces.get", json::object());
  EXPECT_THAT(r.status().message(), HasSubstr("missing path parameter /workspace_id"));
  r = registry->BuildRequest("workspaces.list", json{{"limit", 0}});
  EXPECT_THAT(r.status().message(), HasSubstr("/limit: minimum"));
  r = registry->BuildRequest("workspaces.list", json{{"limit", "5"}});
  EXPECT_THAT(r.status().message(), HasSubstr("/limit: type"));
  r = registry->BuildRequest("workspaces.list", json::array());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  r = registry->BuildRequest("graphql.deleteWorkspace", json::object());
  EXPECT_THAT(r.status().message(), HasSubstr("unknown operation"));
}

class PathInjectionTest : public ::testing::TestWithParam<json> {};

TEST_P(PathInjectionTest, IsInvalidArgument) {
  auto registry = Shipped();
  ASSERT_NE(registry, nullptr);
  auto request = registry->BuildRequest(
      "workspaces.get", json{{"workspace_id", GetParam()}});
  EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument)
      << GetParam().dump();
  if (GetParam().is_string() && GetParam().get<std::string>().size() > 3) {
    EXPECT_THAT(request.status().message(),
                Not(HasSubstr(GetParam().get<std::string>())));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Hostile, PathInjectionTest,
    ::testing::Values(json("../admin"), json(".."), json("."), json("%2e%2e"),
                      json("%2E"), json("a%2fb"), json("a?x=1"), json("a#frag"),
                      json("a/b"), json("/"), json(" a"), json("a b"),
                      json("a\tb"), json("a\nb"), json(""), json("a.b"),
                      json("\xc3\xa9t\xc3\xa9"), json(std::string(129, 'a')),
                      json(5), json(nullptr), json::array({"a"}),
                      json{{"a", "b"}}, json("a\\b"), json("a;b")));

TEST(ShippedRegistryTest, EstimateParamsDropOmittedFields) {
  auto registry = Shipped();
  const Operation* execute = registry->Find("inferences.execute");
  json params = {{"workspace_id", kWs},
                 {"body",
                  {{"model_id", kModel},
                   {"prompt", "p"},
                   {"seed", 7},
                   {"session_name", "s"},
                   {"guidance_files",
                    json::array({{{"file_id", "f1"}, {"type", "pose"}}})}}}};
  auto estimate = registry->EstimateParams(*execute, params);
  ASSERT_TRUE(estimate.ok()) << estimate.status();
  EXPECT_EQ(*estimate, (json{{"workspace_id", kWs},
                             {"body", {{"model_id", kModel}, {"prompt", "p"}}}}));
  auto request = registry->BuildRequest(execute->estimate_operation, *estimate);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->url, HasSubstr("/inferences/estimate"));
  EXPECT_FALSE(registry->EstimateParams(*registry->Find("workspaces.list"), params).ok());
}

TEST(ShippedRegistryTest, BuildsGraphqlRequest) {
  auto registry = Shipped();
  const std::string raw = absl::StrCat(R"({"workspaceId":")", kWs, R"("})");
  auto request =
      registry->BuildRequest("graphql.GeneratePrompt", json::parse(raw), raw);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->url, "https://api.app.layer.ai/graphql");
  json body = json::parse(request->body);
  EXPECT_EQ(body["operationName"], "GeneratePrompt");
  EXPECT_THAT(body["query"].get<std::string>(),
              HasSubstr("mutation GeneratePrompt($workspaceId: ID!)"));
  EXPECT_EQ(body["variables"], json::parse(raw));
  EXPECT_TRUE(absl::EndsWith(request->body, absl::StrCat(R"("variables":)", raw, "}")));
}

TEST(ShippedRegistryTest, GraphqlVariablesAreChecked) {
  auto registry = Shipped();
  auto r = registry->BuildRequest("graphql.GeneratePrompt",
                                  json{{"workspaceId", kWs}, {"extra", 1}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("not declared"));
  r = registry->BuildRequest("graphql.GeneratePrompt", json::object());
  EXPECT_THAT(r.status().message(), HasSubstr("required"));
  json big = {{"workspaceId", kWs}, {"prompt", std::string(70 * 1024, 'x')}};
  r = registry->BuildRequest("graphql.TransformPrompt", big);
  EXPECT_THAT(r.status().message(), HasSubstr("over the limit of 65536"));
}

TEST(PercentEncodeTest, KeepsOnlyUnreserved) {
  EXPECT_EQ(PercentEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(PercentEncode("a b/c?d#e%f"), "a%20b%2Fc%3Fd%23e%25f");
  EXPECT_EQ(PercentEncode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(PercentEncode(std::string("\0", 1)), "%00");
}

// ---- Malformed registries ----

const char kGoodDoc[] =
    "query GetThing($workspaceId: ID!, $n: Int) {\n"
    "  getThing(input: {workspaceId: $workspaceId, n: $n}) {\n"
    "    __typename\n    ... on Error { type code title message data }\n  }\n}\n";

json MinimalRest() {
  json id = {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]{1,128}$"}};
  return {
      {"format_version", 1},
      {"base_url", "https://api.example.test/api"},
      {"scopes", {"layer:read", "layer:generate"}},
      {"operations",
       {
           {{"name", "things.get"},
            {"method", "GET"},
            {"path", "/v1/ws/{workspace_id}/things/{thing_id}"},
            {"path_params", {{"workspace_id", id}, {"thing_id", id}}},
            {"query_params", json::object()},
            {"body_schema", nullptr},
            {"scope", "layer:read"},
            {"idempotent", true},
            {"kind", "read"}},
           {{"name", "things.estimate"},
            {"method", "POST"},
            {"path", "/v1/ws/{workspace_id}/things/estimate"},
            {"path_params", {{"workspace_id", id}}},
            {"query_params", json::object()},
            {"body_schema",
             {{"type", "object"},
              {"additionalProperties", false},
              {"properties", {{"n", {{"type", "integer"}}}}}}},
            {"scope", "layer:read"},
            {"idempotent", true},
            {"kind", "estimate"},
            {"price_field", "/price"}},
           {{"name", "things.execute"},
            {"method", "POST"},
            {"path", "/v1/ws/{workspace_id}/things"},
            {"path_params", {{"workspace_id", id}}},
            {"query_params", json::object()},
            {"body_schema",
             {{"type", "object"},
              {"additionalProperties", false},
              {"properties",
               {{"n", {{"type", "integer"}}}, {"seed", {{"type", "integer"}}}}}}},
            {"scope", "layer:generate"},
            {"idempotent", false},
            {"kind", "execute"},
            {"estimate_operation", "things.estimate"},
            {"estimate_omit_body_fields", {"seed"}},
            {"cost",
             {{"reserved_price_field", "/price"},
              {"run_operation", "things.get"},
              {"run_id_field", "/thing_id"},
              {"run_id_param", "thing_id"},
              {"status_field", "/status"},
              {"success_statuses", {"done"}},
              {"terminal_statuses", {"done", "failed"}},
              {"charged_price_field", "/charged"}}}},
       }},
  };
}

json MinimalGraphql() {
  return {{"format_version", 1},
          {"endpoint", "https://api.example.test/graphql"},
          {"operations",
           {{{"name", "graphql.GetThing"},
             {"file", "graphql/GetThing.graphql"},
             {"operation_name", "GetThing"},
             {"operation_type", "query"},
             {"scope", "layer:read"},
             {"idempotent", true},
             {"variables_schema",
              {{"type", "object"},
               {"additionalProperties", false},
               {"required", {"workspaceId"}},
               {"properties",
                {{"workspaceId", {{"type", "string"}}},
                 {"n", {{"type", {"integer", "null"}}}}}}}}}}}};
}

struct Mutation {
  const char* name;
  std::function<void(json& rest, json& gql, std::string& doc)> mutate;
  const char* error;
};

void PrintTo(const Mutation& m, std::ostream* os) { *os << m.name; }

class MalformedRegistryTest : public ::testing::TestWithParam<Mutation> {};

absl::StatusOr<std::unique_ptr<Registry>> Build(const json& rest, const json& gql,
                                                const std::string& doc) {
  RegistrySources sources;
  sources.rest_operations_json = rest.dump();
  sources.graphql_operations_json = gql.dump();
  sources.documents["graphql/GetThing.graphql"] = doc;
  return Registry::Create(sources);
}

TEST(MalformedRegistryTest, MinimalFixtureIsValid) {
  auto registry = Build(MinimalRest(), MinimalGraphql(), kGoodDoc);
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_EQ(registry->get()->Find("graphql.GetThing")->graphql_variables,
            (std::vector<std::string>{"workspaceId", "n"}));
}

TEST_P(MalformedRegistryTest, FailsWithClearError) {
  json rest = MinimalRest(), gql = MinimalGraphql();
  std::string doc = kGoodDoc;
  GetParam().mutate(rest, gql, doc);
  auto registry = Build(rest, gql, doc);
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(registry.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(registry.status().message()),
              HasSubstr(GetParam().error));
}

json& Op(json& rest, int i) { return rest["operations"][i]; }

const Mutation kMutations[] = {
    {"unknown_top_key", [](json& r, json&, std::string&) { r["extra"] = 1; },
     "unknown key \"extra\""},
    {"unknown_op_key",
     [](json& r, json&, std::string&) { Op(r, 0)["retries"] = 3; },
     "operation \"things.get\": unknown key \"retries\""},
    {"missing_op_key",
     [](json& r, json&, std::string&) { Op(r, 0).erase("idempotent"); },
     "missing key \"idempotent\""},
    {"bad_format_version",
     [](json& r, json&, std::string&) { r["format_version"] = 2; },
     "format_version"},
    {"path_param_not_declared",
     [](json& r, json&, std::string&) { Op(r, 0)["path_params"].erase("thing_id"); },
     "\"thing_id\" is not declared in path_params"},
    {"declared_param_not_in_path",
     [](json& r, json&, std::string&) {
       Op(r, 0)["path_params"]["other"] = Op(r, 0)["path_params"]["thing_id"];
     },
     "\"other\" is not in the path"},
    {"pattern_allows_dot",
     [](json& r, json&, std::string&) {
       Op(r, 0)["path_params"]["thing_id"]["pattern"] = "^[A-Za-z0-9._-]{1,128}$";
     },
     "not strict: it accepts \".\""},
    {"pattern_unanchored",
     [](json& r, json&, std::string&) {
       Op(r, 0)["path_params"]["thing_id"]["pattern"] = "[A-Za-z0-9]+";
     },
     "not strict"},
    {"pattern_allows_empty",
     [](json& r, json&, std::string&) {
       Op(r, 0)["path_params"]["thing_id"]["pattern"] = "^[A-Za-z0-9]*$";
     },
     "not strict: it accepts \"\""},
    {"pattern_allows_percent",
     [](json& r, json&, std::string&) {
       Op(r, 0)["path_params"]["thing_id"]["pattern"] = "^[A-Za-z0-9%]+$";
     },
     "not strict"},
    {"pattern_missing",
     [](json& r, json&, std::string&) {
       Op(r, 0)["path_params"]["thing_id"].erase("pattern");
     },
     "missing key \"pattern\""},
    {"path_param_integer",
     [](json& r, json&, std::string&) {
       Op(r, 0)["path_params"]["thing_id"]["type"] = "integer";
     },
     "\"type\": \"string\""},
    {"body_schema_typo",
     [](json& r, json&, std::string&) {
       Op(r, 1)["body_schema"]["properties"]["n"]["minimun"] = 1;
     },
     "\"minimun\" is not a supported keyword"},
    {"body_on_get",
     [](json& r, json&, std::string&) {
       Op(r, 0)["body_schema"] = {{"type", "object"}};
     },
     "GET cannot have a body"},
    {"array_query_param",
     [](json& r, json&, std::string&) {
       Op(r, 0)["query_params"]["ids"] = {{"type", "array"}};
     },
     "scalars"},
    {"query_param_named_body",
     [](json& r, json&, std::string&) {
       Op(r, 0)["query_params"]["body"] = {{"type", "string"}};
     },
     "bad query parameter name"},
    {"unknown_scope",
     [](json& r, json&, std::string&) { Op(r, 0)["scope"] = "layer:admin"; },
     "unknown scope \"layer:admin\""},
    {"scope_list_unknown_to_daemon",
     [](json& r, json&, std::string&) { r["scopes"].push_back("layer:billing"); },
     "unknown scope \"layer:billing\""},
    {"duplicate_name",
     [](json& r, json&, std::string&) { Op(r, 1)["name"] = "things.get"; },
     "duplicate operation name"},
    {"duplicate_across_files",
     [](json&, json& g, std::string&) {
       g["operations"].push_back(g["operations"][0]);
     },
     "duplicate operation name"},
    {"unknown_kind",
     [](json& r, json&, std::string&) { Op(r, 0)["kind"] = "delete"; },
     "unknown kind"},
    {"bad_method",
     [](json& r, json&, std::string&) { Op(r, 0)["method"] = "DELETE"; },
     "GET or POST"},
    {"path_traversal_template",
     [](json& r, json&, std::string&) { Op(r, 0)["path"] = "/v1/../admin"; },
     "\"..\""},
    {"idempotent_execute",
     [](json& r, json&, std::string&) { Op(r, 2)["idempotent"] = true; },
     "never idempotent"},
    {"execute_without_cost",
     [](json& r, json&, std::string&) { Op(r, 2).erase("cost"); },
     "\"cost\" is required"},
    {"estimate_unknown",
     [](json& r, json&, std::string&) {
       Op(r, 2)["estimate_operation"] = "things.nope";
     },
     "is not an operation of kind \"estimate\""},
    {"estimate_is_not_estimate",
     [](json& r, json&, std::string&) {
       Op(r, 2)["estimate_operation"] = "things.get";
     },
     "is not an operation of kind \"estimate\""},
    {"omit_unknown_field",
     [](json& r, json&, std::string&) {
       Op(r, 2)["estimate_omit_body_fields"] = {"nope"};
     },
     "not a body property"},
    {"cost_bad_pointer",
     [](json& r, json&, std::string&) {
       Op(r, 2)["cost"]["charged_price_field"] = "charged";
     },
     "JSON Pointer"},
    {"cost_run_op_params",
     [](json& r, json&, std::string&) {
       Op(r, 2)["cost"]["run_id_param"] = "run_id";
     },
     "exactly the execute's path parameters"},
    {"success_not_terminal",
     [](json& r, json&, std::string&) {
       Op(r, 2)["cost"]["success_statuses"] = {"ok"};
     },
     "not terminal"},
    {"price_field_on_read",
     [](json& r, json&, std::string&) { Op(r, 0)["price_field"] = "/p"; },
     "\"price_field\" is required for, and only for"},
    {"http_base_url",
     [](json& r, json&, std::string&) { r["base_url"] = "http://api.example.test"; },
     "https://"},
    {"base_url_with_query",
     [](json& r, json&, std::string&) {
       r["base_url"] = "https://api.example.test/api?x=1";
     },
     "query"},
    {"graphql_doc_missing",
     [](json&, json& g, std::string&) {
       g["operations"][0]["file"] = "graphql/Other.graphql";
       g["operations"][0]["operation_name"] = "Other";
     },
     "is missing"},
    {"graphql_file_path_escape",
     [](json&, json& g, std::string&) {
       g["operations"][0]["file"] = "../GetThing.graphql";
     },
     "\"file\" must be"},
    {"graphql_name_mismatch",
     [](json&, json&, std::string& d) {
       d.replace(d.find("GetThing"), 8, "GetOther");
     },
     "declares query GetOther"},
    {"graphql_type_mismatch",
     [](json&, json& g, std::string&) {
       g["operations"][0]["operation_type"] = "mutation";
       g["operations"][0]["idempotent"] = false;
       g["operations"][0]["scope"] = "layer:generate";
     },
     "declares query GetThing, not mutation"},
    {"graphql_idempotent_mutation",
     [](json&, json& g, std::string& d) {
       d.replace(0, 5, "mutation");
       g["operations"][0]["operation_type"] = "mutation";
       g["operations"][0]["scope"] = "layer:generate";
     },
     "never idempotent"},
    {"graphql_extra_schema_variable",
     [](json&, json& g, std::string&) {
       g["operations"][0]["variables_schema"]["properties"]["x"] = {{"type", "string"}};
     },
     "differ from the document's variables"},
    {"graphql_required_mismatch",
     [](json&, json& g, std::string&) {
       g["operations"][0]["variables_schema"]["required"] = json::array();
     },
     "non-null variables"},
    {"graphql_open_schema",
     [](json&, json& g, std::string&) {
       g["operations"][0]["variables_schema"]["additionalProperties"] = true;
     },
     "additionalProperties"},
    {"graphql_forbidden_field",
     [](json&, json&, std::string& d) {
       d.insert(d.find("__typename"), "personalAccessTokens { token }\n");
     },
     "forbidden \"personalAccessTokens\""},
    {"graphql_two_operations",
     [](json&, json&, std::string& d) { d += "query Again { x }"; },
     "exactly one operation"},
    {"graphql_bad_name",
     [](json&, json& g, std::string&) { g["operations"][0]["name"] = "GetThing"; },
     "graphql.<Name>"},
    {"graphql_unknown_key",
     [](json&, json& g, std::string&) { g["operations"][0]["retry"] = true; },
     "unknown key \"retry\""},
};

INSTANTIATE_TEST_SUITE_P(Cases, MalformedRegistryTest,
                         ::testing::ValuesIn(kMutations),
                         [](const auto& info) { return info.param.name; });

TEST(MalformedRegistryTest, BadJsonAndMissingDirectory) {
  RegistrySources sources;
  sources.rest_operations_json = "{not json";
  sources.graphql_operations_json = MinimalGraphql().dump();
  auto r = Registry::Create(sources);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("rest_operations.json"));
  EXPECT_EQ(Registry::LoadFromDirectory("/nonexistent").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace layer_vault::relay
