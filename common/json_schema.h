#ifndef LAYER_VAULT_COMMON_JSON_SCHEMA_H_
#define LAYER_VAULT_COMMON_JSON_SCHEMA_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace layer_vault::common {

// JsonSchemaOptions bound the work a compiled schema may do.
struct JsonSchemaOptions {
  // Strings longer than this (in bytes) fail a `pattern` rule instead of
  // being matched: std::regex backtracks recursively, so its input must stay
  // small. Path parameters, ids and enums are far below this.
  size_t max_pattern_input_bytes = 1024;
  // Longest accepted `pattern` source, in bytes.
  size_t max_pattern_bytes = 512;
  // Deepest nesting of subschemas accepted by Compile.
  int max_schema_depth = 32;
};

// SchemaViolation is one failed rule.
struct SchemaViolation {
  // JSON Pointer (RFC 6901) of the offending value; "" is the root.
  std::string path;
  // The keyword that failed, e.g. "minimum", "required", "type".
  std::string rule;
  // Human-readable detail. Never contains string values taken from the
  // instance (they may be secrets or huge); numbers and property names may
  // appear.
  std::string message;
};

// JsonSchema is a compiled JSON Schema (a draft 2020-12 subset) over
// nlohmann::json, shared by the relay registry and the MCP frontend.
//
// Supported keywords: type (a name or an array of names; "integer" accepts
// integral floats), properties, required, additionalProperties (bool or
// schema), items (one schema), enum, const, minimum, maximum,
// exclusiveMinimum, exclusiveMaximum (numbers), minLength, maxLength (in
// Unicode code points), pattern (ECMAScript std::regex, unanchored search,
// bounded input length), minItems, maxItems, uniqueItems, oneOf, anyOf,
// format "uuid", and the annotations title, description, default (ignored:
// never applied), examples, $comment, $schema. Boolean schemas (true/false)
// are accepted wherever a schema is. Anything else is rejected by Compile, so
// a typo in a registry file fails at start rather than silently validating
// nothing.
//
// Copyable and cheap to copy (the compiled tree is shared and immutable).
// Thread-safe: Validate may run concurrently.
class JsonSchema {
 public:
  // Compiles `schema`. INVALID_ARGUMENT names the JSON Pointer inside the
  // schema and the offending keyword.
  static absl::StatusOr<JsonSchema> Compile(
      const nlohmann::json& schema, const JsonSchemaOptions& options = {});

  // OK if `instance` satisfies the schema; otherwise INVALID_ARGUMENT whose
  // message lists the first violations as "<path>: <rule>: <detail>", with
  // paths prefixed by `path_prefix` (a JSON Pointer such as "/body").
  absl::Status Validate(const nlohmann::json& instance,
                        absl::string_view path_prefix = "") const;

  // All violations, at most `max_violations` of them (0 means 1).
  std::vector<SchemaViolation> Violations(const nlohmann::json& instance,
                                          size_t max_violations = 16) const;

  // The schema text this was compiled from.
  const nlohmann::json& source() const { return *source_; }

  struct Node;

 private:
  JsonSchema(std::shared_ptr<const Node> root,
             std::shared_ptr<const nlohmann::json> source,
             JsonSchemaOptions options)
      : root_(std::move(root)),
        source_(std::move(source)),
        options_(options) {}

  std::shared_ptr<const Node> root_;
  std::shared_ptr<const nlohmann::json> source_;
  JsonSchemaOptions options_;
};

// Appends `token` to the JSON Pointer `pointer`, escaping "~" and "/".
std::string AppendJsonPointer(absl::string_view pointer,
                              absl::string_view token);

}  // namespace layer_vault::common

#endif  // LAYER_VAULT_COMMON_JSON_SCHEMA_H_
