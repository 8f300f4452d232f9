#ifndef LAYER_VAULT_TESTS_RELAY_RELAY_ENV_H_
#define LAYER_VAULT_TESTS_RELAY_RELAY_ENV_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/admin_client.h"
#include "client/vault_client.h"
#include "nlohmann/json.hpp"
#include "tests/relay/fake_layer.h"
#include "tests/relay/vaultd_process.h"

namespace layer_vault::tests::relay {

// Ids of the fake's world (tests/fake_layer/lib/state.js, IDS).
inline constexpr char kStudio[] = "00000000-0000-4000-8000-000000000001";
inline constexpr char kSideProject[] = "00000000-0000-4000-8000-000000000002";
inline constexpr char kImageFast[] = "00000000-0000-4000-8000-0000000000aa";
inline constexpr char kImageHd[] = "00000000-0000-4000-8000-0000000000ab";
inline constexpr char kVideoModel[] = "00000000-0000-4000-8000-0000000000ae";
inline constexpr char kTurnaround[] = "00000000-0000-4000-8000-0000000000e1";
inline constexpr char kIconSet[] = "00000000-0000-4000-8000-0000000000e2";

// All scopes of the registry.
const std::vector<std::string>& AllScopes();

struct RelayEnvOptions {
  FakeLayer::Options fake;
  // What vaultd's store holds: the fake's PAT (default), another PAT, or
  // nothing.
  enum class Stored { kFakesPat, kOtherPat, kNone };
  Stored stored = Stored::kFakesPat;
  // The policy; null means PolicyForSelf() with no budget limits.
  nlohmann::json policy;
  // Merged into vaultd's config file.
  nlohmann::json extra_config = nlohmann::json::object();
};

// RelayEnv is one end-to-end setup: the fake Layer.ai over real HTTPS with
// its test CA, and a real vaultd whose relay points at it. Not thread-safe
// (the clients it makes are).
class RelayEnv {
 public:
  static absl::StatusOr<std::unique_ptr<RelayEnv>> Start(
      RelayEnvOptions options = {});

  FakeLayer& fake() { return *fake_; }
  VaultdProcess& vaultd() { return *vaultd_; }
  // The PAT in vaultd's store ("" if none).
  const std::string& stored_pat() const { return stored_pat_; }

  // A client of the workload socket asking for `scopes`.
  absl::StatusOr<std::unique_ptr<client::VaultClient>> Client(
      std::vector<std::string> scopes = AllScopes()) const;
  absl::StatusOr<std::unique_ptr<client::AdminClient>> Admin() const;

  // The fake's recorded API requests, in order; only those with `method`
  // and `path` (after "/api", e.g. "/v1/workspaces") when given.
  std::vector<nlohmann::json> Recorded(absl::string_view method = "",
                                       absl::string_view path = "");

  // Every secret that must never be printed: both PATs.
  std::vector<std::string> Secrets() const;
  // Places where a secret appears in vaultd's stderr, its audit log, or
  // (outside the Authorization header) in the fake's request log; empty
  // when clean.
  std::vector<std::string> FindLeaks();

 private:
  RelayEnv() = default;
  std::unique_ptr<FakeLayer> fake_;
  std::unique_ptr<VaultdProcess> vaultd_;
  std::string stored_pat_;
};

// `text` contains none of `secrets` (nor their "pat_" suffixes).
bool ContainsAnySecret(absl::string_view text,
                       const std::vector<std::string>& secrets);

// The paths (after "/api") of `requests`, e.g. "GET /v1/workspaces".
std::vector<std::string> MethodsAndPaths(
    const std::vector<nlohmann::json>& requests);

}  // namespace layer_vault::tests::relay

#endif  // LAYER_VAULT_TESTS_RELAY_RELAY_ENV_H_
