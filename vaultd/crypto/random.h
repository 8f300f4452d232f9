#ifndef LAYER_VAULT_VAULTD_CRYPTO_RANDOM_H_
#define LAYER_VAULT_VAULTD_CRYPTO_RANDOM_H_

#include <cstddef>
#include <string>

#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::crypto {

// RandomBytes returns `n` bytes from the library's CSPRNG (RAND_bytes) for
// values that are unique but not secret: salts, nonces, token ids.
// Crashes if the CSPRNG fails (a broken invariant: never continue without
// randomness). Thread-safe.
std::string RandomBytes(size_t n);

// RandomSecret returns `n` CSPRNG bytes directly in locked memory, for keys
// and seeds. Same failure contract as RandomBytes.
SecretBytes RandomSecret(size_t n);

}  // namespace layer_vault::crypto

#endif  // LAYER_VAULT_VAULTD_CRYPTO_RANDOM_H_
