#include "vaultd/store/record.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "vaultd/crypto/hash.h"

namespace layer_vault::store {
namespace {

// Field tags of the record plaintext (FORMAT.md). Never renumber.
enum Tag : uint8_t {
  kTagPat = 1,
  kTagWorkspaceId = 2,
  kTagCreatedAt = 3,
  kTagRotatedAt = 4,
  kTagRotationDue = 5,
  kTagLabel = 6,
  kTagSigningKeys = 7,
  kTagEnd = 0xff,  // last field, empty: a cut record never parses
};

constexpr size_t kFieldHeaderSize = 1 + 4;
constexpr size_t kMaxLabels = 64;
constexpr size_t kMaxLabelKey = 64;
constexpr size_t kMaxLabelValue = 256;
constexpr size_t kMaxSigningKeys = 64 * 1024;
constexpr size_t kMinPat = 32;
constexpr size_t kMaxPat = 512;

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

absl::Status ValidateLabel(const std::string& key, const std::string& value) {
  if (key.empty() || key.size() > kMaxLabelKey) {
    return absl::InvalidArgumentError("label keys have 1 to 64 characters");
  }
  for (char c : key) {
    if (!IsTokenChar(c) && c != '.') {
      return absl::InvalidArgumentError(
          "label keys use only [A-Za-z0-9_.-]");
    }
  }
  if (value.size() > kMaxLabelValue) {
    return absl::InvalidArgumentError(
        absl::StrCat("label '", key, "' is longer than 256 bytes"));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("label '", key, "' contains a control character"));
    }
  }
  return absl::OkStatus();
}

// Writes fields into a pre-sized SecretBytes.
class Writer {
 public:
  explicit Writer(crypto::SecretBytes& out) : out_(out) {}

  void Field(uint8_t tag, absl::string_view a, absl::string_view b = {}) {
    uint32_t len = static_cast<uint32_t>(a.size() + b.size());
    uint8_t header[kFieldHeaderSize] = {
        tag, static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
        static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
    Put(absl::string_view(reinterpret_cast<char*>(header), sizeof(header)));
    Put(a);
    Put(b);
  }
  void Time(uint8_t tag, absl::Time t) {
    uint64_t v = static_cast<uint64_t>(absl::ToUnixSeconds(t));
    char buf[8];
    for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (56 - 8 * i));
    Field(tag, absl::string_view(buf, sizeof(buf)));
  }
  void Label(const std::string& key, const std::string& value) {
    char len[2] = {static_cast<char>(key.size() >> 8),
                   static_cast<char>(key.size())};
    std::string prefix(len, sizeof(len));
    prefix += key;
    Field(kTagLabel, prefix, value);
  }
  size_t written() const { return pos_; }

 private:
  void Put(absl::string_view s) {
    if (s.empty()) return;
    std::memcpy(out_.UnsafeMutableData() + pos_, s.data(), s.size());
    pos_ += s.size();
  }
  crypto::SecretBytes& out_;
  size_t pos_ = 0;
};

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("corrupt credential record: ", what));
}

}  // namespace

Record Record::Clone() const {
  Record r;
  r.pat = pat.Clone();
  r.workspace_id = workspace_id;
  r.created_at = created_at;
  r.rotated_at = rotated_at;
  r.rotation_due = rotation_due;
  r.labels = labels;
  r.signing_keys = signing_keys.Clone();
  return r;
}

absl::Status ValidatePat(absl::string_view pat) {
  if (pat.substr(0, 4) != "pat_") {
    return absl::InvalidArgumentError(
        "not a Layer.ai personal access token: it must start with 'pat_'");
  }
  if (pat.size() < kMinPat || pat.size() > kMaxPat) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a Layer.ai personal access token: it has ", pat.size(),
        " characters, expected 32 to 512"));
  }
  for (size_t i = 0; i < pat.size(); ++i) {
    if (!IsTokenChar(pat[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "not a Layer.ai personal access token: character ", i + 1,
          " is outside [A-Za-z0-9_-]"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateWorkspaceId(absl::string_view id) {
  static constexpr size_t kDashes[] = {8, 13, 18, 23};
  bool ok = id.size() == 36;
  for (size_t i = 0; ok && i < id.size(); ++i) {
    bool dash = i == kDashes[0] || i == kDashes[1] || i == kDashes[2] ||
                i == kDashes[3];
    ok = dash ? id[i] == '-' : IsHex(id[i]);
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        "workspace id must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
  }
  return absl::OkStatus();
}

absl::Status ValidateRecord(const Record& record) {
  if (!record.pat.empty()) {
    if (absl::Status s = ValidatePat(record.pat.UnsafeView()); !s.ok()) {
      return s;
    }
  }
  if (!record.workspace_id.empty()) {
    if (absl::Status s = ValidateWorkspaceId(record.workspace_id); !s.ok()) {
      return s;
    }
  }
  if (record.labels.size() > kMaxLabels) {
    return absl::InvalidArgumentError("at most 64 labels");
  }
  for (const auto& [key, value] : record.labels) {
    if (absl::Status s = ValidateLabel(key, value); !s.ok()) return s;
  }
  if (record.signing_keys.size() > kMaxSigningKeys) {
    return absl::InvalidArgumentError("signing key set larger than 64 KiB");
  }
  return absl::OkStatus();
}

absl::Status SetToken(Record& record, crypto::SecretBytes pat, absl::Time now,
                      absl::Duration rotation_period) {
  if (absl::Status s = ValidatePat(pat.UnsafeView()); !s.ok()) return s;
  if (rotation_period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("rotation period must be positive");
  }
  record.pat = std::move(pat);
  record.rotated_at = now;
  record.rotation_due = now + rotation_period;
  return absl::OkStatus();
}

std::string TokenFingerprint::ToString() const {
  return absl::StrCat(prefix, "... sha256:", sha256);
}

TokenFingerprint FingerprintOf(const crypto::SecretBytes& pat) {
  TokenFingerprint fp;
  if (pat.empty()) return fp;
  fp.prefix = std::string(pat.UnsafeView().substr(0, 8));
  fp.sha256 = crypto::HexEncode(crypto::Sha256(pat.UnsafeView())).substr(0, 16);
  return fp;
}

absl::StatusOr<crypto::SecretBytes> SerializeRecord(const Record& record) {
  if (absl::Status s = ValidateRecord(record); !s.ok()) return s;
  size_t size = kFieldHeaderSize + 8 + kFieldHeaderSize;  // created_at, end
  if (!record.pat.empty()) size += kFieldHeaderSize + record.pat.size();
  if (!record.workspace_id.empty()) {
    size += kFieldHeaderSize + record.workspace_id.size();
  }
  if (record.rotated_at) size += kFieldHeaderSize + 8;
  if (record.rotation_due) size += kFieldHeaderSize + 8;
  for (const auto& [key, value] : record.labels) {
    size += kFieldHeaderSize + 2 + key.size() + value.size();
  }
  if (!record.signing_keys.empty()) {
    size += kFieldHeaderSize + record.signing_keys.size();
  }

  crypto::SecretBytes out(size);
  Writer w(out);
  if (!record.pat.empty()) w.Field(kTagPat, record.pat.UnsafeView());
  if (!record.workspace_id.empty()) {
    w.Field(kTagWorkspaceId, record.workspace_id);
  }
  w.Time(kTagCreatedAt, record.created_at);
  if (record.rotated_at) w.Time(kTagRotatedAt, *record.rotated_at);
  if (record.rotation_due) w.Time(kTagRotationDue, *record.rotation_due);
  for (const auto& [key, value] : record.labels) w.Label(key, value);
  if (!record.signing_keys.empty()) {
    w.Field(kTagSigningKeys, record.signing_keys.UnsafeView());
  }
  w.Field(kTagEnd, "");
  if (w.written() != size) {
    return absl::InternalError("record size mismatch");  // broken invariant
  }
  return out;
}

absl::StatusOr<Record> ParseRecord(absl::string_view in) {
  Record record;
  bool have_created = false;
  bool have_end = false;
  int last_tag = 0;
  while (!in.empty()) {
    if (have_end) return Corrupt("bytes after the end field");
    if (in.size() < kFieldHeaderSize) return Corrupt("short field header");
    uint8_t tag = static_cast<uint8_t>(in[0]);
    uint32_t len = 0;
    for (int i = 1; i <= 4; ++i) len = (len << 8) | static_cast<uint8_t>(in[i]);
    in.remove_prefix(kFieldHeaderSize);
    if (len > in.size()) return Corrupt("field longer than the record");
    absl::string_view value = in.substr(0, len);
    in.remove_prefix(len);
    if (tag < last_tag || (tag == last_tag && tag != kTagLabel)) {
      return Corrupt("fields out of order or repeated");
    }
    last_tag = tag;
    auto time_of = [&](std::optional<absl::Time>& out) -> absl::Status {
      if (value.size() != 8) return Corrupt("bad timestamp");
      uint64_t v = 0;
      for (char c : value) v = (v << 8) | static_cast<uint8_t>(c);
      out = absl::FromUnixSeconds(static_cast<int64_t>(v));
      return absl::OkStatus();
    };
    absl::Status s;
    switch (tag) {
      case kTagPat:
        record.pat = crypto::SecretBytes::CopyFrom(value);
        break;
      case kTagWorkspaceId:
        record.workspace_id = std::string(value);
        break;
      case kTagCreatedAt: {
        std::optional<absl::Time> t;
        s = time_of(t);
        if (s.ok()) record.created_at = *t;
        have_created = true;
        break;
      }
      case kTagRotatedAt:
        s = time_of(record.rotated_at);
        break;
      case kTagRotationDue:
        s = time_of(record.rotation_due);
        break;
      case kTagLabel: {
        if (value.size() < 2) return Corrupt("bad label");
        size_t key_len = (static_cast<uint8_t>(value[0]) << 8) |
                         static_cast<uint8_t>(value[1]);
        if (key_len > value.size() - 2) return Corrupt("bad label");
        std::string key(value.substr(2, key_len));
        // Sorted by key, each key once (FORMAT.md): what SerializeRecord
        // writes, so that a loaded record saves back unchanged.
        if (!record.labels.empty() && key <= record.labels.rbegin()->first) {
          return Corrupt("labels out of order or repeated");
        }
        record.labels.emplace(std::move(key),
                              std::string(value.substr(2 + key_len)));
        break;
      }
      case kTagSigningKeys:
        record.signing_keys = crypto::SecretBytes::CopyFrom(value);
        break;
      case kTagEnd:
        if (!value.empty()) return Corrupt("bad end field");
        have_end = true;
        break;
      default:
        return Corrupt(absl::StrCat("unknown field ", tag));
    }
    if (!s.ok()) return s;
  }
  if (!have_end) return Corrupt("truncated (no end field)");
  if (!have_created) return Corrupt("no created_at");
  if (absl::Status s = ValidateRecord(record); !s.ok()) {
    return Corrupt(s.message());
  }
  return record;
}

}  // namespace layer_vault::store
