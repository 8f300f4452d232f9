#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_LAYER_API_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_LAYER_API_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/vault_client.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp::layer_tools {

// LayerApi is what the Layer.ai tools need from vaultd: operations of its
// relay registry (vaultd/relay/operations/) and the caller's local budget.
// The production implementation is VaultLayerApi; tests use a fake.
//
// Errors follow client::VaultClient: the gRPC code of vaultd's answer with
// its message, typed errors keeping their "[layer:TYPE] " / "[vault:TYPE] "
// prefix. Implementations are thread-safe.
class LayerApi {
 public:
  virtual ~LayerApi() = default;

  // Performs `operation` with `params` (path and query parameters at the
  // top level, the JSON body under "body") and returns Layer.ai's answer.
  virtual absl::StatusOr<nlohmann::json> Call(absl::string_view operation,
                                              const nlohmann::json& params) = 0;

  // The caller's Creative Unit budget as vaultd enforces it.
  virtual absl::StatusOr<client::SpendInfo> GetSpend() = 0;
};

// VaultLayerApi is LayerApi over a client::VaultClient (not owned; must
// outlive it). Errors that mean "vaultd cannot serve you" get the fix
// appended (see WithVaultdFix). Thread-safe.
class VaultLayerApi final : public LayerApi {
 public:
  explicit VaultLayerApi(client::VaultClient* client) : client_(client) {}

  absl::StatusOr<nlohmann::json> Call(absl::string_view operation,
                                      const nlohmann::json& params) override;
  absl::StatusOr<client::SpendInfo> GetSpend() override;

 private:
  client::VaultClient* const client_;
};

// WithVaultdFix returns `status` with what the user should do appended when
// vaultd itself is the problem: not running or unreachable (UNAVAILABLE
// without a typed "[layer:...]" prefix; one that names neither vaultd nor
// Layer.ai is gRPC's report of a connection lost mid-call, and then says
// so), refusing this process (PERMISSION_DENIED), or sealed
// (FAILED_PRECONDITION "vaultd is sealed", whose message already names
// `vaultctl unlock`). Typed errors from Layer.ai or vaultd's spend and rate
// controls are returned unchanged. The code is kept; OK stays OK.
absl::Status WithVaultdFix(const absl::Status& status);

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_LAYER_API_H_
