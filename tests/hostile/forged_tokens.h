#ifndef LAYER_VAULT_TESTS_HOSTILE_FORGED_TOKENS_H_
#define LAYER_VAULT_TESTS_HOSTILE_FORGED_TOKENS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/relay/vaultd_process.h"
#include "vaultd/token/claims.h"
#include "vaultd/token/keyring.h"
#include "vaultd/token/token_service.h"

namespace layer_vault::tests::hostile {

// ThisProcess returns the identity vaultd attests for a connection made by
// the calling process (uid, pid, /proc/self/stat start time, boot id), i.e.
// what a token issued to it is bound to. INTERNAL if /proc cannot be read.
absl::StatusOr<token::CallerIdentity> ThisProcess();

// InstallKeyring gives a stopped-then-restarted `vaultd` a signing keyring
// the test knows: it stops vaultd (SIGTERM; nothing may be connected),
// writes a fresh keyring whose only key was created at `created` into the
// encrypted store (key file <dir>/store.key), and starts vaultd again,
// which imports it. Returns the test's copy of that keyring, with which
// MintToken signs tokens vaultd accepts as its own unless a claim or the
// binding is wrong. Errors: vaultd's or the store's.
absl::StatusOr<std::unique_ptr<token::Keyring>> InstallKeyring(
    relay::VaultdProcess& vaultd, absl::Time created);

// ValidClaims returns claims vaultd accepts from `caller` at `now`: issuer
// "vaultd", audience "layer-relay", subject the caller's uid, all three
// scopes, iat = nbf = now, exp = now + 300 s, a fixed jti.
token::Claims ValidClaims(const token::CallerIdentity& caller, absl::Time now);

// MintToken signs `payload` (claims JSON, or any bytes) with `footer` as a
// v4.public token whose implicit assertion binds it to `bound_to`, exactly
// as vaultd's TokenService does. INTERNAL if signing fails.
absl::StatusOr<std::string> MintToken(const token::Keyring& keyring,
                                      absl::string_view payload,
                                      absl::string_view footer,
                                      const token::CallerIdentity& bound_to);

// MintClaims is MintToken of SerializeClaims(claims) with the keyring's
// current footer {"kid":...}. INVALID_ARGUMENT if the claims do not
// serialise.
absl::StatusOr<std::string> MintClaims(const token::Keyring& keyring,
                                       const token::Claims& claims,
                                       const token::CallerIdentity& bound_to);

// The three parts of a "v4.public.<body>.<footer>" token, as text (the
// body and footer still base64url). Split never fails: missing parts are
// empty.
struct TokenParts {
  std::string header;  // "v4.public." (with both dots)
  std::string body;
  std::string footer;
};
TokenParts SplitToken(const std::string& token);
std::string JoinToken(const TokenParts& parts);

// `segment` (unpadded base64url) re-encoded so that it decodes to the same
// bytes in a lenient decoder but is not canonical: the unused low bits of
// its last character set. Empty if `segment`'s length leaves no unused bits
// (a multiple of 4).
std::string NonCanonical(const std::string& segment);

}  // namespace layer_vault::tests::hostile

#endif  // LAYER_VAULT_TESTS_HOSTILE_FORGED_TOKENS_H_
