#include "vaultd/token/vectors.h"

#include <exception>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "vaultd/crypto/ed25519.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/token/paseto.h"

namespace layer_vault::token {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxFileSize = 16 * 1024 * 1024;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes hex straight into locked memory (the vectors' secret keys are
// public test data, but they are handled as a real key would be).
absl::StatusOr<crypto::SecretBytes> HexDecode(absl::string_view hex,
                                              absl::string_view field) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": odd hex length"));
  }
  crypto::SecretBytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": not hex"));
    }
    out.UnsafeMutableData()[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

// Reads string field `key`; absent gives `fallback` if set, else an error.
absl::StatusOr<std::string> StringField(
    const Json& vector, const char* key,
    std::optional<std::string> fallback = std::nullopt) {
  if (!vector.contains(key)) {
    if (fallback.has_value()) return *fallback;
    return absl::InvalidArgumentError(absl::StrCat("missing \"", key, "\""));
  }
  const Json& value = vector.at(key);
  if (!value.is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", key, "\" is not a string"));
  }
  return value.get<std::string>();
}

// Builds the signing key from "secret-key" (seed || public key, 64 bytes)
// and checks it against "secret-key-seed" and `public_key`, so that a public
// key or a 64-byte blob can never be mistaken for a seed.
absl::StatusOr<std::unique_ptr<crypto::Ed25519PrivateKey>> SigningKey(
    const Json& vector, const crypto::Ed25519PublicKey& public_key) {
  absl::StatusOr<std::string> secret_hex = StringField(vector, "secret-key");
  if (!secret_hex.ok()) return secret_hex.status();
  absl::StatusOr<crypto::SecretBytes> secret =
      HexDecode(*secret_hex, "secret-key");
  if (!secret.ok()) return secret.status();
  if (secret->size() != 2 * crypto::Ed25519PrivateKey::kSeedSize) {
    return absl::InvalidArgumentError(
        "secret-key must be 64 bytes (seed || public key)");
  }
  const absl::string_view seed_view =
      secret->UnsafeView().substr(0, crypto::Ed25519PrivateKey::kSeedSize);
  const absl::string_view public_half =
      secret->UnsafeView().substr(crypto::Ed25519PrivateKey::kSeedSize);
  if (!crypto::ConstantTimeEquals(public_half, public_key.bytes())) {
    return absl::InvalidArgumentError(
        "second half of secret-key is not the public key");
  }
  if (vector.contains("secret-key-seed")) {
    absl::StatusOr<std::string> seed_hex =
        StringField(vector, "secret-key-seed");
    if (!seed_hex.ok()) return seed_hex.status();
    absl::StatusOr<crypto::SecretBytes> given_seed =
        HexDecode(*seed_hex, "secret-key-seed");
    if (!given_seed.ok()) return given_seed.status();
    if (!crypto::ConstantTimeEquals(given_seed->UnsafeView(), seed_view)) {
      return absl::InvalidArgumentError(
          "secret-key-seed is not the first half of secret-key");
    }
  }
  absl::StatusOr<std::unique_ptr<crypto::Ed25519PrivateKey>> key =
      crypto::Ed25519PrivateKey::FromSeed(
          crypto::SecretBytes::CopyFrom(seed_view));
  if (!key.ok()) return key.status();
  if ((*key)->public_key().bytes() != public_key.bytes()) {
    return absl::InvalidArgumentError(
        "the seed's public key is not public-key");
  }
  return key;
}

// OK if the vector behaves as it must; otherwise the reason.
absl::Status CheckVector(const Json& vector, bool expect_fail) {
  absl::StatusOr<std::string> token = StringField(vector, "token");
  if (!token.ok()) return token.status();
  absl::StatusOr<std::string> footer = StringField(vector, "footer", "");
  if (!footer.ok()) return footer.status();
  absl::StatusOr<std::string> assertion =
      StringField(vector, "implicit-assertion", "");
  if (!assertion.ok()) return assertion.status();

  if (!vector.contains("public-key")) {
    if (expect_fail) return absl::OkStatus();  // no key the API would take
    return absl::InvalidArgumentError("success vector without public-key");
  }
  absl::StatusOr<std::string> public_hex = StringField(vector, "public-key");
  if (!public_hex.ok()) return public_hex.status();
  absl::StatusOr<crypto::SecretBytes> public_raw =
      HexDecode(*public_hex, "public-key");
  absl::StatusOr<crypto::Ed25519PublicKey> public_key =
      public_raw.ok()
          ? crypto::Ed25519PublicKey::FromBytes(public_raw->UnsafeView())
          : absl::StatusOr<crypto::Ed25519PublicKey>(public_raw.status());

  if (expect_fail) {
    if (!public_key.ok()) return absl::OkStatus();  // refused at the key
    absl::StatusOr<std::string> payload =
        VerifyV4Public(*public_key, *token, *assertion, *footer);
    if (payload.ok()) {
      return absl::FailedPreconditionError(
          "token verified but the vector expects a failure");
    }
    return absl::OkStatus();
  }

  if (!public_key.ok()) return public_key.status();
  if (!vector.contains("payload") || !vector.at("payload").is_string()) {
    return absl::InvalidArgumentError("\"payload\" must be a string");
  }
  const std::string expected_payload = vector.at("payload").get<std::string>();
  absl::StatusOr<std::unique_ptr<crypto::Ed25519PrivateKey>> key =
      SigningKey(vector, *public_key);
  if (!key.ok()) return key.status();

  absl::StatusOr<std::string> payload =
      VerifyV4Public(*public_key, *token, *assertion, *footer);
  if (!payload.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("verification failed: ", payload.status().message()));
  }
  if (*payload != expected_payload) {
    return absl::FailedPreconditionError(
        "verified payload differs from the vector's payload");
  }
  absl::StatusOr<std::string> resigned =
      SignV4Public(**key, expected_payload, *footer, *assertion);
  if (!resigned.ok()) return resigned.status();
  if (*resigned != *token) {
    return absl::FailedPreconditionError(
        "re-signing the payload does not reproduce the token");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<VectorSummary> RunVectors(absl::string_view json_text,
                                         std::ostream& out) {
  Json root;
  try {
    root = Json::parse(json_text.begin(), json_text.end());
  } catch (const std::exception&) {
    return absl::InvalidArgumentError("vectors file is not valid JSON");
  }
  if (!root.is_object() || !root.contains("tests") ||
      !root.at("tests").is_array()) {
    return absl::InvalidArgumentError("vectors file has no \"tests\" array");
  }
  VectorSummary summary;
  for (const Json& vector : root.at("tests")) {
    if (!vector.is_object() || !vector.contains("name") ||
        !vector.at("name").is_string()) {
      return absl::InvalidArgumentError(
          "a test vector is not an object with a string \"name\"");
    }
    const std::string name = vector.at("name").get<std::string>();
    const bool has_public_key = vector.contains("public-key");
    const bool public_token =
        vector.contains("token") && vector.at("token").is_string() &&
        absl::string_view(vector.at("token").get_ref<const std::string&>())
                .substr(0, kV4PublicHeader.size()) == kV4PublicHeader;
    if (!has_public_key && !public_token) {
      ++summary.skipped;
      out << "SKIP " << name << ": not a v4.public vector\n";
      continue;
    }
    if (!vector.contains("expect-fail") ||
        !vector.at("expect-fail").is_boolean()) {
      ++summary.failed;
      out << "FAIL " << name << ": \"expect-fail\" must be a boolean\n";
      continue;
    }
    absl::Status status =
        CheckVector(vector, vector.at("expect-fail").get<bool>());
    if (status.ok()) {
      ++summary.passed;
      out << "PASS " << name << "\n";
    } else {
      ++summary.failed;
      out << "FAIL " << name << ": " << status.message() << "\n";
    }
  }
  return summary;
}

int RunVectorsCli(int argc, const char* const* argv, std::ostream& out,
                  std::ostream& err) {
  if (argc != 2) {
    err << "usage: paseto_vectors VECTORS_JSON_FILE\n";
    return 2;
  }
  std::ifstream file(argv[1], std::ios::binary);
  if (!file) {
    err << "paseto_vectors: cannot open " << argv[1] << "\n";
    return 2;
  }
  std::string text;
  char buffer[64 * 1024];
  while (file.read(buffer, sizeof(buffer)) || file.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(file.gcount()));
    if (text.size() > kMaxFileSize) {
      err << "paseto_vectors: " << argv[1] << " is larger than 16 MiB\n";
      return 2;
    }
  }
  if (file.bad()) {
    err << "paseto_vectors: cannot read " << argv[1] << "\n";
    return 2;
  }
  absl::StatusOr<VectorSummary> summary = RunVectors(text, out);
  if (!summary.ok()) {
    err << "paseto_vectors: " << argv[1] << ": " << summary.status().message()
        << "\n";
    return 2;
  }
  out << summary->passed << " passed, " << summary->failed << " failed, "
      << summary->skipped << " skipped\n";
  if (summary->failed > 0) return 1;
  if (summary->passed == 0) {
    err << "paseto_vectors: no v4.public vector was checked\n";
    return 1;
  }
  return 0;
}

}  // namespace layer_vault::token
