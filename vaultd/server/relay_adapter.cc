#include "vaultd/server/relay_adapter.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "vaultd/relay/retry.h"

namespace layer_vault::server {

absl::StatusOr<std::unique_ptr<RelayAdapter>> RelayAdapter::Create(
    const DaemonConfig& config, const relay::SpendOptions& spend_options,
    const relay::RateLimitOptions& rate_options, LimitsFn limits,
    const common::Clock* clock) {
  std::unique_ptr<RelayAdapter> a(new RelayAdapter());
  a->limits_ = std::move(limits);

  relay::RegistryOptions registry_options;
  registry_options.rest_base_url = config.layer_api_base;
  registry_options.graphql_url = config.layer_graphql_url;
  auto registry =
      relay::Registry::LoadFromDirectory(config.operations_dir, registry_options);
  if (!registry.ok()) return registry.status();
  a->registry_ = *std::move(registry);

  relay::HttpClientOptions http_options;
  http_options.ca_bundle_path = config.ca_bundle;
  http_options.proxy = config.https_proxy;
  http_options.use_environment_proxy = config.https_proxy.empty();
  http_options.connect_timeout = config.connect_timeout;
  http_options.total_timeout = config.total_timeout;
  http_options.max_response_bytes =
      static_cast<size_t>(config.max_response_bytes);
  auto http = relay::CurlHttpClient::Create(http_options);
  if (!http.ok()) return http.status();
  a->http_ = *std::move(http);

  relay::SpendOptions spend = spend_options;
  spend.ledger_path = absl::StrCat(config.state_dir, "/spend.ledger");
  auto ledger = relay::SpendController::Open(spend, clock);
  if (!ledger.ok()) return ledger.status();
  a->spend_ = *std::move(ledger);

  auto rate = relay::RateLimiter::Create(rate_options, clock);
  if (!rate.ok()) return rate.status();
  a->rate_ = *std::move(rate);

  relay::RelayDeps deps;
  deps.registry = a->registry_.get();
  deps.http_client = a->http_.get();
  deps.spend = a->spend_.get();
  deps.rate_limiter = a->rate_.get();
  deps.clock = clock;
  deps.sleeper = relay::RealSleeper();
  auto r = relay::Relay::Create(relay::RelayOptions{}, deps);
  if (!r.ok()) return r.status();
  a->relay_ = *std::move(r);
  return a;
}

relay::CallerKey RelayAdapter::KeyOf(const peer::PeerIdentity& caller) const {
  relay::CallerKey key;
  key.uid = absl::StrCat(caller.uid);
  if (limits_) key.limits = limits_(caller);
  return key;
}

absl::StatusOr<std::string> RelayAdapter::ScopeOf(
    absl::string_view operation) const {
  return registry_->ScopeOf(operation);
}

absl::StatusOr<LayerRelay::Result> RelayAdapter::Call(
    const peer::PeerIdentity& caller, absl::string_view operation,
    absl::string_view params_json, const Credential& credential) {
  auto r = relay_->Call(KeyOf(caller), operation, params_json, credential.pat);
  if (!r.ok()) return r.status();
  Result out;
  out.http_status = r->http_status;
  out.body_json = std::move(r->body_json);
  out.upstream_latency = r->upstream_latency;
  out.attempts = r->attempts;
  out.creative_units_charged = r->creative_units_charged;
  return out;
}

void RelayAdapter::Spend(const peer::PeerIdentity& caller,
                         layer::vault::v1::GetSpendResponse* out) {
  relay::CallerKey key = KeyOf(caller);
  relay::SpendSummary s = spend_->Summary(key.uid, key.limits);
  out->set_period_budget(s.caller_budget);
  out->set_period_spent(s.caller_spent);
  out->set_period_start_unix(absl::ToUnixSeconds(s.period_start));
  out->set_period_end_unix(absl::ToUnixSeconds(s.period_end));
  out->set_per_run_cap(s.per_run_cap);
}

void RelayAdapter::TotalSpend(layer::vault::v1::SpendSummary* out) {
  relay::SpendSummary s = spend_->Summary("vaultd-admin");
  out->set_period_budget(s.total_budget);
  out->set_period_spent(s.total_spent);
  out->set_per_run_cap(s.per_run_cap);
  out->set_period_start_unix(absl::ToUnixSeconds(s.period_start));
  out->set_period_end_unix(absl::ToUnixSeconds(s.period_end));
}

absl::Status RelayAdapter::VerifyPat(const crypto::SecretBytes& pat) {
  relay::CallerKey key;
  key.uid = "vaultd-admin";
  auto r = relay_->Call(key, "workspaces.list", "{}", pat);
  if (r.ok()) return absl::OkStatus();
  return absl::Status(r.status().code(),
                      absl::StrCat("the new token was not stored: ",
                                   r.status().message()));
}

}  // namespace layer_vault::server
