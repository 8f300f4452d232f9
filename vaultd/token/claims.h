#ifndef LAYER_VAULT_VAULTD_TOKEN_CLAIMS_H_
#define LAYER_VAULT_VAULTD_TOKEN_CLAIMS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace layer_vault::token {

// Limits on what ParseClaims / ParseFooterKeyId read from a token.
inline constexpr size_t kMaxPayloadSize = 8 * 1024;
inline constexpr size_t kMaxFooterSize = 256;
inline constexpr size_t kMaxScopes = 32;
inline constexpr size_t kMaxScopeLength = 64;
inline constexpr size_t kMaxIssuerOrAudienceLength = 128;
// jti: 128 random bits as unpadded base64url.
inline constexpr size_t kJtiBytes = 16;
inline constexpr size_t kJtiLength = 22;

// Claims are the registered PASETO claims vaultd puts in a token payload.
// Times are whole seconds on the wire (RFC 3339, UTC, "Z").
struct Claims {
  std::string iss;                 // issuer, e.g. "vaultd"
  std::string sub;                 // caller uid, canonical decimal
  std::string aud;                 // audience, e.g. "layer-relay"
  std::vector<std::string> scope;  // granted scopes, no duplicates
  absl::Time iat;                  // issued at
  absl::Time nbf;                  // not before
  absl::Time exp;                  // expires
  std::string jti;                 // token id, kJtiLength chars of base64url

  friend bool operator==(const Claims& a, const Claims& b);
};

// ValidateClaims checks the structure of `claims` (not time against a clock,
// audience or scope policy): iss and aud non-empty and at most
// kMaxIssuerOrAudienceLength printable ASCII bytes; sub a canonical decimal
// uint32; scope 1..kMaxScopes distinct names matching [A-Za-z0-9:._-]{1,64};
// jti a valid token id (IsValidJti); iat <= nbf < exp, all in years
// 1970..9999. INVALID_ARGUMENT naming the first offending claim.
absl::Status ValidateClaims(const Claims& claims);

// SerializeClaims returns the JSON object text of `claims` (sorted keys, no
// whitespace; times truncated to whole seconds). INVALID_ARGUMENT if
// ValidateClaims fails.
absl::StatusOr<std::string> SerializeClaims(const Claims& claims);

// ParseClaims strictly parses a payload that SerializeClaims could have
// written: at most kMaxPayloadSize bytes of UTF-8 JSON whose top level is an
// object with exactly the keys iss, sub, aud, scope, iat, nbf, exp, jti (no
// duplicates, no others), each of the right JSON type, with RFC 3339 times,
// and passing ValidateClaims. INVALID_ARGUMENT naming the problem (never
// echoing the payload). Never throws.
absl::StatusOr<Claims> ParseClaims(absl::string_view payload);

// IsValidJti reports whether `jti` is kJtiLength characters of canonical
// unpadded base64url (kJtiBytes bytes).
bool IsValidJti(absl::string_view jti);

// FormatRfc3339 formats `t` as "YYYY-MM-DDTHH:MM:SSZ" (UTC, fractional
// seconds truncated).
std::string FormatRfc3339(absl::Time t);

// ParseRfc3339 parses an RFC 3339 section 5.6 date-time:
// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)", uppercase "T" and "Z"
// only, at most 9 fraction digits, no leap seconds, calendar-valid dates.
// INVALID_ARGUMENT otherwise.
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text);

// SerializeFooter returns the token footer for `kid`: {"kid":"<kid>"}.
// `kid` must be non-empty base64url (as KeyIdFor in keyring.h makes);
// INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> SerializeFooter(absl::string_view kid);

// ParseFooterKeyId returns the "kid" of a footer of at most kMaxFooterSize
// bytes that is a JSON object with exactly one key, "kid", whose value is a
// non-empty base64url string. INVALID_ARGUMENT otherwise. The footer is
// untrusted until the token is verified: use the kid only for key lookup.
absl::StatusOr<std::string> ParseFooterKeyId(absl::string_view footer);

}  // namespace layer_vault::token

#endif  // LAYER_VAULT_VAULTD_TOKEN_CLAIMS_H_
