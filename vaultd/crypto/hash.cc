#include "vaultd/crypto/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace layer_vault::crypto {
namespace {

// A non-null pointer for `data`, also when it is empty.
const uint8_t* BytesOf(absl::string_view data) {
  static const uint8_t kEmpty = 0;
  return data.empty() ? &kEmpty : reinterpret_cast<const uint8_t*>(data.data());
}

}  // namespace

std::string Sha256(absl::string_view data) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(BytesOf(data), data.size(), reinterpret_cast<uint8_t*>(digest.data()));
  return digest;
}

std::string HmacSha256(const SecretBytes& key, absl::string_view data) {
  std::string mac(SHA256_DIGEST_LENGTH, '\0');
  unsigned int mac_len = 0;
  // OpenSSL 3 takes an int key length; a key over 1 GiB is a caller bug.
  if (key.size() > (size_t{1} << 30) ||
      HMAC(EVP_sha256(), BytesOf(key.UnsafeView()),
           static_cast<int>(key.size()), BytesOf(data), data.size(),
           reinterpret_cast<uint8_t*>(mac.data()), &mac_len) == nullptr ||
      mac_len != SHA256_DIGEST_LENGTH) {
    // HMAC-SHA256 cannot fail for valid inputs: a broken invariant.
    std::fprintf(stderr, "HMAC-SHA256 failed\n");
    std::abort();
  }
  return mac;
}

std::string HexEncode(absl::string_view data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(data.size() * 2);
  for (unsigned char c : data) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0x0f]);
  }
  return hex;
}

}  // namespace layer_vault::crypto
