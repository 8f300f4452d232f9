#include "vaultd/crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace layer_vault::crypto {
namespace {

// RAND_bytes takes an int length in OpenSSL; stay well below INT_MAX.
constexpr size_t kMaxChunk = size_t{1} << 30;

void FillRandom(uint8_t* out, size_t n) {
  while (n > 0) {
    const size_t chunk = std::min(n, kMaxChunk);
    if (RAND_bytes(out, static_cast<int>(chunk)) != 1) {
      std::fprintf(stderr, "RAND_bytes failed: refusing to continue\n");
      std::abort();
    }
    out += chunk;
    n -= chunk;
  }
}

}  // namespace

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  FillRandom(reinterpret_cast<uint8_t*>(out.data()), n);
  return out;
}

SecretBytes RandomSecret(size_t n) {
  SecretBytes out(n);
  FillRandom(out.UnsafeMutableData(), n);
  return out;
}

}  // namespace layer_vault::crypto
