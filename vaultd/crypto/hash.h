#ifndef LAYER_VAULT_VAULTD_CRYPTO_HASH_H_
#define LAYER_VAULT_VAULTD_CRYPTO_HASH_H_

#include <string>

#include "absl/strings/string_view.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::crypto {

// Sha256 returns the 32-byte SHA-256 digest of `data`. Thread-safe.
std::string Sha256(absl::string_view data);

// HmacSha256 returns the 32-byte HMAC-SHA256 of `data` under `key`.
// Thread-safe.
std::string HmacSha256(const SecretBytes& key, absl::string_view data);

// HexEncode returns lower-case hex of `data` (for digests and ids, never for
// secrets).
std::string HexEncode(absl::string_view data);

}  // namespace layer_vault::crypto

#endif  // LAYER_VAULT_VAULTD_CRYPTO_HASH_H_
