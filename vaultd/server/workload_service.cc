#include "vaultd/server/workload_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/redact.h"
#include "vaultd/server/grpc_status.h"

namespace layer_vault::server {
namespace {

namespace v1 = layer::vault::v1;

constexpr size_t kMaxPingPayload = 4096;
constexpr size_t kMaxParamsSize = 64 * 1024;
constexpr size_t kMaxEchoedScope = 64;
constexpr absl::string_view kKnownScopes[] = {"layer:read", "layer:generate",
                                              "layer:upload"};

}  // namespace

token::CallerIdentity CallerIdentityOf(const peer::PeerIdentity& peer) {
  token::CallerIdentity id;
  id.uid = peer.uid;
  id.gid = peer.gid;
  id.pid = peer.pid;
  id.process_start_time = peer.start_time_ticks;
  id.boot_id = peer.boot_id;
  return id;
}

WorkloadService::WorkloadService(VaultCore& core,
                                 const ConnectionRegistry& connections,
                                 PolicyFn policy, EventSink& events,
                                 LayerRelay* relay)
    : core_(core),
      connections_(connections),
      policy_(std::move(policy)),
      events_(events),
      relay_(relay) {}

absl::StatusOr<WorkloadService::Caller> WorkloadService::Authorize(
    grpc::ServerContext* ctx, absl::string_view event) {
  auto peer = connections_.Lookup(ctx->peer());
  if (!peer.ok()) return peer.status();
  Caller caller{*std::move(peer), {}};
  caller.grant = policy_(*caller.peer);
  if (!caller.grant.allowed) {
    audit::Event e;
    e.name = std::string(event);
    e.decision = "deny";
    e.caller = audit::Caller::From(*caller.peer);
    e.reason = caller.grant.reason;
    events_.Record(e);
    return absl::PermissionDeniedError(
        "this process is not allowed to use vaultd (see the policy file)");
  }
  return caller;
}

absl::StatusOr<token::VerifiedToken> WorkloadService::CheckToken(
    const Caller& caller, absl::string_view token,
    absl::string_view required_scope, absl::string_view event,
    absl::string_view operation) {
  auto verified = core_.VerifyToken(token, CallerIdentityOf(*caller.peer),
                                    required_scope);
  if (!verified.ok()) {
    audit::Event e;
    e.name = std::string(event);
    e.decision = "deny";
    e.caller = audit::Caller::From(*caller.peer);
    e.operation = std::string(operation);
    e.scope = std::string(required_scope);
    e.reason = std::string(verified.status().message());
    events_.Record(e);
  }
  return verified;
}

grpc::Status WorkloadService::IssueToken(grpc::ServerContext* ctx,
                                         const v1::IssueTokenRequest* req,
                                         v1::IssueTokenResponse* resp) {
  auto caller = Authorize(ctx, "token.issue");
  if (!caller.ok()) return ToGrpc(caller.status());
  const auto& granted = caller->grant.scopes;
  if (req->scopes().empty()) {
    return ToGrpc(absl::InvalidArgumentError("no scope requested"));
  }
  for (const std::string& scope : req->scopes()) {
    if (std::find(std::begin(kKnownScopes), std::end(kKnownScopes), scope) ==
        std::end(kKnownScopes)) {
      // At most kMaxEchoedScope bytes of the caller's (redacted) text: an
      // unbounded echo would push the status past the client's metadata
      // limit. Redacted before the cut, so a cut cannot hide a credential.
      const std::string redacted = common::Redact(scope);
      const absl::string_view shown =
          absl::string_view(redacted).substr(0, kMaxEchoedScope);
      return ToGrpc(absl::InvalidArgumentError(absl::StrCat(
          "unknown scope \"", shown,
          shown.size() < redacted.size() ? "...\"" : "\"",
          "; known: layer:read, layer:generate, layer:upload")));
    }
  }
  for (const std::string& scope : req->scopes()) {
    if (std::find(granted.begin(), granted.end(), scope) == granted.end()) {
      audit::Event e;
      e.name = "token.deny";
      e.decision = "deny";
      e.caller = audit::Caller::From(*caller->peer);
      e.scope = scope;
      e.reason = "scope not granted by policy";
      events_.Record(e);
      return ToGrpc(absl::PermissionDeniedError(absl::StrCat(
          "the policy does not grant scope \"", scope,
          "\" to this caller; granted: ", absl::StrJoin(granted, ", "))));
    }
  }
  token::IssueRequest request;
  request.scopes.assign(req->scopes().begin(), req->scopes().end());
  request.audience = req->audience();
  request.ttl = absl::Seconds(req->ttl_seconds());
  auto issued = core_.IssueToken(CallerIdentityOf(*caller->peer), request);
  audit::Event e;
  e.name = issued.ok() ? "token.issue" : "token.deny";
  e.decision = issued.ok() ? "allow" : "error";
  e.caller = audit::Caller::From(*caller->peer);
  e.scope = absl::StrJoin(request.scopes, " ");
  if (issued.ok()) e.jti = issued->jti;
  if (!issued.ok()) e.reason = std::string(issued.status().message());
  events_.Record(e);
  if (!issued.ok()) return ToGrpc(issued.status());
  resp->set_token(std::move(issued->token));
  resp->set_expires_at_unix(absl::ToUnixSeconds(issued->expires_at));
  resp->set_issued_at_unix(absl::ToUnixSeconds(issued->issued_at));
  resp->set_key_id(issued->kid);
  resp->set_jti(issued->jti);
  for (const auto& s : issued->scopes) resp->add_scopes(s);
  return grpc::Status::OK;
}

grpc::Status WorkloadService::CallLayer(grpc::ServerContext* ctx,
                                        const v1::CallLayerRequest* req,
                                        v1::CallLayerResponse* resp) {
  auto caller = Authorize(ctx, "relay.call");
  if (!caller.ok()) return ToGrpc(caller.status());
  if (relay_ == nullptr) {
    return ToGrpc(absl::UnavailableError("the Layer.ai relay is not configured"));
  }
  if (req->params_json().size() > kMaxParamsSize) {
    return ToGrpc(absl::InvalidArgumentError(
        "params_json is larger than 64 KiB"));
  }
  auto scope = relay_->ScopeOf(req->operation());
  if (!scope.ok()) return ToGrpc(scope.status());
  auto verified = CheckToken(*caller, req->token(), *scope, "relay.call",
                             req->operation());
  if (!verified.ok()) return ToGrpc(verified.status());
  auto credential = core_.CurrentCredential();
  if (!credential.ok()) return ToGrpc(credential.status());
  auto result = relay_->Call(*caller->peer, req->operation(),
                             req->params_json(), **credential);
  audit::Event e;
  e.name = "relay.call";
  e.decision = result.ok() ? "allow" : "error";
  e.caller = audit::Caller::From(*caller->peer);
  e.jti = verified->claims.jti;
  e.scope = *scope;
  e.operation = req->operation();
  if (result.ok()) {
    e.http_status = result->http_status;
    e.latency = result->upstream_latency;
  } else {
    e.reason = std::string(result.status().message());
  }
  events_.Record(e);
  if (!result.ok()) return ToGrpc(result.status());
  resp->set_http_status(result->http_status);
  resp->set_body_json(std::move(result->body_json));
  resp->set_upstream_latency_ms(
      absl::ToInt64Milliseconds(result->upstream_latency));
  resp->set_attempts(result->attempts);
  resp->set_creative_units_charged(result->creative_units_charged);
  return grpc::Status::OK;
}

grpc::Status WorkloadService::GetVerificationKeys(
    grpc::ServerContext* ctx, const v1::GetVerificationKeysRequest*,
    v1::GetVerificationKeysResponse* resp) {
  auto caller = Authorize(ctx, "keys.get");
  if (!caller.ok()) return ToGrpc(caller.status());
  auto keys = core_.VerificationKeys();
  if (!keys.ok()) return ToGrpc(keys.status());
  for (const auto& k : *keys) {
    auto* out = resp->add_keys();
    out->set_key_id(k.kid);
    out->set_algorithm("Ed25519");
    out->set_public_key(k.public_key.bytes());
    out->set_not_before_unix(absl::ToUnixSeconds(k.not_before));
    out->set_not_after_unix(absl::ToUnixSeconds(k.not_after));
    out->set_current(k.current);
  }
  return grpc::Status::OK;
}

grpc::Status WorkloadService::GetSpend(grpc::ServerContext* ctx,
                                       const v1::GetSpendRequest* req,
                                       v1::GetSpendResponse* resp) {
  auto caller = Authorize(ctx, "spend.get");
  if (!caller.ok()) return ToGrpc(caller.status());
  auto verified = CheckToken(*caller, req->token(), "", "spend.get", "");
  if (!verified.ok()) return ToGrpc(verified.status());
  if (relay_ != nullptr) relay_->Spend(*caller->peer, resp);
  return grpc::Status::OK;
}

grpc::Status WorkloadService::Ping(grpc::ServerContext* ctx,
                                   const v1::PingRequest* req,
                                   v1::PingResponse* resp) {
  auto peer = connections_.Lookup(ctx->peer());
  if (!peer.ok()) return ToGrpc(peer.status());
  if (!policy_(**peer).allowed) {
    return ToGrpc(absl::PermissionDeniedError(
        "this process is not allowed to use vaultd (see the policy file)"));
  }
  if (req->payload().size() > kMaxPingPayload) {
    return ToGrpc(absl::InvalidArgumentError("ping payload over 4 KiB"));
  }
  resp->set_payload(req->payload());
  resp->set_sealed(core_.sealed());
  return grpc::Status::OK;
}

}  // namespace layer_vault::server
