#ifndef LAYER_VAULT_FUZZ_FIXTURES_H_
#define LAYER_VAULT_FUZZ_FIXTURES_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "vaultd/crypto/ed25519.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/token/token_service.h"

namespace layer_vault::fuzz {

// Fixed, public test material shared by the fuzz targets and make_seeds, so
// that committed seeds (signed tokens, encrypted stores) keep verifying.
// None of it is secret: never use it outside fuzzing.

// The instant every fuzz target treats as "now".
absl::Time FixedNow();

// The token signing key (an RFC 8032 test seed) and its keyring export,
// current since FixedNow() - 1h.
std::unique_ptr<crypto::Ed25519PrivateKey> FixedSigningKey();
crypto::SecretBytes FixedKeyringExport();

// A TokenService over that keyring with default options.
std::unique_ptr<token::TokenService> FixedTokenService();

// The caller the committed tokens were issued to.
token::CallerIdentity FixedCaller();

// The 32-byte raw AES-256-GCM key of the committed stores (KDF "none").
crypto::SecretBytes FixedStoreKey();

}  // namespace layer_vault::fuzz

#endif  // LAYER_VAULT_FUZZ_FIXTURES_H_
