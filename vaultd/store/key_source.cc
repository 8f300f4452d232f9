#include "vaultd/store/key_source.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "vaultd/crypto/random.h"
#include "vaultd/store/permissions.h"

namespace layer_vault::store {
namespace {

constexpr absl::string_view kPassphraseName = "passphrase";
constexpr absl::string_view kSystemdName = "systemd-credential";
constexpr absl::string_view kKeyFileName = "key-file";
constexpr size_t kMaxParameterSize = 1024;

absl::Status UnknownKeySource(absl::string_view spec) {
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown key source '", spec.substr(0, 64),
      "'; expected passphrase, systemd-credential:NAME or key-file:PATH"));
}

absl::Status ValidateCredentialName(absl::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") {
    return absl::InvalidArgumentError(
        "systemd-credential:NAME needs a credential name of 1 to 255 "
        "characters, not '.' or '..'");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          "systemd credential names use only [A-Za-z0-9_.-]");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateKeyFilePath(absl::string_view path) {
  if (path.empty() || path.front() != '/' || path.size() > kMaxParameterSize ||
      absl::StrContains(path, absl::string_view("\0", 1))) {
    return absl::InvalidArgumentError(
        "key-file:PATH needs an absolute path of at most 1024 bytes");
  }
  return absl::OkStatus();
}

// Reads up to kRawKeySize + 1 bytes so that a longer file is detected.
absl::StatusOr<crypto::SecretBytes> ReadRawKey(int fd, absl::string_view path) {
  crypto::SecretBytes key(kRawKeySize + 1);
  size_t got = 0;
  while (got < key.size()) {
    ssize_t n = read(fd, key.UnsafeMutableData() + got, key.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("read ", path));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != kRawKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key ", ShellQuote(path), " must hold exactly 32 bytes (it holds ",
        got > kRawKeySize ? "more" : absl::StrCat(got),
        "); create one with: (umask 077; head -c 32 /dev/urandom > ",
        ShellQuote(path), ")"));
  }
  key.Truncate(kRawKeySize);
  return key;
}

}  // namespace

absl::StatusOr<KeySource> KeySource::Parse(absl::string_view spec) {
  if (spec == kPassphraseName) return Passphrase();
  size_t colon = spec.find(':');
  if (colon == absl::string_view::npos) return UnknownKeySource(spec);
  absl::string_view kind = spec.substr(0, colon);
  absl::string_view parameter = spec.substr(colon + 1);
  if (kind == kSystemdName) {
    return FromParts(KeySourceKind::kSystemdCredential, parameter);
  }
  if (kind == kKeyFileName) {
    if (!parameter.empty() && parameter.front() != '/') {
      char cwd[4096];
      if (getcwd(cwd, sizeof(cwd)) == nullptr) {
        return absl::ErrnoToStatus(errno, "getcwd");
      }
      return FromParts(KeySourceKind::kKeyFile,
                       absl::StrCat(cwd, "/", parameter));
    }
    return FromParts(KeySourceKind::kKeyFile, parameter);
  }
  return UnknownKeySource(spec);
}

absl::StatusOr<KeySource> KeySource::FromParts(KeySourceKind kind,
                                               absl::string_view parameter) {
  switch (kind) {
    case KeySourceKind::kPassphrase:
      if (!parameter.empty()) {
        return absl::InvalidArgumentError(
            "a passphrase key source has no parameter");
      }
      return Passphrase();
    case KeySourceKind::kSystemdCredential:
      if (absl::Status s = ValidateCredentialName(parameter); !s.ok()) return s;
      return KeySource(kind, std::string(parameter));
    case KeySourceKind::kKeyFile:
      if (absl::Status s = ValidateKeyFilePath(parameter); !s.ok()) return s;
      return KeySource(kind, std::string(parameter));
  }
  return absl::InvalidArgumentError("unknown key source kind");
}

absl::string_view KeySource::kind_name() const {
  switch (kind_) {
    case KeySourceKind::kPassphrase:
      return kPassphraseName;
    case KeySourceKind::kSystemdCredential:
      return kSystemdName;
    case KeySourceKind::kKeyFile:
      return kKeyFileName;
  }
  return "unknown";
}

std::string KeySource::ToString() const {
  if (kind_ == KeySourceKind::kPassphrase) return std::string(kind_name());
  return absl::StrCat(kind_name(), ":", parameter_);
}

KeyEnvironment KeyEnvironment::FromProcess() {
  KeyEnvironment env;
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr) {
    env.credentials_directory = dir;
  }
  return env;
}

absl::Status ValidateNewPassphrase(const crypto::SecretBytes& passphrase) {
  if (passphrase.size() < kMinPassphraseSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "passphrase too short: use at least ", kMinPassphraseSize,
        " characters"));
  }
  if (passphrase.size() > kMaxPassphraseSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "passphrase too long: at most ", kMaxPassphraseSize, " bytes"));
  }
  return absl::OkStatus();
}

KeyMaterial KeyMaterial::FromPassphrase(crypto::SecretBytes passphrase) {
  return KeyMaterial(KeySource::Passphrase(), std::move(passphrase));
}

absl::StatusOr<KeyMaterial> KeyMaterial::Read(const KeySource& source,
                                              const KeyEnvironment& env) {
  std::string path;
  switch (source.kind()) {
    case KeySourceKind::kPassphrase:
      return absl::InvalidArgumentError(
          "a passphrase is typed or read by the caller, not read as a key");
    case KeySourceKind::kSystemdCredential:
      if (!env.credentials_directory.has_value() ||
          env.credentials_directory->empty()) {
        return absl::NotFoundError(absl::StrCat(
            "missing key source: systemd credential '", source.parameter(),
            "' needs $CREDENTIALS_DIRECTORY, which is not set (run under "
            "systemd with LoadCredentialEncrypted=",
            source.parameter(), ":..., or via systemd-run)"));
      }
      path = absl::StrCat(*env.credentials_directory, "/", source.parameter());
      break;
    case KeySourceKind::kKeyFile:
      path = source.parameter();
      break;
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(absl::StrCat(
          "missing key source: ", source.kind_name(), " ", ShellQuote(path),
          " does not exist"));
    }
    return absl::ErrnoToStatus(
        err, absl::StrCat("cannot open ", source.kind_name(), " ",
                          ShellQuote(path)));
  }
  struct stat st;
  absl::Status status;
  if (fstat(fd, &st) != 0) {
    status = absl::ErrnoToStatus(errno, absl::StrCat("fstat ", path));
  } else if (source.kind() == KeySourceKind::kKeyFile) {
    status = CheckKeyFile(st, path, geteuid());
  } else if (!S_ISREG(st.st_mode)) {
    // systemd owns the credential directory and its modes; only insist on a
    // regular file.
    status = absl::FailedPreconditionError(
        absl::StrCat("refusing credential ", ShellQuote(path),
                     ": not a regular file"));
  }
  absl::StatusOr<crypto::SecretBytes> key =
      status.ok() ? ReadRawKey(fd, path) : status;
  close(fd);
  if (!key.ok()) return key.status();
  return KeyMaterial(source, *std::move(key));
}

absl::Status WriteNewKeyFile(const std::string& path) {
  int fd = open(path.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("key file ", ShellQuote(path), " already exists"));
    }
    return absl::ErrnoToStatus(
        err, absl::StrCat("cannot create key file ", ShellQuote(path)));
  }
  crypto::SecretBytes key = crypto::RandomSecret(kRawKeySize);
  absl::Status status;
  if (fchmod(fd, 0600) != 0) {
    status = absl::ErrnoToStatus(errno, absl::StrCat("fchmod ", path));
  }
  size_t done = 0;
  while (status.ok() && done < key.size()) {
    ssize_t n = write(fd, key.UnsafeData() + done, key.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = absl::ErrnoToStatus(errno, absl::StrCat("write ", path));
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (status.ok() && fsync(fd) != 0) {
    status = absl::ErrnoToStatus(errno, absl::StrCat("fsync ", path));
  }
  if (close(fd) != 0 && status.ok()) {
    status = absl::ErrnoToStatus(errno, absl::StrCat("close ", path));
  }
  if (!status.ok()) unlink(path.c_str());
  return status;
}

}  // namespace layer_vault::store
