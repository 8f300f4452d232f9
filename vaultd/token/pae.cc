#include "vaultd/token/pae.h"

namespace layer_vault::token {

std::string Le64(uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) {
    if (i == 7) n &= 0x7f;  // clear the top bit of the last byte
    out[i] = static_cast<char>(n & 0xff);
    n >>= 8;
  }
  return out;
}

std::string Pae(absl::Span<const absl::string_view> pieces) {
  size_t total = 8;
  for (absl::string_view piece : pieces) total += 8 + piece.size();
  std::string out;
  out.reserve(total);
  out += Le64(pieces.size());
  for (absl::string_view piece : pieces) {
    out += Le64(piece.size());
    out.append(piece.data(), piece.size());
  }
  return out;
}

}  // namespace layer_vault::token
