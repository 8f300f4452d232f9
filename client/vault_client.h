#ifndef LAYER_VAULT_CLIENT_VAULT_CLIENT_H_
#define LAYER_VAULT_CLIENT_VAULT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/retry_policy.h"
#include "client/vaultd_channel.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::client {

// VaultClientOptions configures a VaultClient.
struct VaultClientOptions {
  // vaultd's workload socket (absolute, shorter than 108 bytes).
  std::string workload_socket = "/run/vaultd/workload.sock";
  // Scopes of the tokens this client asks for, e.g. {"layer:read",
  // "layer:generate"}. Non-empty; vaultd grants them or refuses.
  std::vector<std::string> scopes;
  // Requested token lifetime; zero means vaultd's default (300 s). vaultd
  // clamps it to its maximum (900 s).
  absl::Duration ttl = absl::ZeroDuration();
  // Token audience; empty means vaultd's ("layer-relay").
  std::string audience;
  // Drives the token cache (renewal at half-life). Not owned; must outlive
  // the client. nullptr means common::RealClock().
  const common::Clock* clock = nullptr;
  // Retries of UNAVAILABLE (see VaultClient for which calls are retried).
  RetryPolicy retry;
  // How long one attempt waits for the connection to vaultd.
  absl::Duration connect_timeout = absl::Seconds(1);
  // Deadline of each IssueToken, GetSpend, GetVerificationKeys, Ping.
  absl::Duration rpc_timeout = absl::Seconds(10);
  // Deadline of each CallLayer: vaultd's own timeouts to Layer.ai (60 s per
  // attempt) and its retries of idempotent operations fit inside.
  absl::Duration call_timeout = absl::Seconds(200);
};

// Metadata of the cached token. The token itself never leaves the client.
struct TokenInfo {
  std::string jti;     // safe to log
  std::string key_id;  // signing key
  std::vector<std::string> scopes;
  absl::Time issued_at;   // vaultd's clock
  absl::Time expires_at;  // vaultd's clock
};

// The full answer of a CallLayer.
struct CallResult {
  int http_status = 0;
  // Layer.ai's response body as parsed JSON (null for an empty body).
  nlohmann::json body;
  absl::Duration upstream_latency;
  // Attempts vaultd made towards Layer.ai.
  int upstream_attempts = 0;
  double creative_units_charged = 0;
};

// The caller's Creative Unit budget (GetSpend).
struct SpendInfo {
  double period_budget = 0;  // 0: no limit
  double period_spent = 0;
  double per_run_cap = 0;  // 0: no limit
  absl::Time period_start;
  absl::Time period_end;
};

// A public key that verifies vaultd's tokens.
struct VerificationKey {
  std::string key_id;
  std::string algorithm;   // "Ed25519"
  std::string public_key;  // 32 raw bytes
  absl::Time not_before;
  absl::Time not_after;
  bool current = false;
};

struct PingResult {
  bool sealed = false;
};

// VaultClient talks to vaultd's workload socket on behalf of one process:
// it obtains short-lived tokens, caches them, and performs Layer.ai
// operations through vaultd.
//
// Connection: lazy (nothing happens before the first call), to the Unix
// socket in `workload_socket`. Each attempt waits at most connect_timeout for
// the connection.
//
// Token cache: one token for `scopes`, held in crypto::SecretBytes (wiped
// when replaced or dropped) and never logged or returned. It is renewed once
// the client's clock passes half of its lifetime (the lifetime is taken from
// vaultd's iat/exp, so clock skew between the two does not matter). Only one
// renewal is in flight at a time: concurrent callers wait for it, or keep
// using the old token while it is still valid. A call answered
// UNAUTHENTICATED (expired, revoked, signing key gone) drops the token and is
// retried once with a fresh one; this is safe for CallLayer too, because
// vaultd checks the token before it performs anything.
//
// Retry rule. UNAVAILABLE is retried with jittered exponential backoff, at
// most retry.max_attempts attempts in all:
//   - Ping, IssueToken, GetSpend, GetVerificationKeys: always (no effect
//     that a repetition could double);
//   - CallLayer (Call, CallDetailed): only when the connection to vaultd
//     could not be established, so the request never left this process.
//     The client cannot know which Layer.ai operations are idempotent; vaultd
//     does, and retries those itself. An UNAVAILABLE that vaultd returns, or
//     a connection lost mid-call, is never retried here: a repeated execute
//     could charge twice.
//
// Errors: absl::Status with the gRPC code of vaultd's answer, 1:1, and its
// message (see proto/vault.proto for each RPC's codes). Typed errors keep
// their "[domain:TYPE] " prefix (common::ErrorTypeOf reads it). In
// particular:
//   UNAVAILABLE "vaultd is not running at PATH (...)": no socket, or nobody
//     listening, after all retries;
//   FAILED_PRECONDITION "vaultd is sealed: run vaultctl unlock";
//   PERMISSION_DENIED "vaultd refused this process: ..." (the policy does
//     not allow this process, or a scope, or the socket's permissions);
//   INVALID_ARGUMENT for bad arguments caught before sending.
//
// Thread-safe. Destroying the client while calls are running is a bug.
class VaultClient {
 public:
  // INVALID_ARGUMENT for bad options (relative or long socket path, no
  // scopes, negative durations, bad retry policy). Does not connect.
  static absl::StatusOr<std::unique_ptr<VaultClient>> Create(
      VaultClientOptions options);

  VaultClient(const VaultClient&) = delete;
  VaultClient& operator=(const VaultClient&) = delete;
  ~VaultClient();

  // Returns the cached token's metadata, issuing a token first if there is
  // none or it has passed half of its lifetime.
  absl::StatusOr<TokenInfo> IssueToken();

  // Drops the cached token (wiping it); the next call issues a new one.
  void InvalidateToken();

  // Performs `operation` (a name in vaultd's registry) with `params` (a JSON
  // object, at most 64 KiB serialised) and returns Layer.ai's response body.
  absl::StatusOr<nlohmann::json> Call(absl::string_view operation,
                                      const nlohmann::json& params);
  // Call with the whole answer (HTTP status, latency, attempts, charge).
  absl::StatusOr<CallResult> CallDetailed(absl::string_view operation,
                                          const nlohmann::json& params);

  absl::StatusOr<SpendInfo> GetSpend();
  absl::StatusOr<std::vector<VerificationKey>> GetVerificationKeys();
  // Liveness: works without a token and while sealed.
  absl::StatusOr<PingResult> Ping();

  const std::string& workload_socket() const {
    return options_.workload_socket;
  }

 private:
  struct CachedToken {
    crypto::SecretBytes token;
    TokenInfo info;
    absl::Time renew_at;      // client clock
    absl::Time usable_until;  // client clock
    uint64_t generation = 0;
  };
  using TokenRef = std::shared_ptr<const CachedToken>;

  VaultClient(VaultClientOptions options,
              std::unique_ptr<VaultdChannel> channel);

  // The cached token, renewing it if due (single flight).
  absl::StatusOr<TokenRef> GetToken();
  absl::StatusOr<std::shared_ptr<CachedToken>> IssueTokenRpc();
  // Drops the cached token if it is still `generation`.
  void InvalidateGeneration(uint64_t generation);
  // Runs `attempt` with the cached token; on UNAUTHENTICATED drops it and
  // runs once more with a fresh one.
  absl::Status WithToken(
      const std::function<absl::Status(const CachedToken&)>& attempt);

  const VaultClientOptions options_;
  const common::Clock& clock_;
  const std::unique_ptr<VaultdChannel> channel_;

  absl::Mutex mu_;
  TokenRef cached_ ABSL_GUARDED_BY(mu_);
  bool renewing_ ABSL_GUARDED_BY(mu_) = false;
  // Incremented when a renewal finishes; waiters watch it.
  uint64_t renewals_done_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_renewal_ ABSL_GUARDED_BY(mu_);
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace layer_vault::client

#endif  // LAYER_VAULT_CLIENT_VAULT_CLIENT_H_
