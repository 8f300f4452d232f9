#ifndef LAYER_VAULT_COMMON_REDACT_H_
#define LAYER_VAULT_COMMON_REDACT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace layer_vault::common {

// The text that replaces a credential.
inline constexpr absl::string_view kRedacted = "[REDACTED]";

// Redact returns `text` with every credential-shaped span replaced by
// "[REDACTED]":
//   - a Layer.ai PAT: "pat_" (any case) followed by 8 or more of
//     [A-Za-z0-9_-];
//   - a PASETO token: "v1".."v4", ".", "local" or "public", ".", one or more
//     of [A-Za-z0-9_-], optionally "." and a footer of the same alphabet;
//   - the credential after "Bearer" (any case) and spaces or tabs: the run of
//     characters up to whitespace or one of  " ' , ; < > ( ) [ ] { } \ ,
//     which becomes "Bearer [REDACTED]" (the scheme word and spacing kept).
// Spans are not required to start at a word boundary: over-redaction
// ("compat_12345678" -> "com[REDACTED]") is preferred to a leak. A single
// linear scan without regular expressions or allocation when nothing matches
// beyond the copy; safe on arbitrary bytes (invalid UTF-8, NULs). Thread-safe.
std::string Redact(absl::string_view text);

// True if Redact would change `text`.
bool ContainsCredential(absl::string_view text);

// Redacts every string value and object key in `value`, in place, without
// recursion (safe on deeply nested values). Keys that collide after
// redaction get a "#2", "#3"... suffix so no member is lost.
void RedactJsonInPlace(nlohmann::json& value);

// A redacted copy of `value`.
nlohmann::json RedactJson(const nlohmann::json& value);

// `status` with its message (and every payload) redacted; code unchanged.
absl::Status RedactStatus(const absl::Status& status);

}  // namespace layer_vault::common

#endif  // LAYER_VAULT_COMMON_REDACT_H_
