#ifndef LAYER_VAULT_VAULTD_STORE_KEY_SOURCE_H_
#define LAYER_VAULT_VAULTD_STORE_KEY_SOURCE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::store {

// KeySourceKind is the key-source id recorded in the store header. The
// numeric values are part of the file format (FORMAT.md); never renumber.
enum class KeySourceKind : uint8_t {
  kPassphrase = 1,         // PBKDF2-HMAC-SHA256 of a passphrase.
  kSystemdCredential = 2,  // 32-byte key in $CREDENTIALS_DIRECTORY/<name>.
  kKeyFile = 3,            // 32-byte key in a file (development, tests).
};

// Size of the raw key delivered by a systemd credential or a key file.
inline constexpr size_t kRawKeySize = 32;

// KeySource says where the key of a store comes from. It holds no secret:
// only the kind and its parameter (credential name or key-file path).
// Immutable value type; thread-safe.
class KeySource {
 public:
  // Parses "passphrase", "systemd-credential:NAME" or "key-file:PATH".
  // A relative key-file PATH is made absolute against the current directory.
  // INVALID_ARGUMENT "unknown key source ..." for any other kind, and for an
  // empty or malformed NAME/PATH (NAME: [A-Za-z0-9_.-], not "." or "..").
  static absl::StatusOr<KeySource> Parse(absl::string_view spec);

  // Rebuilds a source from the header fields. INVALID_ARGUMENT if the
  // parameter is not valid for `kind` (the store reports it as corruption).
  static absl::StatusOr<KeySource> FromParts(KeySourceKind kind,
                                             absl::string_view parameter);

  static KeySource Passphrase() {
    return KeySource(KeySourceKind::kPassphrase, "");
  }

  KeySourceKind kind() const { return kind_; }
  // Credential name or absolute key-file path; empty for a passphrase.
  const std::string& parameter() const { return parameter_; }
  // "passphrase", "systemd-credential" or "key-file".
  absl::string_view kind_name() const;
  // The spec form that Parse accepts back.
  std::string ToString() const;

  friend bool operator==(const KeySource& a, const KeySource& b) {
    return a.kind_ == b.kind_ && a.parameter_ == b.parameter_;
  }

 private:
  KeySource(KeySourceKind kind, std::string parameter)
      : kind_(kind), parameter_(std::move(parameter)) {}

  KeySourceKind kind_;
  std::string parameter_;
};

// KeyEnvironment is where key files are looked up; injected so tests need no
// process environment.
struct KeyEnvironment {
  // $CREDENTIALS_DIRECTORY as set by systemd; nullopt when unset.
  std::optional<std::string> credentials_directory;

  // Reads $CREDENTIALS_DIRECTORY from the process environment.
  static KeyEnvironment FromProcess();
};

// Passphrase policy for new passphrases (init, change): 8 to 1024 bytes.
inline constexpr size_t kMinPassphraseSize = 8;
inline constexpr size_t kMaxPassphraseSize = 1024;

// ValidateNewPassphrase: INVALID_ARGUMENT if `passphrase` breaks the policy
// above. The message never contains the passphrase.
absl::Status ValidateNewPassphrase(const crypto::SecretBytes& passphrase);

// KeyMaterial is what unlocks a store: a passphrase, or the 32-byte raw key
// of a systemd credential or key file, together with its KeySource.
// Owns its secret; movable, not copyable; not thread-safe.
class KeyMaterial {
 public:
  // A passphrase typed or read by the caller. No policy check here (an
  // existing store is unlocked with whatever it was created with).
  static KeyMaterial FromPassphrase(crypto::SecretBytes passphrase);

  // Reads the raw key of a systemd-credential or key-file source straight
  // into locked memory. Errors (none of them reveal key bytes):
  //  - NOT_FOUND: missing key source ($CREDENTIALS_DIRECTORY unset, or the
  //    credential or key file does not exist).
  //  - FAILED_PRECONDITION: the key file is not a regular file, not owned by
  //    the running uid, or its mode is not 0400/0600; the message gives the
  //    chmod/chown command.
  //  - INVALID_ARGUMENT: the file does not hold exactly 32 bytes, or
  //    `source` is a passphrase source.
  static absl::StatusOr<KeyMaterial> Read(const KeySource& source,
                                          const KeyEnvironment& env);

  const KeySource& source() const { return source_; }
  // The passphrase or raw key.
  const crypto::SecretBytes& secret() const { return secret_; }

 private:
  KeyMaterial(KeySource source, crypto::SecretBytes secret)
      : source_(std::move(source)), secret_(std::move(secret)) {}

  KeySource source_;
  crypto::SecretBytes secret_;
};

// WriteNewKeyFile creates `path` with mode 0600 (O_EXCL: never replaces a
// file) holding 32 fresh random bytes. ALREADY_EXISTS if it exists; other
// errors map errno. On failure no partial file is left behind.
absl::Status WriteNewKeyFile(const std::string& path);

}  // namespace layer_vault::store

#endif  // LAYER_VAULT_VAULTD_STORE_KEY_SOURCE_H_
