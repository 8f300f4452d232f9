#include "vaultd/store/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "vaultd/crypto/hash.h"
#include "vaultd/crypto/random.h"

namespace layer_vault::store {
namespace {

// The status for a failed `what` with `err`. Running out of room is
// RESOURCE_EXHAUSTED with its cause spelled out: errno's own codes would
// make EFBIG OUT_OF_RANGE, which the store reserves for a truncated file.
absl::Status IoError(int err, absl::string_view what) {
  const char* cause = nullptr;
  switch (err) {
    case ENOSPC:
      cause = "the file system is full";
      break;
    case EDQUOT:
      cause = "the disk quota is used up";
      break;
    case EFBIG:
      cause =
          "the file size limit was reached (RLIMIT_FSIZE, systemd "
          "LimitFSIZE=, or the file system's maximum)";
      break;
    default:
      return absl::ErrnoToStatus(err, what);
  }
  return absl::ResourceExhaustedError(
      absl::StrCat(what, ": ", std::strerror(err), ": ", cause));
}

}  // namespace

absl::StatusOr<int> FileOps::CreateTemp(int dir_fd, const std::string& name) {
  int fd = openat(dir_fd, name.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IoError(errno, "create temp file");
  // The umask can only clear bits; make the mode exact anyway.
  if (fchmod(fd, 0600) != 0) {
    int err = errno;
    close(fd);
    unlinkat(dir_fd, name.c_str(), 0);
    return absl::ErrnoToStatus(err, "fchmod temp file");
  }
  return fd;
}

absl::Status FileOps::Write(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError(errno, "write temp file");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status FileOps::Sync(int fd) {
  if (fsync(fd) != 0) return IoError(errno, "fsync temp file");
  return absl::OkStatus();
}

absl::Status FileOps::Rename(int dir_fd, const std::string& from,
                             const std::string& to) {
  if (renameat(dir_fd, from.c_str(), dir_fd, to.c_str()) != 0) {
    return IoError(errno, "rename temp file");
  }
  return absl::OkStatus();
}

absl::Status FileOps::SyncDirectory(int dir_fd) {
  if (fsync(dir_fd) != 0) return IoError(errno, "fsync directory");
  return absl::OkStatus();
}

FileOps& FileOps::Default() {
  static FileOps* ops = new FileOps();
  return *ops;
}

std::string TempPrefix(const std::string& name) {
  return absl::StrCat(".", name, ".tmp-");
}

absl::Status WriteFileAtomically(FileOps& ops, int dir_fd,
                                 absl::string_view dir_path,
                                 const std::string& name,
                                 absl::string_view data) {
  const std::string temp =
      TempPrefix(name) + crypto::HexEncode(crypto::RandomBytes(8));
  auto fail = [&](const absl::Status& s) {
    return absl::Status(
        s.code(), absl::StrCat("cannot write ", dir_path, "/", name, ": ",
                               s.message(), " (the previous file is intact)"));
  };
  absl::StatusOr<int> fd = ops.CreateTemp(dir_fd, temp);
  if (!fd.ok()) return fail(fd.status());
  absl::Status status = ops.Write(*fd, data);
  if (status.ok()) status = ops.Sync(*fd);
  if (close(*fd) != 0 && status.ok()) {
    status = IoError(errno, "close temp file");
  }
  if (status.ok()) status = ops.Rename(dir_fd, temp, name);
  if (!status.ok()) {
    unlinkat(dir_fd, temp.c_str(), 0);
    return fail(status);
  }
  status = ops.SyncDirectory(dir_fd);
  if (!status.ok()) {
    return absl::Status(
        status.code(),
        absl::StrCat("wrote ", dir_path, "/", name, " but ", status.message(),
                     ": the change may not survive a crash"));
  }
  return absl::OkStatus();
}

}  // namespace layer_vault::store
