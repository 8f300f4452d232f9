#ifndef LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_TOOL_REGISTRY_H_
#define LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_TOOL_REGISTRY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/json_schema.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp {

// ToolRegistry holds the tools a server offers, with their compiled
// schemas, and runs calls: arguments are validated before a tool sees them
// and results after.
//
// Thread safety: Register is for set-up, before the registry is shared;
// everything else is const and may run concurrently.
class ToolRegistry {
 public:
  ToolRegistry() = default;
  ToolRegistry(const ToolRegistry&) = delete;
  ToolRegistry& operator=(const ToolRegistry&) = delete;

  // Adds `tool`. INVALID_ARGUMENT for a bad name, an empty description, or
  // a schema that does not compile or is not of "type": "object";
  // ALREADY_EXISTS for a duplicate name.
  absl::Status Register(std::unique_ptr<Tool> tool);

  // The result of tools/list: {"tools": [...]} in registration order, each
  // with name, title, description, inputSchema, outputSchema (if any) and
  // annotations (if any hint is set).
  nlohmann::json ListResult() const;

  bool Contains(absl::string_view name) const;
  size_t size() const { return tools_.size(); }

  // Runs tool `name` with `arguments` (null means {}).
  //   - NOT_FOUND if there is no such tool (a protocol error, -32602);
  //   - arguments that fail the input schema: an is_error result naming
  //     each violation by JSON Pointer; the tool does not run;
  //   - a non-OK status from the tool: an is_error result with the
  //     redacted message;
  //   - a success whose structured content fails the output schema: an
  //     is_error result (a bug in the tool, reported as such).
  absl::StatusOr<ToolResult> Call(absl::string_view name,
                                  const nlohmann::json& arguments,
                                  ToolContext& context) const;

 private:
  struct Entry {
    std::unique_ptr<Tool> tool;
    common::JsonSchema input;
    std::optional<common::JsonSchema> output;
  };

  std::vector<Entry> tools_;
  absl::flat_hash_map<std::string, size_t> by_name_;
};

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_TOOL_REGISTRY_H_
