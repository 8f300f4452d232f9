#ifndef LAYER_VAULT_VAULTD_RELAY_RELAY_H_
#define LAYER_VAULT_VAULTD_RELAY_RELAY_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/relay/http_client.h"
#include "vaultd/relay/rate_limit.h"
#include "vaultd/relay/registry.h"
#include "vaultd/relay/retry.h"
#include "vaultd/relay/spend.h"

namespace layer_vault::relay {

// CallerKey identifies whom rate limits and budgets apply to: the attested
// peer uid, as a decimal string, with that caller's own limits (its policy
// rule's; unset fields fall back to the SpendController's and RateLimiter's
// options). The vault-wide budget is never per caller.
struct CallerKey {
  std::string uid;
  // "= {}" keeps CallerKey{"uid"} free of -Wmissing-field-initializers.
  CallerLimits limits = {};
};

// RelayResult is Layer.ai's successful (2xx) answer to one CallLayer.
struct RelayResult {
  int http_status = 0;
  // The response body as JSON text, passed through the redactor (key order
  // is normalised; "null" for an empty body).
  std::string body_json;
  // Time spent waiting for Layer.ai: every attempt, estimate included.
  absl::Duration upstream_latency = absl::ZeroDuration();
  // Attempts of the operation itself (1 unless a read was retried).
  int attempts = 0;
  // CU recorded against the caller's budget by this call: the reserved
  // price of an execute, 0 otherwise.
  double creative_units_charged = 0;
};

struct RelayOptions {
  // params_json limits (CallLayerRequest contract: at most 64 KiB).
  size_t max_params_bytes = 64 * 1024;
  int max_params_depth = 32;
  // Deepest nesting accepted in a Layer.ai response.
  int max_response_depth = 128;
  RetryOptions retry;
};

// The relay's collaborators; all must outlive the Relay.
struct RelayDeps {
  const Registry* registry = nullptr;
  HttpClient* http_client = nullptr;
  SpendController* spend = nullptr;
  RateLimiter* rate_limiter = nullptr;
  const common::Clock* clock = nullptr;
  Sleeper* sleeper = nullptr;  // between retries; RealSleeper() in vaultd
};

// Relay performs one allow-listed Layer.ai operation for an attested caller
// with the PAT attached. It is what the Workload.CallLayer RPC calls once
// the token and the operation's scope (Registry::ScopeOf) are checked; it
// never sees tokens and never checks scopes itself.
//
// For every call: params_json must be a JSON object within the size and
// depth limits and without duplicate keys; the operation must exist; the
// caller's rate limit (caller.limits, else the limiter's options) is taken; the request is built from the registry
// (validation errors name the parameter, never its value).
//
// For an execute operation, before anything is spent: the matching estimate
// is requested with the same parameters (minus estimate_omit_body_fields),
// its price is read at the registry's price_field, and SpendController
// reserves it (caller.limits' per-run cap and period budget, else the
// controller's options, and the total budget). The execute request
// is then sent exactly once, never retried. A 4xx answer releases the
// reservation; a transport failure or 5xx keeps it (the run may have
// started). A 2xx answer binds the reservation to the returned run id
// (raised to Layer.ai's own reserved price if that is higher). When a later
// read of the run (cost.run_operation) shows a terminal status, the charge
// is recorded: the charged price if present; else the reservation on
// success, 0 on failure or cancellation. Idempotent operations are retried
// on transient errors, 429, 502, 503 and 504.
//
// Errors (all messages redacted, typed per common/typed_error.h):
//   INVALID_ARGUMENT     bad params, unknown operation, Layer.ai 400/404/422
//   FAILED_PRECONDITION  no credential stored; Layer.ai rejected the PAT
//                        (401/403); insufficient balance; feature disabled
//   RESOURCE_EXHAUSTED   caller rate limit, per-run cap, budget, Layer.ai 429
//   UNAVAILABLE          Layer.ai unreachable, timed out, 5xx, malformed
//                        answer (after retries for idempotent operations)
//   INTERNAL             the spend ledger could not be written
//
// Thread-safe.
class Relay {
 public:
  // INVALID_ARGUMENT if a dependency is missing or the retry options are
  // invalid.
  static absl::StatusOr<std::unique_ptr<Relay>> Create(
      const RelayOptions& options, const RelayDeps& deps);

  absl::StatusOr<RelayResult> Call(const CallerKey& caller,
                                   absl::string_view operation,
                                   absl::string_view params_json,
                                   const crypto::SecretBytes& pat);

 private:
  Relay(const RelayOptions& options, const RelayDeps& deps,
        std::unique_ptr<Retrier> retrier)
      : options_(options), deps_(deps), retrier_(std::move(retrier)) {}

  absl::StatusOr<RelayResult> CallOperation(const CallerKey& caller,
                                         const Operation& op,
                                         const nlohmann::json& params,
                                         absl::string_view params_json,
                                         const crypto::SecretBytes& pat);
  // Sends `request` (retrying if `idempotent`) and maps the outcome: the
  // 2xx response, or a typed error.
  absl::StatusOr<HttpResponse> Exchange(const HttpRequest& request,
                                        bool idempotent, bool graphql,
                                        const crypto::SecretBytes& pat,
                                        RelayResult* accounting,
                                        int* http_status_out);
  absl::StatusOr<nlohmann::json> ParseBody(const HttpResponse& response) const;
  void RecordRunCharge(const CallerKey& caller, const Operation& run_op,
                       const nlohmann::json& params, const nlohmann::json& body);

  const RelayOptions options_;
  const RelayDeps deps_;
  const std::unique_ptr<Retrier> retrier_;
};

}  // namespace layer_vault::relay

#endif  // LAYER_VAULT_VAULTD_RELAY_RELAY_H_
