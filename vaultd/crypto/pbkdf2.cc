#include "vaultd/crypto/pbkdf2.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <limits>

#include "absl/status/status.h"

namespace layer_vault::crypto {
namespace {

constexpr size_t kMaxLength = 1024;
// OpenSSL takes int lengths and iteration counts (BoringSSL size_t/unsigned).
constexpr size_t kMaxInt = std::numeric_limits<int>::max();

// A non-null pointer for `data`, also when it is empty.
const char* CharsOf(absl::string_view data) {
  return data.empty() ? "" : data.data();
}

}  // namespace

absl::StatusOr<SecretBytes> Pbkdf2HmacSha256(absl::string_view password,
                                             absl::string_view salt,
                                             uint32_t iterations,
                                             size_t length) {
  if (iterations == 0) {
    return absl::InvalidArgumentError("PBKDF2: iterations must be positive");
  }
  if (length == 0 || length > kMaxLength) {
    return absl::InvalidArgumentError(
        "PBKDF2: output length must be 1 to 1024 bytes");
  }
  if (iterations > kMaxInt || password.size() > kMaxInt ||
      salt.size() > kMaxInt) {
    return absl::InvalidArgumentError(
        "PBKDF2: iterations, password or salt too large");
  }
  SecretBytes key(length);
  if (PKCS5_PBKDF2_HMAC(CharsOf(password), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(CharsOf(salt)),
                        static_cast<int>(salt.size()),
                        static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(length),
                        key.UnsafeMutableData()) != 1) {
    ERR_clear_error();
    return absl::InternalError("PBKDF2: key derivation failed");
  }
  return key;
}

}  // namespace layer_vault::crypto
