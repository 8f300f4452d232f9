#ifndef LAYER_VAULT_VAULTD_SERVER_GRPC_STATUS_H_
#define LAYER_VAULT_VAULTD_SERVER_GRPC_STATUS_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"

namespace layer_vault::server {

// ToGrpc translates an absl::Status to a grpc::Status with the same code
// (the numeric codes are shared) and the message passed through the
// credential redactor: the service edge is the last line of defence against
// a secret in an error message.
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_GRPC_STATUS_H_
