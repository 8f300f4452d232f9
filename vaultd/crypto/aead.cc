#include "vaultd/crypto/aead.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "vaultd/crypto/random.h"

namespace layer_vault::crypto {
namespace {

constexpr char kDecryptionFailed[] =
    "decryption failed: wrong key, tampered data or wrong associated data";

// EVP_*Update take int lengths; feed larger inputs in chunks.
constexpr size_t kMaxChunk = size_t{1} << 30;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// A non-null pointer for `data`, also when it is empty.
const uint8_t* BytesOf(absl::string_view data) {
  static const uint8_t kEmpty = 0;
  return data.empty() ? &kEmpty : reinterpret_cast<const uint8_t*>(data.data());
}

// Failures must not leave entries on this thread's OpenSSL error queue, where
// unrelated code (TLS in gRPC or libcurl) would find them later.
absl::Status LibraryError(absl::string_view what) {
  ERR_clear_error();
  return absl::InternalError(what);
}

absl::Status AuthenticationFailed() {
  ERR_clear_error();
  return absl::DataLossError(kDecryptionFailed);
}

// Starts an AES-256-GCM context with a 96-bit nonce.
CipherCtx NewGcmContext(bool encrypt, const SecretBytes& key,
                        absl::string_view nonce) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return nullptr;
  const int enc = encrypt ? 1 : 0;
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr,
                        enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN,
                          static_cast<int>(Aead::kNonceSize), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.UnsafeData(),
                        BytesOf(nonce), enc) != 1) {
    return nullptr;
  }
  return ctx;
}

// Feeds `associated_data` to an initialised GCM context.
bool AddAssociatedData(EVP_CIPHER_CTX* ctx, absl::string_view ad) {
  while (!ad.empty()) {
    const size_t chunk = std::min(ad.size(), kMaxChunk);
    int out_len = 0;
    if (EVP_CipherUpdate(ctx, nullptr, &out_len, BytesOf(ad),
                         static_cast<int>(chunk)) != 1) {
      return false;
    }
    ad.remove_prefix(chunk);
  }
  return true;
}

// Runs `in` through the cipher into `out` (same length: GCM is a stream
// mode, so OpenSSL and BoringSSL both emit every byte at once).
bool Transform(EVP_CIPHER_CTX* ctx, absl::string_view in, uint8_t* out) {
  while (!in.empty()) {
    const size_t chunk = std::min(in.size(), kMaxChunk);
    int out_len = 0;
    if (EVP_CipherUpdate(ctx, out, &out_len, BytesOf(in),
                         static_cast<int>(chunk)) != 1 ||
        out_len != static_cast<int>(chunk)) {
      return false;
    }
    out += chunk;
    in.remove_prefix(chunk);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Aead>> Aead::New(const SecretBytes& key) {
  if (key.size() != kKeySize) {
    return absl::InvalidArgumentError("AES-256-GCM key must be 32 bytes");
  }
  return absl::WrapUnique(new Aead(key.Clone()));
}

absl::StatusOr<std::string> Aead::Encrypt(
    absl::string_view plaintext, absl::string_view associated_data) const {
  return EncryptWithNonce(RandomBytes(kNonceSize), plaintext, associated_data);
}

absl::StatusOr<std::string> Aead::EncryptWithNonceForTesting(
    absl::string_view nonce, absl::string_view plaintext,
    absl::string_view associated_data) const {
  return EncryptWithNonce(nonce, plaintext, associated_data);
}

absl::StatusOr<std::string> Aead::EncryptWithNonce(
    absl::string_view nonce, absl::string_view plaintext,
    absl::string_view associated_data) const {
  if (nonce.size() != kNonceSize) {
    return absl::InvalidArgumentError("AES-256-GCM nonce must be 12 bytes");
  }
  CipherCtx ctx = NewGcmContext(/*encrypt=*/true, key_, nonce);
  if (ctx == nullptr) return LibraryError("AES-256-GCM: cannot set up cipher");

  std::string out(kNonceSize + plaintext.size() + kTagSize, '\0');
  uint8_t* const body = reinterpret_cast<uint8_t*>(out.data()) + kNonceSize;
  uint8_t* const tag = body + plaintext.size();
  std::memcpy(out.data(), nonce.data(), kNonceSize);

  int final_len = 0;
  if (!AddAssociatedData(ctx.get(), associated_data) ||
      !Transform(ctx.get(), plaintext, body) ||
      EVP_EncryptFinal_ex(ctx.get(), tag, &final_len) != 1 || final_len != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG,
                          static_cast<int>(kTagSize), tag) != 1) {
    return LibraryError("AES-256-GCM: encryption failed");
  }
  return out;
}

absl::StatusOr<SecretBytes> Aead::Decrypt(
    absl::string_view ciphertext, absl::string_view associated_data) const {
  if (ciphertext.size() < kOverhead) {
    return absl::InvalidArgumentError(
        "ciphertext is shorter than nonce and tag");
  }
  const absl::string_view nonce = ciphertext.substr(0, kNonceSize);
  const absl::string_view body =
      ciphertext.substr(kNonceSize, ciphertext.size() - kOverhead);
  // EVP_CTRL_GCM_SET_TAG takes a non-const pointer.
  uint8_t tag[kTagSize];
  std::memcpy(tag, ciphertext.data() + ciphertext.size() - kTagSize, kTagSize);

  CipherCtx ctx = NewGcmContext(/*encrypt=*/false, key_, nonce);
  if (ctx == nullptr) return LibraryError("AES-256-GCM: cannot set up cipher");

  // The plaintext goes straight into locked memory; if authentication fails
  // it is wiped when `plaintext` goes out of scope and never returned.
  SecretBytes plaintext(body.size());
  if (!AddAssociatedData(ctx.get(), associated_data) ||
      !Transform(ctx.get(), body, plaintext.UnsafeMutableData()) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                          static_cast<int>(kTagSize), tag) != 1) {
    return LibraryError("AES-256-GCM: decryption failed");
  }
  // The tag comparison inside EVP_DecryptFinal_ex is constant-time.
  int final_len = 0;
  uint8_t final_block[16];
  if (EVP_DecryptFinal_ex(ctx.get(), final_block, &final_len) != 1 ||
      final_len != 0) {
    return AuthenticationFailed();
  }
  return plaintext;
}

}  // namespace layer_vault::crypto
