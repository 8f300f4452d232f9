#ifndef LAYER_VAULT_VAULTD_TOKEN_PASETO_H_
#define LAYER_VAULT_VAULTD_TOKEN_PASETO_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vaultd/crypto/ed25519.h"

namespace layer_vault::token {

// PASETO v4.public (Ed25519 signatures): the raw protocol, with no claims
// policy. Version and purpose are fixed by these functions, never read from a
// token. Key types are the algorithm binding: only a crypto::Ed25519PrivateKey
// signs and only a crypto::Ed25519PublicKey verifies; no function here takes
// key bytes. All functions are thread-safe. Error messages never contain the
// token, the payload or key material.

// The fixed header, trailing dot included.
inline constexpr absl::string_view kV4PublicHeader = "v4.public.";

// Ed25519 signature length in a v4.public body.
inline constexpr size_t kV4PublicSignatureSize = 64;

// The message of VerifyV4Public's error when only the Ed25519 check failed
// (the token was well formed), so that callers can explain it in their terms.
inline constexpr absl::string_view kBadSignatureMessage =
    "token signature is invalid (tampered token, wrong key, or another "
    "implicit assertion)";

// SignV4Public returns
//   "v4.public." || b64url(payload || sig) [ || "." || b64url(footer) ]
// where sig = Ed25519(key, PAE(["v4.public.", payload, footer,
// implicit_assertion])). The footer segment is present only when `footer` is
// non-empty. `implicit_assertion` is signed but not carried in the token.
// Deterministic. INTERNAL only if the signing library fails.
absl::StatusOr<std::string> SignV4Public(const crypto::Ed25519PrivateKey& key,
                                         absl::string_view payload,
                                         absl::string_view footer,
                                         absl::string_view implicit_assertion);

// VerifyV4Public checks `token` against `key` and `implicit_assertion` and
// returns the payload bytes only if the signature is valid. Steps, all
// failing closed with UNAUTHENTICATED and a message naming the step:
//   1. `token` starts with exactly "v4.public." (so v1-v3, "local" and
//      anything else are refused before any decoding);
//   2. the rest is one segment (body) or two (body "." footer); a third
//      segment or an empty footer segment is refused;
//   3. both segments are strict unpadded base64url (see base64url.h);
//   4. if `expected_footer` is set, the token's footer (empty if absent) must
//      equal it, compared in constant time;
//   5. the decoded body is at least 64 bytes: payload || signature;
//   6. Ed25519 verification of PAE(["v4.public.", payload, footer,
//      implicit_assertion]); failure message kBadSignatureMessage.
// The payload is returned as carried (no JSON parsing here).
absl::StatusOr<std::string> VerifyV4Public(
    const crypto::Ed25519PublicKey& key, absl::string_view token,
    absl::string_view implicit_assertion,
    std::optional<absl::string_view> expected_footer = std::nullopt);

// ReadUntrustedFooterV4Public returns the decoded footer of a v4.public token
// WITHOUT verifying anything but its shape (steps 1-3 of VerifyV4Public, same
// errors; empty if the token has no footer). The result is attacker
// controlled: use it only to choose a verification key, then verify.
absl::StatusOr<std::string> ReadUntrustedFooterV4Public(
    absl::string_view token);

}  // namespace layer_vault::token

#endif  // LAYER_VAULT_VAULTD_TOKEN_PASETO_H_
