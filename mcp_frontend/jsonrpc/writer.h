#ifndef LAYER_VAULT_MCP_FRONTEND_JSONRPC_WRITER_H_
#define LAYER_VAULT_MCP_FRONTEND_JSONRPC_WRITER_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp {

// MessageWriter writes JSON-RPC messages to a file descriptor (stdout), one
// per line, whole, in the order Write was called.
//
// Every message passes through common::RedactJsonInPlace first (every
// string and key: PATs, PASETO tokens, bearer credentials), as a last line
// of defence; nothing else is ever written to the descriptor. Strings that
// are not valid UTF-8 are written with U+FFFD in place of the bad bytes.
//
// Does not own `fd`. Thread-safe: a mutex keeps lines whole. After a write
// error (e.g. EPIPE: the peer went away) every later Write fails at once
// with the same error.
class MessageWriter {
 public:
  explicit MessageWriter(int fd);

  MessageWriter(const MessageWriter&) = delete;
  MessageWriter& operator=(const MessageWriter&) = delete;

  // Redacts, serializes and writes `message` plus "\n". Blocks until the
  // whole line is written. UNAVAILABLE if the descriptor failed.
  absl::Status Write(nlohmann::json message);

  // The exact line Write would emit for `message`, newline included.
  static std::string Serialize(nlohmann::json message);

 private:
  const int fd_;
  absl::Mutex mu_;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_JSONRPC_WRITER_H_
