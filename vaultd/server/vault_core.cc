#include "vaultd/server/vault_core.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "vaultd/store/atomic_file.h"

namespace layer_vault::server {
namespace {

constexpr char kRevocationsFile[] = "revocations.json";
constexpr char kRevocationsFormat[] = "layer-vault.revocations.v1";
constexpr size_t kMaxRevocationsFileSize = 4 << 20;

absl::Status Sealed() { return absl::FailedPreconditionError(kSealedMessage); }

}  // namespace

absl::StatusOr<std::unique_ptr<VaultCore>> VaultCore::Open(
    CoreOptions options, const common::Clock& clock) {
  auto store = store::Store::Open(options.state_dir, options.store_options);
  if (!store.ok()) return store.status();
  int dir_fd = open(options.state_dir.c_str(),
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dir_fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open ", options.state_dir,
                                            ": ", std::strerror(errno)));
  }
  return std::unique_ptr<VaultCore>(
      new VaultCore(std::move(options), clock, *std::move(store), dir_fd));
}

VaultCore::VaultCore(CoreOptions options, const common::Clock& clock,
                     std::unique_ptr<store::Store> store, int state_dir_fd)
    : options_(std::move(options)),
      clock_(clock),
      state_dir_fd_(state_dir_fd),
      store_(std::move(store)) {}

bool VaultCore::sealed() const {
  absl::MutexLock lock(&mu_);
  return tokens_ == nullptr;
}

bool VaultCore::uses_passphrase() const {
  absl::MutexLock lock(&mu_);
  return store_->header().key_source.kind() ==
         store::KeySourceKind::kPassphrase;
}

absl::Status VaultCore::UnsealFromKeySource() {
  absl::MutexLock lock(&mu_);
  if (tokens_ != nullptr) return absl::OkStatus();
  if (options_.key_source.kind() == store::KeySourceKind::kPassphrase) {
    return absl::FailedPreconditionError(
        "the store is protected by a passphrase: run vaultctl unlock");
  }
  auto key = store::KeyMaterial::Read(options_.key_source,
                                      options_.key_environment);
  if (!key.ok()) return key.status();
  return UnsealLocked(*key);
}

absl::Status VaultCore::Unlock(crypto::SecretBytes passphrase) {
  absl::MutexLock lock(&mu_);
  if (tokens_ != nullptr) {
    return absl::FailedPreconditionError("vaultd is already unlocked");
  }
  if (store_->header().key_source.kind() !=
      store::KeySourceKind::kPassphrase) {
    // After a Lock, a key-file or systemd-credential store is unsealed again
    // from its own key source; the passphrase field is ignored.
    if (options_.key_source.kind() == store::KeySourceKind::kPassphrase) {
      return absl::FailedPreconditionError(
          "vaultd was started with a passphrase key source but the store "
          "uses another one; fix --key_source");
    }
    auto key = store::KeyMaterial::Read(options_.key_source,
                                        options_.key_environment);
    if (!key.ok()) return key.status();
    return UnsealLocked(*key);
  }
  return UnsealLocked(store::KeyMaterial::FromPassphrase(std::move(passphrase)));
}

absl::Status VaultCore::UnsealLocked(const store::KeyMaterial& key) {
  auto record = store_->Load(key);
  if (!record.ok()) return record.status();
  auto owned = std::make_unique<store::Record>(*std::move(record));
  const absl::Time now = clock_.Now();

  std::unique_ptr<token::Keyring> keyring;
  bool fresh_keys = owned->signing_keys.empty();
  if (fresh_keys) {
    auto created = token::Keyring::Create(now, options_.keyring_options);
    if (!created.ok()) return created.status();
    keyring = *std::move(created);
  } else {
    auto imported = token::Keyring::Import(owned->signing_keys, now,
                                           options_.keyring_options);
    if (!imported.ok()) {
      store_->Lock();
      return absl::DataLossError(absl::StrCat(
          "the store's signing keys are unreadable: ",
          imported.status().message()));
    }
    keyring = *std::move(imported);
  }
  auto tokens =
      token::TokenService::Create(std::move(keyring), options_.token_options);
  if (!tokens.ok()) {
    store_->Lock();
    return tokens.status();
  }
  record_ = std::move(owned);
  tokens_ = std::shared_ptr<token::TokenService>(*std::move(tokens));
  if (absl::Status s = LoadRevocationsLocked(); !s.ok()) {
    SealLocked();
    return s;
  }
  if (fresh_keys) {
    if (absl::Status s = PersistRecordLocked(); !s.ok()) {
      SealLocked();
      return s;
    }
  }
  credential_ = CredentialFromRecordLocked();
  return absl::OkStatus();
}

void VaultCore::Lock() {
  absl::MutexLock lock(&mu_);
  SealLocked();
}

void VaultCore::SealLocked() {
  record_.reset();
  tokens_.reset();
  credential_.reset();
  revoked_.clear();
  revocation_epoch_ = absl::InfinitePast();
  store_->Lock();
}

std::shared_ptr<const Credential> VaultCore::CredentialFromRecordLocked()
    const {
  if (record_ == nullptr || record_->pat.empty()) return nullptr;
  auto c = std::make_shared<Credential>();
  c->pat = record_->pat.Clone();
  c->workspace_id = record_->workspace_id;
  c->fingerprint = store::FingerprintOf(record_->pat);
  c->rotated_at = record_->rotated_at.value_or(absl::UnixEpoch());
  c->rotation_due = record_->rotation_due.value_or(absl::UnixEpoch());
  return c;
}

absl::StatusOr<std::shared_ptr<token::TokenService>> VaultCore::Tokens()
    const {
  absl::MutexLock lock(&mu_);
  if (tokens_ == nullptr) return Sealed();
  return tokens_;
}

absl::StatusOr<token::IssuedToken> VaultCore::IssueToken(
    const token::CallerIdentity& caller, const token::IssueRequest& request) {
  auto tokens = Tokens();
  if (!tokens.ok()) return tokens.status();
  auto issued = (*tokens)->Issue(caller, request, clock_.Now());
  if (issued.ok()) tokens_issued_.fetch_add(1, std::memory_order_relaxed);
  return issued;
}

absl::StatusOr<token::VerifiedToken> VaultCore::VerifyToken(
    absl::string_view token, const token::CallerIdentity& caller,
    absl::string_view required_scope) const {
  auto tokens = Tokens();
  if (!tokens.ok()) return tokens.status();
  return (*tokens)->Verify(token, caller, required_scope, clock_.Now());
}

absl::StatusOr<std::vector<token::VerificationKeyInfo>>
VaultCore::VerificationKeys() const {
  auto tokens = Tokens();
  if (!tokens.ok()) return tokens.status();
  return (*tokens)->keyring().VerificationKeys(clock_.Now());
}

absl::StatusOr<std::shared_ptr<const Credential>> VaultCore::CurrentCredential()
    const {
  absl::MutexLock lock(&mu_);
  if (tokens_ == nullptr) return Sealed();
  if (credential_ == nullptr) {
    return absl::FailedPreconditionError(
        "no Layer.ai token stored: run vaultctl set-token");
  }
  return credential_;
}

absl::StatusOr<std::shared_ptr<const Credential>> VaultCore::SetCredential(
    crypto::SecretBytes pat, const std::string& workspace_id, bool rotate,
    const PatVerifier& verifier) {
  if (absl::Status s = store::ValidatePat(pat.UnsafeView()); !s.ok()) return s;
  if (!workspace_id.empty()) {
    if (absl::Status s = store::ValidateWorkspaceId(workspace_id); !s.ok()) {
      return s;
    }
  }
  {
    absl::MutexLock lock(&mu_);
    if (tokens_ == nullptr) return Sealed();
    if (rotate && credential_ == nullptr) {
      return absl::FailedPreconditionError(
          "no Layer.ai token stored to rotate: use vaultctl set-token");
    }
  }
  // The check may take a network round trip: run it without the lock.
  if (verifier) {
    if (absl::Status s = verifier(pat); !s.ok()) return s;
  }
  absl::MutexLock lock(&mu_);
  if (tokens_ == nullptr) return Sealed();
  store::Record updated = record_->Clone();
  if (absl::Status s = store::SetToken(updated, std::move(pat), clock_.Now(),
                                       options_.pat_rotation_period);
      !s.ok()) {
    return s;
  }
  if (!workspace_id.empty()) updated.workspace_id = workspace_id;
  updated.signing_keys = tokens_->keyring().Export();
  if (absl::Status s = store_->Save(updated); !s.ok()) return s;
  *record_ = std::move(updated);
  credential_ = CredentialFromRecordLocked();
  return credential_;
}

absl::Status VaultCore::PersistRecordLocked() {
  record_->signing_keys = tokens_->keyring().Export();
  return store_->Save(*record_);
}

absl::Status VaultCore::RevokeToken(absl::string_view jti) {
  absl::MutexLock lock(&mu_);
  if (tokens_ == nullptr) return Sealed();
  const absl::Time now = clock_.Now();
  if (absl::Status s = tokens_->RevokeJti(jti, now); !s.ok()) return s;
  revoked_.emplace_back(std::string(jti), now);
  tokens_revoked_.fetch_add(1, std::memory_order_relaxed);
  return PersistRevocationsLocked();
}

absl::StatusOr<absl::Time> VaultCore::RevokeAll() {
  absl::MutexLock lock(&mu_);
  if (tokens_ == nullptr) return Sealed();
  revocation_epoch_ = tokens_->RevokeAll(clock_.Now());
  if (absl::Status s = PersistRevocationsLocked(); !s.ok()) return s;
  return revocation_epoch_;
}

absl::StatusOr<token::Rotation> VaultCore::RotateSigningKey() {
  absl::MutexLock lock(&mu_);
  if (tokens_ == nullptr) return Sealed();
  token::Rotation rotation = tokens_->keyring().Rotate(clock_.Now());
  if (absl::Status s = PersistRecordLocked(); !s.ok()) return s;
  return rotation;
}

absl::Status VaultCore::Maintenance() {
  absl::MutexLock lock(&mu_);
  if (tokens_ == nullptr) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  std::optional<token::Rotation> rotated = tokens_->keyring().MaybeRotate(now);
  tokens_->Prune(now);
  size_t before = revoked_.size();
  PruneRevokedLocked(now);
  absl::Status status;
  if (rotated.has_value()) status.Update(PersistRecordLocked());
  if (revoked_.size() != before) status.Update(PersistRevocationsLocked());
  return status;
}

void VaultCore::PruneRevokedLocked(absl::Time now) {
  const absl::Duration keep =
      options_.token_options.max_ttl + options_.token_options.leeway;
  std::vector<std::pair<std::string, absl::Time>> kept;
  for (auto& entry : revoked_) {
    if (entry.second + keep >= now) kept.push_back(std::move(entry));
  }
  revoked_ = std::move(kept);
}

absl::Status VaultCore::PersistRevocationsLocked() {
  nlohmann::json doc;
  doc["format"] = kRevocationsFormat;
  doc["epoch"] = revocation_epoch_ == absl::InfinitePast()
                     ? nlohmann::json(nullptr)
                     : nlohmann::json(absl::ToUnixSeconds(revocation_epoch_));
  doc["revoked"] = nlohmann::json::array();
  for (const auto& [jti, at] : revoked_) {
    doc["revoked"].push_back(
        {{"jti", jti}, {"revoked_at", absl::ToUnixSeconds(at)}});
  }
  return store::WriteFileAtomically(store::FileOps::Default(), state_dir_fd_,
                                    options_.state_dir, kRevocationsFile,
                                    doc.dump());
}

absl::Status VaultCore::LoadRevocationsLocked() {
  revoked_.clear();
  int fd = openat(state_dir_fd_, kRevocationsFile,
                  O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("cannot open ", kRevocationsFile,
                                            ": ", std::strerror(errno)));
  }
  std::string text;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxRevocationsFileSize) break;
  }
  close(fd);
  auto bad = [](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(
        kRevocationsFile, " is malformed (", why,
        "); refusing to start without the revocation list"));
  };
  if (n < 0) return bad("read error");
  if (text.size() > kMaxRevocationsFileSize) return bad("too large");
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() ||
      doc.value("format", "") != kRevocationsFormat) {
    return bad("not a revocation list");
  }
  const absl::Time now = clock_.Now();
  if (doc.contains("epoch") && doc["epoch"].is_number_integer()) {
    revocation_epoch_ = absl::FromUnixSeconds(doc["epoch"].get<int64_t>());
    tokens_->RestoreRevocationEpoch(revocation_epoch_);
  } else if (doc.contains("epoch") && !doc["epoch"].is_null()) {
    return bad("epoch");
  }
  if (!doc.contains("revoked") || !doc["revoked"].is_array()) {
    return bad("revoked");
  }
  for (const auto& entry : doc["revoked"]) {
    if (!entry.is_object() || !entry.contains("jti") ||
        !entry["jti"].is_string() || !entry.contains("revoked_at") ||
        !entry["revoked_at"].is_number_integer()) {
      return bad("entry");
    }
    std::string jti = entry["jti"].get<std::string>();
    absl::Time at = absl::FromUnixSeconds(entry["revoked_at"].get<int64_t>());
    if (absl::Status s = tokens_->RevokeJti(jti, at); !s.ok()) {
      return bad("jti");
    }
    revoked_.emplace_back(std::move(jti), at);
  }
  tokens_->Prune(now);
  PruneRevokedLocked(now);
  return absl::OkStatus();
}

CoreStatus VaultCore::Status() const {
  CoreStatus s;
  absl::MutexLock lock(&mu_);
  s.sealed = tokens_ == nullptr;
  s.key_source = std::string(store_->header().key_source.kind_name());
  s.tokens_issued = tokens_issued_.load(std::memory_order_relaxed);
  s.tokens_revoked = tokens_revoked_.load(std::memory_order_relaxed);
  if (record_ != nullptr) s.created_at = record_->created_at;
  if (credential_ != nullptr) {
    s.credential_present = true;
    s.fingerprint = credential_->fingerprint.ToString();
    s.workspace_id = credential_->workspace_id;
    s.rotated_at = credential_->rotated_at;
    s.rotation_due = credential_->rotation_due;
  }
  if (tokens_ != nullptr) {
    for (const auto& key : tokens_->keyring().VerificationKeys(clock_.Now())) {
      s.signing_key_ids.push_back(key.kid);
    }
  }
  return s;
}

}  // namespace layer_vault::server
