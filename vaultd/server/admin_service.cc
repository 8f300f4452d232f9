#include "vaultd/server/admin_service.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/server/grpc_status.h"

namespace layer_vault::server {
namespace {

namespace v1 = layer::vault::v1;

// Moves a secret out of a protobuf string field into locked memory and wipes
// the field's buffer.
crypto::SecretBytes TakeSecret(std::string* field) {
  crypto::SecretBytes secret = crypto::SecretBytes::CopyFrom(*field);
  std::fill(field->begin(), field->end(), '\0');
  field->clear();
  return secret;
}

void FillMetadata(const Credential& c, v1::CredentialMetadata* out) {
  out->set_present(true);
  out->set_fingerprint(c.fingerprint.ToString());
  out->set_workspace_id(c.workspace_id);
  out->set_rotated_at_unix(absl::ToUnixSeconds(c.rotated_at));
  out->set_rotation_due_unix(absl::ToUnixSeconds(c.rotation_due));
}

}  // namespace

AdminService::AdminService(VaultCore& core,
                           const ConnectionRegistry& connections,
                           EventSink& events, Options options)
    : core_(core),
      connections_(connections),
      events_(events),
      options_(std::move(options)),
      started_(absl::Now()) {}

absl::StatusOr<std::shared_ptr<const peer::PeerIdentity>>
AdminService::Authorize(grpc::ServerContext* ctx, absl::string_view action) {
  auto caller = connections_.Lookup(ctx->peer());
  if (!caller.ok()) return caller.status();
  uid_t uid = (*caller)->uid;
  bool allowed = options_.is_admin ? options_.is_admin(uid)
                                   : (uid == 0 || uid == geteuid());
  if (!allowed) {
    audit::Event e;
    e.name = std::string(action);
    e.decision = "deny";
    e.caller = audit::Caller::From(**caller);
    e.reason = "not an administrator";
    events_.Record(e);
    return absl::PermissionDeniedError(
        "only the vaultd user, root or a configured admin may use the admin "
        "socket");
  }
  return caller;
}

grpc::Status AdminService::Finish(const peer::PeerIdentity& caller,
                                  absl::string_view action,
                                  const absl::Status& status) {
  audit::Event e;
  e.name = std::string(action);
  e.decision = status.ok() ? "allow" : "error";
  e.caller = audit::Caller::From(caller);
  if (!status.ok()) e.reason = std::string(status.message());
  events_.Record(e);
  return ToGrpc(status);
}

grpc::Status AdminService::Status(grpc::ServerContext* ctx,
                                  const v1::StatusRequest*,
                                  v1::StatusResponse* resp) {
  auto caller = Authorize(ctx, "admin.status");
  if (!caller.ok()) return ToGrpc(caller.status());
  CoreStatus s = core_.Status();
  resp->set_sealed(s.sealed);
  resp->set_uptime_seconds(absl::ToInt64Seconds(absl::Now() - started_));
  resp->set_key_source(s.key_source);
  resp->set_tokens_issued(s.tokens_issued);
  resp->set_tokens_revoked(s.tokens_revoked);
  resp->set_version(options_.version);
  for (const auto& kid : s.signing_key_ids) resp->add_signing_key_ids(kid);
  if (s.credential_present) {
    auto* c = resp->mutable_credential();
    c->set_present(true);
    c->set_fingerprint(s.fingerprint);
    c->set_workspace_id(s.workspace_id);
    c->set_created_at_unix(absl::ToUnixSeconds(s.created_at));
    c->set_rotated_at_unix(absl::ToUnixSeconds(s.rotated_at));
    c->set_rotation_due_unix(absl::ToUnixSeconds(s.rotation_due));
  }
  if (options_.spend_summary && !s.sealed) {
    options_.spend_summary(resp->mutable_spend());
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::Unlock(grpc::ServerContext* ctx,
                                  const v1::UnlockRequest* req,
                                  v1::UnlockResponse*) {
  // gRPC hands the request as const; its buffer is ours to wipe.
  crypto::SecretBytes passphrase =
      TakeSecret(const_cast<v1::UnlockRequest*>(req)->mutable_passphrase());
  auto caller = Authorize(ctx, "admin.unlock");
  if (!caller.ok()) return ToGrpc(caller.status());
  return Finish(**caller, "admin.unlock", core_.Unlock(std::move(passphrase)));
}

grpc::Status AdminService::Lock(grpc::ServerContext* ctx,
                                const v1::LockRequest*, v1::LockResponse*) {
  auto caller = Authorize(ctx, "admin.lock");
  if (!caller.ok()) return ToGrpc(caller.status());
  core_.Lock();
  return Finish(**caller, "admin.lock", absl::OkStatus());
}

grpc::Status AdminService::StoreCredential(
    grpc::ServerContext* ctx, absl::string_view action, std::string* pat,
    const std::string& workspace_id, bool verify, bool rotate,
    v1::CredentialMetadata* out) {
  crypto::SecretBytes secret = TakeSecret(pat);
  auto caller = Authorize(ctx, action);
  if (!caller.ok()) return ToGrpc(caller.status());
  VaultCore::PatVerifier verifier;
  if (verify && options_.pat_verifier) verifier = options_.pat_verifier;
  if (verify && !options_.pat_verifier) {
    return Finish(**caller, action,
                  absl::FailedPreconditionError(
                      "this vaultd has no Layer.ai relay to verify the token "
                      "with; retry with --no-verify"));
  }
  auto credential =
      core_.SetCredential(std::move(secret), workspace_id, rotate, verifier);
  if (credential.ok()) FillMetadata(**credential, out);
  return Finish(**caller, action, credential.status());
}

grpc::Status AdminService::SetCredential(grpc::ServerContext* ctx,
                                         const v1::SetCredentialRequest* req,
                                         v1::SetCredentialResponse* resp) {
  auto* mutable_req = const_cast<v1::SetCredentialRequest*>(req);
  return StoreCredential(ctx, "admin.set_credential",
                         mutable_req->mutable_pat(), req->workspace_id(),
                         req->verify(), /*rotate=*/false,
                         resp->mutable_credential());
}

grpc::Status AdminService::RotateCredential(
    grpc::ServerContext* ctx, const v1::RotateCredentialRequest* req,
    v1::RotateCredentialResponse* resp) {
  auto* mutable_req = const_cast<v1::RotateCredentialRequest*>(req);
  return StoreCredential(ctx, "admin.rotate_credential",
                         mutable_req->mutable_pat(), req->workspace_id(),
                         req->verify(), /*rotate=*/true,
                         resp->mutable_credential());
}

grpc::Status AdminService::RevokeToken(grpc::ServerContext* ctx,
                                       const v1::RevokeTokenRequest* req,
                                       v1::RevokeTokenResponse*) {
  auto caller = Authorize(ctx, "admin.revoke_token");
  if (!caller.ok()) return ToGrpc(caller.status());
  absl::Status s = core_.RevokeToken(req->jti());
  audit::Event e;
  e.name = "admin.revoke_token";
  e.decision = s.ok() ? "allow" : "error";
  e.caller = audit::Caller::From(**caller);
  if (s.ok()) e.jti = req->jti();
  if (!s.ok()) e.reason = std::string(s.message());
  events_.Record(e);
  return ToGrpc(s);
}

grpc::Status AdminService::RevokeAll(grpc::ServerContext* ctx,
                                     const v1::RevokeAllRequest*,
                                     v1::RevokeAllResponse* resp) {
  auto caller = Authorize(ctx, "admin.revoke_all");
  if (!caller.ok()) return ToGrpc(caller.status());
  auto epoch = core_.RevokeAll();
  if (epoch.ok()) resp->set_revoked_before_unix(absl::ToUnixSeconds(*epoch));
  return Finish(**caller, "admin.revoke_all", epoch.status());
}

grpc::Status AdminService::RotateSigningKey(
    grpc::ServerContext* ctx, const v1::RotateSigningKeyRequest*,
    v1::RotateSigningKeyResponse* resp) {
  auto caller = Authorize(ctx, "admin.rotate_signing_key");
  if (!caller.ok()) return ToGrpc(caller.status());
  auto rotation = core_.RotateSigningKey();
  if (rotation.ok()) {
    resp->set_new_key_id(rotation->new_kid);
    resp->set_previous_key_id(rotation->previous_kid);
  }
  return Finish(**caller, "admin.rotate_signing_key", rotation.status());
}

}  // namespace layer_vault::server
