#include "mcp_frontend/layer_tools/layer_api.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/typed_error.h"

namespace layer_vault::mcp::layer_tools {

absl::StatusOr<nlohmann::json> VaultLayerApi::Call(
    absl::string_view operation, const nlohmann::json& params) {
  absl::StatusOr<nlohmann::json> result = client_->Call(operation, params);
  if (!result.ok()) return WithVaultdFix(result.status());
  return result;
}

absl::StatusOr<client::SpendInfo> VaultLayerApi::GetSpend() {
  absl::StatusOr<client::SpendInfo> spend = client_->GetSpend();
  if (!spend.ok()) return WithVaultdFix(spend.status());
  return spend;
}

absl::Status WithVaultdFix(const absl::Status& status) {
  if (status.ok() || common::ErrorTypeOf(status).has_value()) return status;
  const absl::string_view message = status.message();
  constexpr absl::string_view kStartVaultd =
      "Start vaultd (e.g. `sudo systemctl start vaultd.socket`) and call the "
      "tool again; this MCP server keeps running and reconnects by itself.";
  absl::string_view fix;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      if (absl::StrContains(message, "vaultd")) {
        fix = kStartVaultd;
      } else if (!absl::StrContains(message, "Layer.ai")) {
        // gRPC's own words for a connection that died under the call
        // ("Socket closed", "Broken pipe"): vaultd went away mid-call.
        return absl::Status(
            status.code(),
            absl::StrCat(message,
                         ". vaultd is unavailable: the connection to it was "
                         "lost during the call (vaultd stopped or restarted), "
                         "so a call that changes something may or may not "
                         "have run; check before repeating it. ",
                         kStartVaultd));
      }
      break;
    case absl::StatusCode::kPermissionDenied:
      fix =
          "vaultd's policy (/etc/vaultd/policy.json) must grant this user the "
          "scopes layer:read, layer:generate and layer:upload; ask whoever "
          "administers vaultd.";
      break;
    case absl::StatusCode::kFailedPrecondition:
      if (absl::StrContains(message, "sealed") &&
          !absl::StrContains(message, "vaultctl unlock")) {
        fix = "Run `vaultctl unlock`, then call the tool again.";
      }
      break;
    default:
      break;
  }
  if (fix.empty()) return status;
  return absl::Status(status.code(), absl::StrCat(message, ". ", fix));
}

}  // namespace layer_vault::mcp::layer_tools
