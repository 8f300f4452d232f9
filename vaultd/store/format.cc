#include "vaultd/store/format.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "vaultd/crypto/aead.h"

namespace layer_vault::store {
namespace {

void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(v >> shift));
  }
}

uint32_t GetBE(absl::string_view in, size_t offset, size_t size) {
  uint32_t v = 0;
  for (size_t i = 0; i < size; ++i) {
    v = (v << 8) | static_cast<uint8_t>(in[offset + i]);
  }
  return v;
}

absl::Status Truncated(size_t have, size_t need) {
  return absl::OutOfRangeError(absl::StrCat(
      "credential store is truncated: ", have, " bytes, its header needs ",
      need, " (restore it from a backup or run vaultctl init again)"));
}

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("credential store is corrupt: ", what));
}

}  // namespace

std::string EncodeHeader(const Header& header, size_t ciphertext_size) {
  if (header.salt.size() != kSaltSize ||
      header.store_id.size() != kStoreIdSize ||
      header.key_source.parameter().size() > kMaxKeySourceParameterSize ||
      ciphertext_size > kMaxCiphertextSize) {
    std::abort();  // broken invariant: the store builds headers itself
  }
  std::string out(kMagic);
  PutU16(out, header.version);
  out.push_back(static_cast<char>(header.key_source.kind()));
  out.push_back(static_cast<char>(header.kdf));
  PutU32(out, header.iterations);
  out += header.salt;
  out += header.store_id;
  PutU16(out, static_cast<uint16_t>(header.key_source.parameter().size()));
  out += header.key_source.parameter();
  PutU32(out, static_cast<uint32_t>(ciphertext_size));
  return out;
}

absl::StatusOr<ParsedFile> ParseFile(absl::string_view file,
                                     uint32_t min_iterations) {
  // Magic: a short file that is a prefix of it was cut, anything else is not
  // a store at all.
  if (file.size() < kMagic.size()) {
    if (kMagic.substr(0, file.size()) == file) {
      return Truncated(file.size(), kFixedHeaderSize);
    }
    return Corrupt("not a layer-vault credential store (bad magic)");
  }
  if (file.substr(0, kMagic.size()) != kMagic) {
    return Corrupt("not a layer-vault credential store (bad magic)");
  }
  if (file.size() < kMagic.size() + 2) {
    return Truncated(file.size(), kFixedHeaderSize);
  }
  ParsedFile parsed;
  Header& h = parsed.header;
  h.version = static_cast<uint16_t>(GetBE(file, 8, 2));
  if (h.version != kFormatVersion) {
    return absl::UnimplementedError(absl::StrCat(
        "unsupported credential store format version ", h.version,
        " (this build reads version ", kFormatVersion,
        "); use the layer-vault release that wrote it"));
  }
  if (file.size() < kFixedHeaderSize) {
    return Truncated(file.size(), kFixedHeaderSize);
  }
  uint8_t source_id = static_cast<uint8_t>(file[10]);
  uint8_t kdf_id = static_cast<uint8_t>(file[11]);
  h.iterations = GetBE(file, 12, 4);
  h.salt = std::string(file.substr(16, kSaltSize));
  h.store_id = std::string(file.substr(48, kStoreIdSize));
  size_t param_size = GetBE(file, 64, 2);

  if (source_id < 1 || source_id > 3) {
    return absl::UnimplementedError(absl::StrCat(
        "unknown key source id ", source_id,
        " in the credential store header (written by a newer release?)"));
  }
  KeySourceKind kind = static_cast<KeySourceKind>(source_id);
  if (kdf_id > 1) {
    return absl::UnimplementedError(absl::StrCat(
        "unknown KDF id ", kdf_id, " in the credential store header"));
  }
  h.kdf = static_cast<KdfId>(kdf_id);
  bool wants_pbkdf2 = kind == KeySourceKind::kPassphrase;
  if (wants_pbkdf2 != (h.kdf == KdfId::kPbkdf2HmacSha256)) {
    return Corrupt("KDF does not match the key source");
  }
  if (wants_pbkdf2 &&
      (h.iterations < min_iterations || h.iterations > kMaxPbkdf2Iterations)) {
    return Corrupt(absl::StrCat("PBKDF2 iterations ", h.iterations,
                                " outside [", min_iterations, ", ",
                                kMaxPbkdf2Iterations, "]"));
  }
  if (!wants_pbkdf2 && h.iterations != 0) {
    return Corrupt("iterations set without a KDF");
  }
  if (param_size > kMaxKeySourceParameterSize) {
    return Corrupt("key source parameter too long");
  }
  size_t header_size = kFixedHeaderSize + param_size + 4;
  if (file.size() < header_size) return Truncated(file.size(), header_size);
  absl::StatusOr<KeySource> source =
      KeySource::FromParts(kind, file.substr(kFixedHeaderSize, param_size));
  if (!source.ok()) {
    return Corrupt(absl::StrCat("bad key source parameter: ",
                                source.status().message()));
  }
  h.key_source = *std::move(source);
  size_t ciphertext_size = GetBE(file, kFixedHeaderSize + param_size, 4);
  if (ciphertext_size < crypto::Aead::kOverhead ||
      ciphertext_size > kMaxCiphertextSize) {
    return Corrupt("bad ciphertext length");
  }
  if (file.size() < header_size + ciphertext_size) {
    return Truncated(file.size(), header_size + ciphertext_size);
  }
  if (file.size() > header_size + ciphertext_size) {
    return Corrupt(absl::StrCat(
        file.size() - header_size - ciphertext_size, " trailing bytes"));
  }
  parsed.associated_data = std::string(file.substr(0, header_size));
  parsed.ciphertext = std::string(file.substr(header_size));
  return parsed;
}

}  // namespace layer_vault::store
