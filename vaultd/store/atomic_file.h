#ifndef LAYER_VAULT_VAULTD_STORE_ATOMIC_FILE_H_
#define LAYER_VAULT_VAULTD_STORE_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace layer_vault::store {

// FileOps is every file-system call that WriteFileAtomically makes, one
// virtual per step, so that tests can make any step fail (a fake that
// wraps the real one). The default implementation calls the kernel.
// Implementations must be thread-safe if shared between threads.
class FileOps {
 public:
  virtual ~FileOps() = default;

  // Step 1: creates `name` in `dir_fd` with O_CREAT|O_EXCL, mode 0600.
  virtual absl::StatusOr<int> CreateTemp(int dir_fd, const std::string& name);
  // Step 2: writes all of `data` (retrying short writes).
  virtual absl::Status Write(int fd, absl::string_view data);
  // Step 3: fsync of the temp file.
  virtual absl::Status Sync(int fd);
  // Step 4: renameat within `dir_fd`, replacing `to`.
  virtual absl::Status Rename(int dir_fd, const std::string& from,
                              const std::string& to);
  // Step 5: fsync of the directory, so the rename is durable.
  virtual absl::Status SyncDirectory(int dir_fd);

  // The process-wide kernel implementation.
  static FileOps& Default();
};

// WriteFileAtomically replaces `name` in the directory `dir_fd` with `data`:
// temp file (".<name>.tmp-<random>", 0600, O_EXCL) -> write -> fsync ->
// rename -> fsync directory. If any step up to and including the rename
// fails, the previous file is untouched and the temp file is removed. If only
// the final directory fsync fails, the new file is in place but may not
// survive a crash; the error says so. `dir_path` is used in messages only.
// Errors name the file and the failed step. A full file system, an
// exhausted quota or the file size limit (ENOSPC, EDQUOT, EFBIG) is
// RESOURCE_EXHAUSTED with that cause in words; other I/O errors take their
// code from errno.
absl::Status WriteFileAtomically(FileOps& ops, int dir_fd,
                                 absl::string_view dir_path,
                                 const std::string& name,
                                 absl::string_view data);

// TempPrefix is the name prefix of WriteFileAtomically's temp files for
// `name`, for cleaning up after a crash.
std::string TempPrefix(const std::string& name);

}  // namespace layer_vault::store

#endif  // LAYER_VAULT_VAULTD_STORE_ATOMIC_FILE_H_
