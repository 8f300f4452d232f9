#include "vaultd/relay/graphql_document.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::relay {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(GraphqlDocumentTest, ParsesMultiLineHeaderWithoutCommas) {
  auto doc = ParseGraphqlDocument(R"(# Rewrites a prompt.
mutation TransformPrompt(
  $workspaceId: ID!
  $prompt: String!
  $guidance: String
  $images: [InferenceParametersGuidanceFileInput!]
) {
  transformPrompt(input: {workspaceId: $workspaceId, prompt: $prompt}) {
    __typename
    ... on StringWrapper { value }
    ... on Error { type code title message data }
  }
})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->operation_type, "mutation");
  EXPECT_EQ(doc->operation_name, "TransformPrompt");
  ASSERT_EQ(doc->variables.size(), 4u);
  EXPECT_EQ(doc->variables[0].name, "workspaceId");
  EXPECT_EQ(doc->variables[0].type, "ID!");
  EXPECT_TRUE(doc->variables[0].non_null);
  EXPECT_FALSE(doc->variables[2].non_null);
  EXPECT_EQ(doc->variables[3].type, "[InferenceParametersGuidanceFileInput!]");
  EXPECT_FALSE(doc->variables[3].non_null);
  EXPECT_THAT(doc->names, Contains("transformPrompt"));
  EXPECT_THAT(doc->names, Not(Contains("Rewrites")));  // comments skipped
}

TEST(GraphqlDocumentTest, DefaultsDirectivesStringsAndFragments) {
  auto doc = ParseGraphqlDocument(R"(
query Q($a: [Int!]! = [1, 2], $b: In = {x: "}", y: [3]} @deprecated(reason: "r"), $c: Boolean = false) @cached {
  f(s: """block } string""", t: "esc \" }") { ...Frag }
}
fragment Frag on T { g })");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->operation_type, "query");
  ASSERT_EQ(doc->variables.size(), 3u);
  EXPECT_EQ(doc->variables[0].type, "[Int!]!");
  EXPECT_TRUE(doc->variables[0].non_null);
  EXPECT_TRUE(doc->variables[0].has_default);
  EXPECT_TRUE(doc->variables[1].has_default);
  EXPECT_TRUE(doc->variables[2].has_default);
  EXPECT_THAT(doc->names, Contains("g"));
}

TEST(GraphqlDocumentTest, NoVariables) {
  auto doc = ParseGraphqlDocument("query Me { getMyUser { __typename } }");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_TRUE(doc->variables.empty());
}

struct Bad {
  const char* name;
  const char* text;
  const char* error;
};

class BadDocumentTest : public ::testing::TestWithParam<Bad> {};

TEST_P(BadDocumentTest, Rejects) {
  auto doc = ParseGraphqlDocument(GetParam().text);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(doc.status().message(), HasSubstr(GetParam().error));
}

const Bad kBad[] = {
    {"empty", "", "no operation"},
    {"shorthand", "{ a }", "anonymous"},
    {"anonymous", "query { a }", "must be named"},
    {"two_operations", "query A { a } query B { b }", "exactly one"},
    {"unbalanced", "query A { a ", "unbalanced"},
    {"stray_close", "query A ) { a }", "unbalanced"},
    {"unterminated_string", "query A { a(s: \"x) }", "unterminated string"},
    {"unterminated_block", "query A { a(s: \"\"\"x) }", "unterminated block"},
    {"bad_char", "query A { a ; }", "unexpected character"},
    {"duplicate_variable", "query A($a: Int, $a: Int) { a }", "declared twice"},
    {"missing_type", "query A($a) { a }", "expected \":\""},
    {"bad_list_type", "query A($a: [Int) { a }", "expected \"]\""},
    {"dollar_alone", "query A($ : Int) { a }", "without a variable name"},
    {"unterminated_vars", "query A($a: Int", "unterminated"},
};

INSTANTIATE_TEST_SUITE_P(Cases, BadDocumentTest, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace layer_vault::relay
