#ifndef LAYER_VAULT_COMMON_JSON_PARSE_H_
#define LAYER_VAULT_COMMON_JSON_PARSE_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace layer_vault::common {

// Bounds for parsing untrusted JSON text.
struct JsonParseLimits {
  size_t max_bytes = 64 * 1024;
  // Deepest nesting of arrays and objects. nlohmann::json copies and dumps
  // values recursively, so depth must be bounded before a value is used.
  int max_depth = 64;
};

// Parses untrusted JSON text (RFC 8259, UTF-8 validated) within `limits`.
// INVALID_ARGUMENT for text over the size or depth limit or malformed JSON;
// the message gives the byte offset, never the text itself (it may hold
// secrets). `what` names the input in messages ("params", "response body").
absl::StatusOr<nlohmann::json> ParseJsonBounded(absl::string_view text,
                                                const JsonParseLimits& limits,
                                                absl::string_view what);

}  // namespace layer_vault::common

#endif  // LAYER_VAULT_COMMON_JSON_PARSE_H_
