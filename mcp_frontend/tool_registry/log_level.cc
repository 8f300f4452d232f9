#include "mcp_frontend/tool_registry/log_level.h"

namespace layer_vault::mcp {
namespace {

constexpr absl::string_view kNames[] = {
    "debug", "info", "notice", "warning", "error", "critical", "alert",
    "emergency",
};

}  // namespace

absl::string_view LogLevelName(LogLevel level) {
  return kNames[static_cast<int>(level)];
}

std::optional<LogLevel> ParseLogLevel(absl::string_view name) {
  for (int i = 0; i < static_cast<int>(sizeof(kNames) / sizeof(kNames[0]));
       ++i) {
    if (kNames[i] == name) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

}  // namespace layer_vault::mcp
