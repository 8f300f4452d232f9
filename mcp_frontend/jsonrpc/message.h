#ifndef LAYER_VAULT_MCP_FRONTEND_JSONRPC_MESSAGE_H_
#define LAYER_VAULT_MCP_FRONTEND_JSONRPC_MESSAGE_H_

#include <cstddef>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp {

// JSON-RPC 2.0 error codes used by the MCP frontend.
inline constexpr int kParseError = -32700;      // id is always null
inline constexpr int kInvalidRequest = -32600;  // also: oversize, batches
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;  // also: unknown tool
inline constexpr int kInternalError = -32603;

// The largest message the frontend reads (4 MiB, excluding the newline).
inline constexpr size_t kMaxMessageBytes = 4 * 1024 * 1024;

// RpcError is the `error` member of a JSON-RPC response.
struct RpcError {
  int code = kInternalError;
  std::string message;
  nlohmann::json data;  // null: no `data` member
};

// IncomingMessage is one well-formed JSON-RPC 2.0 message from the peer.
struct IncomingMessage {
  enum class Kind { kRequest, kNotification, kResponse };
  Kind kind = Kind::kNotification;
  // kRequest and kResponse: a string or an integer.
  nlohmann::json id;
  // kRequest and kNotification.
  std::string method;
  // kRequest and kNotification: an object, or null when absent. (Arrays
  // are turned away by ParseMessage: every MCP method takes an object.)
  nlohmann::json params;
  // kResponse: exactly one of `result` (non-null on success) and `error`.
  nlohmann::json result;
  bool is_error = false;
  RpcError error;
};

// RejectedMessage is a line that is not an acceptable message, with the
// error response owed to the peer when `respond` is true (JSON-RPC answers
// invalid requests; a malformed response or notification-shaped garbage
// that cannot be answered meaningfully is dropped).
struct RejectedMessage {
  RpcError error;
  nlohmann::json id;  // the request's id if it could be recovered, else null
  bool respond = true;
};

// ParseMessage parses one line (without its newline) as a single JSON-RPC
// 2.0 message, per MCP 2025-06-18 and later (no batches):
//   - invalid UTF-8, malformed JSON, nesting deeper than 64 levels, or an
//     object with a duplicate key: kParseError, id null;
//   - a JSON array (a batch) or any other non-object: kInvalidRequest, id
//     null;
//   - a missing or wrong "jsonrpc", an id that is not a string or an
//     integer, a non-string method, scalar params: kInvalidRequest, with
//     the id if it was valid;
//   - array params: kInvalidParams.
// Messages are at most kMaxMessageBytes; longer text is rejected without
// parsing. Messages never quote the input (it may hold secrets).
// Thread-safe.
std::variant<IncomingMessage, RejectedMessage> ParseMessage(
    absl::string_view line);

// The offset of the first byte that is not part of well-formed UTF-8
// (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF), or
// npos if `text` is valid.
size_t FindInvalidUtf8(absl::string_view text);

// True if `id` is a valid MCP request id (a string or an integer).
bool IsValidRequestId(const nlohmann::json& id);

// A key that identifies `id` in maps ("s:<string>" or "n:<integer>"), so
// that the string "1" and the number 1 stay distinct.
std::string RequestIdKey(const nlohmann::json& id);

// Builders of outgoing messages.
nlohmann::json MakeResult(const nlohmann::json& id, nlohmann::json result);
nlohmann::json MakeError(const nlohmann::json& id, const RpcError& error);
nlohmann::json MakeError(const nlohmann::json& id, int code,
                         std::string message);
nlohmann::json MakeRequest(const nlohmann::json& id, absl::string_view method,
                           nlohmann::json params);
nlohmann::json MakeNotification(absl::string_view method,
                                nlohmann::json params);

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_JSONRPC_MESSAGE_H_
