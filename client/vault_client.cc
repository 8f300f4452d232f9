#include "client/vault_client.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "proto/vault.grpc.pb.h"

namespace layer_vault::client {
namespace {

namespace v1 = layer::vault::v1;

// vaultd's limit on params_json (proto/vault.proto).
constexpr size_t kMaxParamsSize = 64 * 1024;
// The hard cap on token lifetimes (vaultd clamps to it).
constexpr absl::Duration kMaxTtl = absl::Seconds(900);

// Wipes a protobuf string field that held a token.
void Wipe(std::string* s) {
  if (!s->empty()) OPENSSL_cleanse(s->data(), s->size());
  s->clear();
}

void SetDeadline(grpc::ClientContext& ctx, absl::Duration timeout) {
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace

absl::StatusOr<std::unique_ptr<VaultClient>> VaultClient::Create(
    VaultClientOptions options) {
  if (options.scopes.empty()) {
    return absl::InvalidArgumentError("at least one token scope is required");
  }
  for (const std::string& scope : options.scopes) {
    if (scope.empty()) return absl::InvalidArgumentError("empty token scope");
  }
  if (options.ttl < absl::ZeroDuration() || options.ttl > kMaxTtl) {
    return absl::InvalidArgumentError("ttl must be between 0 and 900 s");
  }
  if (options.rpc_timeout <= absl::ZeroDuration() ||
      options.call_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "rpc_timeout and call_timeout must be positive");
  }
  VaultdChannel::Options channel_options;
  channel_options.socket_path = options.workload_socket;
  channel_options.permission_hint =
      "the workload socket is for the members of its group";
  channel_options.connect_timeout = options.connect_timeout;
  channel_options.retry = options.retry;
  auto channel = VaultdChannel::Create(std::move(channel_options));
  if (!channel.ok()) return channel.status();
  return std::unique_ptr<VaultClient>(
      new VaultClient(std::move(options), *std::move(channel)));
}

VaultClient::VaultClient(VaultClientOptions options,
                         std::unique_ptr<VaultdChannel> channel)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock
                                       : *common::RealClock()),
      channel_(std::move(channel)) {}

VaultClient::~VaultClient() = default;

absl::StatusOr<std::shared_ptr<VaultClient::CachedToken>>
VaultClient::IssueTokenRpc() {
  v1::IssueTokenRequest request;
  for (const std::string& scope : options_.scopes) request.add_scopes(scope);
  request.set_audience(options_.audience);
  request.set_ttl_seconds(absl::ToInt64Seconds(options_.ttl));
  v1::IssueTokenResponse response;
  absl::Status status = channel_->Run(
      RetryRule::kIdempotent,
      [&](const std::shared_ptr<grpc::Channel>& channel) {
        grpc::ClientContext ctx;
        SetDeadline(ctx, options_.rpc_timeout);
        response.Clear();
        return v1::Workload::NewStub(channel)->IssueToken(&ctx, request,
                                                          &response);
      });
  if (!status.ok()) return status;

  auto cached = std::make_shared<CachedToken>();
  cached->token = crypto::SecretBytes::CopyFrom(response.token());
  Wipe(response.mutable_token());
  if (cached->token.empty()) {
    return absl::InternalError("vaultd issued an empty token");
  }
  cached->info.jti = response.jti();
  cached->info.key_id = response.key_id();
  cached->info.scopes.assign(response.scopes().begin(),
                             response.scopes().end());
  cached->info.issued_at = absl::FromUnixSeconds(response.issued_at_unix());
  cached->info.expires_at = absl::FromUnixSeconds(response.expires_at_unix());
  // iat is whole seconds, so up to 1 s of the lifetime may already be gone.
  absl::Duration lifetime =
      cached->info.expires_at - cached->info.issued_at - absl::Seconds(1);
  if (lifetime <= absl::ZeroDuration()) {
    return absl::InternalError("vaultd issued a token that has expired");
  }
  const absl::Time now = clock_.Now();
  cached->renew_at = now + lifetime / 2;
  // Keep a margin for the call that carries the token to reach vaultd.
  cached->usable_until = now + lifetime - std::min(lifetime / 10,
                                                   absl::Seconds(5));
  return cached;
}

absl::StatusOr<VaultClient::TokenRef> VaultClient::GetToken() {
  mu_.Lock();
  for (;;) {
    const absl::Time now = clock_.Now();
    if (cached_ != nullptr && now < cached_->renew_at) break;
    if (renewing_) {
      // Another thread renews; the old token is fine meanwhile.
      if (cached_ != nullptr && now < cached_->usable_until) break;
      const uint64_t seen = renewals_done_;
      auto done = [this, seen]() {
        return renewals_done_ != seen;
      };
      mu_.Await(absl::Condition(&done));
      if (cached_ == nullptr && !last_renewal_.ok()) {
        absl::Status failure = last_renewal_;
        mu_.Unlock();
        return failure;
      }
      continue;
    }
    renewing_ = true;
    mu_.Unlock();
    absl::StatusOr<std::shared_ptr<CachedToken>> fresh = IssueTokenRpc();
    mu_.Lock();
    renewing_ = false;
    ++renewals_done_;
    if (fresh.ok()) {
      (*fresh)->generation = next_generation_++;
      cached_ = *std::move(fresh);
      last_renewal_ = absl::OkStatus();
      break;
    }
    last_renewal_ = fresh.status();
    // A failed renewal keeps a token that is still valid: the call then gets
    // vaultd's own answer for it.
    if (cached_ != nullptr && clock_.Now() < cached_->usable_until) break;
    cached_.reset();
    absl::Status failure = last_renewal_;
    mu_.Unlock();
    return failure;
  }
  TokenRef token = cached_;
  mu_.Unlock();
  return token;
}

void VaultClient::InvalidateToken() {
  TokenRef dropped;
  absl::MutexLock lock(&mu_);
  dropped = std::move(cached_);
}

void VaultClient::InvalidateGeneration(uint64_t generation) {
  absl::MutexLock lock(&mu_);
  if (cached_ != nullptr && cached_->generation == generation) cached_.reset();
}

absl::StatusOr<TokenInfo> VaultClient::IssueToken() {
  absl::StatusOr<TokenRef> token = GetToken();
  if (!token.ok()) return token.status();
  return (*token)->info;
}

absl::Status VaultClient::WithToken(
    const std::function<absl::Status(const CachedToken&)>& attempt) {
  for (int round = 0;; ++round) {
    absl::StatusOr<TokenRef> token = GetToken();
    if (!token.ok()) return token.status();
    absl::Status status = attempt(**token);
    if (status.code() != absl::StatusCode::kUnauthenticated || round > 0) {
      return status;
    }
    InvalidateGeneration((*token)->generation);
  }
}

absl::StatusOr<CallResult> VaultClient::CallDetailed(
    absl::string_view operation, const nlohmann::json& params) {
  if (operation.empty()) {
    return absl::InvalidArgumentError("operation name is empty");
  }
  if (!params.is_object()) {
    return absl::InvalidArgumentError("params must be a JSON object");
  }
  v1::CallLayerRequest request;
  request.set_operation(std::string(operation));
  try {
    request.set_params_json(params.dump());
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError(
        "params cannot be serialised (a string is not valid UTF-8)");
  }
  if (request.params_json().size() > kMaxParamsSize) {
    return absl::InvalidArgumentError("params are larger than 64 KiB");
  }
  v1::CallLayerResponse response;
  absl::Status status = WithToken([&](const CachedToken& token) {
    request.set_token(std::string(token.token.UnsafeView()));
    absl::Status s = channel_->Run(
        RetryRule::kOnlyIfNotSent,
        [&](const std::shared_ptr<grpc::Channel>& channel) {
          grpc::ClientContext ctx;
          SetDeadline(ctx, options_.call_timeout);
          response.Clear();
          return v1::Workload::NewStub(channel)->CallLayer(&ctx, request,
                                                           &response);
        });
    Wipe(request.mutable_token());
    return s;
  });
  if (!status.ok()) return status;

  CallResult result;
  result.http_status = response.http_status();
  result.upstream_latency = absl::Milliseconds(response.upstream_latency_ms());
  result.upstream_attempts = response.attempts();
  result.creative_units_charged = response.creative_units_charged();
  if (!response.body_json().empty()) {
    result.body = nlohmann::json::parse(response.body_json(), nullptr,
                                        /*allow_exceptions=*/false);
    if (result.body.is_discarded()) {
      return absl::InternalError(
          absl::StrCat("vaultd returned a response body for ", operation,
                       " that is not valid JSON"));
    }
  }
  return result;
}

absl::StatusOr<nlohmann::json> VaultClient::Call(absl::string_view operation,
                                                 const nlohmann::json& params) {
  absl::StatusOr<CallResult> result = CallDetailed(operation, params);
  if (!result.ok()) return result.status();
  return std::move(result->body);
}

absl::StatusOr<SpendInfo> VaultClient::GetSpend() {
  v1::GetSpendRequest request;
  v1::GetSpendResponse response;
  absl::Status status = WithToken([&](const CachedToken& token) {
    request.set_token(std::string(token.token.UnsafeView()));
    absl::Status s = channel_->Run(
        RetryRule::kIdempotent,
        [&](const std::shared_ptr<grpc::Channel>& channel) {
          grpc::ClientContext ctx;
          SetDeadline(ctx, options_.rpc_timeout);
          response.Clear();
          return v1::Workload::NewStub(channel)->GetSpend(&ctx, request,
                                                          &response);
        });
    Wipe(request.mutable_token());
    return s;
  });
  if (!status.ok()) return status;
  SpendInfo spend;
  spend.period_budget = response.period_budget();
  spend.period_spent = response.period_spent();
  spend.per_run_cap = response.per_run_cap();
  spend.period_start = absl::FromUnixSeconds(response.period_start_unix());
  spend.period_end = absl::FromUnixSeconds(response.period_end_unix());
  return spend;
}

absl::StatusOr<std::vector<VerificationKey>>
VaultClient::GetVerificationKeys() {
  v1::GetVerificationKeysRequest request;
  v1::GetVerificationKeysResponse response;
  absl::Status status = channel_->Run(
      RetryRule::kIdempotent,
      [&](const std::shared_ptr<grpc::Channel>& channel) {
        grpc::ClientContext ctx;
        SetDeadline(ctx, options_.rpc_timeout);
        response.Clear();
        return v1::Workload::NewStub(channel)->GetVerificationKeys(
            &ctx, request, &response);
      });
  if (!status.ok()) return status;
  std::vector<VerificationKey> keys;
  for (const v1::VerificationKey& k : response.keys()) {
    VerificationKey key;
    key.key_id = k.key_id();
    key.algorithm = k.algorithm();
    key.public_key = k.public_key();
    key.not_before = absl::FromUnixSeconds(k.not_before_unix());
    key.not_after = absl::FromUnixSeconds(k.not_after_unix());
    key.current = k.current();
    keys.push_back(std::move(key));
  }
  return keys;
}

absl::StatusOr<PingResult> VaultClient::Ping() {
  v1::PingRequest request;
  v1::PingResponse response;
  absl::Status status = channel_->Run(
      RetryRule::kIdempotent,
      [&](const std::shared_ptr<grpc::Channel>& channel) {
        grpc::ClientContext ctx;
        SetDeadline(ctx, options_.rpc_timeout);
        response.Clear();
        return v1::Workload::NewStub(channel)->Ping(&ctx, request, &response);
      });
  if (!status.ok()) return status;
  PingResult result;
  result.sealed = response.sealed();
  return result;
}

}  // namespace layer_vault::client
