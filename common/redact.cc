#include "common/redact.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"

namespace layer_vault::common {
namespace {

using nlohmann::json;

inline char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool IsTokenChar(char c) {  // [A-Za-z0-9_-]
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

inline bool IsBearerStop(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\v':
    case '\f':
    case '"':
    case '\'':
    case ',':
    case ';':
    case '<':
    case '>':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case '\\':
    case '\0':
      return true;
    default:
      return false;
  }
}

// True if `text` at `pos` starts with the lower-case ASCII `word`, ignoring
// case.
inline bool StartsWithNoCase(absl::string_view text, size_t pos,
                             absl::string_view word) {
  if (text.size() - pos < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (Lower(text[pos + i]) != word[i]) return false;
  }
  return true;
}

inline size_t TokenRun(absl::string_view text, size_t pos) {
  size_t end = pos;
  while (end < text.size() && IsTokenChar(text[end])) ++end;
  return end - pos;
}

// A match: text[begin, end) is replaced by text[begin, begin + keep) followed
// by "[REDACTED]".
struct Match {
  size_t begin;
  size_t end;
  size_t keep;
};

// Tries every rule at `pos`; returns the match starting there, if any.
absl::optional<Match> MatchAt(absl::string_view text, size_t pos) {
  const char c = Lower(text[pos]);
  if (c == 'p') {
    if (StartsWithNoCase(text, pos, "pat_")) {
      size_t run = TokenRun(text, pos + 4);
      if (run >= 8) return Match{pos, pos + 4 + run, 0};
    }
  } else if (c == 'v') {
    // v[1-4].(local|public).payload(.footer)?
    if (text.size() - pos >= 3 && text[pos + 1] >= '1' &&
        text[pos + 1] <= '4' && text[pos + 2] == '.') {
      size_t p = pos + 3;
      if (StartsWithNoCase(text, p, "local.")) {
        p += 6;
      } else if (StartsWithNoCase(text, p, "public.")) {
        p += 7;
      } else {
        return absl::nullopt;
      }
      size_t run = TokenRun(text, p);
      if (run == 0) return absl::nullopt;
      p += run;
      if (p < text.size() && text[p] == '.') {
        size_t footer = TokenRun(text, p + 1);
        if (footer > 0) p += 1 + footer;
      }
      return Match{pos, p, 0};
    }
  } else if (c == 'b') {
    if (StartsWithNoCase(text, pos, "bearer")) {
      size_t p = pos + 6;
      size_t spaces = p;
      while (spaces < text.size() && (text[spaces] == ' ' || text[spaces] == '\t')) {
        ++spaces;
      }
      if (spaces == p) return absl::nullopt;
      size_t end = spaces;
      while (end < text.size() && !IsBearerStop(text[end])) ++end;
      if (end == spaces) return absl::nullopt;
      return Match{pos, end, spaces - pos};
    }
  }
  return absl::nullopt;
}

// Finds the first match at or after `from`.
absl::optional<Match> FindNext(absl::string_view text, size_t from) {
  for (size_t i = from; i < text.size(); ++i) {
    // Cheap prefilter: only three letters can start a match.
    switch (text[i]) {
      case 'p':
      case 'P':
      case 'v':
      case 'V':
      case 'b':
      case 'B':
        if (auto m = MatchAt(text, i)) return m;
        break;
      default:
        break;
    }
  }
  return absl::nullopt;
}

// Redacts into `out`; returns false (leaving `out` untouched) if nothing
// matched.
bool RedactInto(absl::string_view text, std::string* out) {
  absl::optional<Match> m = FindNext(text, 0);
  if (!m) return false;
  std::string result;
  result.reserve(text.size());
  size_t copied = 0;
  while (m) {
    result.append(text.data() + copied, m->begin - copied);
    result.append(text.data() + m->begin, m->keep);
    result.append(kRedacted.data(), kRedacted.size());
    copied = m->end;
    m = FindNext(text, m->end);
  }
  result.append(text.data() + copied, text.size() - copied);
  *out = std::move(result);
  return true;
}

}  // namespace

std::string Redact(absl::string_view text) {
  std::string out;
  if (!RedactInto(text, &out)) return std::string(text);
  return out;
}

bool ContainsCredential(absl::string_view text) {
  return FindNext(text, 0).has_value();
}

void RedactJsonInPlace(json& value) {
  std::vector<json*> stack;
  stack.push_back(&value);
  while (!stack.empty()) {
    json* v = stack.back();
    stack.pop_back();
    if (v->is_string()) {
      std::string& s = v->get_ref<std::string&>();
      std::string redacted;
      if (RedactInto(s, &redacted)) s = std::move(redacted);
    } else if (v->is_array()) {
      for (auto& item : *v) stack.push_back(&item);
    } else if (v->is_object()) {
      bool any_key = false;
      for (auto it = v->begin(); it != v->end(); ++it) {
        if (ContainsCredential(it.key())) {
          any_key = true;
          break;
        }
      }
      if (any_key) {
        json rebuilt = json::object();
        // Unchanged keys first, so a redacted key never displaces them.
        std::vector<std::pair<std::string, json*>> renamed;
        for (auto it = v->begin(); it != v->end(); ++it) {
          std::string redacted;
          if (RedactInto(it.key(), &redacted)) {
            renamed.emplace_back(std::move(redacted), &it.value());
          } else {
            rebuilt[it.key()] = std::move(it.value());
          }
        }
        for (auto& [key, child] : renamed) {
          std::string unique = key;
          for (int n = 2; rebuilt.contains(unique); ++n) {
            unique = absl::StrCat(key, "#", n);
          }
          rebuilt[unique] = std::move(*child);
        }
        *v = std::move(rebuilt);
      }
      for (auto& item : v->items()) stack.push_back(&item.value());
    }
  }
}

json RedactJson(const json& value) {
  json copy = value;
  RedactJsonInPlace(copy);
  return copy;
}

absl::Status RedactStatus(const absl::Status& status) {
  if (status.ok()) return status;
  absl::Status out(status.code(), Redact(status.message()));
  status.ForEachPayload(
      [&out](absl::string_view type_url, const absl::Cord& payload) {
        out.SetPayload(type_url, absl::Cord(Redact(std::string(payload))));
      });
  return out;
}

}  // namespace layer_vault::common
