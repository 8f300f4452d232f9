#ifndef LAYER_VAULT_VAULTD_CRYPTO_TEST_UTIL_H_
#define LAYER_VAULT_VAULTD_CRYPTO_TEST_UTIL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace layer_vault::crypto::testing {

// HexToBytes decodes the hex of a published test vector. Whitespace is
// ignored so that vectors can be copied as printed. Crashes on anything else
// (a typo in a test, not an input).
std::string HexToBytes(absl::string_view hex);

}  // namespace layer_vault::crypto::testing

#endif  // LAYER_VAULT_VAULTD_CRYPTO_TEST_UTIL_H_
