#include "vaultd/crypto/test_util.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"

namespace layer_vault::crypto::testing {
namespace {

int Nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string HexToBytes(absl::string_view hex) {
  std::string digits;
  for (char c : hex) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
    if (Nibble(c) < 0) {
      std::fprintf(stderr, "HexToBytes: bad hex digit '%c'\n", c);
      std::abort();
    }
    digits.push_back(c);
  }
  if (digits.size() % 2 != 0) {
    std::fprintf(stderr, "HexToBytes: odd number of hex digits\n");
    std::abort();
  }
  std::string out;
  out.reserve(digits.size() / 2);
  for (size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(
        static_cast<char>(Nibble(digits[i]) << 4 | Nibble(digits[i + 1])));
  }
  return out;
}

}  // namespace layer_vault::crypto::testing
