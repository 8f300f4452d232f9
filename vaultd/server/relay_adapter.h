#ifndef LAYER_VAULT_VAULTD_SERVER_RELAY_ADAPTER_H_
#define LAYER_VAULT_VAULTD_SERVER_RELAY_ADAPTER_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "vaultd/policy/policy.h"
#include "vaultd/relay/http_client.h"
#include "vaultd/relay/rate_limit.h"
#include "vaultd/relay/registry.h"
#include "vaultd/relay/relay.h"
#include "vaultd/relay/spend.h"
#include "vaultd/server/config.h"
#include "vaultd/server/workload_service.h"

namespace layer_vault::server {

// RelayAdapter is the workload service's LayerRelay: it owns the operation
// registry, the HTTPS client, the spend ledger (<state_dir>/spend.ledger),
// the rate limiter and the relay, and applies each caller's policy limits.
// Thread-safe.
class RelayAdapter final : public LayerRelay {
 public:
  // Per-caller limits from the policy (rate and budget of the matching
  // rule); called once per CallLayer.
  using LimitsFn =
      std::function<relay::CallerLimits(const peer::PeerIdentity& caller)>;

  // Loads the registry from config.operations_dir and opens the ledger.
  // Errors name the file at fault; vaultd refuses to start on any.
  static absl::StatusOr<std::unique_ptr<RelayAdapter>> Create(
      const DaemonConfig& config, const relay::SpendOptions& spend_options,
      const relay::RateLimitOptions& rate_options, LimitsFn limits,
      const common::Clock* clock);

  absl::StatusOr<std::string> ScopeOf(
      absl::string_view operation) const override;
  absl::StatusOr<Result> Call(const peer::PeerIdentity& caller,
                              absl::string_view operation,
                              absl::string_view params_json,
                              const Credential& credential) override;
  void Spend(const peer::PeerIdentity& caller,
             layer::vault::v1::GetSpendResponse* out) override;

  // Checks a PAT with a cheap authenticated read ("workspaces.list"), for
  // vaultctl set-token/rotate before the PAT is stored.
  absl::Status VerifyPat(const crypto::SecretBytes& pat);

  // Vault-wide spend for Admin Status.
  void TotalSpend(layer::vault::v1::SpendSummary* out);

 private:
  RelayAdapter() = default;
  relay::CallerKey KeyOf(const peer::PeerIdentity& caller) const;

  LimitsFn limits_;
  std::unique_ptr<relay::Registry> registry_;
  std::unique_ptr<relay::CurlHttpClient> http_;
  std::unique_ptr<relay::SpendController> spend_;
  std::unique_ptr<relay::RateLimiter> rate_;
  std::unique_ptr<relay::Relay> relay_;
};

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_RELAY_ADAPTER_H_
