#include "common/json_parse.h"

#include "absl/strings/str_cat.h"

namespace layer_vault::common {

absl::StatusOr<nlohmann::json> ParseJsonBounded(absl::string_view text,
                                                const JsonParseLimits& limits,
                                                absl::string_view what) {
  if (text.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is ", text.size(), " bytes, over the limit of ",
                     limits.max_bytes));
  }
  // Depth pre-scan: exact for well-formed JSON, and conservative for the
  // rest (malformed text fails the parse below anyway).
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limits.max_depth) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " is nested deeper than ", limits.max_depth,
                         " levels (at byte ", i, ")"));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not valid JSON (error at byte ", e.byte, ")"));
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid JSON"));
  }
}

}  // namespace layer_vault::common
