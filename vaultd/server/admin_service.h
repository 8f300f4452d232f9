#ifndef LAYER_VAULT_VAULTD_SERVER_ADMIN_SERVICE_H_
#define LAYER_VAULT_VAULTD_SERVER_ADMIN_SERVICE_H_

#include <sys/types.h>

#include <functional>
#include <vector>

#include "absl/time/time.h"
#include "proto/vault.grpc.pb.h"
#include "vaultd/server/connection_registry.h"
#include "vaultd/server/event_sink.h"
#include "vaultd/server/vault_core.h"

namespace layer_vault::server {

// AdminService serves layer.vault.v1.Admin on the admin socket. Every RPC
// first checks the attested caller with `is_admin` (the daemon's own uid,
// root, or a policy's admin uid, read at each call so a policy reload
// applies); anyone else gets PERMISSION_DENIED and an audit event.
// Thread-safe; the referenced objects must outlive it.
class AdminService final : public layer::vault::v1::Admin::Service {
 public:
  struct Options {
    // Whether `uid` may administer vaultd; null allows only root and the
    // daemon's own uid.
    std::function<bool(uid_t)> is_admin;
    std::string version = "0.1.0";
    // Checks a new PAT with a cheap authenticated read before it is stored
    // (set by the relay wiring); null skips verification.
    VaultCore::PatVerifier pat_verifier;
    // Total spend summary for Status; null leaves it empty.
    std::function<void(layer::vault::v1::SpendSummary*)> spend_summary;
  };

  AdminService(VaultCore& core, const ConnectionRegistry& connections,
               EventSink& events, Options options);

  grpc::Status Status(grpc::ServerContext* ctx,
                      const layer::vault::v1::StatusRequest* req,
                      layer::vault::v1::StatusResponse* resp) override;
  grpc::Status Unlock(grpc::ServerContext* ctx,
                      const layer::vault::v1::UnlockRequest* req,
                      layer::vault::v1::UnlockResponse* resp) override;
  grpc::Status Lock(grpc::ServerContext* ctx,
                    const layer::vault::v1::LockRequest* req,
                    layer::vault::v1::LockResponse* resp) override;
  grpc::Status SetCredential(
      grpc::ServerContext* ctx,
      const layer::vault::v1::SetCredentialRequest* req,
      layer::vault::v1::SetCredentialResponse* resp) override;
  grpc::Status RotateCredential(
      grpc::ServerContext* ctx,
      const layer::vault::v1::RotateCredentialRequest* req,
      layer::vault::v1::RotateCredentialResponse* resp) override;
  grpc::Status RevokeToken(grpc::ServerContext* ctx,
                           const layer::vault::v1::RevokeTokenRequest* req,
                           layer::vault::v1::RevokeTokenResponse* resp) override;
  grpc::Status RevokeAll(grpc::ServerContext* ctx,
                         const layer::vault::v1::RevokeAllRequest* req,
                         layer::vault::v1::RevokeAllResponse* resp) override;
  grpc::Status RotateSigningKey(
      grpc::ServerContext* ctx,
      const layer::vault::v1::RotateSigningKeyRequest* req,
      layer::vault::v1::RotateSigningKeyResponse* resp) override;

 private:
  // The attested admin caller, or PERMISSION_DENIED (audited).
  absl::StatusOr<std::shared_ptr<const peer::PeerIdentity>> Authorize(
      grpc::ServerContext* ctx, absl::string_view action);
  grpc::Status Finish(const peer::PeerIdentity& caller,
                      absl::string_view action, const absl::Status& status);
  grpc::Status StoreCredential(grpc::ServerContext* ctx,
                               absl::string_view action, std::string* pat,
                               const std::string& workspace_id, bool verify,
                               bool rotate,
                               layer::vault::v1::CredentialMetadata* out);

  VaultCore& core_;
  const ConnectionRegistry& connections_;
  EventSink& events_;
  const Options options_;
  const absl::Time started_;
};

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_ADMIN_SERVICE_H_
