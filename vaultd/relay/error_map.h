#ifndef LAYER_VAULT_VAULTD_RELAY_ERROR_MAP_H_
#define LAYER_VAULT_VAULTD_RELAY_ERROR_MAP_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "vaultd/relay/http_types.h"

namespace layer_vault::relay {

// What a caller sees when Layer.ai answers 401 or 403.
inline constexpr absl::string_view kCredentialRejectedMessage =
    "Layer.ai rejected the stored credential; rotate it with vaultctl rotate";

// MapUpstreamResponse turns Layer.ai's answer into the caller-facing status:
// OK for a 2xx answer that carries no error, otherwise a typed error
// (common/typed_error.h, domain "layer"):
//
//   HTTP 401, 403 (any other body) FAILED_PRECONDITION  CREDENTIAL_REJECTED
//   HTTP 403 + FEATURE_DISABLED     FAILED_PRECONDITION FEATURE_DISABLED
//   HTTP 429, or code RATE_LIMITED  RESOURCE_EXHAUSTED  RATE_LIMITED
//                                    (+ retry-after from Retry-After)
//   code INSUFFICIENT_BALANCE, 402  FAILED_PRECONDITION INSUFFICIENT_BALANCE
//   code MODEL_NOT_FOUND            INVALID_ARGUMENT    MODEL_NOT_FOUND
//   code FEATURE_DISABLED           FAILED_PRECONDITION FEATURE_DISABLED
//   HTTP 404, code NOT_FOUND        INVALID_ARGUMENT    NOT_FOUND
//   HTTP 400, 422, code BAD_REQUEST INVALID_ARGUMENT    INVALID_REQUEST
//   HTTP 409                        FAILED_PRECONDITION CONFLICT
//   other 4xx                       FAILED_PRECONDITION REQUEST_REJECTED
//   5xx (any body), 1xx, 3xx        UNAVAILABLE         UPSTREAM_UNAVAILABLE
//
// The code is read from the usual error shapes ({"code"}, {"error":{"code"}},
// {"error_code"}, FastAPI {"detail"}, GraphQL {"errors":[{"extensions":
// {"code"}}]}) and, for GraphQL (`graphql` true), from a root field that
// resolved to the schema's Error type ({type, code, title, message}), which
// Layer.ai returns with HTTP 200. Aliases are normalised (e.g.
// PAYMENT_REQUIRED_ERROR -> INSUFFICIENT_BALANCE). Layer.ai's own message is
// appended, redacted and truncated. `now` resolves HTTP-date Retry-After
// values. Thread-safe.
absl::Status MapUpstreamResponse(const HttpResponse& response, bool graphql,
                                 absl::Time now);

// MapTransportError maps an HttpClient failure: OUT_OF_RANGE (response over
// the size cap) becomes UNAVAILABLE RESPONSE_TOO_LARGE, other failures
// UNAVAILABLE UNREACHABLE; the client's message (already free of the PAT) is
// kept. OK stays OK.
absl::Status MapTransportError(const absl::Status& error);

}  // namespace layer_vault::relay

#endif  // LAYER_VAULT_VAULTD_RELAY_ERROR_MAP_H_
