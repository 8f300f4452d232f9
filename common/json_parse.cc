#include "common/json_parse.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
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
  // nlohmann::json takes a NUL byte for the end of input: "{}\0<anything>"
  // would parse as {}, and a caller forwarding the raw text (the relay does)
  // would forward the rest unvalidated. A raw NUL is never valid JSON (in a
  // string it must be escaped), so refuse it.
  if (const size_t nul = text.find('\0'); nul != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not JSON (NUL byte at byte ", nul, ")"));
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
    if (!limits.reject_duplicate_keys) {
      return nlohmann::json::parse(text.begin(), text.end());
    }
    std::vector<absl::flat_hash_set<std::string>> keys;
    bool duplicate = false;
    nlohmann::json value = nlohmann::json::parse(
        text.begin(), text.end(),
        [&](int /*depth*/, nlohmann::json::parse_event_t event,
            nlohmann::json& parsed) {
          switch (event) {
            case nlohmann::json::parse_event_t::object_start:
              keys.emplace_back();
              break;
            case nlohmann::json::parse_event_t::object_end:
              if (!keys.empty()) keys.pop_back();
              break;
            case nlohmann::json::parse_event_t::key:
              if (!keys.empty() && parsed.is_string() &&
                  !keys.back().insert(parsed.get<std::string>()).second) {
                duplicate = true;
              }
              break;
            default:
              break;
          }
          return true;
        });
    if (duplicate) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " has an object with a duplicate key"));
    }
    return value;
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not valid JSON (error at byte ", e.byte, ")"));
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid JSON"));
  }
}

namespace {

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Index just past the string token starting at `i` (text[i] == '"').
size_t SkipString(absl::string_view text, size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return absl::string_view::npos;
}

// Index just past the value starting at `i`.
size_t SkipValue(absl::string_view text, size_t i) {
  if (i >= text.size()) return absl::string_view::npos;
  if (text[i] == '"') return SkipString(text, i);
  if (text[i] == '{' || text[i] == '[') {
    int depth = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '"') {
        i = SkipString(text, i);
        if (i == absl::string_view::npos) return i;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return absl::string_view::npos;
  }
  // Number or literal.
  while (i < text.size() && !IsJsonSpace(text[i]) && text[i] != ',' &&
         text[i] != '}' && text[i] != ']') {
    ++i;
  }
  return i;
}

}  // namespace

absl::StatusOr<std::optional<absl::string_view>> RawMemberSpan(
    absl::string_view text, absl::string_view key) {
  const auto malformed = [] {
    return absl::InvalidArgumentError("RawMemberSpan: not a JSON object");
  };
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && IsJsonSpace(text[i])) ++i;
  };
  skip_space();
  if (i >= text.size() || text[i] != '{') return malformed();
  ++i;
  std::optional<absl::string_view> found;
  while (true) {
    skip_space();
    if (i >= text.size()) return malformed();
    if (text[i] == '}') break;
    if (text[i] != '"') return malformed();
    const size_t key_end = SkipString(text, i);
    if (key_end == absl::string_view::npos) return malformed();
    std::string decoded;
    try {
      decoded = nlohmann::json::parse(text.substr(i, key_end - i)).get<std::string>();
    } catch (const nlohmann::json::exception&) {
      return malformed();
    }
    i = key_end;
    skip_space();
    if (i >= text.size() || text[i] != ':') return malformed();
    ++i;
    skip_space();
    const size_t value_end = SkipValue(text, i);
    if (value_end == absl::string_view::npos || value_end == i) {
      return malformed();
    }
    if (decoded == key) {
      if (found) return malformed();  // duplicate key
      found = text.substr(i, value_end - i);
    }
    i = value_end;
    skip_space();
    if (i >= text.size()) return malformed();
    if (text[i] == ',') {
      ++i;
      continue;
    }
    if (text[i] != '}') return malformed();
    break;
  }
  return found;
}

}  // namespace layer_vault::common
