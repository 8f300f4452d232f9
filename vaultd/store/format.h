#ifndef LAYER_VAULT_VAULTD_STORE_FORMAT_H_
#define LAYER_VAULT_VAULTD_STORE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vaultd/store/key_source.h"

namespace layer_vault::store {

// The on-disk layout of credentials.enc, version 1. FORMAT.md is the
// normative description; this is its code.

inline constexpr absl::string_view kMagic = "LAYERVLT";
inline constexpr uint16_t kFormatVersion = 1;
inline constexpr size_t kSaltSize = 32;
inline constexpr size_t kStoreIdSize = 16;
inline constexpr size_t kMaxKeySourceParameterSize = 1024;
inline constexpr size_t kMaxCiphertextSize = 1 << 20;
// Bytes before the key-source parameter: magic, version, key source, KDF id,
// iterations, salt, store id, parameter length.
inline constexpr size_t kFixedHeaderSize = 8 + 2 + 1 + 1 + 4 + 32 + 16 + 2;

// PBKDF2 iteration policy.
inline constexpr uint32_t kDefaultPbkdf2Iterations = 600'000;
inline constexpr uint32_t kMinPbkdf2Iterations = 100'000;
// Upper bound, so that an edited header cannot make an unlock take hours.
inline constexpr uint32_t kMaxPbkdf2Iterations = 10'000'000;

// KdfId is the KDF id in the header. Part of the format: never renumber.
enum class KdfId : uint8_t {
  kNone = 0,              // the 32-byte raw key is the AES-256-GCM key
  kPbkdf2HmacSha256 = 1,  // PBKDF2-HMAC-SHA256(passphrase, salt, iterations)
};

// Header is every field before the ciphertext.
struct Header {
  uint16_t version = kFormatVersion;
  KeySource key_source = KeySource::Passphrase();
  KdfId kdf = KdfId::kPbkdf2HmacSha256;
  uint32_t iterations = 0;  // 0 when kdf == kNone
  std::string salt;         // kSaltSize bytes
  std::string store_id;     // kStoreIdSize bytes
};

// EncodeHeader returns the header bytes for a ciphertext of
// `ciphertext_size` bytes. These bytes are also the AEAD associated data, so
// every header field is authenticated. Crashes if `header` is malformed
// (salt or store id of the wrong size): callers build it.
std::string EncodeHeader(const Header& header, size_t ciphertext_size);

// ParsedFile is a credentials.enc split into its parts.
struct ParsedFile {
  Header header;
  std::string associated_data;  // the encoded header
  std::string ciphertext;       // nonce || AES-256-GCM output || tag
};

// ParseFile splits and checks a whole file. It does not authenticate: that
// is the decryption's job. `min_iterations` is the PBKDF2 floor (production:
// kMinPbkdf2Iterations). Errors, all without side effects:
//  - OUT_OF_RANGE: the file is truncated (shorter than its header says).
//  - UNIMPLEMENTED: unknown format version, key-source id or KDF id.
//  - DATA_LOSS: not a store (bad magic), or an inconsistent header
//    (KDF not matching the key source, iterations out of range, bad
//    parameter or lengths), or trailing bytes.
absl::StatusOr<ParsedFile> ParseFile(absl::string_view file,
                                     uint32_t min_iterations);

}  // namespace layer_vault::store

#endif  // LAYER_VAULT_VAULTD_STORE_FORMAT_H_
