#ifndef LAYER_VAULT_VAULTD_SERVER_WORKLOAD_SERVICE_H_
#define LAYER_VAULT_VAULTD_SERVER_WORKLOAD_SERVICE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/vault.grpc.pb.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/server/connection_registry.h"
#include "vaultd/server/event_sink.h"
#include "vaultd/server/vault_core.h"

namespace layer_vault::server {

// What the policy grants one attested caller.
struct CallerGrant {
  bool allowed = false;
  std::vector<std::string> scopes;
  std::string reason;  // why denied, or the matched rule
};
using PolicyFn = std::function<CallerGrant(const peer::PeerIdentity&)>;

// LayerRelay performs Layer.ai operations for the workload service (the
// relay wiring implements it). Thread-safe.
class LayerRelay {
 public:
  struct Result {
    int http_status = 0;
    std::string body_json;  // already redacted
    absl::Duration upstream_latency;
    int attempts = 0;
    double creative_units_charged = 0;
  };
  virtual ~LayerRelay() = default;
  // The scope an operation needs; INVALID_ARGUMENT for an unknown one.
  virtual absl::StatusOr<std::string> ScopeOf(
      absl::string_view operation) const = 0;
  virtual absl::StatusOr<Result> Call(const peer::PeerIdentity& caller,
                                      absl::string_view operation,
                                      absl::string_view params_json,
                                      const Credential& credential) = 0;
  virtual void Spend(const peer::PeerIdentity& caller,
                     layer::vault::v1::GetSpendResponse* out) = 0;
};

// WorkloadService serves layer.vault.v1.Workload on the workload socket.
// Every RPC resolves the kernel-attested caller of its connection and asks
// the policy; a denied caller gets PERMISSION_DENIED and an audit event.
// Thread-safe; the referenced objects must outlive it. `relay` may be null
// (CallLayer then answers UNAVAILABLE).
class WorkloadService final : public layer::vault::v1::Workload::Service {
 public:
  WorkloadService(VaultCore& core, const ConnectionRegistry& connections,
                  PolicyFn policy, EventSink& events, LayerRelay* relay);

  grpc::Status IssueToken(grpc::ServerContext* ctx,
                          const layer::vault::v1::IssueTokenRequest* req,
                          layer::vault::v1::IssueTokenResponse* resp) override;
  grpc::Status CallLayer(grpc::ServerContext* ctx,
                         const layer::vault::v1::CallLayerRequest* req,
                         layer::vault::v1::CallLayerResponse* resp) override;
  grpc::Status GetVerificationKeys(
      grpc::ServerContext* ctx,
      const layer::vault::v1::GetVerificationKeysRequest* req,
      layer::vault::v1::GetVerificationKeysResponse* resp) override;
  grpc::Status GetSpend(grpc::ServerContext* ctx,
                        const layer::vault::v1::GetSpendRequest* req,
                        layer::vault::v1::GetSpendResponse* resp) override;
  grpc::Status Ping(grpc::ServerContext* ctx,
                    const layer::vault::v1::PingRequest* req,
                    layer::vault::v1::PingResponse* resp) override;

 private:
  struct Caller {
    std::shared_ptr<const peer::PeerIdentity> peer;
    CallerGrant grant;
  };
  // The attested, policy-allowed caller, or PERMISSION_DENIED (audited).
  absl::StatusOr<Caller> Authorize(grpc::ServerContext* ctx,
                                   absl::string_view event);
  // Verifies a presented token for `caller` (audited on failure).
  absl::StatusOr<token::VerifiedToken> CheckToken(
      const Caller& caller, absl::string_view token,
      absl::string_view required_scope, absl::string_view event,
      absl::string_view operation);

  VaultCore& core_;
  const ConnectionRegistry& connections_;
  const PolicyFn policy_;
  EventSink& events_;
  LayerRelay* const relay_;
};

// The token binding of an attested peer.
token::CallerIdentity CallerIdentityOf(const peer::PeerIdentity& peer);

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_WORKLOAD_SERVICE_H_
