// Linked into every crypto test (see crypto.bzl): proves that the variant
// was compiled against the intended headers and loaded only the intended
// libcrypto, so that a "BoringSSL" test cannot silently run on OpenSSL.

#include <openssl/crypto.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace layer_vault::crypto {
namespace {

#ifdef OPENSSL_IS_BORINGSSL
constexpr bool kHeadersAreBoringSsl = true;
#else
constexpr bool kHeadersAreBoringSsl = false;
#endif

std::string ProcSelfMaps() {
  std::ifstream in("/proc/self/maps");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

#ifdef LAYER_VAULT_CRYPTO_EXPECT_BORINGSSL

#ifndef OPENSSL_IS_BORINGSSL
#error "BoringSSL variant compiled against non-BoringSSL headers"
#endif

TEST(CryptoBackendTest, UsesBoringSsl) {
  EXPECT_TRUE(kHeadersAreBoringSsl);
  EXPECT_STREQ(OpenSSL_version(OPENSSL_VERSION), "BoringSSL");
  const std::string maps = ProcSelfMaps();
  EXPECT_TRUE(absl::StrContains(maps, "/android/libcrypto.so.0")) << maps;
  EXPECT_FALSE(absl::StrContains(maps, "libcrypto.so.3")) << maps;
  EXPECT_FALSE(absl::StrContains(maps, "libgrpc")) << maps;
}

#else  // !LAYER_VAULT_CRYPTO_EXPECT_BORINGSSL

#ifdef OPENSSL_IS_BORINGSSL
#error "OpenSSL variant compiled against BoringSSL headers"
#endif

TEST(CryptoBackendTest, UsesOpenSsl3) {
  EXPECT_FALSE(kHeadersAreBoringSsl);
  EXPECT_TRUE(absl::StartsWith(OpenSSL_version(OPENSSL_VERSION), "OpenSSL 3."))
      << OpenSSL_version(OPENSSL_VERSION);
  const std::string maps = ProcSelfMaps();
  EXPECT_TRUE(absl::StrContains(maps, "libcrypto.so.3")) << maps;
  EXPECT_FALSE(absl::StrContains(maps, "android")) << maps;
}

#endif  // LAYER_VAULT_CRYPTO_EXPECT_BORINGSSL

}  // namespace
}  // namespace layer_vault::crypto
