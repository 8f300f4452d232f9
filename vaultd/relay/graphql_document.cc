#include "vaultd/relay/graphql_document.h"

#include <cstddef>

#include "absl/strings/str_cat.h"

namespace layer_vault::relay {
namespace {

enum class Kind { kName, kPunct, kString, kNumber, kVariable };

struct Token {
  Kind kind;
  std::string text;  // names, punctuators, variables (without "$")
  size_t offset;
};

bool IsNameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

absl::Status LexError(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("GraphQL document: ", what, " at byte ", offset));
}

absl::StatusOr<std::vector<Token>> Lex(absl::string_view s) {
  std::vector<Token> tokens;
  size_t i = 0;
  if (s.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // BOM
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
      ++i;
    } else if (c == '#') {
      while (i < s.size() && s[i] != '\n' && s[i] != '\r') ++i;
    } else if (IsNameStart(c)) {
      size_t start = i;
      while (i < s.size() && IsNameChar(s[i])) ++i;
      tokens.push_back({Kind::kName, std::string(s.substr(start, i - start)), start});
    } else if (c == '$') {
      size_t start = i++;
      if (i >= s.size() || !IsNameStart(s[i])) {
        return LexError(start, "\"$\" without a variable name");
      }
      size_t name_start = i;
      while (i < s.size() && IsNameChar(s[i])) ++i;
      tokens.push_back({Kind::kVariable,
                        std::string(s.substr(name_start, i - name_start)), start});
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = i++;
      while (i < s.size() && (IsNameChar(s[i]) || s[i] == '.' || s[i] == '+' ||
                              s[i] == '-')) {
        ++i;
      }
      tokens.push_back({Kind::kNumber, std::string(s.substr(start, i - start)), start});
    } else if (s.substr(i, 3) == "\"\"\"") {
      size_t start = i;
      i += 3;
      while (true) {
        if (i >= s.size()) return LexError(start, "unterminated block string");
        if (s.substr(i, 4) == "\\\"\"\"") {
          i += 4;
        } else if (s.substr(i, 3) == "\"\"\"") {
          i += 3;
          break;
        } else {
          ++i;
        }
      }
      tokens.push_back({Kind::kString, "", start});
    } else if (c == '"') {
      size_t start = i++;
      while (true) {
        if (i >= s.size() || s[i] == '\n' || s[i] == '\r') {
          return LexError(start, "unterminated string");
        }
        if (s[i] == '\\') {
          i += 2;
        } else if (s[i] == '"') {
          ++i;
          break;
        } else {
          ++i;
        }
      }
      tokens.push_back({Kind::kString, "", start});
    } else if (s.substr(i, 3) == "...") {
      tokens.push_back({Kind::kPunct, "...", i});
      i += 3;
    } else if (absl::string_view("!&():=@[]{}|").find(c) !=
               absl::string_view::npos) {
      tokens.push_back({Kind::kPunct, std::string(1, c), i});
      ++i;
    } else {
      return LexError(i, "unexpected character");
    }
  }
  return tokens;
}

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : t_(tokens) {}

  absl::StatusOr<GraphqlDocument> Parse() {
    GraphqlDocument doc;
    for (const Token& token : t_) {
      if (token.kind == Kind::kName) doc.names.push_back(token.text);
    }
    bool have_operation = false;
    while (i_ < t_.size()) {
      const Token& head = t_[i_];
      if (IsPunct("{")) {
        return Error("anonymous (shorthand) operations are not allowed");
      }
      if (head.kind != Kind::kName) return Error("expected a definition");
      if (head.text == "fragment") {
        if (absl::Status s = SkipUntilBlock(); !s.ok()) return s;
        continue;
      }
      if (head.text != "query" && head.text != "mutation" &&
          head.text != "subscription") {
        return Error(absl::StrCat("unexpected \"", head.text, "\""));
      }
      if (have_operation) {
        return Error("a persisted document holds exactly one operation");
      }
      have_operation = true;
      doc.operation_type = head.text;
      ++i_;
      if (i_ >= t_.size() || t_[i_].kind != Kind::kName) {
        return Error("the operation must be named");
      }
      doc.operation_name = t_[i_++].text;
      if (IsPunct("(")) {
        ++i_;
        while (!IsPunct(")")) {
          auto var = ParseVariable();
          if (!var.ok()) return var.status();
          for (const auto& existing : doc.variables) {
            if (existing.name == var->name) {
              return Error(absl::StrCat("variable $", var->name, " declared twice"));
            }
          }
          doc.variables.push_back(*std::move(var));
        }
        ++i_;  // ")"
      }
      if (absl::Status s = SkipUntilBlock(); !s.ok()) return s;
    }
    if (!have_operation) return Error("no operation");
    return doc;
  }

 private:
  bool IsPunct(absl::string_view p) const {
    return i_ < t_.size() && t_[i_].kind == Kind::kPunct && t_[i_].text == p;
  }

  absl::Status Error(absl::string_view what) const {
    size_t offset = i_ < t_.size() ? t_[i_].offset : (t_.empty() ? 0 : t_.back().offset);
    return LexError(offset, what);
  }

  // Skips directives etc. up to and including the next balanced { ... }.
  absl::Status SkipUntilBlock() {
    while (i_ < t_.size() && !IsPunct("{")) {
      if (IsPunct("}") || IsPunct(")") || IsPunct("]")) {
        return Error("unbalanced brackets");
      }
      if (IsPunct("(") || IsPunct("[")) {
        if (absl::Status s = SkipBalanced(); !s.ok()) return s;
        continue;
      }
      ++i_;
    }
    if (i_ >= t_.size()) return Error("missing selection set");
    return SkipBalanced();
  }

  // Skips one balanced group starting at an opening bracket.
  absl::Status SkipBalanced() {
    std::vector<char> stack;
    do {
      if (i_ >= t_.size()) return Error("unbalanced brackets");
      const Token& tok = t_[i_++];
      if (tok.kind != Kind::kPunct || tok.text.size() != 1) continue;
      const char c = tok.text[0];
      if (c == '{' || c == '(' || c == '[') {
        stack.push_back(c);
      } else if (c == '}' || c == ')' || c == ']') {
        const char open = c == '}' ? '{' : c == ')' ? '(' : '[';
        if (stack.empty() || stack.back() != open) {
          return Error("unbalanced brackets");
        }
        stack.pop_back();
      }
    } while (!stack.empty());
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ParseType() {
    if (IsPunct("[")) {
      ++i_;
      auto inner = ParseType();
      if (!inner.ok()) return inner;
      if (!IsPunct("]")) return Error("expected \"]\" in a type");
      ++i_;
      std::string type = absl::StrCat("[", *inner, "]");
      if (IsPunct("!")) {
        ++i_;
        type += "!";
      }
      return type;
    }
    if (i_ >= t_.size() || t_[i_].kind != Kind::kName) {
      return Error("expected a type name");
    }
    std::string type = t_[i_++].text;
    if (IsPunct("!")) {
      ++i_;
      type += "!";
    }
    return type;
  }

  absl::StatusOr<GraphqlVariable> ParseVariable() {
    if (i_ >= t_.size() || t_[i_].kind != Kind::kVariable) {
      return Error("expected a variable definition");
    }
    GraphqlVariable var;
    var.name = t_[i_++].text;
    if (!IsPunct(":")) return Error("expected \":\" after a variable");
    ++i_;
    auto type = ParseType();
    if (!type.ok()) return type.status();
    var.type = *type;
    var.non_null = !var.type.empty() && var.type.back() == '!';
    if (IsPunct("=")) {
      ++i_;
      var.has_default = true;
      if (IsPunct("[") || IsPunct("{")) {
        if (absl::Status s = SkipBalanced(); !s.ok()) return s;
      } else if (i_ < t_.size() && t_[i_].kind != Kind::kPunct &&
                 t_[i_].kind != Kind::kVariable) {
        ++i_;
      } else {
        return Error("expected a default value");
      }
    }
    while (IsPunct("@")) {  // directives on the variable
      ++i_;
      if (i_ >= t_.size() || t_[i_].kind != Kind::kName) {
        return Error("expected a directive name");
      }
      ++i_;
      if (IsPunct("(")) {
        if (absl::Status s = SkipBalanced(); !s.ok()) return s;
      }
    }
    if (i_ >= t_.size()) return Error("unterminated variable definitions");
    return var;
  }

  const std::vector<Token>& t_;
  size_t i_ = 0;
};

}  // namespace

absl::StatusOr<GraphqlDocument> ParseGraphqlDocument(absl::string_view text) {
  auto tokens = Lex(text);
  if (!tokens.ok()) return tokens.status();
  return Parser(*tokens).Parse();
}

}  // namespace layer_vault::relay
