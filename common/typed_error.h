#ifndef LAYER_VAULT_COMMON_TYPED_ERROR_H_
#define LAYER_VAULT_COMMON_TYPED_ERROR_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace layer_vault::common {

// Typed errors: a stable, machine-readable error type carried by an
// absl::Status in two places:
//   - a message prefix "[<domain>:<TYPE>] ", which survives translation to a
//     gRPC status and is what clients across the socket parse;
//   - a payload under kErrorTypeUrl whose value is "<domain>:<TYPE>".
// Domains: "layer" for errors Layer.ai reported, "vault" for refusals by
// vaultd itself (spend caps, rate limits). TYPE is [A-Z0-9_]+.
inline constexpr absl::string_view kErrorTypeUrl = "type.layer-vault/error-type";
// Payload: the delay after which a retry may succeed, in whole milliseconds.
inline constexpr absl::string_view kRetryAfterUrl =
    "type.layer-vault/retry-after-ms";

struct ErrorType {
  std::string domain;
  std::string type;
  bool operator==(const ErrorType& o) const {
    return domain == o.domain && type == o.type;
  }
};

// A Status with `code`, message "[domain:type] message" and the type payload.
// Crashes if `code` is OK or domain/type are malformed (programming errors).
absl::Status TypedError(absl::StatusCode code, absl::string_view domain,
                        absl::string_view type, absl::string_view message);

// The type of `status`: from the payload if present, otherwise parsed from
// the message prefix (e.g. after a round trip through gRPC).
std::optional<ErrorType> ErrorTypeOf(const absl::Status& status);

// Attaches a retry-after hint (payload only; callers put a human-readable
// form in the message).
void SetRetryAfter(absl::Status& status, absl::Duration delay);
std::optional<absl::Duration> RetryAfterOf(const absl::Status& status);

}  // namespace layer_vault::common

#endif  // LAYER_VAULT_COMMON_TYPED_ERROR_H_
