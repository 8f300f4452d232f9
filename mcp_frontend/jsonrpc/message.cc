#include "mcp_frontend/jsonrpc/message.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json_parse.h"

namespace layer_vault::mcp {
namespace {

RejectedMessage Reject(int code, std::string message,
                       nlohmann::json id = nullptr, bool respond = true) {
  RejectedMessage rejected;
  rejected.error.code = code;
  rejected.error.message = std::move(message);
  rejected.id = std::move(id);
  rejected.respond = respond;
  return rejected;
}

std::variant<IncomingMessage, RejectedMessage> ClassifyResponse(
    const nlohmann::json& object) {
  // A response to one of our requests. Nothing is ever sent back for a bad
  // one: answering a response would start a ping-pong of errors.
  const auto id_it = object.find("id");
  if (id_it == object.end() || !IsValidRequestId(*id_it)) {
    return Reject(kInvalidRequest, "response without a usable id", nullptr,
                  /*respond=*/false);
  }
  const bool has_result = object.contains("result");
  const bool has_error = object.contains("error");
  if (has_result == has_error) {
    return Reject(kInvalidRequest,
                  "response must have exactly one of result and error",
                  *id_it, /*respond=*/false);
  }
  IncomingMessage message;
  message.kind = IncomingMessage::Kind::kResponse;
  message.id = *id_it;
  if (has_result) {
    message.result = object.at("result");
    return message;
  }
  const nlohmann::json& error = object.at("error");
  if (!error.is_object() || !error.contains("code") ||
      !error.at("code").is_number_integer() || !error.contains("message") ||
      !error.at("message").is_string()) {
    return Reject(kInvalidRequest, "malformed error object", *id_it,
                  /*respond=*/false);
  }
  message.is_error = true;
  message.error.code = error.at("code").get<int>();
  message.error.message = error.at("message").get<std::string>();
  if (error.contains("data")) message.error.data = error.at("data");
  return message;
}

}  // namespace

size_t FindInvalidUtf8(absl::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    const unsigned char c = bytes[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t min;
    uint32_t code;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      min = 0x80;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      min = 0x800;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      min = 0x10000;
      code = c & 0x07;
    } else {
      return i;
    }
    if (size - i < length) return i;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char continuation = bytes[i + k];
      if ((continuation & 0xC0) != 0x80) return i;
      code = (code << 6) | (continuation & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return absl::string_view::npos;
}

bool IsValidRequestId(const nlohmann::json& id) {
  return id.is_string() || id.is_number_integer();
}

std::string RequestIdKey(const nlohmann::json& id) {
  if (id.is_string()) return absl::StrCat("s:", id.get<std::string>());
  if (id.is_number_unsigned()) {
    return absl::StrCat("n:", id.get<uint64_t>());
  }
  if (id.is_number_integer()) return absl::StrCat("n:", id.get<int64_t>());
  return "null";
}

std::variant<IncomingMessage, RejectedMessage> ParseMessage(
    absl::string_view line) {
  if (line.size() > kMaxMessageBytes) {
    return Reject(kInvalidRequest,
                  absl::StrCat("message exceeds ", kMaxMessageBytes, " bytes"));
  }
  if (const size_t bad = FindInvalidUtf8(line);
      bad != absl::string_view::npos) {
    return Reject(kParseError,
                  absl::StrCat("Parse error: invalid UTF-8 at byte ", bad));
  }
  common::JsonParseLimits limits;
  limits.max_bytes = kMaxMessageBytes;
  limits.max_depth = 64;
  absl::StatusOr<nlohmann::json> parsed =
      common::ParseJsonBounded(line, limits, "message");
  if (!parsed.ok()) {
    return Reject(kParseError,
                  absl::StrCat("Parse error: ", parsed.status().message()));
  }
  const nlohmann::json& object = *parsed;
  if (object.is_array()) {
    return Reject(kInvalidRequest,
                  "Invalid Request: JSON-RPC batches are not supported "
                  "(removed in MCP 2025-06-18); send one message per line");
  }
  if (!object.is_object()) {
    return Reject(kInvalidRequest,
                  "Invalid Request: a message must be a JSON object");
  }
  // Recover the id first, so that later errors can echo it.
  nlohmann::json id = nullptr;
  const auto id_it = object.find("id");
  const bool has_id = id_it != object.end();
  if (has_id && IsValidRequestId(*id_it)) id = *id_it;

  const auto version = object.find("jsonrpc");
  if (version == object.end() || !version->is_string() ||
      version->get<std::string>() != "2.0") {
    return Reject(kInvalidRequest,
                  "Invalid Request: \"jsonrpc\" must be \"2.0\"", id);
  }
  const auto method_it = object.find("method");
  if (method_it == object.end()) {
    if (object.contains("result") || object.contains("error")) {
      return ClassifyResponse(object);
    }
    return Reject(kInvalidRequest, "Invalid Request: missing \"method\"", id);
  }
  if (!method_it->is_string()) {
    return Reject(kInvalidRequest,
                  "Invalid Request: \"method\" must be a string", id);
  }
  if (has_id && !IsValidRequestId(*id_it)) {
    return Reject(kInvalidRequest,
                  "Invalid Request: \"id\" must be a string or an integer");
  }
  IncomingMessage message;
  message.kind = has_id ? IncomingMessage::Kind::kRequest
                        : IncomingMessage::Kind::kNotification;
  message.id = id;
  message.method = method_it->get<std::string>();
  if (const auto params = object.find("params"); params != object.end()) {
    if (params->is_array()) {
      return Reject(kInvalidParams,
                    "Invalid params: MCP methods take params as an object",
                    id, has_id);
    }
    if (!params->is_object()) {
      return Reject(kInvalidRequest,
                    "Invalid Request: \"params\" must be an object", id,
                    has_id);
    }
    message.params = *params;
  }
  return message;
}

nlohmann::json MakeResult(const nlohmann::json& id, nlohmann::json result) {
  return nlohmann::json{
      {"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

nlohmann::json MakeError(const nlohmann::json& id, const RpcError& error) {
  nlohmann::json body = {{"code", error.code}, {"message", error.message}};
  if (!error.data.is_null()) body["data"] = error.data;
  return nlohmann::json{
      {"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(body)}};
}

nlohmann::json MakeError(const nlohmann::json& id, int code,
                         std::string message) {
  RpcError error;
  error.code = code;
  error.message = std::move(message);
  return MakeError(id, error);
}

nlohmann::json MakeRequest(const nlohmann::json& id, absl::string_view method,
                           nlohmann::json params) {
  nlohmann::json request = {
      {"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}};
  if (!params.is_null()) request["params"] = std::move(params);
  return request;
}

nlohmann::json MakeNotification(absl::string_view method,
                                nlohmann::json params) {
  nlohmann::json notification = {{"jsonrpc", "2.0"},
                                 {"method", std::string(method)}};
  if (!params.is_null()) notification["params"] = std::move(params);
  return notification;
}

}  // namespace layer_vault::mcp
