#include "vaultd/token/keyring.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "vaultd/crypto/hash.h"
#include "vaultd/token/base64url.h"

namespace layer_vault::token {
namespace {

constexpr absl::string_view kFormat = "layer-vault.token-keyring.v1";
constexpr size_t kKidDigestBytes = 16;
constexpr size_t kMaxKeys = 64;

absl::Status BadExport(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("exported keyring is invalid: ", what));
}

absl::Time WholeSeconds(absl::Time t) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(t));
}

// A minimal strict JSON reader for the exported keyring. It parses in place:
// strings are views into the (locked) input and are never copied, so the
// seed never leaves SecretBytes. It accepts only what Export needs: objects
// (no duplicate keys), arrays, strings of printable ASCII without escapes,
// integers that fit int64, and null; nesting at most kMaxDepth.
class ExportReader {
 public:
  struct Value {
    enum class Kind { kObject, kArray, kString, kInteger, kNull };
    Kind kind = Kind::kNull;
    absl::string_view text;                                    // kString
    int64_t integer = 0;                                       // kInteger
    std::vector<std::pair<absl::string_view, Value>> members;  // kObject
    std::vector<Value> items;                                  // kArray

    const Value* Find(absl::string_view key) const {
      for (const auto& [name, value] : members) {
        if (name == key) return &value;
      }
      return nullptr;
    }
  };

  static absl::StatusOr<Value> Parse(absl::string_view text) {
    ExportReader reader(text);
    Value value;
    if (!reader.ParseValue(0, &value)) return BadExport(reader.error_);
    reader.SkipSpace();
    if (reader.pos_ != text.size()) return BadExport("trailing data");
    return value;
  }

 private:
  static constexpr int kMaxDepth = 3;

  explicit ExportReader(absl::string_view text) : text_(text) {}

  bool Fail(absl::string_view what) {
    error_ = std::string(what);
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool ParseString(absl::string_view* out) {
    if (!Consume('"')) return Fail("expected a string");
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      const char c = text_[pos_];
      if (c < 0x20 || c > 0x7e || c == '\\') {
        return Fail("string with an escape or a non-printable character");
      }
      ++pos_;
    }
    if (pos_ == text_.size()) return Fail("unterminated string");
    *out = text_.substr(start, pos_ - start);
    ++pos_;
    return true;
  }

  bool ParseInteger(int64_t* out) {
    bool negative = false;
    if (text_[pos_] == '-') {
      negative = true;
      ++pos_;
    }
    const size_t start = pos_;
    uint64_t magnitude = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (pos_ - start >= 18) return Fail("integer out of range");
      magnitude = magnitude * 10 + static_cast<uint64_t>(text_[pos_] - '0');
      ++pos_;
    }
    if (pos_ == start) return Fail("malformed number");
    if (pos_ - start > 1 && text_[start] == '0') {
      return Fail("integer with a leading zero");
    }
    *out = negative ? -static_cast<int64_t>(magnitude)
                    : static_cast<int64_t>(magnitude);
    return true;
  }

  bool ParseValue(int depth, Value* out) {
    if (depth > kMaxDepth) return Fail("nested too deeply");
    SkipSpace();
    if (pos_ >= text_.size()) return Fail("unexpected end of input");
    const char c = text_[pos_];
    if (c == '{') {
      ++pos_;
      out->kind = Value::Kind::kObject;
      if (Consume('}')) return true;
      do {
        absl::string_view key;
        if (!ParseString(&key)) return false;
        if (out->Find(key) != nullptr) return Fail("duplicate object key");
        if (!Consume(':')) return Fail("expected ':'");
        Value value;
        if (!ParseValue(depth + 1, &value)) return false;
        out->members.emplace_back(key, std::move(value));
      } while (Consume(','));
      if (!Consume('}')) return Fail("expected ',' or '}'");
      return true;
    }
    if (c == '[') {
      ++pos_;
      out->kind = Value::Kind::kArray;
      if (Consume(']')) return true;
      do {
        if (out->items.size() >= kMaxKeys) return Fail("too many keys");
        Value value;
        if (!ParseValue(depth + 1, &value)) return false;
        out->items.push_back(std::move(value));
      } while (Consume(','));
      if (!Consume(']')) return Fail("expected ',' or ']'");
      return true;
    }
    if (c == '"') {
      out->kind = Value::Kind::kString;
      return ParseString(&out->text);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      out->kind = Value::Kind::kInteger;
      return ParseInteger(&out->integer);
    }
    if (text_.substr(pos_, 4) == "null") {
      pos_ += 4;
      out->kind = Value::Kind::kNull;
      return true;
    }
    return Fail("unexpected character");
  }

  absl::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

using Value = ExportReader::Value;

// Reads member `key` of `object` as a string.
absl::Status GetString(const Value& object, absl::string_view key,
                       absl::string_view* out) {
  const Value* value = object.Find(key);
  if (value == nullptr || value->kind != Value::Kind::kString) {
    return BadExport(absl::StrCat("key entry needs string '", key, "'"));
  }
  *out = value->text;
  return absl::OkStatus();
}

absl::Status GetTime(const Value& object, absl::string_view key,
                     absl::Time* out) {
  const Value* value = object.Find(key);
  if (value == nullptr || value->kind != Value::Kind::kInteger ||
      value->integer < 0) {
    return BadExport(
        absl::StrCat("key entry needs non-negative integer '", key, "'"));
  }
  *out = absl::FromUnixSeconds(value->integer);
  return absl::OkStatus();
}

// Appends the pieces of the export text; secret pieces are views into
// SecretBytes kept alive by the caller.
class PieceWriter {
 public:
  void Add(std::string piece) {
    owned_.push_back(std::move(piece));
    order_.push_back({static_cast<ptrdiff_t>(owned_.size()) - 1, {}});
  }
  void AddSecret(absl::string_view secret) { order_.push_back({-1, secret}); }

  crypto::SecretBytes Finish() const {
    size_t total = 0;
    for (const auto& [index, view] : order_) {
      total += index >= 0 ? owned_[index].size() : view.size();
    }
    crypto::SecretBytes out(total);
    uint8_t* p = out.UnsafeMutableData();
    for (const auto& [index, view] : order_) {
      const absl::string_view piece =
          index >= 0 ? absl::string_view(owned_[index]) : view;
      if (!piece.empty()) std::memcpy(p, piece.data(), piece.size());
      p += piece.size();
    }
    return out;
  }

 private:
  std::vector<std::string> owned_;
  std::vector<std::pair<ptrdiff_t, absl::string_view>> order_;
};

absl::Status CheckOptions(const KeyringOptions& options) {
  if (options.rotation_period <= absl::ZeroDuration() ||
      options.max_token_ttl <= absl::ZeroDuration() ||
      options.leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "keyring options: rotation period and max token TTL must be "
        "positive, leeway non-negative");
  }
  return absl::OkStatus();
}

}  // namespace

std::string KeyIdFor(const crypto::Ed25519PublicKey& key) {
  return Base64UrlEncode(
      crypto::Sha256(key.bytes()).substr(0, kKidDigestBytes));
}

Keyring::Entry Keyring::NewEntry(std::unique_ptr<crypto::Ed25519PrivateKey> key,
                                 absl::Time created) {
  crypto::Ed25519PublicKey public_key = key->public_key();
  return Entry{KeyIdFor(public_key), std::move(public_key),
               std::shared_ptr<const crypto::Ed25519PrivateKey>(std::move(key)),
               WholeSeconds(created), std::nullopt};
}

absl::StatusOr<std::unique_ptr<Keyring>> Keyring::Create(
    absl::Time now, KeyringOptions options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  return std::unique_ptr<Keyring>(new Keyring(
      options, NewEntry(crypto::Ed25519PrivateKey::Generate(), now)));
}

absl::StatusOr<std::unique_ptr<Keyring>> Keyring::Import(
    const crypto::SecretBytes& exported, absl::Time now,
    KeyringOptions options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;

  absl::StatusOr<Value> root = ExportReader::Parse(exported.UnsafeView());
  if (!root.ok()) return root.status();
  if (root->kind != Value::Kind::kObject || root->members.size() != 2) {
    return BadExport("top level must be an object with 'format' and 'keys'");
  }
  const Value* format = root->Find("format");
  if (format == nullptr || format->kind != Value::Kind::kString ||
      format->text != kFormat) {
    return BadExport("unknown format");
  }
  const Value* keys = root->Find("keys");
  if (keys == nullptr || keys->kind != Value::Kind::kArray) {
    return BadExport("'keys' must be an array");
  }

  std::optional<Entry> current;
  std::vector<Entry> retired;
  for (const Value& item : keys->items) {
    if (item.kind != Value::Kind::kObject) {
      return BadExport("key entry must be an object");
    }
    for (const auto& [name, unused] : item.members) {
      if (name != "kid" && name != "public_key" && name != "created" &&
          name != "retired" && name != "seed") {
        return BadExport("key entry has an unknown field");
      }
    }
    absl::string_view kid, public_b64;
    absl::Time created;
    if (absl::Status s = GetString(item, "kid", &kid); !s.ok()) return s;
    if (absl::Status s = GetString(item, "public_key", &public_b64); !s.ok()) {
      return s;
    }
    if (absl::Status s = GetTime(item, "created", &created); !s.ok()) return s;
    absl::StatusOr<std::string> public_raw = Base64UrlDecode(public_b64);
    if (!public_raw.ok()) return BadExport("'public_key' is not base64url");
    absl::StatusOr<crypto::Ed25519PublicKey> public_key =
        crypto::Ed25519PublicKey::FromBytes(*public_raw);
    if (!public_key.ok()) return BadExport("'public_key' is not Ed25519");
    if (KeyIdFor(*public_key) != kid) {
      return BadExport("'kid' does not match the public key");
    }
    const bool has_seed = item.Find("seed") != nullptr;
    const bool has_retired = item.Find("retired") != nullptr;
    if (has_seed == has_retired) {
      return BadExport(
          "a key entry needs exactly one of 'seed' (current) or 'retired'");
    }
    if (has_seed) {
      if (current.has_value()) return BadExport("more than one current key");
      absl::string_view seed_b64;
      if (absl::Status s = GetString(item, "seed", &seed_b64); !s.ok()) {
        return s;
      }
      absl::StatusOr<crypto::SecretBytes> seed =
          Base64UrlDecodeSecret(seed_b64);
      if (!seed.ok()) return BadExport("'seed' is not base64url");
      absl::StatusOr<std::unique_ptr<crypto::Ed25519PrivateKey>> key =
          crypto::Ed25519PrivateKey::FromSeed(*seed);
      if (!key.ok()) return BadExport("'seed' is not an Ed25519 seed");
      if ((*key)->public_key().bytes() != public_key->bytes()) {
        return BadExport("'seed' does not match 'public_key'");
      }
      current = NewEntry(*std::move(key), created);
    } else {
      absl::Time retired_at;
      if (absl::Status s = GetTime(item, "retired", &retired_at); !s.ok()) {
        return s;
      }
      if (retired_at < created) return BadExport("'retired' before 'created'");
      retired.push_back(Entry{std::string(kid), *std::move(public_key), nullptr,
                              created, retired_at});
    }
  }
  if (!current.has_value()) return BadExport("no current key");
  for (const Entry& entry : retired) {
    if (entry.kid == current->kid) return BadExport("duplicate kid");
  }
  std::sort(retired.begin(), retired.end(), [](const Entry& a, const Entry& b) {
    return *a.retired > *b.retired;
  });
  for (size_t i = 1; i < retired.size(); ++i) {
    if (retired[i].kid == retired[i - 1].kid) {
      return BadExport("duplicate kid");
    }
  }
  auto keyring =
      std::unique_ptr<Keyring>(new Keyring(options, *std::move(current)));
  {
    absl::MutexLock lock(&keyring->mu_);
    keyring->retired_ = std::move(retired);
    keyring->PruneLocked(now);
  }
  return keyring;
}

crypto::SecretBytes Keyring::Export() const {
  absl::MutexLock lock(&mu_);
  PieceWriter writer;
  const crypto::SecretBytes seed_b64 =
      Base64UrlEncodeSecret(current_.private_key->UnsafeSeed());
  writer.Add(absl::StrCat("{\"format\":\"", kFormat, "\",\"keys\":["));
  writer.Add(absl::StrCat(
      "{\"kid\":\"", current_.kid, "\",\"public_key\":\"",
      Base64UrlEncode(current_.public_key.bytes()), "\",\"created\":",
      absl::ToUnixSeconds(current_.created), ",\"seed\":\""));
  writer.AddSecret(seed_b64.UnsafeView());
  writer.Add("\"}");
  for (const Entry& entry : retired_) {
    writer.Add(absl::StrCat(
        ",{\"kid\":\"", entry.kid, "\",\"public_key\":\"",
        Base64UrlEncode(entry.public_key.bytes()),
        "\",\"created\":", absl::ToUnixSeconds(entry.created),
        ",\"retired\":", absl::ToUnixSeconds(*entry.retired), "}"));
  }
  writer.Add("]}");
  return writer.Finish();
}

Signer Keyring::CurrentSigner() const {
  absl::MutexLock lock(&mu_);
  return Signer{current_.kid, current_.private_key, current_.created};
}

Rotation Keyring::RotateLocked(absl::Time now) {
  Entry next = NewEntry(crypto::Ed25519PrivateKey::Generate(), now);
  Rotation rotation{next.kid, current_.kid};
  Entry previous = std::exchange(current_, std::move(next));
  previous.private_key.reset();  // a retired key never signs again
  previous.retired = WholeSeconds(now);
  retired_.insert(retired_.begin(), std::move(previous));
  PruneLocked(now);
  return rotation;
}

Rotation Keyring::Rotate(absl::Time now) {
  absl::MutexLock lock(&mu_);
  return RotateLocked(now);
}

std::optional<Rotation> Keyring::MaybeRotate(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (now - current_.created < options_.rotation_period) {
    PruneLocked(now);
    return std::nullopt;
  }
  return RotateLocked(now);
}

void Keyring::Prune(absl::Time now) {
  absl::MutexLock lock(&mu_);
  PruneLocked(now);
}

void Keyring::PruneLocked(absl::Time now) {
  retired_.erase(std::remove_if(retired_.begin(), retired_.end(),
                                [&](const Entry& entry) {
                                  return now > NotAfter(entry, now);
                                }),
                 retired_.end());
}

absl::Time Keyring::NotAfter(const Entry& entry, absl::Time now) const {
  const absl::Time end =
      entry.retired.has_value()
          ? *entry.retired
          : std::max(entry.created + options_.rotation_period, now);
  return end + options_.max_token_ttl + options_.leeway;
}

VerificationKeyInfo Keyring::Info(const Entry& entry, absl::Time now) const {
  return VerificationKeyInfo{entry.kid,
                             entry.public_key,
                             entry.created,
                             entry.retired,
                             entry.created,
                             NotAfter(entry, now),
                             !entry.retired.has_value()};
}

absl::StatusOr<VerificationKeyInfo> Keyring::FindVerificationKey(
    absl::string_view kid, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  if (current_.kid == kid) return Info(current_, now);
  for (const Entry& entry : retired_) {
    if (entry.kid == kid && now <= NotAfter(entry, now)) {
      return Info(entry, now);
    }
  }
  return absl::NotFoundError("unknown or expired signing key id");
}

std::vector<VerificationKeyInfo> Keyring::VerificationKeys(
    absl::Time now) const {
  absl::MutexLock lock(&mu_);
  std::vector<VerificationKeyInfo> keys;
  keys.push_back(Info(current_, now));
  for (const Entry& entry : retired_) {
    if (now <= NotAfter(entry, now)) keys.push_back(Info(entry, now));
  }
  return keys;
}

}  // namespace layer_vault::token
