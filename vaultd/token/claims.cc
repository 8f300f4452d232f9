#include "vaultd/token/claims.h"

#include <cstdint>
#include <exception>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "nlohmann/json.hpp"
#include "vaultd/token/base64url.h"

namespace layer_vault::token {
namespace {

using Json = nlohmann::json;

// Nesting allowed in a claims payload or footer: the top-level object
// (depth 0) and the scope array (depth 1).
constexpr int kMaxJsonDepth = 1;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(std::string(what));
}

// Parses `text` as JSON, rejecting duplicate object keys, nesting deeper than
// `max_depth`, a byte order mark, and anything nlohmann rejects (including
// invalid UTF-8). `what` names the document in errors.
absl::StatusOr<Json> StrictParse(absl::string_view text, int max_depth,
                                 absl::string_view what) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    return Invalid(absl::StrCat(what, ": byte order mark not allowed"));
  }
  bool duplicate = false;
  bool too_deep = false;
  std::vector<std::set<std::string>> open_objects;
  Json::parser_callback_t callback = [&](int depth, Json::parse_event_t event,
                                         Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects.emplace_back();
        if (depth > max_depth) too_deep = true;
        break;
      case Json::parse_event_t::array_start:
        if (depth > max_depth) too_deep = true;
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get<std::string>()).second) {
          duplicate = true;
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json parsed;
  try {
    parsed = Json::parse(text.begin(), text.end(), callback,
                         /*allow_exceptions=*/true,
                         /*ignore_comments=*/false);
  } catch (const std::exception&) {
    // nlohmann's message quotes the offending bytes: do not pass it on.
    return Invalid(absl::StrCat(what, ": not valid UTF-8 JSON"));
  }
  if (duplicate) return Invalid(absl::StrCat(what, ": duplicate object key"));
  if (too_deep) return Invalid(absl::StrCat(what, ": nested too deeply"));
  return parsed;
}

bool IsPrintableAscii(absl::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool IsBase64UrlAlphabet(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_') {
      return false;
    }
  }
  return true;
}

bool IsValidScopeName(absl::string_view s) {
  if (s.empty() || s.size() > kMaxScopeLength) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != ':' &&
        c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

bool IsCanonicalUint32(absl::string_view s) {
  if (s.empty() || s.size() > 10) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value <= UINT32_MAX;
}

bool InSupportedRange(absl::Time t) {
  return t >= absl::UnixEpoch() &&
         t < absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0),
                             absl::UTCTimeZone());
}

// Reads exactly `n` decimal digits at `*pos`.
bool ReadDigits(absl::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int value = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *pos += n;
  *out = value;
  return true;
}

bool ReadChar(absl::string_view s, size_t* pos, char expected) {
  if (*pos >= s.size() || s[*pos] != expected) return false;
  ++*pos;
  return true;
}

}  // namespace

bool operator==(const Claims& a, const Claims& b) {
  return std::tie(a.iss, a.sub, a.aud, a.scope, a.iat, a.nbf, a.exp, a.jti) ==
         std::tie(b.iss, b.sub, b.aud, b.scope, b.iat, b.nbf, b.exp, b.jti);
}

bool IsValidJti(absl::string_view jti) {
  if (jti.size() != kJtiLength) return false;
  absl::StatusOr<std::string> raw = Base64UrlDecode(jti);
  return raw.ok() && raw->size() == kJtiBytes;
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text) {
  const absl::Status bad =
      Invalid("time is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SSZ)");
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(text, &pos, 4, &year) || !ReadChar(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &month) || !ReadChar(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &day) || !ReadChar(text, &pos, 'T') ||
      !ReadDigits(text, &pos, 2, &hour) || !ReadChar(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &minute) || !ReadChar(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &second)) {
    return bad;
  }
  absl::Duration fraction = absl::ZeroDuration();
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t nanos = 0;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 9) return bad;
      nanos = nanos * 10 + (text[pos] - '0');
      ++pos;
    }
    if (digits == 0) return bad;
    for (size_t i = digits; i < 9; ++i) nanos *= 10;
    fraction = absl::Nanoseconds(nanos);
  }
  absl::Duration offset = absl::ZeroDuration();
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    int offset_hours, offset_minutes;
    if (!ReadDigits(text, &pos, 2, &offset_hours) ||
        !ReadChar(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &offset_minutes) || offset_hours > 23 ||
        offset_minutes > 59) {
      return bad;
    }
    offset = sign * (absl::Hours(offset_hours) + absl::Minutes(offset_minutes));
  } else {
    return bad;
  }
  if (pos != text.size()) return bad;
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  // CivilSecond normalizes out-of-range fields (Feb 30 -> Mar 2): compare.
  if (civil.year() != year || civil.month() != month || civil.day() != day ||
      civil.hour() != hour || civil.minute() != minute ||
      civil.second() != second) {
    return Invalid("time is not a valid calendar date-time");
  }
  return absl::FromCivil(civil, absl::UTCTimeZone()) + fraction - offset;
}

absl::Status ValidateClaims(const Claims& claims) {
  if (claims.iss.empty() || claims.iss.size() > kMaxIssuerOrAudienceLength ||
      !IsPrintableAscii(claims.iss)) {
    return Invalid("claim 'iss' must be 1-128 printable ASCII characters");
  }
  if (!IsCanonicalUint32(claims.sub)) {
    return Invalid("claim 'sub' must be a uid in canonical decimal");
  }
  if (claims.aud.empty() || claims.aud.size() > kMaxIssuerOrAudienceLength ||
      !IsPrintableAscii(claims.aud)) {
    return Invalid("claim 'aud' must be 1-128 printable ASCII characters");
  }
  if (claims.scope.empty() || claims.scope.size() > kMaxScopes) {
    return Invalid("claim 'scope' must list 1-32 scopes");
  }
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& scope : claims.scope) {
    if (!IsValidScopeName(scope)) {
      return Invalid(
          "claim 'scope' has a scope name outside [A-Za-z0-9:._-]{1,64}");
    }
    if (!seen.insert(scope).second) {
      return Invalid("claim 'scope' lists a scope twice");
    }
  }
  if (!IsValidJti(claims.jti)) {
    return Invalid("claim 'jti' must be 22 characters of base64url");
  }
  if (!InSupportedRange(claims.iat) || !InSupportedRange(claims.nbf) ||
      !InSupportedRange(claims.exp)) {
    return Invalid("claims 'iat', 'nbf', 'exp' must be in years 1970-9999");
  }
  if (claims.nbf < claims.iat) {
    return Invalid("claim 'nbf' is before 'iat'");
  }
  if (claims.exp <= claims.nbf) {
    return Invalid("claim 'exp' is not after 'nbf'");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SerializeClaims(const Claims& claims) {
  if (absl::Status s = ValidateClaims(claims); !s.ok()) return s;
  Json json = Json::object();
  json["iss"] = claims.iss;
  json["sub"] = claims.sub;
  json["aud"] = claims.aud;
  json["scope"] = claims.scope;
  json["iat"] = FormatRfc3339(claims.iat);
  json["nbf"] = FormatRfc3339(claims.nbf);
  json["exp"] = FormatRfc3339(claims.exp);
  json["jti"] = claims.jti;
  // All strings were validated as ASCII, so dump() cannot throw.
  return json.dump();
}

absl::StatusOr<Claims> ParseClaims(absl::string_view payload) {
  if (payload.size() > kMaxPayloadSize) {
    return Invalid("claims payload exceeds 8 KiB");
  }
  absl::StatusOr<Json> parsed =
      StrictParse(payload, kMaxJsonDepth, "claims payload");
  if (!parsed.ok()) return parsed.status();
  const Json& json = *parsed;
  if (!json.is_object()) {
    return Invalid("claims payload is not a JSON object");
  }
  static constexpr absl::string_view kKeys[] = {"iss", "sub", "aud", "scope",
                                                "iat", "nbf", "exp", "jti"};
  for (absl::string_view key : kKeys) {
    if (!json.contains(std::string(key))) {
      return Invalid(absl::StrCat("claim '", key, "' is missing"));
    }
  }
  if (json.size() != std::size(kKeys)) {
    return Invalid("claims payload has an unexpected claim");
  }
  Claims claims;
  const auto get_string = [&json](const char* key,
                                  std::string* out) -> absl::Status {
    const Json& value = json.at(key);
    if (!value.is_string()) {
      return Invalid(absl::StrCat("claim '", key, "' is not a string"));
    }
    *out = value.get<std::string>();
    return absl::OkStatus();
  };
  const auto get_time = [&get_string](const char* key,
                                      absl::Time* out) -> absl::Status {
    std::string text;
    if (absl::Status s = get_string(key, &text); !s.ok()) return s;
    absl::StatusOr<absl::Time> t = ParseRfc3339(text);
    if (!t.ok()) {
      return Invalid(absl::StrCat("claim '", key, "': ", t.status().message()));
    }
    *out = *t;
    return absl::OkStatus();
  };
  for (auto [key, out] :
       {std::pair{"iss", &claims.iss}, std::pair{"sub", &claims.sub},
        std::pair{"aud", &claims.aud}, std::pair{"jti", &claims.jti}}) {
    if (absl::Status s = get_string(key, out); !s.ok()) return s;
  }
  for (auto [key, out] :
       {std::pair{"iat", &claims.iat}, std::pair{"nbf", &claims.nbf},
        std::pair{"exp", &claims.exp}}) {
    if (absl::Status s = get_time(key, out); !s.ok()) return s;
  }
  const Json& scope = json.at("scope");
  if (!scope.is_array()) return Invalid("claim 'scope' is not an array");
  for (const Json& item : scope) {
    if (!item.is_string()) {
      return Invalid("claim 'scope' has an element that is not a string");
    }
    claims.scope.push_back(item.get<std::string>());
  }
  if (absl::Status s = ValidateClaims(claims); !s.ok()) return s;
  return claims;
}

absl::StatusOr<std::string> SerializeFooter(absl::string_view kid) {
  if (kid.empty() || kid.size() > 64 || !IsBase64UrlAlphabet(kid)) {
    return Invalid("key id must be 1-64 base64url characters");
  }
  return absl::StrCat("{\"kid\":\"", kid, "\"}");
}

absl::StatusOr<std::string> ParseFooterKeyId(absl::string_view footer) {
  if (footer.empty()) return Invalid("token has no footer (no key id)");
  if (footer.size() > kMaxFooterSize) {
    return Invalid("token footer exceeds 256 bytes");
  }
  absl::StatusOr<Json> parsed = StrictParse(footer, 0, "token footer");
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object() || parsed->size() != 1 || !parsed->contains("kid")) {
    return Invalid("token footer must be a JSON object with only 'kid'");
  }
  const Json& kid = parsed->at("kid");
  if (!kid.is_string()) return Invalid("footer 'kid' is not a string");
  std::string value = kid.get<std::string>();
  if (value.empty() || value.size() > 64 || !IsBase64UrlAlphabet(value)) {
    return Invalid("footer 'kid' must be 1-64 base64url characters");
  }
  return value;
}

}  // namespace layer_vault::token
