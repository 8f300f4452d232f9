#include "vaultd/relay/registry.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/json_parse.h"
#include "vaultd/relay/graphql_document.h"

namespace layer_vault::relay {

using nlohmann::json;

struct Registry::Compiled {
  std::map<std::string, common::JsonSchema> path_params;
  std::map<std::string, common::JsonSchema> query_params;
  std::optional<common::JsonSchema> body;
  std::optional<common::JsonSchema> variables;
  std::string document;  // GraphQL text
  absl::flat_hash_set<std::string> declared_variables;
};

namespace {

constexpr size_t kMaxRegistryFileBytes = 1024 * 1024;
constexpr size_t kMaxPathSegmentBytes = 256;

// Fields and root operations a persisted document may never mention
// (OPERATIONS.md section 12; operations/README.md).
constexpr const char* kForbiddenGraphqlNames[] = {
    // Credentials and user profile.
    "personalAccessTokens", "createPersonalAccessToken",
    "updatePersonalAccessToken", "deletePersonalAccessToken", "intercomHash",
    "acceptTos", "updateConsent", "syncUser", "updateOnboardingState",
    "updateUserDismissedUI",
    // Workspace administration, billing, membership.
    "createWorkspace", "updateWorkspace", "deleteWorkspace",
    "makeWorkspaceBillingLink", "billingInfo", "inviteWorkspaceMember",
    "updateWorkspaceMember", "deleteWorkspaceMember", "members", "memberships",
    "dismissWorkspaceNotices", "logWorkspaceActivity", "listEvents",
    // Destructive and bulk operations.
    "deleteDriveItems", "deleteObjects", "deleteDirectory", "deleteFile",
    "updateFiles", "updateFile", "deleteAsset", "archiveAsset", "deleteStyle",
    "deleteInference", "deleteBlueprint", "deleteBlueprintDraft",
    "moveToDirectory",
    // Sharing, publishing, unbounded spend.
    "updateStyle", "createStyle", "updateBlueprintWorkspaceLink",
    "publishBlueprintDraft", "reportFile", "createBatchInference",
    "restartBlueprintRun",
    // Storage internals.
    "uploadUrl", "attachmentUploadUrls", "bucketPath",
};

// Values a path-parameter schema must refuse; accepting any of them makes
// the pattern "not strict".
constexpr const char* kHostilePathValues[] = {
    "",     ".",      "..",    "../x",   "..%2f", "a/b",  "/",     "%2e",
    "%2E",  "a%2Fb",  "%",     "?",      "a?b",   "#",    "a#b",   " ",
    "a b",  "\t",     "a\tb",  "\n",     "a\n",   "\r",   "a\\b",  "a.b",
    "\xc3\xa9", "\x7f", "a;b", "a:b",   "a@b",   "a&b",  "a=b",   "a+b",
};

constexpr const char* kSafePathProbes[] = {
    "00000000-0000-4000-8000-000000000001",
    "abc_DEF-123",
};

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("operation registry: ", where, ": ", what));
}

std::string Quoted(absl::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false,
                                   json::error_handler_t::replace);
}

// Checks that `object` has only `allowed` keys and all `required` ones.
absl::Status CheckKeys(const json& object, absl::string_view where,
                       std::initializer_list<const char*> required,
                       std::initializer_list<const char*> optional) {
  if (!object.is_object()) return Invalid(where, "must be a JSON object");
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (const char* k : required) known = known || key == k;
    for (const char* k : optional) known = known || key == k;
    if (!known) return Invalid(where, absl::StrCat("unknown key ", Quoted(key)));
  }
  for (const char* k : required) {
    if (!object.contains(k)) {
      return Invalid(where, absl::StrCat("missing key \"", k, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GetString(const json& object, const char* key,
                                      absl::string_view where) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string() ||
      it->get_ref<const std::string&>().empty()) {
    return Invalid(where, absl::StrCat("\"", key, "\" must be a non-empty string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<std::vector<std::string>> GetStringList(
    const json& object, const char* key, absl::string_view where,
    bool allow_empty) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_array() || (!allow_empty && it->empty())) {
    return Invalid(where, absl::StrCat("\"", key, "\" must be a ",
                                       allow_empty ? "" : "non-empty ",
                                       "array of strings"));
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
      return Invalid(where, absl::StrCat("\"", key, "\" must hold non-empty strings"));
    }
    if (!seen.insert(v.get<std::string>()).second) {
      return Invalid(where, absl::StrCat("\"", key, "\" repeats ", v.dump()));
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

bool IsJsonPointer(absl::string_view p) {
  if (p.empty()) return false;  // the whole document is never a price
  if (p[0] != '/') return false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '~' && (i + 1 >= p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::string> GetPointer(const json& object, const char* key,
                                       absl::string_view where) {
  auto value = GetString(object, key, where);
  if (!value.ok()) return value;
  if (!IsJsonPointer(*value)) {
    return Invalid(where, absl::StrCat("\"", key, "\" must be a JSON Pointer "
                                       "such as \"/estimated_price\""));
  }
  return value;
}

bool IsOperationName(absl::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  bool segment_start = true;
  for (char c : name) {
    if (c == '.') {
      if (segment_start) return false;
      segment_start = true;
      continue;
    }
    const bool alpha = absl::ascii_isalpha(static_cast<unsigned char>(c));
    if (segment_start && !alpha) return false;
    if (!alpha && !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
    segment_start = false;
  }
  return !segment_start;
}

bool IsParamName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (!(absl::ascii_islower(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  for (char c : name) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return false;
    }
  }
  return true;
}

bool IsSafePathSegment(absl::string_view value) {
  if (value.empty() || value.size() > kMaxPathSegmentBytes) return false;
  for (char c : value) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

// Validates an https base URL; strips trailing slashes.
absl::StatusOr<std::string> CheckBaseUrl(std::string url,
                                         absl::string_view where) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!absl::StartsWith(url, "https://") || url.size() <= 8) {
    return Invalid(where, "the base URL must be an https:// URL");
  }
  for (char c : url) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '?' || c == '#' || c == '\\') {
      return Invalid(where,
                     "the base URL must not contain whitespace, a query or a "
                     "fragment");
    }
  }
  absl::string_view host = absl::string_view(url).substr(8);
  host = host.substr(0, host.find('/'));
  if (host.empty() || absl::StrContains(host, "@")) {
    return Invalid(where, "the base URL needs a host and no user info");
  }
  return url;
}

// Parses "/v1/workspaces/{workspace_id}/models" into its placeholders.
absl::StatusOr<std::vector<std::string>> ParsePathTemplate(
    absl::string_view path, absl::string_view where) {
  if (path.empty() || path[0] != '/') {
    return Invalid(where, "\"path\" must start with \"/\"");
  }
  std::vector<std::string> names;
  for (absl::string_view segment : absl::StrSplit(path.substr(1), '/')) {
    if (segment.empty() || segment == "." || segment == "..") {
      return Invalid(where, "\"path\" has an empty, \".\" or \"..\" segment");
    }
    if (segment.front() == '{') {
      if (segment.back() != '}' || segment.size() < 3) {
        return Invalid(where, "a path placeholder must be a whole segment {name}");
      }
      std::string name(segment.substr(1, segment.size() - 2));
      if (!IsParamName(name)) {
        return Invalid(where, absl::StrCat("bad path placeholder ", Quoted(name)));
      }
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        return Invalid(where, absl::StrCat("path placeholder ", Quoted(name),
                                           " appears twice"));
      }
      names.push_back(std::move(name));
      continue;
    }
    for (char c : segment) {
      if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
            c == '-' || c == '.')) {
        return Invalid(where, absl::StrCat("\"path\" has a bad character in ",
                                           Quoted(segment)));
      }
    }
  }
  return names;
}

absl::StatusOr<common::JsonSchema> CompileSchema(const json& schema,
                                                 absl::string_view where) {
  auto compiled = common::JsonSchema::Compile(schema);
  if (!compiled.ok()) return Invalid(where, compiled.status().message());
  return compiled;
}

// A path parameter: {"type":"string","pattern":...} whose pattern refuses
// every hostile probe.
absl::StatusOr<common::JsonSchema> CompilePathParam(const json& schema,
                                                    absl::string_view where) {
  if (absl::Status s = CheckKeys(schema, where, {"type", "pattern"},
                                 {"minLength", "maxLength", "format",
                                  "description", "title"});
      !s.ok()) {
    return s;
  }
  if (schema["type"] != "string") {
    return Invalid(where, "a path parameter must have \"type\": \"string\"");
  }
  auto compiled = CompileSchema(schema, where);
  if (!compiled.ok()) return compiled;
  for (const char* probe : kHostilePathValues) {
    if (compiled->Validate(json(std::string(probe))).ok()) {
      return Invalid(where,
                     absl::StrCat("the id pattern is not strict: it accepts ",
                                  Quoted(probe),
                                  " (ids may not contain / . % ? # or "
                                  "whitespace, nor be empty)"));
    }
  }
  for (const char* probe : kSafePathProbes) {
    if (!compiled->Validate(json(std::string(probe))).ok()) {
      return Invalid(where, absl::StrCat("the id pattern rejects a plain id ",
                                         Quoted(probe)));
    }
  }
  return compiled;
}

absl::StatusOr<common::JsonSchema> CompileQueryParam(const json& schema,
                                                     absl::string_view where) {
  if (!schema.is_object() || !schema.contains("type")) {
    return Invalid(where, "a query parameter schema needs a \"type\"");
  }
  const json& type = schema["type"];
  std::vector<json> types = type.is_array() ? type.get<std::vector<json>>()
                                            : std::vector<json>{type};
  for (const json& t : types) {
    if (t == "array" || t == "object") {
      return Invalid(where, "query parameters must be scalars");
    }
  }
  return CompileSchema(schema, where);
}

absl::StatusOr<std::string> ReadBoundedFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("operation registry: cannot read ", path));
  }
  std::string data;
  data.resize(kMaxRegistryFileBytes + 1);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kMaxRegistryFileBytes) {
    return Invalid(path, "file is larger than 1 MiB");
  }
  return data;
}

absl::StatusOr<json> ParseFile(absl::string_view text, absl::string_view name) {
  common::JsonParseLimits limits;
  limits.max_bytes = kMaxRegistryFileBytes;
  limits.max_depth = 48;
  auto parsed = common::ParseJsonBounded(text, limits, name);
  if (!parsed.ok()) return Invalid(name, parsed.status().message());
  if (!parsed->is_object()) return Invalid(name, "must be a JSON object");
  return parsed;
}

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

}  // namespace

std::string PercentEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Registry>> Registry::LoadFromDirectory(
    const std::string& dir, const RegistryOptions& options) {
  RegistrySources sources;
  auto rest = ReadBoundedFile(dir + "/rest_operations.json");
  if (!rest.ok()) return rest.status();
  sources.rest_operations_json = *std::move(rest);
  auto graphql = ReadBoundedFile(dir + "/graphql_operations.json");
  if (!graphql.ok()) return graphql.status();
  sources.graphql_operations_json = *std::move(graphql);
  // Read exactly the documents the index names.
  auto index = ParseFile(sources.graphql_operations_json, "graphql_operations.json");
  if (!index.ok()) return index.status();
  if (index->contains("operations") && (*index)["operations"].is_array()) {
    for (const auto& op : (*index)["operations"]) {
      if (!op.is_object() || !op.contains("file") || !op["file"].is_string()) {
        continue;  // Create() reports it
      }
      const std::string file = op["file"].get<std::string>();
      if (file.empty() || file[0] == '/' || absl::StrContains(file, "..") ||
          absl::StrContains(file, "\\")) {
        continue;  // Create() reports it
      }
      auto text = ReadBoundedFile(dir + "/" + file);
      if (!text.ok()) return text.status();
      sources.documents[file] = *std::move(text);
    }
  }
  return Create(sources, options);
}

absl::StatusOr<std::unique_ptr<Registry>> Registry::Create(
    const RegistrySources& sources, const RegistryOptions& options) {
  std::unique_ptr<Registry> registry(new Registry());
  registry->options_ = options;

  // ---- rest_operations.json ----
  const std::string rest_file = "rest_operations.json";
  auto rest = ParseFile(sources.rest_operations_json, rest_file);
  if (!rest.ok()) return rest.status();
  if (absl::Status s = CheckKeys(*rest, rest_file,
                                 {"format_version", "base_url", "scopes", "operations"},
                                 {"$comment"});
      !s.ok()) {
    return s;
  }
  if ((*rest)["format_version"] != 1) {
    return Invalid(rest_file, "unsupported format_version (expected 1)");
  }
  auto base = GetString(*rest, "base_url", rest_file);
  if (!base.ok()) return base.status();
  auto base_url = CheckBaseUrl(
      options.rest_base_url.empty() ? *base : options.rest_base_url,
      options.rest_base_url.empty() ? rest_file : "rest_base_url option");
  if (!base_url.ok()) return base_url.status();
  registry->rest_base_url_ = *base_url;
  auto scopes = GetStringList(*rest, "scopes", rest_file, false);
  if (!scopes.ok()) return scopes.status();
  for (const auto& scope : *scopes) {
    if (!options.known_scopes.empty() &&
        std::find(options.known_scopes.begin(), options.known_scopes.end(),
                  scope) == options.known_scopes.end()) {
      return Invalid(rest_file, absl::StrCat("unknown scope ", Quoted(scope)));
    }
  }
  registry->scopes_ = *scopes;
  auto scope_known = [&](const std::string& s) {
    return std::find(registry->scopes_.begin(), registry->scopes_.end(), s) !=
           registry->scopes_.end();
  };
  if (!(*rest)["operations"].is_array()) {
    return Invalid(rest_file, "\"operations\" must be an array");
  }
  // Raw entries kept for the cross-checks below.
  std::map<std::string, json> rest_entries;
  for (const json& entry : (*rest)["operations"]) {
    std::string where = rest_file;
    if (entry.is_object() && entry.contains("name") && entry["name"].is_string()) {
      where = absl::StrCat(rest_file, ": operation ", Quoted(entry["name"].get<std::string>()));
    }
    if (absl::Status s = CheckKeys(
            entry, where,
            {"name", "method", "path", "path_params", "query_params",
             "body_schema", "scope", "idempotent", "kind"},
            {"source", "notes", "price_field", "estimate_operation",
             "estimate_omit_body_fields", "cost"});
        !s.ok()) {
      return s;
    }
    Operation op;
    op.protocol = Protocol::kRest;
    auto name = GetString(entry, "name", where);
    if (!name.ok()) return name.status();
    op.name = *name;
    if (!IsOperationName(op.name) || absl::StartsWith(op.name, "graphql.")) {
      return Invalid(where, "bad operation name");
    }
    if (registry->operations_.contains(op.name)) {
      return Invalid(where, "duplicate operation name");
    }
    auto method = GetString(entry, "method", where);
    if (!method.ok()) return method.status();
    if (*method != "GET" && *method != "POST") {
      return Invalid(where, "\"method\" must be GET or POST");
    }
    op.method = *method;
    auto path = GetString(entry, "path", where);
    if (!path.ok()) return path.status();
    op.path_template = *path;
    auto placeholders = ParsePathTemplate(op.path_template, where);
    if (!placeholders.ok()) return placeholders.status();
    op.path_params = *placeholders;
    auto scope = GetString(entry, "scope", where);
    if (!scope.ok()) return scope.status();
    if (!scope_known(*scope)) {
      return Invalid(where, absl::StrCat("unknown scope ", Quoted(*scope)));
    }
    op.scope = *scope;
    if (!entry["idempotent"].is_boolean()) {
      return Invalid(where, "\"idempotent\" must be a boolean");
    }
    op.idempotent = entry["idempotent"].get<bool>();
    auto kind = GetString(entry, "kind", where);
    if (!kind.ok()) return kind.status();
    if (*kind != "read" && *kind != "estimate" && *kind != "execute" &&
        *kind != "upload_url") {
      return Invalid(where, absl::StrCat("unknown kind ", Quoted(*kind)));
    }
    op.kind = *kind;
    for (const char* key : {"source", "notes"}) {
      if (entry.contains(key) && !entry[key].is_string()) {
        return Invalid(where, absl::StrCat("\"", key, "\" must be a string"));
      }
    }

    auto compiled = std::make_shared<Compiled>();
    // Path parameters: exactly the placeholders.
    const json& path_params = entry["path_params"];
    if (!path_params.is_object()) {
      return Invalid(where, "\"path_params\" must be an object");
    }
    for (const auto& [pname, schema] : path_params.items()) {
      if (std::find(op.path_params.begin(), op.path_params.end(), pname) ==
          op.path_params.end()) {
        return Invalid(where, absl::StrCat("path parameter ", Quoted(pname),
                                           " is not in the path"));
      }
      auto s = CompilePathParam(schema, absl::StrCat(where, ": path parameter ",
                                                     Quoted(pname)));
      if (!s.ok()) return s.status();
      compiled->path_params.emplace(pname, *std::move(s));
    }
    for (const auto& pname : op.path_params) {
      if (!compiled->path_params.count(pname)) {
        return Invalid(where, absl::StrCat("path placeholder ", Quoted(pname),
                                           " is not declared in path_params"));
      }
    }
    const json& query_params = entry["query_params"];
    if (!query_params.is_object()) {
      return Invalid(where, "\"query_params\" must be an object");
    }
    for (const auto& [qname, schema] : query_params.items()) {
      if (!IsParamName(qname) || qname == "body" ||
          compiled->path_params.count(qname)) {
        return Invalid(where, absl::StrCat("bad query parameter name ", Quoted(qname)));
      }
      auto s = CompileQueryParam(schema, absl::StrCat(where, ": query parameter ",
                                                      Quoted(qname)));
      if (!s.ok()) return s.status();
      compiled->query_params.emplace(qname, *std::move(s));
      op.query_params.push_back(qname);
    }
    if (compiled->path_params.count("body")) {
      return Invalid(where, "\"body\" cannot be a path parameter");
    }
    const json& body_schema = entry["body_schema"];
    if (!body_schema.is_null()) {
      if (op.method == "GET") return Invalid(where, "a GET cannot have a body");
      if (!body_schema.is_object() || body_schema.value("type", json()) != "object") {
        return Invalid(where, "\"body_schema\" must be null or an object schema "
                              "with \"type\": \"object\"");
      }
      auto s = CompileSchema(body_schema, absl::StrCat(where, ": body_schema"));
      if (!s.ok()) return s.status();
      compiled->body = *std::move(s);
      op.has_body = true;
    }

    // Kind-specific fields.
    const bool is_estimate = op.kind == "estimate";
    const bool is_execute = op.kind == "execute";
    if (entry.contains("price_field") != is_estimate) {
      return Invalid(where, "\"price_field\" is required for, and only for, "
                            "kind \"estimate\"");
    }
    if (is_estimate) {
      auto p = GetPointer(entry, "price_field", where);
      if (!p.ok()) return p.status();
      op.price_field = *p;
    }
    for (const char* key : {"estimate_operation", "cost"}) {
      if (entry.contains(key) != is_execute) {
        return Invalid(where, absl::StrCat("\"", key, "\" is required for, and only "
                                           "for, kind \"execute\""));
      }
    }
    if (entry.contains("estimate_omit_body_fields") && !is_execute) {
      return Invalid(where, "\"estimate_omit_body_fields\" is only for kind "
                            "\"execute\"");
    }
    if (is_execute) {
      if (op.idempotent) {
        return Invalid(where, "an execute is never idempotent (a retry could "
                              "charge twice)");
      }
      auto est = GetString(entry, "estimate_operation", where);
      if (!est.ok()) return est.status();
      op.estimate_operation = *est;
      if (entry.contains("estimate_omit_body_fields")) {
        auto omit = GetStringList(entry, "estimate_omit_body_fields", where, true);
        if (!omit.ok()) return omit.status();
        op.estimate_omit_body_fields = *omit;
      }
      const json& cost = entry["cost"];
      const std::string cwhere = absl::StrCat(where, ": cost");
      if (absl::Status s = CheckKeys(
              cost, cwhere,
              {"reserved_price_field", "run_operation", "run_id_field",
               "run_id_param", "status_field", "success_statuses",
               "terminal_statuses", "charged_price_field"},
              {});
          !s.ok()) {
        return s;
      }
      CostTracking c;
      for (auto [key, out] : std::initializer_list<std::pair<const char*, std::string*>>{
               {"reserved_price_field", &c.reserved_price_field},
               {"run_id_field", &c.run_id_field},
               {"status_field", &c.status_field},
               {"charged_price_field", &c.charged_price_field}}) {
        auto p = GetPointer(cost, key, cwhere);
        if (!p.ok()) return p.status();
        *out = *p;
      }
      auto run_op = GetString(cost, "run_operation", cwhere);
      if (!run_op.ok()) return run_op.status();
      c.run_operation = *run_op;
      auto run_param = GetString(cost, "run_id_param", cwhere);
      if (!run_param.ok()) return run_param.status();
      c.run_id_param = *run_param;
      auto success = GetStringList(cost, "success_statuses", cwhere, false);
      if (!success.ok()) return success.status();
      auto terminal = GetStringList(cost, "terminal_statuses", cwhere, false);
      if (!terminal.ok()) return terminal.status();
      for (auto& s : *success) c.success_statuses.push_back(Lower(s));
      for (auto& s : *terminal) c.terminal_statuses.push_back(Lower(s));
      for (const auto& s : c.success_statuses) {
        if (std::find(c.terminal_statuses.begin(), c.terminal_statuses.end(), s) ==
            c.terminal_statuses.end()) {
          return Invalid(cwhere, absl::StrCat("success status ", Quoted(s),
                                              " is not terminal"));
        }
      }
      op.cost = std::move(c);
    }
    rest_entries[op.name] = entry;
    registry->compiled_[op.name] = std::move(compiled);
    registry->operations_.emplace(op.name, std::move(op));
  }

  // Cross-checks of execute operations.
  for (auto& [name, op] : registry->operations_) {
    if (!op.is_execute()) continue;
    const std::string where = absl::StrCat(rest_file, ": operation ", Quoted(name));
    auto est_it = registry->operations_.find(op.estimate_operation);
    if (est_it == registry->operations_.end() || est_it->second.kind != "estimate") {
      return Invalid(where, absl::StrCat("estimate_operation ",
                                         Quoted(op.estimate_operation),
                                         " is not an operation of kind \"estimate\""));
    }
    const Operation& est = est_it->second;
    for (const auto& p : est.path_params) {
      if (std::find(op.path_params.begin(), op.path_params.end(), p) ==
          op.path_params.end()) {
        return Invalid(where, absl::StrCat("the estimate needs path parameter ",
                                           Quoted(p), " that the execute lacks"));
      }
    }
    const json& body_schema = rest_entries[name]["body_schema"];
    for (const auto& field : op.estimate_omit_body_fields) {
      if (!body_schema.is_object() || !body_schema.contains("properties") ||
          !body_schema["properties"].contains(field)) {
        return Invalid(where, absl::StrCat("estimate_omit_body_fields names ",
                                           Quoted(field),
                                           ", which is not a body property"));
      }
    }
    const CostTracking& cost = *op.cost;
    auto run_it = registry->operations_.find(cost.run_operation);
    if (run_it == registry->operations_.end()) {
      return Invalid(where, absl::StrCat("cost.run_operation ",
                                         Quoted(cost.run_operation), " is unknown"));
    }
    const Operation& run = run_it->second;
    std::set<std::string> expected(op.path_params.begin(), op.path_params.end());
    expected.insert(cost.run_id_param);
    std::set<std::string> actual(run.path_params.begin(), run.path_params.end());
    if (expected != actual || !run.idempotent) {
      return Invalid(where, absl::StrCat(
                                "cost.run_operation ", Quoted(cost.run_operation),
                                " must be idempotent and take exactly the "
                                "execute's path parameters plus ",
                                Quoted(cost.run_id_param)));
    }
    if (!registry->execute_by_run_operation_
             .emplace(cost.run_operation, name)
             .second) {
      return Invalid(where, absl::StrCat("cost.run_operation ",
                                         Quoted(cost.run_operation),
                                         " already tracks another execute"));
    }
  }

  // ---- graphql_operations.json ----
  const std::string gql_file = "graphql_operations.json";
  auto gql = ParseFile(sources.graphql_operations_json, gql_file);
  if (!gql.ok()) return gql.status();
  if (absl::Status s = CheckKeys(*gql, gql_file,
                                 {"format_version", "endpoint", "operations"},
                                 {"$comment"});
      !s.ok()) {
    return s;
  }
  if ((*gql)["format_version"] != 1) {
    return Invalid(gql_file, "unsupported format_version (expected 1)");
  }
  auto endpoint = GetString(*gql, "endpoint", gql_file);
  if (!endpoint.ok()) return endpoint.status();
  auto graphql_url = CheckBaseUrl(
      options.graphql_url.empty() ? *endpoint : options.graphql_url,
      options.graphql_url.empty() ? gql_file : "graphql_url option");
  if (!graphql_url.ok()) return graphql_url.status();
  registry->graphql_url_ = *graphql_url;
  if (!(*gql)["operations"].is_array()) {
    return Invalid(gql_file, "\"operations\" must be an array");
  }
  absl::flat_hash_set<std::string> forbidden(std::begin(kForbiddenGraphqlNames),
                                             std::end(kForbiddenGraphqlNames));
  for (const json& entry : (*gql)["operations"]) {
    std::string where = gql_file;
    if (entry.is_object() && entry.contains("name") && entry["name"].is_string()) {
      where = absl::StrCat(gql_file, ": operation ", Quoted(entry["name"].get<std::string>()));
    }
    if (absl::Status s = CheckKeys(
            entry, where,
            {"name", "file", "operation_name", "operation_type", "scope",
             "idempotent", "variables_schema"},
            {"source", "notes"});
        !s.ok()) {
      return s;
    }
    Operation op;
    op.protocol = Protocol::kGraphql;
    auto name = GetString(entry, "name", where);
    if (!name.ok()) return name.status();
    op.name = *name;
    if (!IsOperationName(op.name) || !absl::StartsWith(op.name, "graphql.")) {
      return Invalid(where, "a GraphQL operation name must be \"graphql.<Name>\"");
    }
    if (registry->operations_.contains(op.name)) {
      return Invalid(where, "duplicate operation name");
    }
    auto gql_name = GetString(entry, "operation_name", where);
    if (!gql_name.ok()) return gql_name.status();
    op.graphql_operation_name = *gql_name;
    auto file = GetString(entry, "file", where);
    if (!file.ok()) return file.status();
    if (*file != absl::StrCat("graphql/", *gql_name, ".graphql")) {
      return Invalid(where, absl::StrCat("\"file\" must be \"graphql/", *gql_name,
                                         ".graphql\" (one operation per file, "
                                         "named after it)"));
    }
    auto type = GetString(entry, "operation_type", where);
    if (!type.ok()) return type.status();
    if (*type != "query" && *type != "mutation") {
      return Invalid(where, "\"operation_type\" must be query or mutation");
    }
    op.kind = *type;
    auto scope = GetString(entry, "scope", where);
    if (!scope.ok()) return scope.status();
    if (!scope_known(*scope)) {
      return Invalid(where, absl::StrCat("unknown scope ", Quoted(*scope)));
    }
    op.scope = *scope;
    if (!entry["idempotent"].is_boolean()) {
      return Invalid(where, "\"idempotent\" must be a boolean");
    }
    op.idempotent = entry["idempotent"].get<bool>();
    if (op.kind == "mutation" && (op.idempotent || op.scope == "layer:read")) {
      return Invalid(where, "a mutation is never idempotent and never layer:read");
    }
    for (const char* key : {"source", "notes"}) {
      if (entry.contains(key) && !entry[key].is_string()) {
        return Invalid(where, absl::StrCat("\"", key, "\" must be a string"));
      }
    }
    auto doc_it = sources.documents.find(*file);
    if (doc_it == sources.documents.end()) {
      return Invalid(where, absl::StrCat("document ", Quoted(*file), " is missing"));
    }
    auto compiled = std::make_shared<Compiled>();
    compiled->document = doc_it->second;
    if (compiled->document.size() > 64 * 1024) {
      return Invalid(where, "the document is larger than 64 KiB");
    }
    auto doc = ParseGraphqlDocument(compiled->document);
    if (!doc.ok()) {
      return Invalid(absl::StrCat(where, ": ", *file), doc.status().message());
    }
    if (doc->operation_type != op.kind || doc->operation_name != *gql_name) {
      return Invalid(where, absl::StrCat("the document declares ",
                                         doc->operation_type, " ",
                                         doc->operation_name, ", not ", op.kind,
                                         " ", *gql_name));
    }
    for (const auto& n : doc->names) {
      if (forbidden.contains(n) || absl::StartsWith(n, "executeBlueprint")) {
        return Invalid(where, absl::StrCat("the document mentions forbidden ",
                                           Quoted(n)));
      }
    }
    // variables_schema must describe exactly the declared variables.
    const json& vs = entry["variables_schema"];
    const std::string vwhere = absl::StrCat(where, ": variables_schema");
    if (!vs.is_object() || vs.value("type", json()) != "object" ||
        vs.value("additionalProperties", json()) != false) {
      return Invalid(vwhere, "must be an object schema with "
                             "\"additionalProperties\": false");
    }
    std::set<std::string> declared, required_declared;
    for (const auto& v : doc->variables) {
      declared.insert(v.name);
      if (v.non_null && !v.has_default) required_declared.insert(v.name);
      op.graphql_variables.push_back(v.name);
    }
    std::set<std::string> properties, required;
    if (vs.contains("properties")) {
      if (!vs["properties"].is_object()) return Invalid(vwhere, "bad properties");
      for (const auto& [k, v] : vs["properties"].items()) properties.insert(k);
    }
    if (vs.contains("required")) {
      if (!vs["required"].is_array()) return Invalid(vwhere, "bad required");
      for (const auto& r : vs["required"]) {
        if (r.is_string()) required.insert(r.get<std::string>());
      }
    }
    if (properties != declared) {
      return Invalid(vwhere, absl::StrCat(
                                 "properties (", absl::StrJoin(properties, ", "),
                                 ") differ from the document's variables (",
                                 absl::StrJoin(declared, ", "), ")"));
    }
    if (required != required_declared) {
      return Invalid(vwhere, absl::StrCat(
                                 "required (", absl::StrJoin(required, ", "),
                                 ") differs from the document's non-null "
                                 "variables without default (",
                                 absl::StrJoin(required_declared, ", "), ")"));
    }
    auto schema = CompileSchema(vs, vwhere);
    if (!schema.ok()) return schema.status();
    compiled->variables = *std::move(schema);
    compiled->declared_variables.insert(declared.begin(), declared.end());
    registry->compiled_[op.name] = std::move(compiled);
    registry->operations_.emplace(op.name, std::move(op));
  }
  return registry;
}

const Operation* Registry::Find(absl::string_view name) const {
  auto it = operations_.find(name);
  return it == operations_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> Registry::ScopeOf(absl::string_view operation) const {
  const Operation* op = Find(operation);
  if (op == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown operation ", Quoted(operation.substr(0, 128))));
  }
  return op->scope;
}

const Operation* Registry::ExecuteReadBy(absl::string_view run_operation) const {
  auto it = execute_by_run_operation_.find(run_operation);
  return it == execute_by_run_operation_.end() ? nullptr : Find(it->second);
}

std::vector<std::string> Registry::OperationNames() const {
  std::vector<std::string> names;
  for (const auto& [name, op] : operations_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<HttpRequest> Registry::BuildRequest(
    absl::string_view operation, const json& params,
    absl::string_view raw_params) const {
  const Operation* op = Find(operation);
  if (op == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown operation ", Quoted(operation.substr(0, 128))));
  }
  if (!params.is_object()) {
    return absl::InvalidArgumentError("params must be a JSON object");
  }
  const Compiled& compiled = *compiled_.at(op->name);
  return op->protocol == Protocol::kRest
             ? BuildRest(*op, compiled, params, raw_params)
             : BuildGraphql(*op, compiled, params, raw_params);
}

absl::StatusOr<HttpRequest> Registry::BuildRest(const Operation& op,
                                                const Compiled& compiled,
                                                const json& params,
                                                absl::string_view raw_params) const {
  for (const auto& [key, value] : params.items()) {
    if (compiled.path_params.count(key) || compiled.query_params.count(key) ||
        (op.has_body && key == "body")) {
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat(
        op.name, ": parameter ", Quoted(common::AppendJsonPointer("", key.substr(0, 64))),
        " is not allowed"));
  }
  std::string url = rest_base_url_;
  // Substitute placeholders in template order.
  size_t pos = 0;
  const std::string& tmpl = op.path_template;
  while (pos < tmpl.size()) {
    size_t open = tmpl.find('{', pos);
    if (open == std::string::npos) {
      url.append(tmpl, pos, std::string::npos);
      break;
    }
    url.append(tmpl, pos, open - pos);
    size_t close = tmpl.find('}', open);
    const std::string name = tmpl.substr(open + 1, close - open - 1);
    const std::string pointer = common::AppendJsonPointer("", name);
    auto it = params.find(name);
    if (it == params.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(op.name, ": missing path parameter ", pointer));
    }
    if (absl::Status s = compiled.path_params.at(name).Validate(*it, pointer);
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(op.name, ": ", s.message()));
    }
    // Defence in depth: whatever the pattern says, only id characters reach
    // the path.
    const std::string& value = it->get_ref<const std::string&>();
    if (!IsSafePathSegment(value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          op.name, ": ", pointer,
          ": path parameters may only contain [A-Za-z0-9_-] (1 to 256 bytes)"));
    }
    url += PercentEncode(value);
    pos = close + 1;
  }
  std::vector<std::string> query;
  for (const auto& [name, schema] : compiled.query_params) {
    auto it = params.find(name);
    if (it == params.end() || it->is_null()) continue;
    const std::string pointer = common::AppendJsonPointer("", name);
    if (absl::Status s = schema.Validate(*it, pointer); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(op.name, ": ", s.message()));
    }
    std::string text;
    if (it->is_string()) {
      text = it->get<std::string>();
    } else if (it->is_boolean()) {
      text = it->get<bool>() ? "true" : "false";
    } else if (it->is_number()) {
      text = it->dump();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(op.name, ": ", pointer, ": query parameters must be scalars"));
    }
    query.push_back(absl::StrCat(PercentEncode(name), "=", PercentEncode(text)));
  }
  if (!query.empty()) absl::StrAppend(&url, "?", absl::StrJoin(query, "&"));

  HttpRequest request;
  request.method = op.method;
  request.url = std::move(url);
  request.idempotent = op.idempotent;
  if (op.has_body) {
    const json empty = json::object();
    auto it = params.find("body");
    const json& body = it == params.end() ? empty : *it;
    if (absl::Status s = compiled.body->Validate(body, "/body"); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(op.name, ": ", s.message()));
    }
    std::optional<absl::string_view> raw;
    if (!raw_params.empty()) {
      auto span = common::RawMemberSpan(raw_params, "body");
      if (!span.ok()) return span.status();
      raw = *span;
    }
    if (raw) {
      request.body = std::string(*raw);
    } else if (it == params.end()) {
      request.body = "{}";
    } else {
      request.body = body.dump();
    }
    request.content_type = "application/json";
  }
  return request;
}

absl::StatusOr<HttpRequest> Registry::BuildGraphql(
    const Operation& op, const Compiled& compiled, const json& params,
    absl::string_view raw_params) const {
  const std::string variables = raw_params.empty() ? params.dump()
                                                   : std::string(raw_params);
  if (variables.size() > options_.max_graphql_variables_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        op.name, ": variables are ", variables.size(), " bytes, over the limit of ",
        options_.max_graphql_variables_bytes));
  }
  for (const auto& [key, value] : params.items()) {
    if (!compiled.declared_variables.contains(key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          op.name, ": variable ",
          Quoted(common::AppendJsonPointer("", key.substr(0, 64))),
          " is not declared by the document"));
    }
  }
  if (absl::Status s = compiled.variables->Validate(params); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(op.name, ": ", s.message()));
  }
  HttpRequest request;
  request.method = "POST";
  request.url = graphql_url_;
  request.idempotent = op.idempotent;
  request.content_type = "application/json";
  request.body = absl::StrCat(R"({"query":)", json(compiled.document).dump(),
                              R"(,"operationName":)",
                              json(op.graphql_operation_name).dump(),
                              R"(,"variables":)", variables, "}");
  return request;
}

absl::StatusOr<json> Registry::EstimateParams(const Operation& execute,
                                              const json& params) const {
  if (!execute.is_execute()) {
    return absl::InvalidArgumentError(
        absl::StrCat(execute.name, " is not an execute operation"));
  }
  const Operation* estimate = Find(execute.estimate_operation);
  if (estimate == nullptr || !params.is_object()) {
    return absl::InvalidArgumentError("params must be a JSON object");
  }
  json out = json::object();
  for (const auto& name : estimate->path_params) {
    if (params.contains(name)) out[name] = params[name];
  }
  if (estimate->has_body && params.contains("body")) {
    json body = params["body"];
    if (body.is_object()) {
      for (const auto& field : execute.estimate_omit_body_fields) body.erase(field);
    }
    out["body"] = std::move(body);
  }
  return out;
}

}  // namespace layer_vault::relay
