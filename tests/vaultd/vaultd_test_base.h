#ifndef LAYER_VAULT_TESTS_VAULTD_VAULTD_TEST_BASE_H_
#define LAYER_VAULT_TESTS_VAULTD_VAULTD_TEST_BASE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "proto/vault.grpc.pb.h"
#include "tests/vaultd/vaultd_harness.h"

namespace layer_vault::tests::vaultd {

// VaultdTest starts real vaultd processes for a test and, in TearDown,
// stops each one with SIGTERM (which must exit 0) and checks its stderr:
// every line is a JSON audit event or a "vaultd: " log line, and none holds
// a secret (key bytes, passphrase, issued tokens, PATs, anything
// credential-shaped). On failure it prints the stderr.
class VaultdTest : public ::testing::Test {
 protected:
  // Creates and starts a vaultd. Null after an ADD_FAILURE.
  Vaultd* StartVaultd(VaultdOptions options = {});
  // Creates one without starting it. Null after an ADD_FAILURE.
  Vaultd* CreateVaultd(VaultdOptions options = {});
  void TearDown() override;

 private:
  std::vector<std::unique_ptr<Vaultd>> vaultds_;
};

// Workload.IssueToken on vaultd.workload(); a token it gets is registered
// as a secret of `vaultd`.
grpc::Status Issue(Vaultd& vaultd, const std::vector<std::string>& scopes,
                   layer::vault::v1::IssueTokenResponse* out,
                   const std::string& audience = "");
// Workload.GetSpend with `token` (the end-to-end token check).
grpc::Status Spend(layer::vault::v1::Workload::Stub& stub,
                   const std::string& token);
grpc::Status Ping(layer::vault::v1::Workload::Stub& stub,
                  layer::vault::v1::PingResponse* out = nullptr);

// Runs the vaultd_test_client helper binary with `args` and `input` on its
// stdin; returns its stdout line ("code=16", "errno=13").
absl::StatusOr<std::string> RunTestClient(const std::vector<std::string>& args,
                                          const std::string& input = "");

// "code=<n>" for `code`, as the helper prints it.
std::string CodeLine(grpc::StatusCode code);

// Adds a failure for every secret in `secrets` found in `text`, for any
// PASETO token or PAT-shaped span, and for a line that is neither a JSON
// object nor a "vaultd: " log line.
void ExpectCleanStderr(const std::string& text,
                       const std::vector<std::string>& secrets);

}  // namespace layer_vault::tests::vaultd

#endif  // LAYER_VAULT_TESTS_VAULTD_VAULTD_TEST_BASE_H_
