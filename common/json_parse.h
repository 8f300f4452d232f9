#ifndef LAYER_VAULT_COMMON_JSON_PARSE_H_
#define LAYER_VAULT_COMMON_JSON_PARSE_H_

#include <cstddef>
#include <optional>

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
  // Refuse an object with the same key twice. nlohmann::json keeps the last
  // one silently; a relay that validates one copy and forwards text holding
  // another would be smuggling, so untrusted caller input sets this.
  bool reject_duplicate_keys = true;
};

// Parses untrusted JSON text (RFC 8259, UTF-8 validated) within `limits`.
// INVALID_ARGUMENT for text over the size or depth limit or malformed JSON;
// the message gives the byte offset, never the text itself (it may hold
// secrets). `what` names the input in messages ("params", "response body").
absl::StatusOr<nlohmann::json> ParseJsonBounded(absl::string_view text,
                                                const JsonParseLimits& limits,
                                                absl::string_view what);

// RawMemberSpan finds the member `key` of the top-level JSON object in
// `object_text` and returns the exact bytes of its value (a view into
// `object_text`), or nullopt if there is no such member. `object_text` must
// be a JSON object that ParseJsonBounded accepted with
// reject_duplicate_keys; INVALID_ARGUMENT otherwise. Used to forward a
// validated value byte for byte.
absl::StatusOr<std::optional<absl::string_view>> RawMemberSpan(
    absl::string_view object_text, absl::string_view key);

}  // namespace layer_vault::common

#endif  // LAYER_VAULT_COMMON_JSON_PARSE_H_
