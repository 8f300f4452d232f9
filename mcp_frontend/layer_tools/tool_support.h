#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_TOOL_SUPPORT_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_TOOL_SUPPORT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "mcp_frontend/layer_tools/layer_api.h"
#include "mcp_frontend/layer_tools/media_transport.h"
#include "mcp_frontend/safe_files/safe_files.h"
#include "mcp_frontend/tool_registry/cancellation.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp::layer_tools {

// LayerToolsOptions are the operator's settings of the Layer.ai tools.
struct LayerToolsOptions {
  // Used when a call names no workspace_id ("" : the call must name one).
  std::string default_workspace_id;
  // Runs whose estimated price is above this many Creative Units need the
  // user's confirmation (elicitation, or the confirm_price argument).
  double confirm_threshold_cu = 5;
  // Bounds of the interval between polls of a run: Layer.ai's
  // poll_interval_seconds is clamped to them; `default_poll_interval` when
  // it sends none.
  absl::Duration min_poll_interval = absl::Milliseconds(250);
  absl::Duration max_poll_interval = absl::Seconds(30);
  absl::Duration default_poll_interval = absl::Seconds(5);
  // How long a call with wait=true follows a run before it returns the run
  // as still in progress (to be followed with get_run / get_workflow_run).
  absl::Duration max_wait = absl::Minutes(30);
  // Consecutive failed polls (vaultd restarting, Layer.ai hiccups) before a
  // wait gives up; the run goes on at Layer.ai.
  int max_poll_failures = 5;
  // Saved images up to this size also come back as MCP image content.
  uint64_t max_inline_image_bytes = 1024 * 1024;
  // Pages of 100 a call may read to filter models client-side or to find a
  // workflow's declaration.
  int max_list_pages = 10;
  // How long a workflow's declared inputs are reused before listing again.
  absl::Duration workflow_cache_ttl = absl::Minutes(5);
};

// Sleeps for `duration` or until `cancel` fires; true if cancelled.
using Sleeper =
    std::function<bool(absl::Duration duration, const CancellationToken& cancel)>;

// ToolEnv is what every Layer.ai tool works with. Pointers are not owned and
// must outlive the tools; `input_root` may be null (upload_file then
// refuses). Thread-safe as its parts are.
struct ToolEnv {
  LayerApi* api = nullptr;
  const MediaTransport* media = nullptr;
  const SafeRoot* asset_root = nullptr;
  const SafeRoot* input_root = nullptr;
  const common::Clock* clock = nullptr;  // null: common::RealClock()
  Sleeper sleep;                         // null: CancellationToken::WaitFor
  LayerToolsOptions options;

  absl::Time Now() const;
  bool Sleep(absl::Duration duration, const CancellationToken& cancel) const;
};

// The workspace of a call: its "workspace_id" argument, else the default,
// else INVALID_ARGUMENT saying how to pick one.
absl::StatusOr<std::string> ResolveWorkspace(const nlohmann::json& arguments,
                                             const ToolEnv& env);

// Members of a JSON object by type; nullopt when absent or of another type.
std::optional<std::string> StringAt(const nlohmann::json& object,
                                    absl::string_view key);
std::optional<double> NumberAt(const nlohmann::json& object,
                               absl::string_view key);
std::optional<int64_t> IntegerAt(const nlohmann::json& object,
                                 absl::string_view key);
std::optional<bool> BoolAt(const nlohmann::json& object, absl::string_view key);

// Copies the members of `from` named in `keys` (those present) to `to`.
void CopyMembers(const nlohmann::json& from,
                 std::initializer_list<absl::string_view> keys,
                 nlohmann::json& to);

// A Creative Unit amount for text: "1.4", "20", "0.25".
std::string FormatCu(double cu);

// Schema fragments shared by the tools' input schemas.
nlohmann::json IdSchema(absl::string_view description);
nlohmann::json WorkspaceIdSchema();
nlohmann::json LimitSchema(int default_limit);
nlohmann::json CursorSchema();

// Schema of an object with `properties` and `required` (additional members
// allowed, so Layer.ai may add fields without breaking a result).
nlohmann::json ObjectSchema(nlohmann::json properties,
                            std::vector<std::string> required = {});

// Annotations of a tool that only reads from Layer.ai, and of one that
// starts paid or stateful work there.
ToolAnnotations ReadOnlyAnnotations();
ToolAnnotations RunAnnotations();

// A successful result: `structured`, and as text `summary` followed by the
// JSON of `structured` (for clients that ignore structuredContent).
ToolResult StructuredResult(nlohmann::json structured,
                            absl::string_view summary);

// ProgressSteps sends notifications/progress with a value that increases
// by one per step, so every message is delivered in order. Not thread-safe
// (the handler's thread only, like ToolContext).
class ProgressSteps {
 public:
  explicit ProgressSteps(ToolContext& context) : context_(context) {}
  void Step(absl::string_view message);

 private:
  ToolContext& context_;
  double value_ = 0;
};

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_TOOL_SUPPORT_H_
