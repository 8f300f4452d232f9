#include "vaultd/relay/error_map.h"

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json_parse.h"
#include "common/redact.h"
#include "common/typed_error.h"
#include "nlohmann/json.hpp"
#include "vaultd/relay/retry.h"

namespace layer_vault::relay {
namespace {

using nlohmann::json;

constexpr size_t kMaxUpstreamMessage = 300;

struct UpstreamError {
  std::string code;     // normalised upper-case, may be empty
  std::string message;  // may be empty
  std::string graphql_type;  // GraphQL ErrorType, e.g. NOT_FOUND_ERROR
};

struct Mapping {
  absl::StatusCode code;
  const char* type;
};

// Upper-case, [A-Z0-9_] only, bounded.
std::string NormaliseCode(absl::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (out.size() >= 64) break;
    c = absl::ascii_toupper(static_cast<unsigned char>(c));
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    } else if (c == '_' || c == '-' || c == ' ' || c == '.') {
      out.push_back('_');
    }
  }
  return out;
}

// Printable, single-line, redacted, bounded text from Layer.ai.
std::string CleanMessage(absl::string_view raw) {
  std::string flat;
  for (char c : raw.substr(0, 4 * kMaxUpstreamMessage)) {
    unsigned char u = static_cast<unsigned char>(c);
    flat.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  std::string redacted = common::Redact(flat);
  if (redacted.size() > kMaxUpstreamMessage) {
    size_t cut = kMaxUpstreamMessage;
    // Do not split a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(redacted[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    redacted = redacted.substr(0, cut) + "...";
  }
  return redacted;
}

std::string StringAt(const json& v, const char* key) {
  if (!v.is_object()) return "";
  auto it = v.find(key);
  if (it == v.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// Reads a code and message from the usual REST error shapes.
UpstreamError FromRestBody(const json& body) {
  UpstreamError e;
  if (!body.is_object()) return e;
  const json* error = nullptr;
  if (auto it = body.find("error"); it != body.end()) {
    if (it->is_object()) {
      error = &*it;
    } else if (it->is_string()) {
      e.code = it->get<std::string>();
    }
  }
  for (const json* v : {error, &body}) {
    if (v == nullptr) continue;
    for (const char* key : {"code", "error_code", "type"}) {
      if (e.code.empty()) e.code = StringAt(*v, key);
    }
    for (const char* key : {"message", "title", "error_description"}) {
      if (e.message.empty()) e.message = StringAt(*v, key);
    }
  }
  if (auto it = body.find("detail"); it != body.end()) {
    if (it->is_string() && e.message.empty()) {
      e.message = it->get<std::string>();
    } else if (it->is_array()) {
      // FastAPI validation errors: [{"loc": [...], "msg": "...", "type": ...}]
      std::vector<std::string> parts;
      for (const auto& item : *it) {
        std::string msg = StringAt(item, "msg");
        if (msg.empty()) continue;
        if (item.contains("loc") && item["loc"].is_array()) {
          std::vector<std::string> loc;
          for (const auto& l : item["loc"]) {
            loc.push_back(l.is_string() ? l.get<std::string>() : l.dump());
          }
          msg = absl::StrCat(absl::StrJoin(loc, "."), ": ", msg);
        }
        parts.push_back(std::move(msg));
        if (parts.size() == 3) break;
      }
      if (e.message.empty()) e.message = absl::StrJoin(parts, "; ");
    } else if (it->is_object() && e.code.empty()) {
      e.code = StringAt(*it, "code");
      if (e.message.empty()) e.message = StringAt(*it, "message");
    }
  }
  if (auto it = body.find("errors"); it != body.end() && it->is_array() &&
                                     !it->empty()) {
    const json& first = (*it)[0];
    if (e.message.empty()) e.message = StringAt(first, "message");
    if (e.code.empty() && first.is_object() && first.contains("extensions")) {
      e.code = StringAt(first["extensions"], "code");
    }
  }
  e.code = NormaliseCode(e.code);
  return e;
}

bool IsGraphqlErrorObject(const json& v) {
  if (!v.is_object()) return false;
  if (StringAt(v, "__typename") == "Error") return true;
  const std::string type = StringAt(v, "type");
  return absl::EndsWith(type, "_ERROR") && v.contains("code") &&
         v.contains("message");
}

// A GraphQL answer's error: a root field resolved to the Error type, or
// top-level errors with no data.
std::optional<UpstreamError> FromGraphqlBody(const json& body) {
  if (!body.is_object()) return std::nullopt;
  auto data = body.find("data");
  if (data != body.end() && data->is_object()) {
    for (const auto& [field, value] : data->items()) {
      if (!IsGraphqlErrorObject(value)) continue;
      UpstreamError e;
      e.code = NormaliseCode(StringAt(value, "code"));
      e.graphql_type = NormaliseCode(StringAt(value, "type"));
      e.message = StringAt(value, "message");
      if (e.message.empty()) e.message = StringAt(value, "title");
      return e;
    }
  }
  if (data == body.end() || data->is_null()) {
    auto errors = body.find("errors");
    if (errors != body.end() && errors->is_array() && !errors->empty()) {
      return FromRestBody(body);
    }
  }
  return std::nullopt;
}

std::optional<Mapping> MapCode(const std::string& code) {
  static const struct {
    const char* code;
    Mapping mapping;
  } kTable[] = {
      {"INSUFFICIENT_BALANCE", {absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_BALANCE"}},
      {"INSUFFICIENT_CREDITS", {absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_BALANCE"}},
      {"INSUFFICIENT_CREATIVE_UNITS", {absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_BALANCE"}},
      {"PAYMENT_REQUIRED", {absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_BALANCE"}},
      {"PAYMENT_REQUIRED_ERROR", {absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_BALANCE"}},
      {"MODEL_NOT_FOUND", {absl::StatusCode::kInvalidArgument, "MODEL_NOT_FOUND"}},
      {"RATE_LIMITED", {absl::StatusCode::kResourceExhausted, "RATE_LIMITED"}},
      {"RATE_LIMITED_ERROR", {absl::StatusCode::kResourceExhausted, "RATE_LIMITED"}},
      {"RATE_LIMIT_EXCEEDED", {absl::StatusCode::kResourceExhausted, "RATE_LIMITED"}},
      {"TOO_MANY_REQUESTS", {absl::StatusCode::kResourceExhausted, "RATE_LIMITED"}},
      {"FEATURE_DISABLED", {absl::StatusCode::kFailedPrecondition, "FEATURE_DISABLED"}},
      {"UNAUTHENTICATED", {absl::StatusCode::kFailedPrecondition, "CREDENTIAL_REJECTED"}},
      {"UNAUTHORIZED", {absl::StatusCode::kFailedPrecondition, "CREDENTIAL_REJECTED"}},
      {"UNAUTHORIZED_ERROR", {absl::StatusCode::kFailedPrecondition, "CREDENTIAL_REJECTED"}},
      {"INVALID_TOKEN", {absl::StatusCode::kFailedPrecondition, "CREDENTIAL_REJECTED"}},
      {"FORBIDDEN", {absl::StatusCode::kFailedPrecondition, "FORBIDDEN"}},
      {"FORBIDDEN_ERROR", {absl::StatusCode::kFailedPrecondition, "FORBIDDEN"}},
      {"NOT_FOUND", {absl::StatusCode::kInvalidArgument, "NOT_FOUND"}},
      {"NOT_FOUND_ERROR", {absl::StatusCode::kInvalidArgument, "NOT_FOUND"}},
      {"BAD_REQUEST", {absl::StatusCode::kInvalidArgument, "INVALID_REQUEST"}},
      {"BAD_REQUEST_ERROR", {absl::StatusCode::kInvalidArgument, "INVALID_REQUEST"}},
      {"BAD_USER_INPUT", {absl::StatusCode::kInvalidArgument, "INVALID_REQUEST"}},
      {"GRAPHQL_VALIDATION_FAILED", {absl::StatusCode::kInvalidArgument, "INVALID_REQUEST"}},
      {"VALIDATION_ERROR", {absl::StatusCode::kInvalidArgument, "INVALID_REQUEST"}},
      {"INVALID_REQUEST", {absl::StatusCode::kInvalidArgument, "INVALID_REQUEST"}},
      {"INTERNAL_SERVER_ERROR", {absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE"}},
      {"INTERNAL", {absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE"}},
  };
  for (const auto& row : kTable) {
    if (code == row.code) return row.mapping;
  }
  return std::nullopt;
}

Mapping MapHttpStatus(int status) {
  switch (status) {
    case 400:
    case 422:
      return {absl::StatusCode::kInvalidArgument, "INVALID_REQUEST"};
    case 402:
      return {absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_BALANCE"};
    case 404:
      return {absl::StatusCode::kInvalidArgument, "NOT_FOUND"};
    case 409:
      return {absl::StatusCode::kFailedPrecondition, "CONFLICT"};
    default:
      break;
  }
  if (status >= 400 && status < 500) {
    return {absl::StatusCode::kFailedPrecondition, "REQUEST_REJECTED"};
  }
  return {absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE"};
}

absl::Status Build(const Mapping& mapping, int http_status,
                   const UpstreamError& upstream,
                   std::optional<absl::Duration> retry_after) {
  std::string message;
  if (std::string(mapping.type) == "CREDENTIAL_REJECTED") {
    message = std::string(kCredentialRejectedMessage);
    absl::StrAppend(&message, " (HTTP ", http_status, ")");
  } else {
    message = absl::StrCat("Layer.ai answered HTTP ", http_status);
    if (!upstream.code.empty()) absl::StrAppend(&message, " (", upstream.code, ")");
    if (!upstream.message.empty()) {
      absl::StrAppend(&message, ": ", CleanMessage(upstream.message));
    }
  }
  if (retry_after) {
    absl::StrAppend(&message, "; retry after ",
                    absl::FormatDuration(absl::Ceil(*retry_after, absl::Seconds(1))));
  }
  absl::Status status =
      common::TypedError(mapping.code, "layer", mapping.type, message);
  if (retry_after) common::SetRetryAfter(status, *retry_after);
  return status;
}

}  // namespace

absl::Status MapUpstreamResponse(const HttpResponse& response, bool graphql,
                                 absl::Time now) {
  const int status = response.status;
  const bool success = status >= 200 && status < 300;
  // Only error bodies and GraphQL answers need parsing.
  std::optional<json> body;
  if (!success || graphql) {
    common::JsonParseLimits limits;
    limits.max_bytes = 16 * 1024 * 1024;
    auto parsed = common::ParseJsonBounded(response.body, limits, "body");
    if (parsed.ok()) body = *std::move(parsed);
  }
  std::optional<absl::Duration> retry_after;
  if (response.retry_after) {
    retry_after = ParseRetryAfter(*response.retry_after, now);
    if (retry_after == absl::InfiniteDuration()) retry_after = absl::Hours(24);
  }

  if (success) {
    if (!graphql || !body) return absl::OkStatus();
    std::optional<UpstreamError> error = FromGraphqlBody(*body);
    if (!error) return absl::OkStatus();
    // A specific code (e.g. MODEL_NOT_FOUND) wins over the generic type.
    std::optional<Mapping> mapping = MapCode(error->code);
    if (!mapping) mapping = MapCode(error->graphql_type);
    if (!mapping) {
      mapping = Mapping{absl::StatusCode::kFailedPrecondition,
                        "REQUEST_REJECTED"};
    }
    return Build(*mapping, status, *error,
                 std::string(mapping->type) == "RATE_LIMITED" ? retry_after
                                                               : std::nullopt);
  }

  UpstreamError upstream;
  if (body) upstream = FromRestBody(*body);
  // Layer.ai's FEATURE_DISABLED (a model the account may not run) comes
  // with 403 but says nothing about the credential: rotating it would not
  // help.
  if (status == 403 && upstream.code == "FEATURE_DISABLED") {
    return Build(*MapCode(upstream.code), status, upstream, std::nullopt);
  }
  if (status == 401 || status == 403) {
    return Build({absl::StatusCode::kFailedPrecondition, "CREDENTIAL_REJECTED"},
                 status, upstream, std::nullopt);
  }
  if (status == 429) {
    return Build({absl::StatusCode::kResourceExhausted, "RATE_LIMITED"}, status,
                 upstream, retry_after);
  }
  if (status >= 400 && status < 500) {
    std::optional<Mapping> by_code = MapCode(upstream.code);
    // A body code never turns a client error into "rotate your PAT" or an
    // outage: those come from the HTTP status alone.
    if (by_code && std::string(by_code->type) != "CREDENTIAL_REJECTED" &&
        by_code->code != absl::StatusCode::kUnavailable) {
      return Build(*by_code, status, upstream,
                   std::string(by_code->type) == "RATE_LIMITED" ? retry_after
                                                                 : std::nullopt);
    }
  }
  Mapping mapping = MapHttpStatus(status);
  return Build(mapping, status, upstream,
               mapping.code == absl::StatusCode::kUnavailable ? retry_after
                                                              : std::nullopt);
}

absl::Status MapTransportError(const absl::Status& error) {
  if (error.ok()) return error;
  const bool too_large = error.code() == absl::StatusCode::kOutOfRange;
  return common::TypedError(absl::StatusCode::kUnavailable, "layer",
                            too_large ? "RESPONSE_TOO_LARGE" : "UNREACHABLE",
                            common::Redact(error.message()));
}

}  // namespace layer_vault::relay
