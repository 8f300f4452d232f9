#ifndef LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_TOOL_H_
#define LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_TOOL_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mcp_frontend/tool_registry/cancellation.h"
#include "mcp_frontend/tool_registry/log_level.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp {

// ToolAnnotations are MCP's behaviour hints for clients (never trusted for
// security decisions by anyone). Unset hints are left out of tools/list.
struct ToolAnnotations {
  std::optional<bool> read_only_hint;
  std::optional<bool> destructive_hint;
  std::optional<bool> idempotent_hint;
  std::optional<bool> open_world_hint;
};

// ToolDefinition is what tools/list shows of a tool.
struct ToolDefinition {
  // 1..64 of [A-Za-z0-9_-] (what LLM APIs accept); unique in a registry.
  std::string name;
  std::string title;        // human-readable; may be empty
  std::string description;  // for the model: when and how to use the tool
  // A JSON Schema (common::JsonSchema subset) with "type": "object".
  nlohmann::json input_schema;
  // Null, or a schema with "type": "object" that every successful result's
  // structured_content must satisfy.
  nlohmann::json output_schema;
  ToolAnnotations annotations;
};

// ContentBlock is one item of a tool result's `content`.
struct ContentBlock {
  enum class Kind { kText, kImage };
  Kind kind = Kind::kText;
  std::string text;       // kText
  std::string data;       // kImage: base64 (standard alphabet, padded)
  std::string mime_type;  // kImage, e.g. "image/png"

  static ContentBlock Text(std::string text);
  // Base64-encodes `bytes`.
  static ContentBlock Image(absl::string_view bytes, std::string mime_type);
  nlohmann::json ToJson() const;
};

// ToolResult is the result of tools/call. Tool failures the model should
// see (bad input, an upstream refusal, a price to confirm) are results with
// is_error set, not protocol errors.
struct ToolResult {
  std::vector<ContentBlock> content;
  // An object matching the tool's output schema (null: none).
  nlohmann::json structured_content;
  bool is_error = false;

  // An error result with one text block.
  static ToolResult Error(std::string text);
  // A success with `structured` and a text block: `text`, or the compact
  // JSON of `structured` when `text` is empty (as MCP advises for clients
  // that ignore structuredContent).
  static ToolResult Structured(nlohmann::json structured,
                               std::string text = "");
  nlohmann::json ToJson() const;
};

// ElicitRequest asks the user, through the client, for a small form
// (elicitation/create, form mode).
struct ElicitRequest {
  std::string message;
  // A flat object schema of primitive properties, as MCP restricts it; the
  // accepted content is validated against it.
  nlohmann::json requested_schema;
  // Zero: the server's default.
  absl::Duration timeout = absl::ZeroDuration();
};

struct ElicitResult {
  enum class Action { kAccept, kDecline, kCancel };
  Action action = Action::kCancel;
  nlohmann::json content;  // kAccept: an object matching the schema
};

// ToolContext is what a running tool call can do besides computing its
// result: watch for cancellation, report progress, ask the user, log.
//
// The server creates one per call; it lives until the handler returns and
// must not be kept after that. Methods may be called from the handler's
// thread only (progress ordering relies on it).
class ToolContext {
 public:
  struct Hooks {
    // Sends notifications/progress when the request asked for progress;
    // values that do not increase are dropped.
    std::function<void(double progress, std::optional<double> total,
                       absl::string_view message)>
        progress;
    // True if the client declared the elicitation capability.
    std::function<bool()> can_elicit;
    // Sends elicitation/create and waits for the answer.
    std::function<absl::StatusOr<ElicitResult>(const ElicitRequest&,
                                               const CancellationToken&)>
        elicit;
    // Sends notifications/message (subject to logging/setLevel).
    std::function<void(LogLevel, absl::string_view)> log;
  };

  // Missing hooks make the matching methods no-ops (Elicit: UNIMPLEMENTED).
  ToolContext(CancellationToken cancellation, Hooks hooks);

  ToolContext(const ToolContext&) = delete;
  ToolContext& operator=(const ToolContext&) = delete;

  // True once the client cancelled the call or the server is shutting
  // down. A handler should then return promptly; its result is dropped.
  bool cancelled() const { return cancellation_.cancelled(); }
  const CancellationToken& cancellation() const { return cancellation_; }

  void ReportProgress(double progress,
                      std::optional<double> total = std::nullopt,
                      absl::string_view message = "");

  bool CanElicit() const;

  // Asks the user. FAILED_PRECONDITION if the client cannot elicit,
  // CANCELLED if the call was cancelled meanwhile, DEADLINE_EXCEEDED after
  // the timeout, INVALID_ARGUMENT for a bad schema, UNAVAILABLE if the
  // client answered with an error or a malformed result.
  absl::StatusOr<ElicitResult> Elicit(const ElicitRequest& request);

  // Never pass secrets; the message is redacted regardless.
  void Log(LogLevel level, absl::string_view message);

 private:
  CancellationToken cancellation_;
  Hooks hooks_;
};

// Tool is one MCP tool. Implementations are registered in a ToolRegistry,
// which validates arguments against the input schema before Call runs.
// Call may run on several threads at once: implementations are thread-safe.
class Tool {
 public:
  virtual ~Tool() = default;

  virtual const ToolDefinition& definition() const = 0;

  // Runs the tool with `arguments`, an object that satisfies the input
  // schema. A non-OK status becomes an is_error result carrying its
  // (redacted) message, so return errors the model can act on.
  virtual absl::StatusOr<ToolResult> Call(const nlohmann::json& arguments,
                                          ToolContext& context) = 0;
};

// A Tool made of a definition and a function.
std::unique_ptr<Tool> MakeTool(
    ToolDefinition definition,
    std::function<absl::StatusOr<ToolResult>(const nlohmann::json&,
                                             ToolContext&)>
        handler);

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_TOOL_H_
