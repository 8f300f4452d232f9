#ifndef LAYER_VAULT_VAULTD_RELAY_REGISTRY_H_
#define LAYER_VAULT_VAULTD_RELAY_REGISTRY_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/json_schema.h"
#include "nlohmann/json.hpp"
#include "vaultd/relay/http_types.h"

namespace layer_vault::relay {

enum class Protocol { kRest, kGraphql };

// Where an execute operation's charges are found (operations/README.md,
// "Spend control"). Statuses are lower-cased; compare case-insensitively.
struct CostTracking {
  std::string reserved_price_field;  // JSON Pointer into the execute response
  std::string run_operation;         // reads the run
  std::string run_id_field;          // JSON Pointer into the execute response
  std::string run_id_param;          // the run op's path parameter
  std::string status_field;          // JSON Pointer into the run response
  std::vector<std::string> success_statuses;
  std::vector<std::string> terminal_statuses;
  std::string charged_price_field;   // JSON Pointer into the run response
};

// Operation is one allow-listed request. Immutable after load.
struct Operation {
  std::string name;   // e.g. "inferences.execute", "graphql.DescribeImage"
  Protocol protocol = Protocol::kRest;
  // REST: "read", "estimate", "execute", "upload_url";
  // GraphQL: "query" or "mutation".
  std::string kind;
  std::string scope;  // e.g. "layer:read"
  bool idempotent = false;

  // REST only.
  std::string method;         // "GET" or "POST"
  std::string path_template;  // "/v1/workspaces/{workspace_id}"
  std::vector<std::string> path_params;   // in template order
  std::vector<std::string> query_params;  // sorted
  bool has_body = false;
  std::string price_field;         // kind "estimate"
  std::string estimate_operation;  // kind "execute"
  std::vector<std::string> estimate_omit_body_fields;
  std::optional<CostTracking> cost;  // kind "execute"

  // GraphQL only.
  std::string graphql_operation_name;
  std::vector<std::string> graphql_variables;

  bool is_execute() const { return kind == "execute"; }
};

struct RegistryOptions {
  // Override the files' `base_url` / `endpoint` (tests point them at the
  // fake). Must be https:// URLs without query or fragment.
  std::string rest_base_url;
  std::string graphql_url;
  // Scopes the daemon's policy knows; the file's `scopes` must be a subset.
  // Empty: accept the file's list.
  std::vector<std::string> known_scopes = {"layer:read", "layer:generate",
                                           "layer:upload"};
  // Largest GraphQL variables object, serialized.
  size_t max_graphql_variables_bytes = 64 * 1024;
};

// RegistrySources are the registry files' contents (LoadFromDirectory reads
// them; tests build them in memory).
struct RegistrySources {
  std::string rest_operations_json;
  std::string graphql_operations_json;
  // GraphQL documents keyed by the `file` value that names them, e.g.
  // "graphql/DescribeImage.graphql".
  absl::flat_hash_map<std::string, std::string> documents;
};

// Registry is vaultd's allow-list of Layer.ai requests: it loads and checks
// the operation files at start and turns (operation, params) into a request.
// No URL, path, query string or GraphQL document ever comes from a caller.
//
// Load-time checks (each failure is INVALID_ARGUMENT naming the file and
// operation): unknown or missing keys, bad format_version, duplicate names,
// unknown scopes or kinds, path placeholders that differ from `path_params`,
// path parameter patterns that accept any of `/ . % ? #`, whitespace,
// non-ASCII or the empty string, query parameters of non-scalar type,
// schemas that do not compile, executes without an estimate or cost block
// (or retryable), GraphQL documents whose header disagrees with the entry,
// whose variables disagree with `variables_schema`, that hold more than one
// operation, that are idempotent mutations, or that mention a forbidden
// field (tokens, billing, members, deletes; operations/README.md).
//
// Thread-safe after construction (all methods are const).
class Registry {
 public:
  // Reads `dir`/rest_operations.json, `dir`/graphql_operations.json and the
  // documents they name (each file at most 1 MiB). NOT_FOUND or
  // INVALID_ARGUMENT with the path on failure.
  static absl::StatusOr<std::unique_ptr<Registry>> LoadFromDirectory(
      const std::string& dir, const RegistryOptions& options = {});
  static absl::StatusOr<std::unique_ptr<Registry>> Create(
      const RegistrySources& sources, const RegistryOptions& options = {});

  // The operation called `name`, or nullptr.
  const Operation* Find(absl::string_view name) const;

  // The scope `operation` requires; INVALID_ARGUMENT for an unknown one.
  absl::StatusOr<std::string> ScopeOf(absl::string_view operation) const;

  // Builds the request for `operation` from caller `params` (a JSON object).
  // REST: every path parameter present, a string, matching its schema and
  // made only of [A-Za-z0-9_-] (then percent-encoded anyway); only allowed
  // query parameters, validated and percent-encoded in name order; "body"
  // validated against the body schema (absent means {}); no other key.
  // GraphQL: `params` is the variables object: at most
  // max_graphql_variables_bytes, keys among the document's variables,
  // validated against its schema; the body is
  // {"query", "operationName", "variables"}.
  // If `raw_params` is the exact text `params` was parsed from (with
  // duplicate keys refused), the body / variables are forwarded byte for
  // byte from it; otherwise they are serialized from `params`.
  // INVALID_ARGUMENT for an unknown operation or any violation; the message
  // names the parameter (JSON Pointer) and the rule, never its value.
  absl::StatusOr<HttpRequest> BuildRequest(absl::string_view operation,
                                           const nlohmann::json& params,
                                           absl::string_view raw_params = "") const;

  // The params of the estimate that guards `execute` (an execute
  // operation): its estimate's path parameters taken from `params`, and the
  // body without the execute's estimate_omit_body_fields.
  absl::StatusOr<nlohmann::json> EstimateParams(
      const Operation& execute, const nlohmann::json& params) const;

  // The execute operation whose runs `run_operation` reads, or nullptr.
  const Operation* ExecuteReadBy(absl::string_view run_operation) const;

  // All operation names, sorted.
  std::vector<std::string> OperationNames() const;
  const std::vector<std::string>& scopes() const { return scopes_; }
  const std::string& rest_base_url() const { return rest_base_url_; }
  const std::string& graphql_url() const { return graphql_url_; }

  struct Compiled;  // per-operation schemas and documents

 private:
  Registry() = default;
  absl::StatusOr<HttpRequest> BuildRest(const Operation& op,
                                        const Compiled& compiled,
                                        const nlohmann::json& params,
                                        absl::string_view raw_params) const;
  absl::StatusOr<HttpRequest> BuildGraphql(const Operation& op,
                                           const Compiled& compiled,
                                           const nlohmann::json& params,
                                           absl::string_view raw_params) const;

  RegistryOptions options_;
  std::string rest_base_url_;
  std::string graphql_url_;
  std::vector<std::string> scopes_;
  absl::flat_hash_map<std::string, Operation> operations_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Compiled>> compiled_;
  absl::flat_hash_map<std::string, std::string> execute_by_run_operation_;
};

// PercentEncode keeps RFC 3986 unreserved bytes ([A-Za-z0-9-._~]) and
// encodes every other byte as %XX (upper-case hex).
std::string PercentEncode(absl::string_view text);

}  // namespace layer_vault::relay

#endif  // LAYER_VAULT_VAULTD_RELAY_REGISTRY_H_
