#ifndef LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_LOG_LEVEL_H_
#define LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_LOG_LEVEL_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace layer_vault::mcp {

// LogLevel is an MCP logging level (RFC 5424 severities), least severe
// first, so levels compare with < and >=.
enum class LogLevel {
  kDebug,
  kInfo,
  kNotice,
  kWarning,
  kError,
  kCritical,
  kAlert,
  kEmergency,
};

// The MCP name of `level` ("debug", "info", ..., "emergency").
absl::string_view LogLevelName(LogLevel level);

// The level named `name` (exact, lower case), or nullopt.
std::optional<LogLevel> ParseLogLevel(absl::string_view name);

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_LOG_LEVEL_H_
