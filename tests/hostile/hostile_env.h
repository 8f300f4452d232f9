#ifndef LAYER_VAULT_TESTS_HOSTILE_HOSTILE_ENV_H_
#define LAYER_VAULT_TESTS_HOSTILE_HOSTILE_ENV_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/vault_client.h"
#include "proto/vault.grpc.pb.h"
#include "tests/relay/relay_env.h"

namespace layer_vault::tests::hostile {

// RawWorkload calls vaultd's Workload service over its Unix socket with
// requests exactly as given (the token, operation and params_json bytes),
// unlike client::VaultClient, which never lets a token out and checks its
// arguments. Each call has a 30 s deadline. Thread-safe.
class RawWorkload {
 public:
  explicit RawWorkload(const std::string& workload_socket);

  // IssueToken for `scopes`; the token, or the refusal.
  absl::StatusOr<std::string> IssueToken(const std::vector<std::string>& scopes);
  grpc::Status CallLayer(const std::string& token, const std::string& operation,
                         const std::string& params_json,
                         layer::vault::v1::CallLayerResponse* resp = nullptr);
  grpc::Status GetSpend(const std::string& token,
                        layer::vault::v1::GetSpendResponse* resp = nullptr);
  grpc::Status Ping(const std::string& payload = "");
  absl::StatusOr<std::vector<layer::vault::v1::VerificationKey>>
  VerificationKeys();

 private:
  std::unique_ptr<layer::vault::v1::Workload::Stub> stub_;
};

// The answer of a hostile_peer run: the gRPC code and vaultd's message.
struct PeerAnswer {
  int code = -1;
  std::string message;
};

// RunPeer forks a child that executes hostile_peer (data dependency
// ":hostile_peer") with `args`, writes `token` to its stdin and returns
// what it printed. The child is a new process (its own pid and start
// time) of this process's uid unless `args` drop it to another.
// INTERNAL if it cannot be started or exits other than 0 within 30 s.
absl::StatusOr<PeerAnswer> RunPeer(const std::vector<std::string>& args,
                                   const std::string& token);

// What an attack must leave unchanged.
struct WorldState {
  // Requests that reached the fake's API port since its last reset.
  size_t api_requests = 0;
  // The caller's period spend as vaultd reports it (GetSpend).
  double period_spent = 0;
  // Creative Units the fake Layer.ai has reserved or charged: the price of
  // every run it did not fail or cancel.
  double fake_spent = 0;
};

// Observe reads WorldState through `client` (the caller's GetSpend) and
// the fake's control API.
absl::StatusOr<WorldState> Observe(relay::RelayEnv& env,
                                   client::VaultClient& client);

// FakeSpent is WorldState::fake_spent alone.
absl::StatusOr<double> FakeSpent(relay::FakeLayer& fake);

}  // namespace layer_vault::tests::hostile

#endif  // LAYER_VAULT_TESTS_HOSTILE_HOSTILE_ENV_H_
