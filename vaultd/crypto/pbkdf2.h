#ifndef LAYER_VAULT_VAULTD_CRYPTO_PBKDF2_H_
#define LAYER_VAULT_VAULTD_CRYPTO_PBKDF2_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::crypto {

// Pbkdf2HmacSha256 derives `length` bytes from `password` and `salt` with
// PBKDF2-HMAC-SHA256 (RFC 8018) and `iterations` rounds.
//
// All parameters are explicit; policy (minimum iterations, salt size) belongs
// to the caller (the store refuses fewer than 100,000 iterations).
// INVALID_ARGUMENT if iterations == 0, length == 0 or length > 1024, or if
// iterations or the password or salt size exceed INT_MAX (OpenSSL's limit).
// Thread-safe.
absl::StatusOr<SecretBytes> Pbkdf2HmacSha256(absl::string_view password,
                                             absl::string_view salt,
                                             uint32_t iterations,
                                             size_t length);

}  // namespace layer_vault::crypto

#endif  // LAYER_VAULT_VAULTD_CRYPTO_PBKDF2_H_
