#include "vaultd/token/base64url.h"

#include <array>
#include <cstdint>

#include "absl/status/status.h"

namespace layer_vault::token {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr int8_t kInvalid = -1;

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (int i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}

constexpr std::array<int8_t, 256> kDecodeTable = MakeDecodeTable();

// Writes the encoding of `in[0..n)` to `out`, which has room for
// Base64UrlEncodedSize(n) bytes.
void EncodeInto(const uint8_t* in, size_t n, char* out) {
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) |
                       uint32_t{in[i + 2]};
    *out++ = kAlphabet[(v >> 18) & 63];
    *out++ = kAlphabet[(v >> 12) & 63];
    *out++ = kAlphabet[(v >> 6) & 63];
    *out++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{in[i]} << 16;
    *out++ = kAlphabet[(v >> 18) & 63];
    *out++ = kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    *out++ = kAlphabet[(v >> 18) & 63];
    *out++ = kAlphabet[(v >> 12) & 63];
    *out++ = kAlphabet[(v >> 6) & 63];
  }
}

// Checks `encoded` and returns its decoded length.
absl::StatusOr<size_t> CheckedDecodedSize(absl::string_view encoded) {
  for (char c : encoded) {
    if (c == '=') {
      return absl::InvalidArgumentError(
          "base64url: padding '=' is not allowed");
    }
    if (kDecodeTable[static_cast<unsigned char>(c)] == kInvalid) {
      return absl::InvalidArgumentError(
          "base64url: character outside the base64url alphabet");
    }
  }
  const size_t rem = encoded.size() % 4;
  if (rem == 1) {
    return absl::InvalidArgumentError(
        "base64url: impossible length (length % 4 == 1)");
  }
  if (rem != 0) {
    const int last = kDecodeTable[static_cast<unsigned char>(encoded.back())];
    const int unused_mask = rem == 2 ? 0x0f : 0x03;
    if ((last & unused_mask) != 0) {
      return absl::InvalidArgumentError(
          "base64url: non-canonical encoding (unused trailing bits set)");
    }
  }
  return encoded.size() / 4 * 3 + (rem == 0 ? 0 : rem - 1);
}

// Decodes an already checked `encoded` into `out`.
void DecodeInto(absl::string_view encoded, uint8_t* out) {
  uint32_t acc = 0;
  int bits = 0;
  for (char c : encoded) {
    acc = (acc << 6) |
          static_cast<uint32_t>(kDecodeTable[static_cast<unsigned char>(c)]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out++ = static_cast<uint8_t>((acc >> bits) & 0xff);
    }
  }
}

}  // namespace

size_t Base64UrlEncodedSize(size_t n) {
  return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

std::string Base64UrlEncode(absl::string_view data) {
  std::string out(Base64UrlEncodedSize(data.size()), '\0');
  EncodeInto(reinterpret_cast<const uint8_t*>(data.data()), data.size(),
             out.data());
  return out;
}

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view encoded) {
  absl::StatusOr<size_t> size = CheckedDecodedSize(encoded);
  if (!size.ok()) return size.status();
  std::string out(*size, '\0');
  DecodeInto(encoded, reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

crypto::SecretBytes Base64UrlEncodeSecret(const crypto::SecretBytes& data) {
  crypto::SecretBytes out(Base64UrlEncodedSize(data.size()));
  EncodeInto(data.UnsafeData(), data.size(),
             reinterpret_cast<char*>(out.UnsafeMutableData()));
  return out;
}

absl::StatusOr<crypto::SecretBytes> Base64UrlDecodeSecret(
    absl::string_view encoded) {
  absl::StatusOr<size_t> size = CheckedDecodedSize(encoded);
  if (!size.ok()) return size.status();
  crypto::SecretBytes out(*size);
  DecodeInto(encoded, out.UnsafeMutableData());
  return out;
}

}  // namespace layer_vault::token
