// Fuzz target: the redactor (common/redact.h) that every log line, audit
// record, relay response and MCP message passes through.
//
// Input: a mode digit, then
//   '0': text for Redact, ContainsCredential and RedactStatus;
//   '1': JSON text (parsed as the relay parses responses, but with deep
//        nesting allowed) for RedactJsonInPlace.
// Properties: nothing that leaves the redactor holds "pat_" (any case)
// followed by 8 or more token characters, or "v4.public." followed by a
// token character; redacting twice changes nothing; no JSON member is lost.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "common/json_parse.h"
#include "common/redact.h"
#include "fuzz/fuzz_util.h"
#include "nlohmann/json.hpp"

namespace layer_vault::fuzz {
namespace {

using nlohmann::json;

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool HasPrefixNoCase(absl::string_view text, size_t pos,
                     absl::string_view lower_word) {
  if (text.size() - pos < lower_word.size()) return false;
  for (size_t i = 0; i < lower_word.size(); ++i) {
    if (Lower(text[pos + i]) != lower_word[i]) return false;
  }
  return true;
}

// The two shapes of a leaked credential, written independently of
// common/redact.cc.
void CheckNoCredential(absl::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (HasPrefixNoCase(text, i, "pat_")) {
      size_t run = 0;
      while (i + 4 + run < text.size() && IsTokenChar(text[i + 4 + run])) {
        ++run;
      }
      FUZZ_CHECK(run < 8, "a PAT survived redaction");
    }
    if (HasPrefixNoCase(text, i, "v4.public.")) {
      FUZZ_CHECK(i + 10 >= text.size() || !IsTokenChar(text[i + 10]),
                 "a v4.public token survived redaction");
    }
  }
}

void CheckText(absl::string_view text) {
  const std::string out = common::Redact(text);
  CheckNoCredential(out);
  FUZZ_CHECK(!common::ContainsCredential(out), "redaction is not idempotent");
  FUZZ_CHECK(common::ContainsCredential(text) == (out != text),
             "ContainsCredential disagrees with Redact");

  absl::Status status(absl::StatusCode::kInternal, text);
  status.SetPayload("type.layer-vault/fuzz", absl::Cord(text));
  const absl::Status redacted = common::RedactStatus(status);
  FUZZ_CHECK(redacted.code() == status.code(), "RedactStatus changed the code");
  CheckNoCredential(redacted.message());
  const auto payload =
      redacted.GetPayload("type.layer-vault/fuzz");
  FUZZ_CHECK(payload.has_value(), "RedactStatus dropped a payload");
  CheckNoCredential(std::string(*payload));
}

// Counts nodes and object members without recursion.
size_t CountNodes(const json& root) {
  size_t count = 0;
  std::vector<const json*> stack = {&root};
  while (!stack.empty()) {
    const json* v = stack.back();
    stack.pop_back();
    ++count;
    if (v->is_structured()) {
      for (const json& child : *v) stack.push_back(&child);
    }
  }
  return count;
}

void CheckJson(absl::string_view text) {
  common::JsonParseLimits limits;
  limits.max_depth = 100000;  // RedactJsonInPlace promises no recursion
  limits.reject_duplicate_keys = false;
  absl::StatusOr<json> parsed = common::ParseJsonBounded(text, limits, "fuzz");
  if (!parsed.ok()) return;
  const size_t before = CountNodes(*parsed);
  common::RedactJsonInPlace(*parsed);
  FUZZ_CHECK(CountNodes(*parsed) == before, "redaction lost a JSON member");

  std::vector<const json*> stack = {&*parsed};
  size_t max_depth_seen = 0;
  std::vector<size_t> depth = {0};
  while (!stack.empty()) {
    const json* v = stack.back();
    const size_t d = depth.back();
    stack.pop_back();
    depth.pop_back();
    if (d > max_depth_seen) max_depth_seen = d;
    if (v->is_string()) {
      const std::string& s = v->get_ref<const std::string&>();
      CheckNoCredential(s);
      FUZZ_CHECK(!common::ContainsCredential(s),
                 "a redacted JSON string still holds a credential");
    } else if (v->is_object()) {
      for (auto it = v->begin(); it != v->end(); ++it) {
        CheckNoCredential(it.key());
        stack.push_back(&it.value());
        depth.push_back(d + 1);
      }
    } else if (v->is_array()) {
      for (const json& child : *v) {
        stack.push_back(&child);
        depth.push_back(d + 1);
      }
    }
  }
  // What goes on the wire: json::dump recurses, so only for sane depths.
  if (max_depth_seen <= 64) {
    CheckNoCredential(
        parsed->dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

}  // namespace
}  // namespace layer_vault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace layer_vault::fuzz;
  FuzzInput in(data, size);
  switch (in.TakeByte() % 2) {
    case 0:
      CheckText(in.Rest());
      break;
    case 1:
      CheckJson(in.Rest());
      break;
  }
  return 0;
}
