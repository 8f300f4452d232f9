#ifndef LAYER_VAULT_VAULTD_TOKEN_PAE_H_
#define LAYER_VAULT_VAULTD_TOKEN_PAE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace layer_vault::token {

// Le64 returns `n` as 8 little-endian bytes with the most significant bit
// cleared, as PASETO's LE64 specifies.
std::string Le64(uint64_t n);

// Pae returns the PASETO pre-authentication encoding of `pieces`:
// LE64(count) followed by LE64(length) || piece for every piece, in order.
// Distinct piece lists never encode to the same bytes. Encode-only; never
// fails; thread-safe.
std::string Pae(absl::Span<const absl::string_view> pieces);

}  // namespace layer_vault::token

#endif  // LAYER_VAULT_VAULTD_TOKEN_PAE_H_
