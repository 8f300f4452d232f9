#ifndef LAYER_VAULT_VAULTD_TOKEN_BASE64URL_H_
#define LAYER_VAULT_VAULTD_TOKEN_BASE64URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::token {

// Base64UrlEncode returns the RFC 4648 section 5 ("base64url") encoding of
// `data` without `=` padding. The output is the canonical encoding that
// Base64UrlDecode accepts. Never fails; thread-safe.
std::string Base64UrlEncode(absl::string_view data);

// Base64UrlDecode strictly decodes unpadded base64url. It returns
// INVALID_ARGUMENT, without echoing the input, if `encoded`:
//   - contains `=` or any byte outside `A-Z a-z 0-9 - _`;
//   - has an impossible length (length % 4 == 1);
//   - is not canonical: the unused low bits of the last character (2 bits
//     when length % 4 == 3, 4 bits when length % 4 == 2) are not zero.
// The empty string decodes to the empty string. Thread-safe.
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view encoded);

// Base64UrlEncodeSecret is Base64UrlEncode for secret material: the output is
// written straight into locked, wiped-on-free memory.
crypto::SecretBytes Base64UrlEncodeSecret(const crypto::SecretBytes& data);

// Base64UrlDecodeSecret is Base64UrlDecode for secret material (e.g. a key
// seed read from the decrypted store): same rules and errors, and the
// decoded bytes only ever live in the returned SecretBytes.
absl::StatusOr<crypto::SecretBytes> Base64UrlDecodeSecret(
    absl::string_view encoded);

// Base64UrlEncodedSize returns the length of the unpadded encoding of `n`
// bytes.
size_t Base64UrlEncodedSize(size_t n);

}  // namespace layer_vault::token

#endif  // LAYER_VAULT_VAULTD_TOKEN_BASE64URL_H_
