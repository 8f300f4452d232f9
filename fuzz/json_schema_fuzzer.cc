// Fuzz target: tool and relay argument validation (common/json_schema.h):
// fixed schemas that use every supported keyword, compiled once, validating
// fuzzed JSON parsed as the MCP frontend and the relay parse caller input
// (common::ParseJsonBounded with its default limits).
//
// Input: a schema selector byte, then JSON text.
// Properties: Validate and Violations agree; the violation count respects
// its bound; no message quotes a string value of the instance.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/json_parse.h"
#include "common/json_schema.h"
#include "fuzz/fuzz_util.h"
#include "nlohmann/json.hpp"

namespace layer_vault::fuzz {
namespace {

using nlohmann::json;

// A tool's arguments: every keyword JsonSchema supports.
constexpr char kToolSchema[] = R"json({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "generate", "description": "fuzz", "$comment": "fixed",
  "type": "object",
  "properties": {
    "prompt": {"type": "string", "minLength": 1, "maxLength": 200},
    "workspace_id": {"type": "string", "format": "uuid"},
    "count": {"type": "integer", "minimum": 1, "maximum": 8, "default": 1},
    "strength": {"type": "number", "exclusiveMinimum": 0,
                 "exclusiveMaximum": 1, "examples": [0.5]},
    "style": {"enum": ["photo", "sketch", null, 3, {"a": [1]}]},
    "kind": {"const": "image"},
    "tags": {"type": "array", "items": {"type": "string",
             "pattern": "^[a-z0-9-]{1,32}$"},
             "minItems": 0, "maxItems": 10, "uniqueItems": true},
    "size": {"oneOf": [
      {"type": "string", "enum": ["small", "large"]},
      {"type": "object", "properties": {"w": {"type": "integer"},
       "h": {"type": "integer"}}, "required": ["w", "h"],
       "additionalProperties": false}]},
    "seed": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    "meta": {"type": "object",
             "additionalProperties": {"type": ["string", "number", "boolean"]}},
    "cursor": {"type": "string", "minLength": 1, "maxLength": 2048,
               "pattern": "^[\\x21-\\x7E]+$"},
    "anything": true,
    "nothing": false
  },
  "required": ["prompt"],
  "additionalProperties": false
})json";

// Whole-document checks on arbitrary values: uniqueItems over any JSON,
// nested arrays, a boolean schema.
constexpr char kArraySchema[] = R"json({
  "type": "array", "uniqueItems": true, "maxItems": 64,
  "items": {"type": ["object", "array", "string", "number", "boolean", "null"]}
})json";

constexpr char kTrueSchema[] = "true";

std::vector<common::JsonSchema>& Schemas() {
  static auto* schemas = [] {
    auto* out = new std::vector<common::JsonSchema>();
    for (const char* text : {kToolSchema, kArraySchema, kTrueSchema}) {
      absl::StatusOr<common::JsonSchema> schema =
          common::JsonSchema::Compile(json::parse(text));
      FUZZ_CHECK(schema.ok(), "a fixed schema does not compile");
      out->push_back(*schema);
    }
    return out;
  }();
  return *schemas;
}

// String values that look like secrets the caller passed: they must never
// come back in an error message (which the MCP frontend shows the model).
void CollectMarkedStrings(const json& v, std::vector<std::string>& out) {
  std::vector<const json*> stack = {&v};
  while (!stack.empty()) {
    const json* node = stack.back();
    stack.pop_back();
    if (node->is_string()) {
      const std::string& s = node->get_ref<const std::string&>();
      if (absl::StartsWith(s, "SECRET") && s.size() >= 10) out.push_back(s);
    } else if (node->is_structured()) {
      for (const json& child : *node) stack.push_back(&child);
    }
  }
}

}  // namespace
}  // namespace layer_vault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace layer_vault;
  using namespace layer_vault::fuzz;
  std::vector<common::JsonSchema>& schemas = Schemas();
  FuzzInput in(data, size);
  const common::JsonSchema& schema = schemas[in.TakeByte() % schemas.size()];
  absl::StatusOr<json> instance =
      common::ParseJsonBounded(in.Rest(), common::JsonParseLimits(), "args");
  if (!instance.ok()) return 0;

  const absl::Status status = schema.Validate(*instance, "/arguments");
  const std::vector<common::SchemaViolation> all =
      schema.Violations(*instance, 16);
  FUZZ_CHECK(all.size() <= 16, "more violations than asked for");
  FUZZ_CHECK(status.ok() == all.empty(), "Validate and Violations disagree");
  if (!status.ok()) {
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument,
               "Validate failed with a code other than INVALID_ARGUMENT");
  }
  const std::vector<common::SchemaViolation> one =
      schema.Violations(*instance, 0);
  FUZZ_CHECK(one.size() == (all.empty() ? 0 : 1), "Violations(0) is not 1");

  std::vector<std::string> secrets;
  CollectMarkedStrings(*instance, secrets);
  for (const std::string& secret : secrets) {
    // Property names may be shown; a value that is also a key is exempt.
    bool is_key = false;
    std::vector<const json*> stack = {&*instance};
    while (!stack.empty() && !is_key) {
      const json* node = stack.back();
      stack.pop_back();
      if (node->is_object() && node->contains(secret)) is_key = true;
      if (node->is_structured()) {
        for (const json& child : *node) stack.push_back(&child);
      }
    }
    if (is_key) continue;
    FUZZ_CHECK(!absl::StrContains(status.message(), secret),
               "a validation error quotes a string value");
    for (const common::SchemaViolation& v : all) {
      FUZZ_CHECK(!absl::StrContains(v.message, secret) &&
                     !absl::StrContains(v.path, secret),
                 "a violation quotes a string value");
    }
  }
  return 0;
}
