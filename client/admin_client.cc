#include "client/admin_client.h"

#include <openssl/crypto.h>

#include <utility>

#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "proto/vault.grpc.pb.h"

namespace layer_vault::client {
namespace {

namespace v1 = layer::vault::v1;

void Wipe(std::string* s) {
  if (!s->empty()) OPENSSL_cleanse(s->data(), s->size());
  s->clear();
}

// Runs one Admin RPC: `method` is a pointer to the stub's method.
template <typename Request, typename Response>
absl::Status RunAdmin(
    VaultdChannel& channel, RetryRule rule, absl::Duration timeout,
    grpc::Status (v1::Admin::Stub::*method)(grpc::ClientContext*,
                                            const Request&, Response*),
    const Request& request, Response& response) {
  return channel.Run(rule, [&](const std::shared_ptr<grpc::Channel>& ch) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    response.Clear();
    auto stub = v1::Admin::NewStub(ch);
    return ((*stub).*method)(&ctx, request, &response);
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminClient>> AdminClient::Create(
    AdminClientOptions options) {
  if (options.rpc_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("rpc_timeout must be positive");
  }
  VaultdChannel::Options channel_options;
  channel_options.socket_path = options.admin_socket;
  channel_options.permission_hint =
      "the admin socket is for the vaultd user and root";
  channel_options.connect_timeout = options.connect_timeout;
  channel_options.retry = options.retry;
  auto channel = VaultdChannel::Create(std::move(channel_options));
  if (!channel.ok()) return channel.status();
  return std::unique_ptr<AdminClient>(
      new AdminClient(std::move(options), *std::move(channel)));
}

absl::StatusOr<v1::StatusResponse> AdminClient::Status() {
  v1::StatusRequest request;
  v1::StatusResponse response;
  absl::Status s =
      RunAdmin(*channel_, RetryRule::kIdempotent, options_.rpc_timeout,
               &v1::Admin::Stub::Status, request, response);
  if (!s.ok()) return s;
  return response;
}

absl::Status AdminClient::Unlock(const crypto::SecretBytes& passphrase) {
  v1::UnlockRequest request;
  request.set_passphrase(std::string(passphrase.UnsafeView()));
  v1::UnlockResponse response;
  absl::Status s =
      RunAdmin(*channel_, RetryRule::kOnlyIfNotSent, options_.rpc_timeout,
               &v1::Admin::Stub::Unlock, request, response);
  Wipe(request.mutable_passphrase());
  return s;
}

absl::Status AdminClient::Lock() {
  v1::LockRequest request;
  v1::LockResponse response;
  return RunAdmin(*channel_, RetryRule::kOnlyIfNotSent, options_.rpc_timeout,
                  &v1::Admin::Stub::Lock, request, response);
}

absl::StatusOr<v1::CredentialMetadata> AdminClient::SetCredential(
    const crypto::SecretBytes& pat, absl::string_view workspace_id,
    bool verify) {
  v1::SetCredentialRequest request;
  request.set_pat(std::string(pat.UnsafeView()));
  request.set_workspace_id(std::string(workspace_id));
  request.set_verify(verify);
  v1::SetCredentialResponse response;
  absl::Status s =
      RunAdmin(*channel_, RetryRule::kOnlyIfNotSent, options_.rpc_timeout,
               &v1::Admin::Stub::SetCredential, request, response);
  Wipe(request.mutable_pat());
  if (!s.ok()) return s;
  return response.credential();
}

absl::StatusOr<v1::CredentialMetadata> AdminClient::RotateCredential(
    const crypto::SecretBytes& pat, absl::string_view workspace_id,
    bool verify) {
  v1::RotateCredentialRequest request;
  request.set_pat(std::string(pat.UnsafeView()));
  request.set_workspace_id(std::string(workspace_id));
  request.set_verify(verify);
  v1::RotateCredentialResponse response;
  absl::Status s =
      RunAdmin(*channel_, RetryRule::kOnlyIfNotSent, options_.rpc_timeout,
               &v1::Admin::Stub::RotateCredential, request, response);
  Wipe(request.mutable_pat());
  if (!s.ok()) return s;
  return response.credential();
}

absl::Status AdminClient::RevokeToken(absl::string_view jti) {
  v1::RevokeTokenRequest request;
  request.set_jti(std::string(jti));
  v1::RevokeTokenResponse response;
  return RunAdmin(*channel_, RetryRule::kOnlyIfNotSent, options_.rpc_timeout,
                  &v1::Admin::Stub::RevokeToken, request, response);
}

absl::StatusOr<absl::Time> AdminClient::RevokeAll() {
  v1::RevokeAllRequest request;
  v1::RevokeAllResponse response;
  absl::Status s =
      RunAdmin(*channel_, RetryRule::kOnlyIfNotSent, options_.rpc_timeout,
               &v1::Admin::Stub::RevokeAll, request, response);
  if (!s.ok()) return s;
  return absl::FromUnixSeconds(response.revoked_before_unix());
}

absl::StatusOr<v1::RotateSigningKeyResponse> AdminClient::RotateSigningKey() {
  v1::RotateSigningKeyRequest request;
  v1::RotateSigningKeyResponse response;
  absl::Status s =
      RunAdmin(*channel_, RetryRule::kOnlyIfNotSent, options_.rpc_timeout,
               &v1::Admin::Stub::RotateSigningKey, request, response);
  if (!s.ok()) return s;
  return response;
}

}  // namespace layer_vault::client
