#include "common/json_schema.h"

#include <cmath>
#include <cstdint>
#include <optional>
// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s regex
// automaton when sanitizers are on (GCC bug 105562 family).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace layer_vault::common {

using nlohmann::json;

namespace {

enum TypeBit : uint32_t {
  kNull = 1u << 0,
  kBoolean = 1u << 1,
  kObject = 1u << 2,
  kArray = 1u << 3,
  kNumber = 1u << 4,
  kInteger = 1u << 5,
  kString = 1u << 6,
};

std::optional<uint32_t> TypeBitFromName(const std::string& name) {
  if (name == "null") return kNull;
  if (name == "boolean") return kBoolean;
  if (name == "object") return kObject;
  if (name == "array") return kArray;
  if (name == "number") return kNumber;
  if (name == "integer") return kInteger;
  if (name == "string") return kString;
  return std::nullopt;
}

std::string TypeMaskToString(uint32_t mask) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {kNull, "null"},     {kBoolean, "boolean"}, {kObject, "object"},
      {kArray, "array"},   {kNumber, "number"},   {kInteger, "integer"},
      {kString, "string"},
  };
  std::vector<std::string> names;
  for (const auto& [bit, name] : kNames) {
    if (mask & bit) names.push_back(name);
  }
  return absl::StrJoin(names, " or ");
}

bool IsIntegral(const json& v) {
  if (v.is_number_integer()) return true;  // signed and unsigned
  if (!v.is_number_float()) return false;
  double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

const char* InstanceTypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return IsIntegral(v) ? "integer" : "number";
    default:
      return "unsupported";
  }
}

bool MatchesType(uint32_t mask, const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return mask & kNull;
    case json::value_t::boolean:
      return mask & kBoolean;
    case json::value_t::object:
      return mask & kObject;
    case json::value_t::array:
      return mask & kArray;
    case json::value_t::string:
      return mask & kString;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      if (mask & kNumber) return true;
      return (mask & kInteger) && IsIntegral(v);
    default:
      return false;
  }
}

// Numbers compare exactly: long double holds every int64, uint64 and double
// value on the platforms we build for (x86-64 80-bit extended precision).
long double AsLongDouble(const json& v) {
  if (v.is_number_unsigned()) {
    return static_cast<long double>(v.get<uint64_t>());
  }
  if (v.is_number_integer()) {
    return static_cast<long double>(v.get<int64_t>());
  }
  return static_cast<long double>(v.get<double>());
}

std::string NumberText(const json& v) { return v.dump(); }

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

bool IsUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!IsHex(s[i])) {
      return false;
    }
  }
  return true;
}

// Canonical text of a JSON value such that two values are equal under JSON
// Schema equality (1 == 1.0) exactly when their canonical texts are equal.
// Objects are std::map-ordered in nlohmann::json, so key order is canonical.
void AppendCanonical(const json& v, std::string* out) {
  switch (v.type()) {
    case json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, value] : v.items()) {
        if (!first) out->push_back(',');
        first = false;
        out->append(json(key).dump(-1, ' ', false, json::error_handler_t::replace));
        out->push_back(':');
        AppendCanonical(value, out);
      }
      out->push_back('}');
      return;
    }
    case json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& item : v) {
        if (!first) out->push_back(',');
        first = false;
        AppendCanonical(item, out);
      }
      out->push_back(']');
      return;
    }
    case json::value_t::number_float: {
      double d = v.get<double>();
      if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.2e18) {
        // Integral floats canonicalise as integers.
        out->append(std::to_string(static_cast<int64_t>(d)));
        return;
      }
      out->append(v.dump());
      return;
    }
    default:
      out->append(v.dump(-1, ' ', false, json::error_handler_t::replace));
      return;
  }
}

std::string Canonical(const json& v) {
  std::string out;
  AppendCanonical(v, &out);
  return out;
}

}  // namespace

std::string AppendJsonPointer(absl::string_view pointer,
                              absl::string_view token) {
  std::string out(pointer);
  out.push_back('/');
  for (char c : token) {
    if (c == '~') {
      out.append("~0");
    } else if (c == '/') {
      out.append("~1");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct JsonSchema::Node {
  // A boolean schema: `false` rejects everything, `true` accepts everything.
  bool always_false = false;

  std::optional<uint32_t> type_mask;
  std::vector<std::pair<std::string, std::shared_ptr<const Node>>> properties;
  std::vector<std::string> required;
  // additionalProperties: absent means allowed; a schema applies to every
  // property not listed in `properties`.
  bool additional_allowed = true;
  std::shared_ptr<const Node> additional_schema;
  std::shared_ptr<const Node> items;
  std::optional<std::vector<json>> enum_values;
  std::optional<json> const_value;
  std::optional<json> minimum, maximum, exclusive_minimum, exclusive_maximum;
  std::optional<uint64_t> min_length, max_length, min_items, max_items;
  bool unique_items = false;
  std::optional<std::regex> pattern;
  std::string pattern_source;
  bool format_uuid = false;
  std::vector<std::shared_ptr<const Node>> one_of, any_of;

  const Node* FindProperty(const std::string& name) const {
    for (const auto& [key, node] : properties) {
      if (key == name) return node.get();
    }
    return nullptr;
  }
};

namespace {

using Node = JsonSchema::Node;

class Compiler {
 public:
  explicit Compiler(const JsonSchemaOptions& options) : options_(options) {}

  absl::StatusOr<std::shared_ptr<const Node>> Compile(const json& schema,
                                                      const std::string& path,
                                                      int depth) {
    if (depth > options_.max_schema_depth) {
      return Error(path, "", "schema nested deeper than the limit of " +
                                 std::to_string(options_.max_schema_depth));
    }
    auto node = std::make_shared<Node>();
    if (schema.is_boolean()) {
      node->always_false = !schema.get<bool>();
      return std::shared_ptr<const Node>(std::move(node));
    }
    if (!schema.is_object()) {
      return Error(path, "", "a schema must be an object or a boolean");
    }
    for (const auto& [key, value] : schema.items()) {
      absl::Status status = Keyword(key, value, path, depth, node.get());
      if (!status.ok()) return status;
    }
    return std::shared_ptr<const Node>(std::move(node));
  }

 private:
  static absl::Status Error(const std::string& path, const std::string& keyword,
                            const std::string& what) {
    std::string where = path.empty() ? "(root)" : path;
    if (keyword.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid JSON Schema at ", where, ": ", what));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid JSON Schema at ", where, ": \"", keyword, "\" ", what));
  }

  static absl::StatusOr<uint64_t> NonNegativeInteger(const json& value,
                                                     const std::string& path,
                                                     const std::string& key) {
    if (!value.is_number() || !IsIntegral(value) || AsLongDouble(value) < 0) {
      return Error(path, key, "must be a non-negative integer");
    }
    long double d = AsLongDouble(value);
    if (d > static_cast<long double>(UINT64_MAX)) return UINT64_MAX;
    return static_cast<uint64_t>(d);
  }

  absl::StatusOr<std::vector<std::shared_ptr<const Node>>> SchemaArray(
      const json& value, const std::string& path, const std::string& key,
      int depth) {
    if (!value.is_array() || value.empty()) {
      return Error(path, key, "must be a non-empty array of schemas");
    }
    std::vector<std::shared_ptr<const Node>> out;
    for (size_t i = 0; i < value.size(); ++i) {
      auto sub = Compile(
          value[i],
          AppendJsonPointer(AppendJsonPointer(path, key), std::to_string(i)),
          depth + 1);
      if (!sub.ok()) return sub.status();
      out.push_back(*std::move(sub));
    }
    return out;
  }

  absl::Status Keyword(const std::string& key, const json& value,
                       const std::string& path, int depth, Node* node) {
    const std::string sub_path = AppendJsonPointer(path, key);
    if (key == "title" || key == "description" || key == "$comment") {
      if (!value.is_string()) return Error(path, key, "must be a string");
      return absl::OkStatus();
    }
    if (key == "$schema") {
      if (!value.is_string()) return Error(path, key, "must be a string");
      return absl::OkStatus();
    }
    if (key == "default") return absl::OkStatus();  // annotation only
    if (key == "examples") {
      if (!value.is_array()) return Error(path, key, "must be an array");
      return absl::OkStatus();
    }
    if (key == "type") {
      uint32_t mask = 0;
      auto add = [&](const json& name) -> absl::Status {
        if (!name.is_string()) {
          return Error(path, key, "must name types as strings");
        }
        auto bit = TypeBitFromName(name.get<std::string>());
        if (!bit) {
          return Error(path, key,
                       "names an unknown type " + name.dump());
        }
        if (mask & *bit) return Error(path, key, "repeats a type");
        mask |= *bit;
        return absl::OkStatus();
      };
      if (value.is_array()) {
        if (value.empty()) return Error(path, key, "must not be empty");
        for (const auto& name : value) {
          absl::Status status = add(name);
          if (!status.ok()) return status;
        }
      } else {
        absl::Status status = add(value);
        if (!status.ok()) return status;
      }
      node->type_mask = mask;
      return absl::OkStatus();
    }
    if (key == "properties") {
      if (!value.is_object()) return Error(path, key, "must be an object");
      for (const auto& [name, sub] : value.items()) {
        auto compiled = Compile(sub, AppendJsonPointer(sub_path, name),
                                depth + 1);
        if (!compiled.ok()) return compiled.status();
        node->properties.emplace_back(name, *std::move(compiled));
      }
      return absl::OkStatus();
    }
    if (key == "required") {
      if (!value.is_array()) {
        return Error(path, key, "must be an array of strings");
      }
      absl::flat_hash_set<std::string> seen;
      for (const auto& name : value) {
        if (!name.is_string()) {
          return Error(path, key, "must be an array of strings");
        }
        if (!seen.insert(name.get<std::string>()).second) {
          return Error(path, key, "repeats " + name.dump());
        }
        node->required.push_back(name.get<std::string>());
      }
      return absl::OkStatus();
    }
    if (key == "additionalProperties") {
      if (value.is_boolean()) {
        node->additional_allowed = value.get<bool>();
        return absl::OkStatus();
      }
      auto compiled = Compile(value, sub_path, depth + 1);
      if (!compiled.ok()) return compiled.status();
      node->additional_schema = *std::move(compiled);
      return absl::OkStatus();
    }
    if (key == "items") {
      if (value.is_array()) {
        return Error(path, key,
                     "must be a single schema (tuple validation is not "
                     "supported)");
      }
      auto compiled = Compile(value, sub_path, depth + 1);
      if (!compiled.ok()) return compiled.status();
      node->items = *std::move(compiled);
      return absl::OkStatus();
    }
    if (key == "enum") {
      if (!value.is_array() || value.empty()) {
        return Error(path, key, "must be a non-empty array");
      }
      node->enum_values = value.get<std::vector<json>>();
      return absl::OkStatus();
    }
    if (key == "const") {
      node->const_value = value;
      return absl::OkStatus();
    }
    if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" ||
        key == "exclusiveMaximum") {
      if (!value.is_number()) {
        return Error(path, key,
                     "must be a number (the draft-04 boolean form is not "
                     "supported)");
      }
      if (key == "minimum") node->minimum = value;
      if (key == "maximum") node->maximum = value;
      if (key == "exclusiveMinimum") node->exclusive_minimum = value;
      if (key == "exclusiveMaximum") node->exclusive_maximum = value;
      return absl::OkStatus();
    }
    if (key == "minLength" || key == "maxLength" || key == "minItems" ||
        key == "maxItems") {
      auto n = NonNegativeInteger(value, path, key);
      if (!n.ok()) return n.status();
      if (key == "minLength") node->min_length = *n;
      if (key == "maxLength") node->max_length = *n;
      if (key == "minItems") node->min_items = *n;
      if (key == "maxItems") node->max_items = *n;
      return absl::OkStatus();
    }
    if (key == "uniqueItems") {
      if (!value.is_boolean()) return Error(path, key, "must be a boolean");
      node->unique_items = value.get<bool>();
      return absl::OkStatus();
    }
    if (key == "pattern") {
      if (!value.is_string()) return Error(path, key, "must be a string");
      const std::string& source = value.get_ref<const std::string&>();
      if (source.size() > options_.max_pattern_bytes) {
        return Error(path, key,
                     "is longer than " +
                         std::to_string(options_.max_pattern_bytes) +
                         " bytes");
      }
      try {
        node->pattern.emplace(source, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return Error(path, key, absl::StrCat("does not compile: ", e.what()));
      }
      node->pattern_source = source;
      return absl::OkStatus();
    }
    if (key == "format") {
      if (!value.is_string()) return Error(path, key, "must be a string");
      if (value.get<std::string>() != "uuid") {
        return Error(path, key,
                     "names an unsupported format " + value.dump() +
                         " (only \"uuid\" is supported)");
      }
      node->format_uuid = true;
      return absl::OkStatus();
    }
    if (key == "oneOf" || key == "anyOf") {
      auto subs = SchemaArray(value, path, key, depth);
      if (!subs.ok()) return subs.status();
      (key == "oneOf" ? node->one_of : node->any_of) = *std::move(subs);
      return absl::OkStatus();
    }
    return Error(path, key, "is not a supported keyword");
  }

  const JsonSchemaOptions& options_;
};

class Validator {
 public:
  Validator(const JsonSchemaOptions& options, size_t max_violations)
      : options_(options), max_(max_violations == 0 ? 1 : max_violations) {}

  std::vector<SchemaViolation> Run(const Node& node, const json& instance,
                                   std::string path) {
    Visit(node, instance, path);
    return std::move(violations_);
  }

 private:
  bool Full() const { return violations_.size() >= max_; }

  void Add(const std::string& path, const char* rule, std::string message) {
    if (Full()) return;
    violations_.push_back(SchemaViolation{path, rule, std::move(message)});
  }

  // True if `instance` satisfies `node` (no violations recorded).
  bool Passes(const Node& node, const json& instance, const std::string& path) {
    Validator sub(options_, 1);
    std::string p = path;
    sub.Visit(node, instance, p);
    return sub.violations_.empty();
  }

  void Visit(const Node& node, const json& v, std::string& path) {
    if (Full()) return;
    if (node.always_false) {
      Add(path, "false", "no value is allowed here");
      return;
    }
    if (node.type_mask && !MatchesType(*node.type_mask, v)) {
      Add(path, "type",
          absl::StrCat("expected ", TypeMaskToString(*node.type_mask),
                       ", got ", InstanceTypeName(v)));
      return;
    }
    if (node.enum_values) {
      bool found = false;
      for (const auto& allowed : *node.enum_values) {
        if (allowed == v) {
          found = true;
          break;
        }
      }
      if (!found) {
        std::string allowed_text = json(*node.enum_values).dump();
        if (allowed_text.size() > 200) {
          allowed_text = allowed_text.substr(0, 200) + "...";
        }
        Add(path, "enum", "must be one of " + allowed_text);
      }
    }
    if (node.const_value && !(*node.const_value == v)) {
      std::string expected = node.const_value->dump();
      if (expected.size() > 200) expected = expected.substr(0, 200) + "...";
      Add(path, "const", "must equal " + expected);
    }
    if (v.is_number()) Numeric(node, v, path);
    if (v.is_string()) String(node, v.get_ref<const std::string&>(), path);
    if (v.is_array()) Array(node, v, path);
    if (v.is_object()) Object(node, v, path);
    if (!node.any_of.empty()) {
      bool any = false;
      for (const auto& sub : node.any_of) {
        if (Passes(*sub, v, path)) {
          any = true;
          break;
        }
      }
      if (!any) {
        Add(path, "anyOf",
            absl::StrCat("matches none of the ", node.any_of.size(),
                         " alternatives"));
      }
    }
    if (!node.one_of.empty()) {
      size_t matches = 0;
      for (const auto& sub : node.one_of) {
        if (Passes(*sub, v, path)) ++matches;
      }
      if (matches != 1) {
        Add(path, "oneOf",
            absl::StrCat("matches ", matches, " of the ", node.one_of.size(),
                         " alternatives; exactly one must match"));
      }
    }
  }

  void Numeric(const Node& node, const json& v, const std::string& path) {
    long double x = AsLongDouble(v);
    if (node.minimum && x < AsLongDouble(*node.minimum)) {
      Add(path, "minimum",
          absl::StrCat(NumberText(v), " is less than ",
                       NumberText(*node.minimum)));
    }
    if (node.maximum && x > AsLongDouble(*node.maximum)) {
      Add(path, "maximum",
          absl::StrCat(NumberText(v), " is greater than ",
                       NumberText(*node.maximum)));
    }
    if (node.exclusive_minimum && x <= AsLongDouble(*node.exclusive_minimum)) {
      Add(path, "exclusiveMinimum",
          absl::StrCat(NumberText(v), " must be greater than ",
                       NumberText(*node.exclusive_minimum)));
    }
    if (node.exclusive_maximum && x >= AsLongDouble(*node.exclusive_maximum)) {
      Add(path, "exclusiveMaximum",
          absl::StrCat(NumberText(v), " must be less than ",
                       NumberText(*node.exclusive_maximum)));
    }
  }

  void String(const Node& node, const std::string& s, const std::string& path) {
    if (node.min_length || node.max_length) {
      size_t n = CodePoints(s);
      if (node.min_length && n < *node.min_length) {
        Add(path, "minLength",
            absl::StrCat("length ", n, " is shorter than ", *node.min_length));
      }
      if (node.max_length && n > *node.max_length) {
        Add(path, "maxLength",
            absl::StrCat("length ", n, " is longer than ", *node.max_length));
      }
    }
    if (node.format_uuid && !IsUuid(s)) {
      Add(path, "format", "must be a UUID (8-4-4-4-12 hex digits)");
    }
    if (node.pattern) {
      if (s.size() > options_.max_pattern_input_bytes) {
        Add(path, "pattern",
            absl::StrCat("string of ", s.size(),
                         " bytes is too long to match against a pattern (max ",
                         options_.max_pattern_input_bytes, ")"));
        return;
      }
      bool matched = false;
      try {
        matched = std::regex_search(s, *node.pattern);
      } catch (const std::regex_error&) {
        Add(path, "pattern", "could not be evaluated on this string");
        return;
      }
      if (!matched) {
        Add(path, "pattern", "does not match " + json(node.pattern_source).dump());
      }
    }
  }

  void Array(const Node& node, const json& v, std::string& path) {
    if (node.min_items && v.size() < *node.min_items) {
      Add(path, "minItems",
          absl::StrCat(v.size(), " items, fewer than ", *node.min_items));
    }
    if (node.max_items && v.size() > *node.max_items) {
      Add(path, "maxItems",
          absl::StrCat(v.size(), " items, more than ", *node.max_items));
    }
    if (node.unique_items) {
      std::unordered_set<std::string> seen;
      for (size_t i = 0; i < v.size(); ++i) {
        if (!seen.insert(Canonical(v[i])).second) {
          Add(path, "uniqueItems",
              absl::StrCat("item ", i, " repeats an earlier item"));
          break;
        }
      }
    }
    if (node.items) {
      const size_t base = path.size();
      for (size_t i = 0; i < v.size() && !Full(); ++i) {
        path.append("/").append(std::to_string(i));
        Visit(*node.items, v[i], path);
        path.resize(base);
      }
    }
  }

  void Object(const Node& node, const json& v, std::string& path) {
    for (const auto& name : node.required) {
      if (!v.contains(name)) {
        Add(path, "required", "missing required property " + json(name).dump());
      }
    }
    const size_t base = path.size();
    for (const auto& [key, value] : v.items()) {
      if (Full()) return;
      const Node* property = node.FindProperty(key);
      const Node* schema = property;
      if (schema == nullptr) {
        if (!node.additional_allowed) {
          std::string shown = key.size() > 64 ? key.substr(0, 64) + "..." : key;
          Add(path, "additionalProperties",
              "property " + json(shown).dump(-1, ' ', false,
                                             json::error_handler_t::replace) +
                  " is not allowed");
          continue;
        }
        schema = node.additional_schema.get();
      }
      if (schema == nullptr) continue;
      path = AppendJsonPointer(path, key);
      Visit(*schema, value, path);
      path.resize(base);
    }
  }

  const JsonSchemaOptions& options_;
  const size_t max_;
  std::vector<SchemaViolation> violations_;
};

}  // namespace

absl::StatusOr<JsonSchema> JsonSchema::Compile(
    const nlohmann::json& schema, const JsonSchemaOptions& options) {
  try {
    Compiler compiler(options);
    auto root = compiler.Compile(schema, "", 0);
    if (!root.ok()) return root.status();
    return JsonSchema(*std::move(root), std::make_shared<const json>(schema),
                      options);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON Schema: ", e.what()));
  }
}

std::vector<SchemaViolation> JsonSchema::Violations(
    const nlohmann::json& instance, size_t max_violations) const {
  Validator validator(options_, max_violations);
  return validator.Run(*root_, instance, "");
}

absl::Status JsonSchema::Validate(const nlohmann::json& instance,
                                  absl::string_view path_prefix) const {
  constexpr size_t kShown = 3;
  std::vector<SchemaViolation> violations;
  try {
    violations = Violations(instance, kShown + 1);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("value could not be validated: ", e.what()));
  }
  if (violations.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  for (size_t i = 0; i < violations.size() && i < kShown; ++i) {
    const auto& v = violations[i];
    std::string path = absl::StrCat(path_prefix, v.path);
    parts.push_back(absl::StrCat(path.empty() ? "(root)" : path, ": ", v.rule,
                                 ": ", v.message));
  }
  std::string message = absl::StrJoin(parts, "; ");
  if (violations.size() > kShown) absl::StrAppend(&message, "; ...");
  return absl::InvalidArgumentError(message);
}

}  // namespace layer_vault::common
