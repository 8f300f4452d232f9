#include "vaultd/token/token_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "vaultd/crypto/random.h"
#include "vaultd/token/base64url.h"
#include "vaultd/token/pae.h"
#include "vaultd/token/paseto.h"

namespace layer_vault::token {
namespace {

constexpr absl::string_view kBindingLabel = "layer-vault.caller-binding.v1";

absl::Status Unauthenticated(absl::string_view what) {
  return absl::UnauthenticatedError(std::string(what));
}

absl::Time FloorSeconds(absl::Time t) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(t));
}

absl::Time CeilSeconds(absl::Time t) {
  const absl::Time floor = FloorSeconds(t);
  return floor == t ? t : floor + absl::Seconds(1);
}

}  // namespace

std::string CallerBinding(const CallerIdentity& caller) {
  const std::string uid = absl::StrCat(caller.uid);
  const std::string pid = absl::StrCat(caller.pid);
  const std::string start = absl::StrCat(caller.process_start_time);
  const absl::string_view pieces[] = {kBindingLabel, caller.boot_id, uid, pid,
                                      start};
  return Pae(pieces);
}

absl::StatusOr<std::string> ReadUntrustedKeyId(absl::string_view token) {
  if (token.size() > kMaxTokenSize) return Unauthenticated("token too large");
  absl::StatusOr<std::string> footer = ReadUntrustedFooterV4Public(token);
  if (!footer.ok()) return footer.status();
  absl::StatusOr<std::string> kid = ParseFooterKeyId(*footer);
  if (!kid.ok()) {
    return Unauthenticated(
        absl::StrCat("malformed token footer: ", kid.status().message()));
  }
  return kid;
}

absl::StatusOr<std::unique_ptr<TokenService>> TokenService::Create(
    std::unique_ptr<Keyring> keyring, TokenServiceOptions options) {
  if (keyring == nullptr) {
    return absl::InvalidArgumentError("token service needs a keyring");
  }
  if (options.issuer.empty() || options.audience.empty()) {
    return absl::InvalidArgumentError(
        "token service: issuer and audience must be set");
  }
  if (options.default_ttl < absl::Seconds(1) ||
      options.max_ttl < options.default_ttl ||
      options.leeway < absl::ZeroDuration() ||
      absl::Trunc(options.default_ttl, absl::Seconds(1)) !=
          options.default_ttl ||
      absl::Trunc(options.max_ttl, absl::Seconds(1)) != options.max_ttl) {
    return absl::InvalidArgumentError(
        "token service: need whole seconds 1s <= default_ttl <= max_ttl, "
        "leeway >= 0");
  }
  if (options.max_ttl > keyring->options().max_token_ttl ||
      options.leeway > keyring->options().leeway) {
    return absl::InvalidArgumentError(
        "token service: max_ttl and leeway must not exceed the keyring's "
        "(retired keys would be dropped while their tokens still verify)");
  }
  Claims probe;
  probe.iss = options.issuer;
  probe.aud = options.audience;
  probe.sub = "0";
  probe.scope = {"probe"};
  probe.jti = std::string(kJtiLength, 'A');
  probe.iat = probe.nbf = absl::UnixEpoch();
  probe.exp = probe.iat + options.max_ttl;
  if (absl::Status s = ValidateClaims(probe); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("token service options: ", s.message()));
  }
  return std::unique_ptr<TokenService>(
      new TokenService(std::move(keyring), std::move(options)));
}

absl::StatusOr<IssuedToken> TokenService::Issue(const CallerIdentity& caller,
                                                const IssueRequest& request,
                                                absl::Time now) const {
  if (caller.pid <= 0) {
    return absl::InvalidArgumentError("caller identity has no pid");
  }
  if (!request.audience.empty() && request.audience != options_.audience) {
    return absl::InvalidArgumentError(
        absl::StrCat("audience must be empty or \"", options_.audience, "\""));
  }
  absl::Duration ttl = absl::Trunc(request.ttl, absl::Seconds(1));
  if (ttl <= absl::ZeroDuration()) ttl = options_.default_ttl;
  ttl = std::min(ttl, options_.max_ttl);

  Claims claims;
  claims.iss = options_.issuer;
  claims.sub = absl::StrCat(caller.uid);
  claims.aud = options_.audience;
  claims.scope = request.scopes;
  claims.iat = FloorSeconds(now);
  {
    // Right after RevokeAll the epoch is the next whole second: a token
    // issued before it would be born revoked. Date it at the epoch instead
    // (less than a second ahead, well within the leeway).
    absl::ReaderMutexLock lock(&mu_);
    if (claims.iat < revocation_epoch_) claims.iat = revocation_epoch_;
  }
  claims.nbf = claims.iat;
  claims.exp = claims.iat + ttl;
  claims.jti = Base64UrlEncode(crypto::RandomBytes(kJtiBytes));
  absl::StatusOr<std::string> payload = SerializeClaims(claims);
  if (!payload.ok()) return payload.status();  // INVALID_ARGUMENT: scopes

  const Signer signer = keyring_->CurrentSigner();
  absl::StatusOr<std::string> footer = SerializeFooter(signer.kid);
  if (!footer.ok()) return absl::InternalError("signing key id is invalid");
  absl::StatusOr<std::string> token =
      SignV4Public(*signer.key, *payload, *footer, CallerBinding(caller));
  if (!token.ok()) return absl::InternalError("token signing failed");

  return IssuedToken{*std::move(token), claims.jti, signer.kid,
                     claims.scope,      claims.iat, claims.exp};
}

absl::StatusOr<VerifiedToken> TokenService::Verify(
    absl::string_view token, const CallerIdentity& caller,
    absl::string_view required_scope, absl::Time now) const {
  absl::StatusOr<std::string> kid = ReadUntrustedKeyId(token);
  if (!kid.ok()) return kid.status();
  absl::StatusOr<VerificationKeyInfo> key =
      keyring_->FindVerificationKey(*kid, now);
  if (!key.ok()) {
    return Unauthenticated("token signed by an unknown or expired key");
  }
  absl::StatusOr<std::string> expected_footer = SerializeFooter(*kid);
  if (!expected_footer.ok()) {
    return Unauthenticated("malformed token footer");
  }
  absl::StatusOr<std::string> payload = VerifyV4Public(
      key->public_key, token, CallerBinding(caller), *expected_footer);
  if (!payload.ok()) {
    if (payload.status().message() == kBadSignatureMessage) {
      return Unauthenticated(
          "token signature is invalid (tampered, or issued to another "
          "caller: uid, pid or process start time differ)");
    }
    return payload.status();
  }

  // Signed by us for this caller: the claims can now be trusted as data.
  absl::StatusOr<Claims> claims = ParseClaims(*payload);
  if (!claims.ok()) {
    return Unauthenticated(
        absl::StrCat("malformed token claims: ", claims.status().message()));
  }
  const Claims& c = *claims;
  const absl::Duration leeway = options_.leeway;
  if (c.iss != options_.issuer) return Unauthenticated("token issuer is wrong");
  if (c.aud != options_.audience) {
    return Unauthenticated("token audience is wrong");
  }
  if (c.sub != absl::StrCat(caller.uid)) {
    return Unauthenticated("token subject is not the calling uid");
  }
  if (c.exp - c.iat > options_.max_ttl) {
    return Unauthenticated("token lifetime exceeds the maximum");
  }
  if (c.iat < key->not_before - leeway ||
      (key->retired.has_value() && c.iat > *key->retired + leeway)) {
    return Unauthenticated("token issued outside its signing key's lifetime");
  }
  if (now > c.exp + leeway) return Unauthenticated("token expired");
  if (now < c.nbf - leeway) return Unauthenticated("token not yet valid");
  // iat <= nbf (ValidateClaims), so iat is not in the future beyond leeway.
  {
    absl::ReaderMutexLock lock(&mu_);
    if (c.iat < revocation_epoch_) {
      return Unauthenticated(
          "token revoked (all tokens issued before "
          "the revocation epoch)");
    }
    if (revoked_jtis_.contains(c.jti)) return Unauthenticated("token revoked");
  }
  if (!required_scope.empty() && std::find(c.scope.begin(), c.scope.end(),
                                           required_scope) == c.scope.end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "token lacks the required scope \"", required_scope, "\""));
  }
  return VerifiedToken{*std::move(claims), *std::move(kid)};
}

absl::Status TokenService::RevokeJti(absl::string_view jti, absl::Time now) {
  if (!IsValidJti(jti)) {
    return absl::InvalidArgumentError(
        "jti must be 22 characters of unpadded base64url");
  }
  const absl::Time forget_after = now + options_.max_ttl + options_.leeway;
  absl::MutexLock lock(&mu_);
  PruneLocked(now);
  absl::Time& until = revoked_jtis_[std::string(jti)];
  until = std::max(until, forget_after);
  return absl::OkStatus();
}

absl::Time TokenService::RevokeAll(absl::Time now) {
  absl::MutexLock lock(&mu_);
  revocation_epoch_ = std::max(revocation_epoch_, CeilSeconds(now));
  return revocation_epoch_;
}

void TokenService::RestoreRevocationEpoch(absl::Time epoch) {
  absl::MutexLock lock(&mu_);
  revocation_epoch_ = std::max(revocation_epoch_, epoch);
}

absl::Time TokenService::revocation_epoch() const {
  absl::ReaderMutexLock lock(&mu_);
  return revocation_epoch_;
}

void TokenService::Prune(absl::Time now) {
  {
    absl::MutexLock lock(&mu_);
    PruneLocked(now);
  }
  keyring_->Prune(now);
}

void TokenService::PruneLocked(absl::Time now) {
  absl::erase_if(revoked_jtis_,
                 [now](const auto& entry) { return now > entry.second; });
}

size_t TokenService::revoked_jti_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return revoked_jtis_.size();
}

}  // namespace layer_vault::token
