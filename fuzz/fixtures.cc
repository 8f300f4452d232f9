#include "fuzz/fixtures.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "vaultd/token/base64url.h"
#include "vaultd/token/keyring.h"

namespace layer_vault::fuzz {
namespace {

// RFC 8032 section 7.1, TEST 1.
constexpr char kSeedHex[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

template <typename T>
T OrDie(absl::StatusOr<T> value, const char* what) {
  if (!value.ok()) {
    std::fprintf(stderr, "fuzz fixture %s: %s\n", what,
                 std::string(value.status().message()).c_str());
    std::abort();
  }
  return *std::move(value);
}

}  // namespace

absl::Time FixedNow() { return absl::FromUnixSeconds(1'700'000'000); }

std::unique_ptr<crypto::Ed25519PrivateKey> FixedSigningKey() {
  const std::string seed = absl::HexStringToBytes(kSeedHex);
  return OrDie(crypto::Ed25519PrivateKey::FromSeed(
                   crypto::SecretBytes::CopyFrom(seed)),
               "signing key");
}

crypto::SecretBytes FixedKeyringExport() {
  const std::unique_ptr<crypto::Ed25519PrivateKey> key = FixedSigningKey();
  const std::string text = absl::StrCat(
      "{\"format\":\"layer-vault.token-keyring.v1\",\"keys\":[{\"kid\":\"",
      token::KeyIdFor(key->public_key()), "\",\"public_key\":\"",
      token::Base64UrlEncode(key->public_key().bytes()), "\",\"created\":",
      absl::ToUnixSeconds(FixedNow() - absl::Hours(1)), ",\"seed\":\"",
      token::Base64UrlEncode(key->UnsafeSeed().UnsafeView()), "\"}]}");
  return crypto::SecretBytes::CopyFrom(text);
}

std::unique_ptr<token::TokenService> FixedTokenService() {
  std::unique_ptr<token::Keyring> keyring = OrDie(
      token::Keyring::Import(FixedKeyringExport(), FixedNow()), "keyring");
  return OrDie(token::TokenService::Create(std::move(keyring)),
               "token service");
}

token::CallerIdentity FixedCaller() {
  token::CallerIdentity caller;
  caller.uid = 1000;
  caller.gid = 1000;
  caller.pid = 4242;
  caller.process_start_time = 987654;
  caller.boot_id = "3f0e9c2a-51d4-4c6b-9a8e-0d1f2b3c4d5e";
  return caller;
}

crypto::SecretBytes FixedStoreKey() {
  std::string key(32, '\0');
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<char>(0xA0 + i);
  return crypto::SecretBytes::CopyFrom(key);
}

}  // namespace layer_vault::fuzz
