#include "common/json_schema.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::common {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

struct Case {
  const char* name;
  const char* schema;
  const char* instance;
  bool valid;
  const char* rule = "";  // expected first violated rule
  const char* path = "";  // expected JSON pointer of the first violation
};

class ValidateTest : public ::testing::TestWithParam<Case> {};

TEST_P(ValidateTest, Validates) {
  const Case& c = GetParam();
  auto schema = JsonSchema::Compile(json::parse(c.schema));
  ASSERT_TRUE(schema.ok()) << schema.status();
  auto violations = schema->Violations(json::parse(c.instance));
  if (c.valid) {
    EXPECT_TRUE(violations.empty())
        << violations[0].path << " " << violations[0].rule << " "
        << violations[0].message;
    EXPECT_TRUE(schema->Validate(json::parse(c.instance)).ok());
  } else {
    ASSERT_FALSE(violations.empty());
    EXPECT_EQ(violations[0].rule, c.rule) << violations[0].message;
    EXPECT_EQ(violations[0].path, c.path);
    absl::Status status = schema->Validate(json::parse(c.instance));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr(c.rule));
  }
}

const Case kCases[] = {
    {"type_string_ok", R"({"type":"string"})", R"("x")", true},
    {"type_string_bad", R"({"type":"string"})", "1", false, "type"},
    {"type_array_of_types", R"({"type":["string","null"]})", "null", true},
    {"type_array_of_types_bad", R"({"type":["string","null"]})", "true", false,
     "type"},
    {"integer_accepts_int", R"({"type":"integer"})", "-3", true},
    {"integer_accepts_integral_float", R"({"type":"integer"})", "2.0", true},
    {"integer_rejects_fraction", R"({"type":"integer"})", "2.5", false, "type"},
    {"integer_accepts_uint64", R"({"type":"integer"})", "18446744073709551615",
     true},
    {"number_accepts_int", R"({"type":"number"})", "7", true},
    {"boolean_not_number", R"({"type":"number"})", "true", false, "type"},
    {"required_ok", R"({"type":"object","required":["a"]})", R"({"a":1})", true},
    {"required_missing", R"({"type":"object","required":["a"]})", "{}", false,
     "required"},
    {"properties_nested_path",
     R"({"properties":{"a":{"properties":{"b/c":{"type":"string"}}}}})",
     R"({"a":{"b/c":5}})", false, "type", "/a/b~1c"},
    {"additional_false", R"({"properties":{"a":{}},"additionalProperties":false})",
     R"({"a":1,"b":2})", false, "additionalProperties"},
    {"additional_schema_ok",
     R"({"properties":{"a":{}},"additionalProperties":{"type":"integer"}})",
     R"({"a":"x","b":2})", true},
    {"additional_schema_bad",
     R"({"properties":{"a":{}},"additionalProperties":{"type":"integer"}})",
     R"({"a":"x","b":"y"})", false, "type", "/b"},
    {"items_ok", R"({"items":{"type":"integer"}})", "[1,2,3]", true},
    {"items_bad_path", R"({"items":{"type":"integer"}})", R"([1,"x"])", false,
     "type", "/1"},
    {"enum_ok", R"({"enum":["low","medium","high"]})", R"("medium")", true},
    {"enum_bad", R"({"enum":["low","medium","high"]})", R"("ultra")", false,
     "enum"},
    {"enum_numeric_equality", R"({"enum":[1,2]})", "2.0", true},
    {"const_ok", R"({"const":{"a":[1]}})", R"({"a":[1]})", true},
    {"const_bad", R"({"const":"x"})", R"("y")", false, "const"},
    {"minimum_ok", R"({"minimum":1})", "1", true},
    {"minimum_bad", R"({"minimum":1})", "0.5", false, "minimum"},
    {"maximum_bad", R"({"maximum":16})", "17", false, "maximum"},
    {"exclusive_minimum_edge", R"({"exclusiveMinimum":0})", "0", false,
     "exclusiveMinimum"},
    {"exclusive_maximum_edge", R"({"exclusiveMaximum":1})", "1.0", false,
     "exclusiveMaximum"},
    {"exclusive_maximum_ok", R"({"exclusiveMaximum":1})", "0.999", true},
    {"large_int_precision", R"({"maximum":9007199254740992})",
     "9007199254740993", false, "maximum"},
    {"min_length_code_points", R"({"minLength":3})", R"("\u00e9\u00e9")", false,
     "minLength"},
    {"max_length_code_points", R"({"maxLength":2})", R"("\u00e9\u00e9")", true},
    {"max_length_emoji", R"({"maxLength":1})", R"("\ud83d\ude00")", true},
    {"max_length_bad", R"({"maxLength":2})", R"("abc")", false, "maxLength"},
    {"pattern_is_search", R"({"pattern":"b+"})", R"("abbbc")", true},
    {"pattern_anchored_bad", R"({"pattern":"^[a-z0-9-]+$"})", R"("a/b")", false,
     "pattern"},
    {"min_items", R"({"minItems":1})", "[]", false, "minItems"},
    {"max_items", R"({"maxItems":1})", "[1,2]", false, "maxItems"},
    {"unique_ok", R"({"uniqueItems":true})", R"([1,"1",[1],{"a":1}])", true},
    {"unique_numeric", R"({"uniqueItems":true})", "[1,1.0]", false,
     "uniqueItems"},
    {"unique_objects_any_key_order", R"({"uniqueItems":true})",
     R"([{"a":1,"b":2},{"b":2,"a":1}])", false, "uniqueItems"},
    {"one_of_exactly_one", R"({"oneOf":[{"type":"string"},{"type":"integer"}]})",
     "3", true},
    {"one_of_two_match", R"({"oneOf":[{"type":"number"},{"type":"integer"}]})",
     "3", false, "oneOf"},
    {"one_of_none", R"({"oneOf":[{"type":"string"},{"type":"integer"}]})",
     "true", false, "oneOf"},
    {"any_of_ok", R"({"anyOf":[{"type":"string"},{"minimum":5}]})", "6", true},
    {"any_of_none", R"({"anyOf":[{"type":"string"},{"minimum":5}]})", "4",
     false, "anyOf"},
    {"format_uuid_ok", R"({"format":"uuid"})",
     R"("00000000-0000-4000-8000-0000000000aA")", true},
    {"format_uuid_bad", R"({"format":"uuid"})",
     R"("00000000-0000-4000-8000-0000000000a")", false, "format"},
    {"format_ignores_non_strings", R"({"format":"uuid"})", "5", true},
    {"default_is_not_applied",
     R"({"type":"object","required":["a"],"properties":{"a":{"default":1}}})",
     "{}", false, "required"},
    {"false_schema", R"({"properties":{"a":false}})", R"({"a":1})", false,
     "false", "/a"},
    {"true_schema", "true", R"({"anything":[1,2]})", true},
    {"annotations_ignored",
     R"({"title":"t","description":"d","examples":[1],"$comment":"c","type":"integer"})",
     "1", true},
};

INSTANTIATE_TEST_SUITE_P(Cases, ValidateTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param.name; });

struct BadSchema {
  const char* name;
  const char* schema;
  const char* expected;  // substring of the error
};

class CompileTest : public ::testing::TestWithParam<BadSchema> {};

TEST_P(CompileTest, Rejects) {
  auto schema = JsonSchema::Compile(json::parse(GetParam().schema));
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(schema.status().message(), HasSubstr(GetParam().expected));
}

const BadSchema kBadSchemas[] = {
    {"typo_keyword", R"({"type":"object","propertise":{}})", "\"propertise\""},
    {"typo_nested_path",
     R"({"properties":{"width":{"type":"integer","minimun":1}}})",
     "/properties/width: \"minimun\""},
    {"unknown_type", R"({"type":"int"})", "unknown type"},
    {"repeated_type", R"({"type":["string","string"]})", "repeats"},
    {"empty_type_list", R"({"type":[]})", "must not be empty"},
    {"ref_unsupported", R"({"$ref":"#/x"})", "\"$ref\""},
    {"multiple_of_unsupported", R"({"multipleOf":2})", "\"multipleOf\""},
    {"all_of_unsupported", R"({"allOf":[{}]})", "\"allOf\""},
    {"format_unsupported", R"({"format":"date-time"})", "unsupported format"},
    {"bad_pattern", R"({"pattern":"(unclosed"})", "does not compile"},
    {"negative_min_length", R"({"minLength":-1})", "non-negative integer"},
    {"fractional_max_items", R"({"maxItems":1.5})", "non-negative integer"},
    {"draft4_exclusive", R"({"exclusiveMinimum":true})", "must be a number"},
    {"required_not_strings", R"({"required":[1]})", "array of strings"},
    {"required_repeats", R"({"required":["a","a"]})", "repeats"},
    {"enum_empty", R"({"enum":[]})", "non-empty array"},
    {"tuple_items", R"({"items":[{}]})", "tuple"},
    {"schema_not_object", R"({"properties":{"a":3}})", "object or a boolean"},
    {"one_of_empty", R"({"oneOf":[]})", "non-empty array"},
    {"unique_not_bool", R"({"uniqueItems":"yes"})", "boolean"},
};

INSTANTIATE_TEST_SUITE_P(Cases, CompileTest, ::testing::ValuesIn(kBadSchemas),
                         [](const auto& info) { return info.param.name; });

TEST(JsonSchemaTest, RejectsSchemasNestedTooDeep) {
  json schema = json::object();
  for (int i = 0; i < 40; ++i) schema = json{{"items", schema}};
  auto compiled = JsonSchema::Compile(schema);
  ASSERT_FALSE(compiled.ok());
  EXPECT_THAT(compiled.status().message(), HasSubstr("deeper"));
}

TEST(JsonSchemaTest, MessageNamesPathRuleAndPrefix) {
  auto schema = JsonSchema::Compile(json::parse(
      R"({"type":"object","properties":{"width":{"type":"integer","minimum":1}}})"));
  ASSERT_TRUE(schema.ok());
  absl::Status status = schema->Validate(json::parse(R"({"width":0})"), "/body");
  EXPECT_EQ(status.message(), "/body/width: minimum: 0 is less than 1");
  status = schema->Validate(json::parse("[]"));
  EXPECT_EQ(status.message(), "(root): type: expected object, got array");
}

TEST(JsonSchemaTest, NeverEchoesStringValues) {
  auto schema = JsonSchema::Compile(json::parse(
      R"({"properties":{"a":{"maxLength":3,"pattern":"^x$","format":"uuid","enum":["q"]}}})"));
  ASSERT_TRUE(schema.ok());
  absl::Status status =
      schema->Validate(json{{"a", "pat_SECRETSECRETSECRET"}});
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              ::testing::Not(HasSubstr("SECRET")));
}

TEST(JsonSchemaTest, CapsViolationsAndSummarises) {
  auto schema = JsonSchema::Compile(
      json::parse(R"({"items":{"type":"string"}})"));
  ASSERT_TRUE(schema.ok());
  json many = json::array();
  for (int i = 0; i < 100; ++i) many.push_back(i);
  EXPECT_EQ(schema->Violations(many, 5).size(), 5u);
  EXPECT_EQ(schema->Violations(many, 0).size(), 1u);
  absl::Status status = schema->Validate(many);
  EXPECT_THAT(status.message(), HasSubstr("; ..."));
}

TEST(JsonSchemaTest, LongStringsFailPatternWithoutMatching) {
  JsonSchemaOptions options;
  options.max_pattern_input_bytes = 16;
  auto schema = JsonSchema::Compile(json::parse(R"({"pattern":"^(a|a)*$"})"),
                                    options);
  ASSERT_TRUE(schema.ok());
  EXPECT_TRUE(schema->Validate(json(std::string(16, 'a'))).ok());
  absl::Status status = schema->Validate(json(std::string(100000, 'a')));
  EXPECT_THAT(status.message(), HasSubstr("too long"));
}

TEST(JsonSchemaTest, LargeUniqueArrayIsFast) {
  auto schema = JsonSchema::Compile(json::parse(R"({"uniqueItems":true})"));
  ASSERT_TRUE(schema.ok());
  json items = json::array();
  for (int i = 0; i < 50000; ++i) items.push_back(i);
  EXPECT_TRUE(schema->Validate(items).ok());
  items.push_back(49999.0);
  EXPECT_FALSE(schema->Validate(items).ok());
}

TEST(JsonSchemaTest, CopiesShareTheCompiledTree) {
  auto schema = JsonSchema::Compile(json::parse(R"({"type":"string"})"));
  ASSERT_TRUE(schema.ok());
  JsonSchema copy = *schema;
  EXPECT_FALSE(copy.Validate(1).ok());
  EXPECT_EQ(copy.source(), json::parse(R"({"type":"string"})"));
}

TEST(JsonPointerTest, Escapes) {
  EXPECT_EQ(AppendJsonPointer("", "a"), "/a");
  EXPECT_EQ(AppendJsonPointer("/x", "a/b~c"), "/x/a~1b~0c");
  EXPECT_EQ(AppendJsonPointer("", ""), "/");
}

}  // namespace
}  // namespace layer_vault::common
