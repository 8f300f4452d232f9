#include "tests/hostile/forged_tokens.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"
#include "vaultd/store/store.h"
#include "vaultd/token/paseto.h"

namespace layer_vault::tests::hostile {
namespace {

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InternalError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

absl::StatusOr<token::CallerIdentity> ThisProcess() {
  token::CallerIdentity id;
  id.uid = getuid();
  id.gid = getgid();
  id.pid = getpid();
  auto stat = ReadText("/proc/self/stat");
  if (!stat.ok()) return stat.status();
  // Fields after the command name, which ends at the last ')': field 3 is
  // the first of them, field 22 the start time.
  const size_t paren = stat->rfind(')');
  if (paren == std::string::npos) {
    return absl::InternalError("/proc/self/stat has no command name");
  }
  std::vector<std::string> fields =
      absl::StrSplit(stat->substr(paren + 2), ' ', absl::SkipEmpty());
  if (fields.size() < 20 ||
      !absl::SimpleAtoi(fields[22 - 3], &id.process_start_time)) {
    return absl::InternalError("/proc/self/stat has no start time");
  }
  auto boot = ReadText("/proc/sys/kernel/random/boot_id");
  if (!boot.ok()) return boot.status();
  id.boot_id = std::string(absl::StripAsciiWhitespace(*boot));
  return id;
}

absl::StatusOr<std::unique_ptr<token::Keyring>> InstallKeyring(
    relay::VaultdProcess& vaultd, absl::Time created) {
  auto keyring = token::Keyring::Create(created);
  if (!keyring.ok()) return keyring.status();
  if (absl::Status s = vaultd.Stop(); !s.ok()) return s;
  {
    // Released (with its flock) before vaultd opens the store again.
    auto source = store::KeySource::Parse("key-file:" + vaultd.dir() + "/store.key");
    if (!source.ok()) return source.status();
    auto key = store::KeyMaterial::Read(*source, store::KeyEnvironment{});
    if (!key.ok()) return key.status();
    auto opened = store::Store::Open(vaultd.state_dir());
    if (!opened.ok()) return opened.status();
    auto record = (*opened)->Load(*key);
    if (!record.ok()) return record.status();
    record->signing_keys = (*keyring)->Export();
    if (absl::Status s = (*opened)->Save(*record); !s.ok()) return s;
  }
  if (absl::Status s = vaultd.Start(); !s.ok()) return s;
  return keyring;
}

token::Claims ValidClaims(const token::CallerIdentity& caller, absl::Time now) {
  now = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  token::Claims c;
  c.iss = "vaultd";
  c.sub = absl::StrCat(caller.uid);
  c.aud = "layer-relay";
  c.scope = {"layer:read", "layer:generate", "layer:upload"};
  c.iat = now;
  c.nbf = now;
  c.exp = now + absl::Seconds(300);
  c.jti = "HOSTILEtestJTI0000000A";  // 22 chars, canonical base64url
  return c;
}

absl::StatusOr<std::string> MintToken(const token::Keyring& keyring,
                                      absl::string_view payload,
                                      absl::string_view footer,
                                      const token::CallerIdentity& bound_to) {
  const token::Signer signer = keyring.CurrentSigner();
  return token::SignV4Public(*signer.key, payload, footer,
                             token::CallerBinding(bound_to));
}

absl::StatusOr<std::string> MintClaims(const token::Keyring& keyring,
                                       const token::Claims& claims,
                                       const token::CallerIdentity& bound_to) {
  auto payload = token::SerializeClaims(claims);
  if (!payload.ok()) return payload.status();
  auto footer = token::SerializeFooter(keyring.CurrentSigner().kid);
  if (!footer.ok()) return footer.status();
  return MintToken(keyring, *payload, *footer, bound_to);
}

TokenParts SplitToken(const std::string& token) {
  TokenParts parts;
  std::vector<std::string> pieces = absl::StrSplit(token, '.');
  if (pieces.size() >= 2) parts.header = absl::StrCat(pieces[0], ".", pieces[1], ".");
  if (pieces.size() >= 3) parts.body = pieces[2];
  if (pieces.size() >= 4) parts.footer = pieces[3];
  return parts;
}

std::string JoinToken(const TokenParts& parts) {
  std::string token = absl::StrCat(parts.header, parts.body);
  if (!parts.footer.empty()) absl::StrAppend(&token, ".", parts.footer);
  return token;
}

std::string NonCanonical(const std::string& segment) {
  const size_t rem = segment.size() % 4;
  if (rem != 2 && rem != 3) return "";
  const std::string alphabet = kAlphabet;
  const size_t value = alphabet.find(segment.back());
  if (value == std::string::npos) return "";
  // rem 2: 4 unused bits; rem 3: 2 unused bits. Set the lowest one.
  std::string out = segment;
  out.back() = alphabet[value | 1];
  return out;
}

}  // namespace layer_vault::tests::hostile
