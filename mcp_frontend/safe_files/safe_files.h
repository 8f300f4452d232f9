#ifndef LAYER_VAULT_MCP_FRONTEND_SAFE_FILES_SAFE_FILES_H_
#define LAYER_VAULT_MCP_FRONTEND_SAFE_FILES_SAFE_FILES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace layer_vault::mcp {

// FileDescriptor owns a file descriptor and closes it on destruction.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// How a SafeRoot resolves a path beneath its root.
enum class ResolveMode {
  // openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
  // where the kernel has it (5.6+), else kWalk.
  kAuto,
  // openat2 only; UNIMPLEMENTED where the kernel lacks it. For tests.
  kOpenat2,
  // One openat(O_NOFOLLOW) per component from the root's descriptor.
  kWalk,
};

// SplitRelativePath checks a caller-supplied path and returns its
// components. INVALID_ARGUMENT for: an empty path, an absolute path, a ".."
// component, an empty component ("a//b", a trailing "/"), a NUL or other
// control character, a component over 255 bytes or a path over 4096 bytes,
// and (unless `allow_hidden`) a component starting with "." (.git, .env,
// and this library's own temp files). "." components are dropped; a path
// of only "." components is empty and rejected.
absl::StatusOr<std::vector<std::string>> SplitRelativePath(
    absl::string_view path, bool allow_hidden = false);

struct SafeRootOptions {
  // Create the root directory (and its parents, 0755) on the first write if
  // it does not exist. Reads never create it.
  bool create_root = false;
  bool allow_hidden = false;
  ResolveMode resolve = ResolveMode::kAuto;
};

// SavedFile describes a file that PendingFile::Commit put in place.
struct SavedFile {
  std::string relative_path;  // beneath the root; may differ from the request
  std::string absolute_path;  // root path + "/" + relative_path
  uint64_t size = 0;
};

// OpenedFile is a regular file opened for reading beneath a root.
struct OpenedFile {
  FileDescriptor fd;
  uint64_t size = 0;
};

// PendingFile is a new file being written under a temporary name
// (".<name>.tmp-<random>", O_EXCL, mode 0644 whatever the umask) in its
// final directory. Commit renames it into place; destruction without
// Commit removes it. Not thread-safe.
class PendingFile {
 public:
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  ~PendingFile();

  // Appends `data`. INTERNAL on a write error (e.g. ENOSPC).
  absl::Status Write(absl::string_view data);
  uint64_t size() const { return size_; }

  // fsyncs the file, renames it into place and fsyncs the directory.
  // With `overwrite` an existing file of the requested name is replaced
  // (a symlink there is replaced, never followed). Without it, the first
  // free name of "name.ext", "name-1.ext", "name-2.ext", ... (up to 999) is
  // taken, atomically (renameat2 RENAME_NOREPLACE, or link + unlink where
  // the file system lacks it). FAILED_PRECONDITION if called twice.
  absl::StatusOr<SavedFile> Commit(bool overwrite);

  // Removes the temporary file now. Idempotent.
  void Abandon();

 private:
  friend class SafeRoot;
  PendingFile(FileDescriptor dir, FileDescriptor file, std::string temp_name,
              std::string name, std::string relative_dir,
              std::string root_path);

  FileDescriptor dir_;
  FileDescriptor file_;
  std::string temp_name_;
  std::string name_;
  std::string relative_dir_;  // "" or "a/b"
  std::string root_path_;
  uint64_t size_ = 0;
  bool finished_ = false;
};

// SafeRoot confines file access to a directory tree (the asset root for
// outputs, the input root for uploads): callers name files by relative
// paths that are checked by SplitRelativePath and then resolved beneath the
// root without following any symlink (see ResolveMode). The root path
// itself is the operator's configuration and is trusted, including
// symlinks in it; it is re-opened for each operation, so it may be created
// or replaced while the frontend runs.
//
// Error codes: INVALID_ARGUMENT (bad path), NOT_FOUND, PERMISSION_DENIED
// (including "a symlink is in the way"), FAILED_PRECONDITION (not a regular
// file, not a directory), RESOURCE_EXHAUSTED (over a size cap), INTERNAL.
// Messages name the relative path, never file contents. Thread-safe.
class SafeRoot {
 public:
  // `root_path` is made absolute against the working directory now.
  // INVALID_ARGUMENT if empty.
  static absl::StatusOr<std::unique_ptr<SafeRoot>> Create(
      absl::string_view root_path, SafeRootOptions options = {});

  // The absolute root path.
  const std::string& path() const { return root_path_; }

  // Opens a regular file for reading. FIFOs, devices and directories are
  // refused without blocking.
  absl::StatusOr<OpenedFile> OpenForRead(absl::string_view relative) const;

  // Reads a whole regular file of at most `max_bytes`.
  absl::StatusOr<std::string> ReadFile(absl::string_view relative,
                                       size_t max_bytes) const;

  // Creates missing parent directories of `relative` (0755, each checked
  // not to be a symlink) and a PendingFile for it.
  absl::StatusOr<std::unique_ptr<PendingFile>> CreateFile(
      absl::string_view relative) const;

  // CreateFile + Write + Commit.
  absl::StatusOr<SavedFile> WriteFile(absl::string_view relative,
                                      absl::string_view data,
                                      bool overwrite) const;

 private:
  SafeRoot(std::string root_path, SafeRootOptions options)
      : root_path_(std::move(root_path)), options_(options) {}

  absl::StatusOr<FileDescriptor> OpenRoot(bool create) const;

  const std::string root_path_;
  const SafeRootOptions options_;
};

// UniqueName returns the `n`-th alternative of `name`: "a.png" -> "a-1.png",
// "a.tar.gz" -> "a.tar-1.gz", "README" -> "README-1". n == 0 returns `name`.
std::string UniqueName(absl::string_view name, int n);

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_SAFE_FILES_SAFE_FILES_H_
