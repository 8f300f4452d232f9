#include "vaultd/server/grpc_status.h"

#include <string>

#include "common/redact.h"

namespace layer_vault::server {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      common::Redact(status.message()));
}

}  // namespace layer_vault::server
