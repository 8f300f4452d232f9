#ifndef LAYER_VAULT_VAULTD_STORE_RECORD_H_
#define LAYER_VAULT_VAULTD_STORE_RECORD_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::store {

// Default time between a token being set and its rotation being due.
inline constexpr absl::Duration kDefaultRotationPeriod = absl::Hours(24 * 90);

// Record is the plaintext of the store: everything inside the ciphertext.
// Secrets (the PAT, the daemon's signing keys) live only in SecretBytes.
// Movable, not copyable (use Clone()); not thread-safe.
struct Record {
  // The Layer.ai personal access token; empty until one is set.
  crypto::SecretBytes pat;
  // Layer.ai workspace id (a UUID) or empty.
  std::string workspace_id;
  // When the store was initialised.
  absl::Time created_at = absl::UnixEpoch();
  // When the current PAT was set; nullopt while no PAT is set.
  std::optional<absl::Time> rotated_at;
  // When the current PAT should be rotated; nullopt while no PAT is set.
  std::optional<absl::Time> rotation_due;
  // Free-form labels: keys [A-Za-z0-9_.-]{1,64}, values up to 256 printable
  // bytes, at most 64 labels.
  std::map<std::string, std::string> labels;
  // The daemon's signing key ring, an opaque JSON document that the daemon
  // serialises (it holds Ed25519 seeds); empty if none. At most 64 KiB.
  crypto::SecretBytes signing_keys;

  Record Clone() const;
};

// ValidatePat: OK if `pat` starts with "pat_", is 32 to 512 characters long
// and uses only [A-Za-z0-9_-]. INVALID_ARGUMENT otherwise; the message never
// contains the token or any part of it.
absl::Status ValidatePat(absl::string_view pat);

// ValidateWorkspaceId: OK if `id` is a UUID (8-4-4-4-12 hex digits, any
// case). INVALID_ARGUMENT otherwise.
absl::Status ValidateWorkspaceId(absl::string_view id);

// ValidateRecord checks every field of `record` (an empty PAT and workspace
// id are allowed). INVALID_ARGUMENT naming the first bad field.
absl::Status ValidateRecord(const Record& record);

// SetToken stores `pat` (validated first) in `record`, sets rotated_at to
// `now` and rotation_due to `now + rotation_period`. INVALID_ARGUMENT if the
// PAT is invalid or the period is not positive; `record` is then unchanged.
absl::Status SetToken(Record& record, crypto::SecretBytes pat, absl::Time now,
                      absl::Duration rotation_period = kDefaultRotationPeriod);

// TokenFingerprint identifies a PAT without revealing it: its first 8
// characters ("pat_" plus 4) and the first 16 hex digits of its SHA-256.
struct TokenFingerprint {
  std::string prefix;
  std::string sha256;
  // "pat_abcd... sha256:0123456789abcdef".
  std::string ToString() const;
};
TokenFingerprint FingerprintOf(const crypto::SecretBytes& pat);

// SerializeRecord encodes `record` (validated first) into the plaintext that
// the store encrypts (layout in FORMAT.md), straight into locked memory.
absl::StatusOr<crypto::SecretBytes> SerializeRecord(const Record& record);

// ParseRecord decodes a plaintext written by SerializeRecord. DATA_LOSS if it
// is malformed (it was authenticated, so that means a writer bug).
absl::StatusOr<Record> ParseRecord(absl::string_view plaintext);

}  // namespace layer_vault::store

#endif  // LAYER_VAULT_VAULTD_STORE_RECORD_H_
