#include "vaultd/token/paseto.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/token/base64url.h"
#include "vaultd/token/pae.h"

namespace layer_vault::token {
namespace {

struct DecodedToken {
  std::string body;    // payload || signature
  std::string footer;  // empty if absent
};

absl::Status Malformed(absl::string_view what) {
  return absl::UnauthenticatedError(
      absl::StrCat("malformed v4.public token: ", what));
}

absl::StatusOr<DecodedToken> Decode(absl::string_view token) {
  if (token.substr(0, kV4PublicHeader.size()) != kV4PublicHeader) {
    return absl::UnauthenticatedError(
        "token is not a v4.public token (wrong version or purpose header)");
  }
  absl::string_view rest = token.substr(kV4PublicHeader.size());
  absl::string_view body = rest;
  absl::string_view footer;
  bool has_footer = false;
  const size_t dot = rest.find('.');
  if (dot != absl::string_view::npos) {
    body = rest.substr(0, dot);
    footer = rest.substr(dot + 1);
    has_footer = true;
    if (footer.find('.') != absl::string_view::npos) {
      return Malformed("more than two segments after the header");
    }
    if (footer.empty()) return Malformed("empty footer segment");
  }
  DecodedToken decoded;
  absl::StatusOr<std::string> body_bytes = Base64UrlDecode(body);
  if (!body_bytes.ok()) {
    return Malformed(absl::StrCat("body: ", body_bytes.status().message()));
  }
  decoded.body = *std::move(body_bytes);
  if (has_footer) {
    absl::StatusOr<std::string> footer_bytes = Base64UrlDecode(footer);
    if (!footer_bytes.ok()) {
      return Malformed(
          absl::StrCat("footer: ", footer_bytes.status().message()));
    }
    decoded.footer = *std::move(footer_bytes);
  }
  return decoded;
}

std::string PreAuth(absl::string_view payload, absl::string_view footer,
                    absl::string_view implicit_assertion) {
  const absl::string_view pieces[] = {kV4PublicHeader, payload, footer,
                                      implicit_assertion};
  return Pae(pieces);
}

}  // namespace

absl::StatusOr<std::string> SignV4Public(const crypto::Ed25519PrivateKey& key,
                                         absl::string_view payload,
                                         absl::string_view footer,
                                         absl::string_view implicit_assertion) {
  absl::StatusOr<std::string> sig =
      key.Sign(PreAuth(payload, footer, implicit_assertion));
  if (!sig.ok()) return sig.status();
  if (sig->size() != kV4PublicSignatureSize) {
    return absl::InternalError("Ed25519 signature has an unexpected length");
  }
  std::string token(kV4PublicHeader);
  absl::StrAppend(&token, Base64UrlEncode(absl::StrCat(payload, *sig)));
  if (!footer.empty()) absl::StrAppend(&token, ".", Base64UrlEncode(footer));
  return token;
}

absl::StatusOr<std::string> VerifyV4Public(
    const crypto::Ed25519PublicKey& key, absl::string_view token,
    absl::string_view implicit_assertion,
    std::optional<absl::string_view> expected_footer) {
  absl::StatusOr<DecodedToken> decoded = Decode(token);
  if (!decoded.ok()) return decoded.status();
  if (expected_footer.has_value() &&
      !crypto::ConstantTimeEquals(decoded->footer, *expected_footer)) {
    return absl::UnauthenticatedError(
        "token footer does not match the expected footer");
  }
  if (decoded->body.size() < kV4PublicSignatureSize) {
    return Malformed("body shorter than a 64-byte signature");
  }
  const absl::string_view body = decoded->body;
  const absl::string_view payload =
      body.substr(0, body.size() - kV4PublicSignatureSize);
  const absl::string_view signature =
      body.substr(body.size() - kV4PublicSignatureSize);
  if (!key.Verify(PreAuth(payload, decoded->footer, implicit_assertion),
                  signature)
           .ok()) {
    return absl::UnauthenticatedError(kBadSignatureMessage);
  }
  return std::string(payload);
}

absl::StatusOr<std::string> ReadUntrustedFooterV4Public(
    absl::string_view token) {
  absl::StatusOr<DecodedToken> decoded = Decode(token);
  if (!decoded.ok()) return decoded.status();
  return std::move(decoded->footer);
}

}  // namespace layer_vault::token
