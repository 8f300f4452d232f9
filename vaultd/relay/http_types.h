#ifndef LAYER_VAULT_VAULTD_RELAY_HTTP_TYPES_H_
#define LAYER_VAULT_VAULTD_RELAY_HTTP_TYPES_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace layer_vault::relay {

// HttpRequest is one request the relay sends to Layer.ai, built from the
// operation registry (never from a caller's URL). It carries no credential:
// the client attaches the PAT itself.
struct HttpRequest {
  std::string method;  // "GET", "POST", "PUT", "PATCH" or "DELETE"
  std::string url;     // absolute https:// URL, already percent-encoded
  std::string body;    // sent as-is when non-empty
  std::string content_type;  // of `body`, e.g. "application/json"
  // Whether sending it twice is harmless. A request that is not goes out on
  // a fresh connection: libcurl silently re-sends a request whose reused
  // connection closes before any answer, which for an execute would start
  // (and charge) a second run.
  bool idempotent = false;
};

// HttpResponse is Layer.ai's answer (any HTTP status).
struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;             // "" if absent
  std::optional<std::string> retry_after;  // raw Retry-After value
  absl::Duration latency = absl::ZeroDuration();
};

// Transport failures that a retry may cure (connection refused or reset,
// DNS failure, timeout, empty reply) carry this payload; permanent ones
// (certificate rejected, response too large, bad URL) do not.
inline constexpr absl::string_view kTransientTransportUrl =
    "type.layer-vault/transient-transport";

inline void MarkTransient(absl::Status& status) {
  if (!status.ok()) status.SetPayload(kTransientTransportUrl, absl::Cord("1"));
}
inline bool IsTransientTransportError(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kTransientTransportUrl).has_value();
}

}  // namespace layer_vault::relay

#endif  // LAYER_VAULT_VAULTD_RELAY_HTTP_TYPES_H_
