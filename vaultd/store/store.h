#ifndef LAYER_VAULT_VAULTD_STORE_STORE_H_
#define LAYER_VAULT_VAULTD_STORE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vaultd/crypto/aead.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/atomic_file.h"
#include "vaultd/store/format.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"

namespace layer_vault::store {

// StoreOptions tunes a Store. The defaults are the production policy.
struct StoreOptions {
  // PBKDF2 iterations for new passphrase keys (Create, ChangePassphrase).
  // Must lie in [kMinPbkdf2Iterations, kMaxPbkdf2Iterations].
  uint32_t pbkdf2_iterations = kDefaultPbkdf2Iterations;
  // Test seam for the atomic write; nullptr means FileOps::Default().
  // Not owned; must outlive the Store.
  FileOps* file_ops = nullptr;
  // Test seam: when non-zero, replaces the 100,000-iteration floor (for
  // tests whose point is not the KDF). Never set in production code.
  uint32_t min_iterations_for_testing = 0;
};

// Store is the encrypted credential store: one file, credentials.enc, in a
// state directory (format: vaultd/store/FORMAT.md).
//
// Lifetime: a Store holds the state directory open with an exclusive
// flock(2) until it is destroyed, so one process at a time uses a store.
// After a successful Create, Load or ChangePassphrase the Store is unlocked:
// it keeps the AES key (in SecretBytes) so that Save needs no passphrase;
// Lock() or destruction wipes it. Not thread-safe: callers serialise.
//
// Errors (stable: vaultctl maps them to exit codes, the daemon to its API).
// No error changes anything on disk.
//  - UNAUTHENTICATED: wrong passphrase or key, or the file was tampered with
//    (the two cannot be told apart; the message says it is one of them).
//  - OUT_OF_RANGE: the file is truncated.
//  - DATA_LOSS: not a store, or a corrupt/inconsistent header, or trailing
//    bytes.
//  - UNIMPLEMENTED: unknown format version, key-source id or KDF id.
//  - FAILED_PRECONDITION: insecure permissions or foreign owner of the state
//    directory, the store file or a key file; a symlink in their place. The
//    message gives the exact chmod/chown command.
//  - NOT_FOUND: no store in the directory ("no credential store"), or a
//    missing key source ("missing key source": $CREDENTIALS_DIRECTORY unset,
//    credential or key file absent).
//  - INVALID_ARGUMENT: unknown key source (KeySource::Parse), key material
//    of another kind than the store's, bad PAT, workspace id, label or
//    passphrase, too few iterations, a key file inside the state directory.
//  - ALREADY_EXISTS: Create on a directory that already has a store.
//  - UNAVAILABLE: another Store (process) holds the directory.
//  - RESOURCE_EXHAUSTED: a write ran out of room (full file system, quota,
//    file size limit); the message names the cause and the file.
//  - Other codes: I/O errors, from errno.
class Store {
 public:
  static constexpr char kFileName[] = "credentials.enc";

  // Creates a new store holding `record` in `state_dir` (created 0700 if it
  // does not exist; its parent must). Refuses an existing store
  // (ALREADY_EXISTS). For a passphrase, applies ValidateNewPassphrase and
  // derives the key with options.pbkdf2_iterations and a fresh salt. The
  // returned Store is unlocked.
  static absl::StatusOr<std::unique_ptr<Store>> Create(
      const std::string& state_dir, const KeyMaterial& key,
      const Record& record, const StoreOptions& options = {});

  // Opens an existing store: removes temp files a crashed writer left,
  // checks permissions, reads and parses the file. The returned Store is
  // locked (nothing decrypted yet).
  static absl::StatusOr<std::unique_ptr<Store>> Open(
      const std::string& state_dir, const StoreOptions& options = {});

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // The header as read or last written. Not authenticated until a Load
  // succeeds; fine for choosing the key source to ask for.
  const Header& header() const { return file_.header; }
  // "<state_dir>/credentials.enc".
  std::string path() const;
  const std::string& state_dir() const { return state_dir_; }

  // Derives the key from `key` (whose kind must match the header's),
  // decrypts and returns the record. On success the Store is unlocked with
  // this key, and the next Save records `key.source()` in the header (so a
  // moved key file is followed).
  absl::StatusOr<Record> Load(const KeyMaterial& key);

  // Encrypts `record` (validated first) under the current key and replaces
  // the file atomically. FAILED_PRECONDITION if the Store is locked.
  absl::Status Save(const Record& record);

  // Re-encrypts the store under `new_passphrase` with a fresh salt and
  // options.pbkdf2_iterations, after decrypting it with `current` (which must
  // be the store's passphrase: FAILED_PRECONDITION for other key sources).
  // The Store is then unlocked with the new key.
  absl::Status ChangePassphrase(const KeyMaterial& current,
                                crypto::SecretBytes new_passphrase);

  bool unlocked() const { return aead_ != nullptr; }
  // Wipes the key; Save then fails until the next Load.
  void Lock() { aead_.reset(); }

 private:
  Store(std::string state_dir, int dir_fd, const StoreOptions& options);

  uint32_t min_iterations() const;
  absl::Status CheckKeyOutsideStateDir(const KeySource& source) const;
  // The AES key for `header` from `key`.
  absl::StatusOr<std::unique_ptr<crypto::Aead>> DeriveAead(
      const Header& header, const KeyMaterial& key) const;
  absl::StatusOr<Record> Decrypt(const crypto::Aead& aead) const;
  // Encrypts `record` under `aead` into the file for `header`.
  absl::StatusOr<ParsedFile> Seal(const Header& header,
                                  const crypto::Aead& aead,
                                  const Record& record) const;
  // Replaces the file atomically with `file` and makes it current.
  absl::Status WriteAndAdopt(ParsedFile file);
  absl::Status ReadFile();
  void RemoveStaleTempFiles() const;

  const std::string state_dir_;
  const int dir_fd_;  // holds the flock
  const StoreOptions options_;
  ParsedFile file_;
  std::unique_ptr<crypto::Aead> aead_;
};

}  // namespace layer_vault::store

#endif  // LAYER_VAULT_VAULTD_STORE_STORE_H_
