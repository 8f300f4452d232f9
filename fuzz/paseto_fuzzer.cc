// Fuzz target: PASETO v4.public parsing and verification, as vaultd runs it
// on every token a workload presents (vaultd/token).
//
// Input: a mode digit, then
//   '0': a token, verified as presented (TokenService::Verify with a fixed
//        keyring and caller, VerifyV4Public, ReadUntrustedFooterV4Public,
//        ReadUntrustedKeyId);
//   '1': a payload the target signs with the fixed key (footer {"kid":K},
//        bound to the fixed caller) before verifying, so that fuzzed claims
//        reach everything after the signature check;
//   '2': a footer line, then a payload; signed as in '1' with that footer;
//   '3': text for ParseClaims, ParseFooterKeyId, ParseRfc3339 and base64url.
// Properties: see the FUZZ_CHECKs.

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fuzz/fixtures.h"
#include "fuzz/fuzz_util.h"
#include "vaultd/token/base64url.h"
#include "vaultd/token/claims.h"
#include "vaultd/token/keyring.h"
#include "vaultd/token/paseto.h"
#include "vaultd/token/token_service.h"

namespace layer_vault::fuzz {
namespace {

using token::CallerIdentity;
using token::Claims;

constexpr absl::string_view kScope = "layer:read";

struct State {
  std::unique_ptr<crypto::Ed25519PrivateKey> key = FixedSigningKey();
  std::unique_ptr<token::TokenService> service = FixedTokenService();
  CallerIdentity caller = FixedCaller();
  std::string binding = token::CallerBinding(caller);
  std::string kid = token::KeyIdFor(key->public_key());
  std::string footer = *token::SerializeFooter(kid);
};

const State& GetState() {
  static const State* state = new State();
  return *state;
}

bool WholeSeconds(absl::Time t) {
  return t == absl::FromUnixSeconds(absl::ToUnixSeconds(t));
}

void CheckBase64(absl::string_view text) {
  absl::StatusOr<std::string> decoded = token::Base64UrlDecode(text);
  if (decoded.ok()) {
    FUZZ_CHECK(token::Base64UrlEncode(*decoded) == text,
               "base64url decoding accepted a non-canonical encoding");
    FUZZ_CHECK(token::Base64UrlEncodedSize(decoded->size()) == text.size(),
               "Base64UrlEncodedSize disagrees with the encoding");
  }
  const std::string encoded = token::Base64UrlEncode(text);
  absl::StatusOr<std::string> back = token::Base64UrlDecode(encoded);
  FUZZ_CHECK(back.ok() && *back == text, "base64url round trip");
  absl::StatusOr<crypto::SecretBytes> secret =
      token::Base64UrlDecodeSecret(text);
  FUZZ_CHECK(secret.ok() == decoded.ok(),
             "Base64UrlDecodeSecret and Base64UrlDecode disagree");
  if (secret.ok()) {
    FUZZ_CHECK(secret->UnsafeView() == *decoded,
               "Base64UrlDecodeSecret and Base64UrlDecode disagree");
  }
}

void CheckClaims(absl::string_view payload) {
  absl::StatusOr<Claims> claims = token::ParseClaims(payload);
  if (!claims.ok()) return;
  FUZZ_CHECK(payload.size() <= token::kMaxPayloadSize,
             "ParseClaims accepted an oversized payload");
  FUZZ_CHECK(token::ValidateClaims(*claims).ok(),
             "ParseClaims returned claims that ValidateClaims refuses");
  absl::StatusOr<std::string> text = token::SerializeClaims(*claims);
  if (WholeSeconds(claims->iat) && WholeSeconds(claims->nbf) &&
      WholeSeconds(claims->exp)) {
    FUZZ_CHECK(text.ok(), "parsed claims do not serialize");
  }
  if (!text.ok()) return;
  absl::StatusOr<Claims> again = token::ParseClaims(*text);
  FUZZ_CHECK(again.ok(), "serialized claims do not parse");
  absl::StatusOr<std::string> text2 = token::SerializeClaims(*again);
  FUZZ_CHECK(text2.ok() && *text2 == *text, "claims round trip unstable");
}

// Every check TokenService::Verify promises for a token it accepts.
void CheckVerified(const State& s, absl::string_view token) {
  absl::StatusOr<token::VerifiedToken> verified =
      s.service->Verify(token, s.caller, kScope, FixedNow());
  if (token.size() > token::kMaxTokenSize) {
    FUZZ_CHECK(!verified.ok(), "Verify accepted an oversized token");
  }
  if (!verified.ok()) {
    if (token.size() >= 32 && absl::StartsWith(token, token::kV4PublicHeader)) {
      FUZZ_CHECK(!absl::StrContains(verified.status().message(), token),
                 "Verify's error echoes the token");
    }
    return;
  }
  const Claims& c = verified->claims;
  FUZZ_CHECK(verified->kid == s.kid, "verified under an unknown kid");
  FUZZ_CHECK(c.sub == absl::StrCat(s.caller.uid), "verified for another uid");
  FUZZ_CHECK(c.iss == s.service->options().issuer, "verified another issuer");
  FUZZ_CHECK(c.aud == s.service->options().audience,
             "verified another audience");
  FUZZ_CHECK(std::find(c.scope.begin(), c.scope.end(), kScope) != c.scope.end(),
             "verified without the required scope");
  const absl::Duration leeway = s.service->options().leeway;
  FUZZ_CHECK(FixedNow() <= c.exp + leeway, "verified an expired token");
  FUZZ_CHECK(FixedNow() >= c.nbf - leeway, "verified a not-yet-valid token");
  FUZZ_CHECK(c.exp - c.iat <= s.service->options().max_ttl,
             "verified a token living longer than max_ttl");
  // The same token presented by another process must fail.
  CallerIdentity other = s.caller;
  other.pid += 1;
  FUZZ_CHECK(!s.service->Verify(token, other, kScope, FixedNow()).ok(),
             "token verified for another pid");
}

void CheckToken(const State& s, absl::string_view token) {
  absl::StatusOr<std::string> footer =
      token::ReadUntrustedFooterV4Public(token);
  absl::StatusOr<std::string> payload =
      token::VerifyV4Public(s.key->public_key(), token, s.binding);
  if (payload.ok()) {
    FUZZ_CHECK(footer.ok(), "verified a token whose shape is refused");
    FUZZ_CHECK(absl::StartsWith(token, token::kV4PublicHeader),
               "verified a token without the v4.public header");
  }
  absl::StatusOr<std::string> with_footer = token::VerifyV4Public(
      s.key->public_key(), token, s.binding, absl::string_view(s.footer));
  if (with_footer.ok()) {
    FUZZ_CHECK(payload.ok() && *payload == *with_footer,
               "expected_footer changed the payload");
    FUZZ_CHECK(*footer == s.footer, "accepted an unexpected footer");
  }
  absl::StatusOr<std::string> kid = token::ReadUntrustedKeyId(token);
  if (kid.ok()) FUZZ_CHECK(footer.ok(), "kid read from a malformed token");
  CheckVerified(s, token);
}

void SignAndCheck(const State& s, absl::string_view payload,
                  absl::string_view footer) {
  absl::StatusOr<std::string> token =
      token::SignV4Public(*s.key, payload, footer, s.binding);
  FUZZ_CHECK(token.ok(), "signing failed");
  absl::StatusOr<std::string> verified =
      token::VerifyV4Public(s.key->public_key(), *token, s.binding, footer);
  FUZZ_CHECK(verified.ok() && *verified == payload,
             "a freshly signed token does not verify to its payload");
  absl::StatusOr<std::string> read = token::ReadUntrustedFooterV4Public(*token);
  FUZZ_CHECK(read.ok() && *read == footer, "footer round trip");
  FUZZ_CHECK(!token::VerifyV4Public(s.key->public_key(), *token,
                                    absl::StrCat(s.binding, "x"))
                  .ok(),
             "verified under another implicit assertion");
  CheckClaims(payload);
  CheckToken(s, *token);
}

}  // namespace
}  // namespace layer_vault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace layer_vault::fuzz;
  const State& s = GetState();
  FuzzInput in(data, size);
  switch (in.TakeByte() % 4) {
    case 0:
      CheckToken(s, in.Rest());
      break;
    case 1:
      SignAndCheck(s, in.Rest(), s.footer);
      break;
    case 2: {
      absl::string_view footer = in.TakeLine();
      SignAndCheck(s, in.Rest(), footer);
      break;
    }
    case 3: {
      absl::string_view text = in.Rest();
      CheckClaims(text);
      CheckBase64(text);
      absl::StatusOr<std::string> kid = layer_vault::token::ParseFooterKeyId(text);
      if (kid.ok()) {
        absl::StatusOr<std::string> footer =
            layer_vault::token::SerializeFooter(*kid);
        FUZZ_CHECK(footer.ok(), "a parsed kid does not serialize");
      }
      absl::StatusOr<absl::Time> t = layer_vault::token::ParseRfc3339(text);
      // FormatRfc3339 is specified for the years claims allow.
      if (t.ok() && *t >= absl::UnixEpoch() &&
          *t < absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0),
                               absl::UTCTimeZone())) {
        absl::StatusOr<absl::Time> again = layer_vault::token::ParseRfc3339(
            layer_vault::token::FormatRfc3339(*t));
        FUZZ_CHECK(again.ok(), "a formatted time does not parse");
        FUZZ_CHECK(*again <= *t && *t - *again < absl::Seconds(1),
                   "RFC 3339 round trip moved the time");
      }
      break;
    }
  }
  return 0;
}
