#ifndef LAYER_VAULT_VAULTD_RELAY_GRAPHQL_DOCUMENT_H_
#define LAYER_VAULT_VAULTD_RELAY_GRAPHQL_DOCUMENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace layer_vault::relay {

// GraphqlVariable is one `$name: Type = default` of an operation header.
struct GraphqlVariable {
  std::string name;       // without the "$"
  std::string type;       // as written, whitespace removed, e.g. "[ID!]!"
  bool non_null = false;  // the outer type ends in "!"
  bool has_default = false;
};

// GraphqlDocument is what the relay needs to know about a persisted
// document: its single operation's kind, name and declared variables, and
// every field/argument name it mentions.
struct GraphqlDocument {
  std::string operation_type;  // "query", "mutation" or "subscription"
  std::string operation_name;
  std::vector<GraphqlVariable> variables;
  // Every Name token outside strings and comments, in order of appearance.
  std::vector<std::string> names;
};

// Parses a GraphQL executable document far enough to read the header of its
// one operation (`query Name($a: T, $b: [U!]! = [...]) @dir { ... }`),
// tolerating comments, commas, block strings and fragment definitions.
// Not a validator: the operations test checks documents against Layer's
// schema with graphql-js. INVALID_ARGUMENT for lexical errors, an
// anonymous or shorthand operation, more than one operation, or unbalanced
// braces.
absl::StatusOr<GraphqlDocument> ParseGraphqlDocument(absl::string_view text);

}  // namespace layer_vault::relay

#endif  // LAYER_VAULT_VAULTD_RELAY_GRAPHQL_DOCUMENT_H_
