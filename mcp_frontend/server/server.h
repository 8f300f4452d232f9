#ifndef LAYER_VAULT_MCP_FRONTEND_SERVER_SERVER_H_
#define LAYER_VAULT_MCP_FRONTEND_SERVER_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mcp_frontend/jsonrpc/message.h"
#include "mcp_frontend/jsonrpc/writer.h"
#include "mcp_frontend/tool_registry/log_level.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "mcp_frontend/tool_registry/tool_registry.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp {

// The newest MCP protocol version this server speaks.
inline constexpr absl::string_view kLatestProtocolVersion = "2025-11-25";

// Every protocol version this server speaks, newest first.
const std::vector<std::string>& SupportedProtocolVersions();

// The version to answer an initialize that asked for `requested`: the same
// if supported, otherwise kLatestProtocolVersion (the client then decides
// whether it can go on).
std::string NegotiateProtocolVersion(absl::string_view requested);

struct ServerOptions {
  // serverInfo.
  std::string name = "layer-vault";
  std::string title;
  std::string version = "0.0.0";
  // initialize's `instructions`: how an agent should use the tools.
  std::string instructions;
  // Threads that run tools/call. Everything else (initialize, ping,
  // tools/list, logging/setLevel, notifications, responses) is handled on
  // the reading thread and never waits for a tool.
  int worker_threads = 4;
  // tools/call requests running or queued at once; more get -32603.
  int max_in_flight = 64;
  // How long a tool waits for the user's answer to elicitation/create
  // unless it asks for another timeout.
  absl::Duration elicitation_timeout = absl::Minutes(10);
  // Least severe level sent as notifications/message until the client
  // calls logging/setLevel.
  LogLevel client_log_level = LogLevel::kInfo;
  // Receives one redacted diagnostic line at a time (no newline). Null:
  // standard error. Never the MCP output.
  std::function<void(absl::string_view)> diagnostics;
};

// Server is an MCP server over a pair of file descriptors (stdin/stdout).
//
// Lifecycle: initialize (version negotiation, capabilities "tools" and
// "logging", instructions) must come first; any other request before it
// gets -32600 (ping is always answered). notifications/initialized is
// noted; a second initialize is refused.
//
// Concurrency: tools/call runs on a pool of worker threads, so a long
// Layer.ai run blocks neither ping nor tools/list. Each call gets a
// CancellationToken, cancelled by notifications/cancelled with its id (no
// response is sent for it then) and at shutdown. Progress is sent as
// notifications/progress when the request carried _meta.progressToken,
// only while the call runs, only with increasing values. A tool can ask the
// user through elicitation/create; the client's response is routed back by
// id, with a timeout and the call's cancellation.
//
// Output: every message goes through MessageWriter (one line each,
// redacted); diagnostics go to ServerOptions::diagnostics.
//
// Shutdown: at end of input, every call in flight is cancelled, waiting
// elicitations end, the workers finish, and Run returns. Tools must
// honour cancellation for this to be prompt.
class Server {
 public:
  // INVALID_ARGUMENT for a null registry or non-positive limits. `tools`
  // is not owned and must outlive the server; its registration must be
  // complete. Does not take ownership of the descriptors.
  static absl::StatusOr<std::unique_ptr<Server>> Create(
      ServerOptions options, const ToolRegistry* tools, int in_fd,
      int out_fd);

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // Serves until end of input. OK on end of input; the read error
  // otherwise. Call once.
  absl::Status Run();

  // Sends notifications/message (if initialized and `level` is at or above
  // the client's threshold) and writes a diagnostic line. Thread-safe.
  void Log(LogLevel level, absl::string_view logger,
           absl::string_view message);

 private:
  struct Call;
  struct Outgoing;
  class WorkerPool;

  Server(ServerOptions options, const ToolRegistry* tools, int in_fd,
         int out_fd);

  void HandleLine(absl::string_view line);
  void HandleRequest(IncomingMessage& message);
  void HandleNotification(const IncomingMessage& message);
  void HandleResponse(IncomingMessage& message);
  void HandleInitialize(const IncomingMessage& message);
  void HandleToolCall(IncomingMessage& message);
  void HandleSetLevel(const IncomingMessage& message);
  void RunToolCall(const std::shared_ptr<Call>& call, std::string name,
                   nlohmann::json arguments);
  void SendProgress(Call& call, double progress, std::optional<double> total,
                    absl::string_view message);
  absl::StatusOr<ElicitResult> Elicit(Call& call, const ElicitRequest& request);
  void Shutdown();

  void Send(nlohmann::json message);
  void Respond(const nlohmann::json& id, nlohmann::json result);
  void RespondError(const nlohmann::json& id, int code, std::string message);
  void Diagnose(absl::string_view message);

  const ServerOptions options_;
  const ToolRegistry* const tools_;
  const int in_fd_;
  MessageWriter writer_;
  std::unique_ptr<WorkerPool> pool_;

  absl::Mutex mu_;
  bool initialized_ ABSL_GUARDED_BY(mu_) = false;  // initialize answered
  bool client_ready_ ABSL_GUARDED_BY(mu_) = false;  // initialized received
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::string protocol_version_ ABSL_GUARDED_BY(mu_);
  bool client_can_elicit_ ABSL_GUARDED_BY(mu_) = false;
  LogLevel log_threshold_ ABSL_GUARDED_BY(mu_);
  // tools/call in flight, by RequestIdKey.
  absl::flat_hash_map<std::string, std::shared_ptr<Call>> calls_
      ABSL_GUARDED_BY(mu_);
  // Our requests to the client awaiting a response, by id.
  absl::flat_hash_map<int64_t, std::shared_ptr<Outgoing>> outgoing_
      ABSL_GUARDED_BY(mu_);
  int64_t next_outgoing_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_SERVER_SERVER_H_
