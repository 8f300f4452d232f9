#include "vaultd/crypto/ed25519.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/memory/memory.h"
#include "vaultd/crypto/random.h"

namespace layer_vault::crypto {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// A non-null pointer for `data`, also when it is empty.
const uint8_t* BytesOf(absl::string_view data) {
  static const uint8_t kEmpty = 0;
  return data.empty() ? &kEmpty : reinterpret_cast<const uint8_t*>(data.data());
}

// The library's key for a 32-byte seed. The EVP_PKEY copy of the seed lives
// only for one operation and is wiped by the library when freed.
Pkey PrivateKeyFromSeed(const SecretBytes& seed) {
  return Pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                           seed.UnsafeData(), seed.size()));
}

Pkey PublicKeyFromBytes(absl::string_view raw) {
  return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          BytesOf(raw), raw.size()));
}

}  // namespace

absl::StatusOr<Ed25519PublicKey> Ed25519PublicKey::FromBytes(
    absl::string_view raw) {
  if (raw.size() != kSize) {
    return absl::InvalidArgumentError("Ed25519 public key must be 32 bytes");
  }
  if (PublicKeyFromBytes(raw) == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not an Ed25519 public key");
  }
  return Ed25519PublicKey(std::string(raw));
}

absl::Status Ed25519PublicKey::Verify(absl::string_view message,
                                      absl::string_view signature) const {
  if (signature.size() != kSignatureSize) {
    return absl::UnauthenticatedError("invalid Ed25519 signature");
  }
  Pkey pkey = PublicKeyFromBytes(raw_);
  MdCtx ctx(EVP_MD_CTX_new());
  // Ed25519 hashes internally: no digest is given (NULL md).
  if (pkey == nullptr || ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) !=
          1 ||
      EVP_DigestVerify(ctx.get(), BytesOf(signature), signature.size(),
                       BytesOf(message), message.size()) != 1) {
    ERR_clear_error();
    return absl::UnauthenticatedError("invalid Ed25519 signature");
  }
  return absl::OkStatus();
}

std::unique_ptr<Ed25519PrivateKey> Ed25519PrivateKey::Generate() {
  absl::StatusOr<std::unique_ptr<Ed25519PrivateKey>> key =
      FromSeed(RandomSecret(kSeedSize));
  if (!key.ok()) {
    // A fresh 32-byte seed is always a valid key: a broken invariant.
    std::fprintf(stderr, "Ed25519 key generation failed: %s\n",
                 key.status().ToString().c_str());
    std::abort();
  }
  return *std::move(key);
}

absl::StatusOr<std::unique_ptr<Ed25519PrivateKey>> Ed25519PrivateKey::FromSeed(
    const SecretBytes& seed) {
  if (seed.size() != kSeedSize) {
    return absl::InvalidArgumentError("Ed25519 seed must be 32 bytes");
  }
  Pkey pkey = PrivateKeyFromSeed(seed);
  std::string public_raw(Ed25519PublicKey::kSize, '\0');
  size_t public_len = public_raw.size();
  if (pkey == nullptr ||
      EVP_PKEY_get_raw_public_key(pkey.get(),
                                  reinterpret_cast<uint8_t*>(public_raw.data()),
                                  &public_len) != 1 ||
      public_len != Ed25519PublicKey::kSize) {
    ERR_clear_error();
    return absl::InternalError("Ed25519: cannot derive the public key");
  }
  absl::StatusOr<Ed25519PublicKey> public_key =
      Ed25519PublicKey::FromBytes(public_raw);
  if (!public_key.ok()) {
    return absl::InternalError("Ed25519: derived public key is unusable");
  }
  return absl::WrapUnique(
      new Ed25519PrivateKey(seed.Clone(), *std::move(public_key)));
}

absl::StatusOr<std::string> Ed25519PrivateKey::Sign(
    absl::string_view message) const {
  Pkey pkey = PrivateKeyFromSeed(seed_);
  MdCtx ctx(EVP_MD_CTX_new());
  std::string signature(Ed25519PublicKey::kSignatureSize, '\0');
  size_t signature_len = signature.size();
  if (pkey == nullptr || ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) !=
          1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(signature.data()),
                     &signature_len, BytesOf(message), message.size()) != 1 ||
      signature_len != Ed25519PublicKey::kSignatureSize) {
    ERR_clear_error();
    return absl::InternalError("Ed25519: signing failed");
  }
  return signature;
}

}  // namespace layer_vault::crypto
