#ifndef LAYER_VAULT_CLIENT_ADMIN_CLIENT_H_
#define LAYER_VAULT_CLIENT_ADMIN_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/retry_policy.h"
#include "client/vaultd_channel.h"
#include "proto/vault.pb.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::client {

struct AdminClientOptions {
  // vaultd's admin socket (absolute, shorter than 108 bytes).
  std::string admin_socket = "/run/vaultd-admin/admin.sock";
  absl::Duration connect_timeout = absl::Seconds(1);
  // Deadline of each RPC. SetCredential/RotateCredential with verify ask
  // Layer.ai, so this is generous.
  absl::Duration rpc_timeout = absl::Seconds(90);
  RetryPolicy retry;
};

// AdminClient is a thin typed wrapper of vaultd's Admin service on the admin
// socket: one method per RPC, the proto messages as results.
//
// Connection and errors as for VaultClient (lazy connection;
// "vaultd is not running at PATH", "vaultd is sealed: run vaultctl unlock",
// "vaultd refused this process: ..."; other codes 1:1 from
// proto/vault.proto). Retries: Status is retried on UNAVAILABLE; every other
// RPC changes vaultd's state and is retried only when the connection could
// not be established (nothing was sent).
//
// Secrets (passphrase, PAT) are taken as SecretBytes; the copies placed in
// request messages are wiped after the call (gRPC's own transport buffers
// are outside this class's reach).
//
// Thread-safe.
class AdminClient {
 public:
  // INVALID_ARGUMENT for bad options. Does not connect.
  static absl::StatusOr<std::unique_ptr<AdminClient>> Create(
      AdminClientOptions options);

  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  absl::StatusOr<layer::vault::v1::StatusResponse> Status();
  // UNAUTHENTICATED: wrong passphrase (or tampered store).
  absl::Status Unlock(const crypto::SecretBytes& passphrase);
  absl::Status Lock();
  absl::StatusOr<layer::vault::v1::CredentialMetadata> SetCredential(
      const crypto::SecretBytes& pat, absl::string_view workspace_id,
      bool verify);
  absl::StatusOr<layer::vault::v1::CredentialMetadata> RotateCredential(
      const crypto::SecretBytes& pat, absl::string_view workspace_id,
      bool verify);
  absl::Status RevokeToken(absl::string_view jti);
  // Returns the revocation epoch: tokens issued before it are refused.
  absl::StatusOr<absl::Time> RevokeAll();
  absl::StatusOr<layer::vault::v1::RotateSigningKeyResponse>
  RotateSigningKey();

  const std::string& admin_socket() const { return channel_->socket_path(); }

 private:
  AdminClient(AdminClientOptions options,
              std::unique_ptr<VaultdChannel> channel)
      : options_(std::move(options)), channel_(std::move(channel)) {}

  const AdminClientOptions options_;
  const std::unique_ptr<VaultdChannel> channel_;
};

}  // namespace layer_vault::client

#endif  // LAYER_VAULT_CLIENT_ADMIN_CLIENT_H_
