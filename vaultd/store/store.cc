#include "vaultd/store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "vaultd/crypto/pbkdf2.h"
#include "vaultd/crypto/random.h"
#include "vaultd/store/permissions.h"

namespace layer_vault::store {
namespace {

// Opens `state_dir`, optionally creating it 0700, checks that it is private
// and takes the exclusive lock. Returns the directory fd.
absl::StatusOr<int> OpenStateDir(const std::string& state_dir, bool create) {
  if (create && mkdir(state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("cannot create state directory ",
                            ShellQuote(state_dir)));
  }
  int fd = open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(absl::StrCat(
          "no credential store: state directory ", ShellQuote(state_dir),
          " does not exist (create one with: vaultctl init)"));
    }
    return absl::ErrnoToStatus(
        err, absl::StrCat("cannot open state directory ",
                          ShellQuote(state_dir)));
  }
  struct stat st;
  absl::Status status;
  if (fstat(fd, &st) != 0) {
    status = absl::ErrnoToStatus(errno, "fstat state directory");
  } else {
    status = CheckPrivateDirectory(st, state_dir, geteuid());
  }
  if (status.ok() && flock(fd, LOCK_EX | LOCK_NB) != 0) {
    status = errno == EWOULDBLOCK
                 ? absl::UnavailableError(absl::StrCat(
                       "credential store ", ShellQuote(state_dir),
                       " is in use by another process (is vaultd running? "
                       "then use its online commands)"))
                 : absl::ErrnoToStatus(errno, "flock state directory");
  }
  if (!status.ok()) {
    close(fd);
    return status;
  }
  return fd;
}

uint32_t MinIterations(const StoreOptions& options) {
  return options.min_iterations_for_testing != 0
             ? options.min_iterations_for_testing
             : kMinPbkdf2Iterations;
}

absl::Status CheckIterations(uint32_t iterations, uint32_t floor) {
  if (iterations < floor || iterations > kMaxPbkdf2Iterations) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PBKDF2 iterations must lie in [", floor, ", ", kMaxPbkdf2Iterations,
        "], got ", iterations));
  }
  return absl::OkStatus();
}

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) return path;
  return buf;
}

}  // namespace

Store::Store(std::string state_dir, int dir_fd, const StoreOptions& options)
    : state_dir_(std::move(state_dir)), dir_fd_(dir_fd), options_(options) {}

Store::~Store() {
  aead_.reset();
  close(dir_fd_);  // releases the flock
}

std::string Store::path() const {
  return absl::StrCat(state_dir_, "/", kFileName);
}

uint32_t Store::min_iterations() const { return MinIterations(options_); }

absl::StatusOr<std::unique_ptr<Store>> Store::Create(
    const std::string& state_dir, const KeyMaterial& key,
    const Record& record, const StoreOptions& options) {
  Header header;
  header.key_source = key.source();
  header.salt = crypto::RandomBytes(kSaltSize);
  header.store_id = crypto::RandomBytes(kStoreIdSize);
  if (key.source().kind() == KeySourceKind::kPassphrase) {
    if (absl::Status s = ValidateNewPassphrase(key.secret()); !s.ok()) {
      return s;
    }
    header.kdf = KdfId::kPbkdf2HmacSha256;
    header.iterations = options.pbkdf2_iterations;
    if (absl::Status s =
            CheckIterations(header.iterations, MinIterations(options));
        !s.ok()) {
      return s;
    }
  } else {
    header.kdf = KdfId::kNone;
    header.iterations = 0;
  }
  if (absl::Status s = ValidateRecord(record); !s.ok()) return s;

  absl::StatusOr<int> dir_fd = OpenStateDir(state_dir, /*create=*/true);
  if (!dir_fd.ok()) return dir_fd.status();
  auto store =
      std::unique_ptr<Store>(new Store(state_dir, *dir_fd, options));
  struct stat st;
  if (fstatat(*dir_fd, kFileName, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a credential store already exists at ", ShellQuote(store->path()),
        "; refusing to overwrite it"));
  }
  if (absl::Status s = store->CheckKeyOutsideStateDir(key.source()); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::unique_ptr<crypto::Aead>> aead =
      store->DeriveAead(header, key);
  if (!aead.ok()) return aead.status();
  absl::StatusOr<ParsedFile> file = store->Seal(header, **aead, record);
  if (!file.ok()) return file.status();
  if (absl::Status s = store->WriteAndAdopt(*std::move(file)); !s.ok()) {
    return s;
  }
  store->aead_ = *std::move(aead);
  return store;
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    const std::string& state_dir, const StoreOptions& options) {
  absl::StatusOr<int> dir_fd = OpenStateDir(state_dir, /*create=*/false);
  if (!dir_fd.ok()) return dir_fd.status();
  auto store =
      std::unique_ptr<Store>(new Store(state_dir, *dir_fd, options));
  // We hold the lock: a temp file left is from a writer that crashed.
  store->RemoveStaleTempFiles();
  if (absl::Status s = store->ReadFile(); !s.ok()) return s;
  return store;
}

absl::Status Store::ReadFile() {
  int fd = openat(dir_fd_, kFileName, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(absl::StrCat(
          "no credential store in ", ShellQuote(state_dir_),
          " (create one with: vaultctl init)"));
    }
    if (err == ELOOP) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing ", ShellQuote(path()),
          ": it is a symlink; fix with: rm ", ShellQuote(path()),
          " and restore the real file"));
    }
    return absl::ErrnoToStatus(err, absl::StrCat("cannot open ", path()));
  }
  struct stat st;
  absl::Status status;
  if (fstat(fd, &st) != 0) {
    status = absl::ErrnoToStatus(errno, absl::StrCat("fstat ", path()));
  } else {
    status = CheckPrivateFile(st, path(), geteuid());
  }
  const size_t max_size =
      kFixedHeaderSize + kMaxKeySourceParameterSize + 4 + kMaxCiphertextSize;
  if (status.ok() && static_cast<size_t>(st.st_size) > max_size) {
    status = absl::DataLossError(absl::StrCat(
        "credential store is corrupt: ", path(), " is too large"));
  }
  std::string bytes;
  if (status.ok()) {
    bytes.resize(static_cast<size_t>(st.st_size) + 1);
    size_t got = 0;
    while (got < bytes.size()) {
      ssize_t n = read(fd, bytes.data() + got, bytes.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = absl::ErrnoToStatus(errno, absl::StrCat("read ", path()));
        break;
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    bytes.resize(got);
  }
  close(fd);
  if (!status.ok()) return status;
  absl::StatusOr<ParsedFile> parsed = ParseFile(bytes, min_iterations());
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        absl::StrCat(path(), ": ", parsed.status().message()));
  }
  file_ = *std::move(parsed);
  return absl::OkStatus();
}

absl::Status Store::CheckKeyOutsideStateDir(const KeySource& source) const {
  if (source.kind() != KeySourceKind::kKeyFile) return absl::OkStatus();
  const std::string dir = RealPath(state_dir_);
  const std::string key = RealPath(source.parameter());
  if (absl::StartsWith(key, dir + "/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing key file ", ShellQuote(source.parameter()),
        ": it is inside the state directory, and a key stored beside the "
        "data protects nothing; keep it elsewhere"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<crypto::Aead>> Store::DeriveAead(
    const Header& header, const KeyMaterial& key) const {
  if (key.source().kind() != header.key_source.kind()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "this store is unlocked by its ", header.key_source.kind_name(),
        ", not by a ", key.source().kind_name()));
  }
  if (header.kdf == KdfId::kNone) return crypto::Aead::New(key.secret());
  if (absl::Status s = CheckIterations(header.iterations, min_iterations());
      !s.ok()) {
    return s;
  }
  absl::StatusOr<crypto::SecretBytes> derived = crypto::Pbkdf2HmacSha256(
      key.secret().UnsafeView(), header.salt, header.iterations,
      crypto::Aead::kKeySize);
  if (!derived.ok()) return derived.status();
  return crypto::Aead::New(*derived);
}

absl::StatusOr<Record> Store::Decrypt(const crypto::Aead& aead) const {
  absl::StatusOr<crypto::SecretBytes> plaintext =
      aead.Decrypt(file_.ciphertext, file_.associated_data);
  if (!plaintext.ok()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "cannot decrypt ", path(), ": wrong ",
        file_.header.key_source.kind() == KeySourceKind::kPassphrase
            ? "passphrase"
            : "key",
        ", or the file was tampered with (the two cannot be told apart)"));
  }
  absl::StatusOr<Record> record = ParseRecord(plaintext->UnsafeView());
  if (!record.ok()) {
    return absl::Status(record.status().code(),
                        absl::StrCat(path(), ": ", record.status().message()));
  }
  return record;
}

absl::StatusOr<Record> Store::Load(const KeyMaterial& key) {
  if (absl::Status s = CheckKeyOutsideStateDir(key.source()); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::unique_ptr<crypto::Aead>> aead =
      DeriveAead(file_.header, key);
  if (!aead.ok()) return aead.status();
  absl::StatusOr<Record> record = Decrypt(**aead);
  if (!record.ok()) return record.status();
  aead_ = *std::move(aead);
  file_.header.key_source = key.source();
  return record;
}

absl::StatusOr<ParsedFile> Store::Seal(const Header& header,
                                       const crypto::Aead& aead,
                                       const Record& record) const {
  absl::StatusOr<crypto::SecretBytes> plaintext = SerializeRecord(record);
  if (!plaintext.ok()) return plaintext.status();
  ParsedFile file;
  file.header = header;
  file.associated_data = EncodeHeader(
      header, plaintext->size() + crypto::Aead::kOverhead);
  absl::StatusOr<std::string> ciphertext =
      aead.Encrypt(plaintext->UnsafeView(), file.associated_data);
  if (!ciphertext.ok()) return ciphertext.status();
  if (ciphertext->size() != plaintext->size() + crypto::Aead::kOverhead) {
    return absl::InternalError("unexpected ciphertext size");
  }
  file.ciphertext = *std::move(ciphertext);
  return file;
}

void Store::RemoveStaleTempFiles() const {
  int fd = dup(dir_fd_);
  if (fd < 0) return;
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return;
  }
  const std::string prefix = TempPrefix(kFileName);
  while (struct dirent* entry = readdir(dir)) {
    if (absl::StartsWith(entry->d_name, prefix)) {
      unlinkat(dir_fd_, entry->d_name, 0);
    }
  }
  closedir(dir);
}

absl::Status Store::WriteAndAdopt(ParsedFile file) {
  // We hold the lock: any temp file left is from a crashed writer.
  RemoveStaleTempFiles();
  FileOps& ops =
      options_.file_ops != nullptr ? *options_.file_ops : FileOps::Default();
  std::string bytes = file.associated_data + file.ciphertext;
  if (absl::Status s =
          WriteFileAtomically(ops, dir_fd_, state_dir_, kFileName, bytes);
      !s.ok()) {
    return s;
  }
  file_ = std::move(file);
  return absl::OkStatus();
}

absl::Status Store::Save(const Record& record) {
  if (!unlocked()) {
    return absl::FailedPreconditionError(
        "the credential store is locked: Load it before Save");
  }
  absl::StatusOr<ParsedFile> file = Seal(file_.header, *aead_, record);
  if (!file.ok()) return file.status();
  return WriteAndAdopt(*std::move(file));
}

absl::Status Store::ChangePassphrase(const KeyMaterial& current,
                                     crypto::SecretBytes new_passphrase) {
  if (file_.header.key_source.kind() != KeySourceKind::kPassphrase) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this store is unlocked by its ", file_.header.key_source.kind_name(),
        ", not by a passphrase"));
  }
  if (absl::Status s = ValidateNewPassphrase(new_passphrase); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::unique_ptr<crypto::Aead>> old_aead =
      DeriveAead(file_.header, current);
  if (!old_aead.ok()) return old_aead.status();
  absl::StatusOr<Record> record = Decrypt(**old_aead);
  if (!record.ok()) return record.status();

  Header header = file_.header;
  header.salt = crypto::RandomBytes(kSaltSize);
  header.iterations = options_.pbkdf2_iterations;
  absl::StatusOr<std::unique_ptr<crypto::Aead>> new_aead = DeriveAead(
      header, KeyMaterial::FromPassphrase(std::move(new_passphrase)));
  if (!new_aead.ok()) return new_aead.status();
  absl::StatusOr<ParsedFile> file = Seal(header, **new_aead, *record);
  if (!file.ok()) return file.status();
  if (absl::Status s = WriteAndAdopt(*std::move(file)); !s.ok()) return s;
  aead_ = *std::move(new_aead);
  return absl::OkStatus();
}

}  // namespace layer_vault::store
