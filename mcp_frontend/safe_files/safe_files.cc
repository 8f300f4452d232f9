#include "mcp_frontend/safe_files/safe_files.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace layer_vault::mcp {
namespace {

constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxComponentBytes = 255;
// A file name leaves room for ".<name>.tmp-<12 hex>" and "-999".
constexpr size_t kMaxFileNameBytes = 200;
constexpr int kMaxUniqueAttempts = 1000;

// Whether openat2 works here: 0 unknown, 1 yes, -1 no (ENOSYS).
std::atomic<int> g_openat2_state{0};

absl::Status ErrnoStatus(int error, absl::string_view what,
                         absl::string_view relative) {
  const std::string where = absl::StrCat(what, " \"", relative, "\"");
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(absl::StrCat(where, ": no such file"));
    case ELOOP:
      return absl::PermissionDeniedError(absl::StrCat(
          where, ": refused, a symbolic link is in the way (links are never "
                 "followed beneath the root)"));
    case EXDEV:
      return absl::PermissionDeniedError(
          absl::StrCat(where, ": refused, the path leaves the root"));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(
          absl::StrCat(where, ": permission denied"));
    case ENOTDIR:
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": a component is not a directory"));
    case EISDIR:
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": is a directory"));
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(
          absl::StrCat(where, ": no space left"));
    default:
      return absl::InternalError(absl::StrCat(where, ": ", strerror(error)));
  }
}

bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// openat2 beneath `dir_fd`, or -1 with errno. ENOSYS if unavailable.
int Openat2(int dir_fd, const std::string& path, int flags, mode_t mode) {
  open_how how = {};
  how.flags = static_cast<uint64_t>(flags);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = syscall(SYS_openat2, dir_fd, path.c_str(), &how, sizeof(how));
  } while (fd < 0 && errno == EINTR);
  return static_cast<int>(fd);
}

// Opens the directory `name` in `dir_fd` without following a symlink.
// -1 with errno on failure; ELOOP if `name` is a symlink (the kernel says
// ENOTDIR for O_DIRECTORY | O_NOFOLLOW on one).
int OpenDirectoryNoFollow(int dir_fd, const char* name) {
  int fd;
  do {
    fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0 && errno == ENOTDIR) {
    struct stat st;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode)) {
      errno = ELOOP;
    } else {
      errno = ENOTDIR;
    }
  }
  return fd;
}

// Opens `components` beneath `root_fd` with `flags` (plus O_CLOEXEC and
// O_NOFOLLOW), following no symlink. -1 with errno on failure.
int OpenBeneath(int root_fd, const std::vector<std::string>& components,
                int flags, ResolveMode mode) {
  flags |= O_CLOEXEC | O_NOFOLLOW;
  if (mode != ResolveMode::kWalk && g_openat2_state.load() >= 0) {
    const int fd = Openat2(root_fd, absl::StrJoin(components, "/"), flags, 0);
    if (fd >= 0 || errno != ENOSYS) {
      if (fd >= 0) g_openat2_state.store(1);
      return fd;
    }
    g_openat2_state.store(-1);
    if (mode == ResolveMode::kOpenat2) {
      errno = ENOSYS;
      return -1;
    }
  }
  if (mode == ResolveMode::kOpenat2) {
    errno = ENOSYS;
    return -1;
  }
  FileDescriptor current;
  int dir = root_fd;
  for (size_t i = 0; i + 1 < components.size(); ++i) {
    const int next = OpenDirectoryNoFollow(dir, components[i].c_str());
    if (next < 0) return -1;
    current.reset(next);
    dir = next;
  }
  int fd;
  do {
    fd = openat(dir, components.back().c_str(), flags);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// mkdir -p for the operator's root path (symlinks in it are trusted).
absl::Status MakeDirectories(const std::string& path) {
  std::string prefix;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    absl::StrAppend(&prefix, "/", part);
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot create directory ", prefix, ": ", strerror(errno)));
    }
  }
  return absl::OkStatus();
}

std::string RandomHex(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  absl::BitGen gen;
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    const uint8_t b = absl::Uniform<uint8_t>(gen);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string MakeAbsolute(absl::string_view path) {
  std::string base;
  if (path.empty() || path[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) != nullptr) base = cwd;
  }
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(base, '/', absl::SkipEmpty())) {
    parts.push_back(part);
  }
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part != ".") parts.push_back(part);
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

}  // namespace

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

FileDescriptor::~FileDescriptor() { reset(); }

int FileDescriptor::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void FileDescriptor::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

absl::StatusOr<std::vector<std::string>> SplitRelativePath(
    absl::string_view path, bool allow_hidden) {
  if (path.empty()) return absl::InvalidArgumentError("empty path");
  if (path.size() > kMaxPathBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("path longer than ", kMaxPathBytes, " bytes"));
  }
  for (char c : path) {
    if (IsControl(c)) {
      return absl::InvalidArgumentError(
          "path contains a NUL or control character");
    }
  }
  if (path[0] == '/') {
    return absl::InvalidArgumentError(
        "absolute paths are not allowed: give a path relative to the root");
  }
  std::vector<std::string> components;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty()) {
      return absl::InvalidArgumentError(
          "path has an empty component (\"//\" or a trailing \"/\")");
    }
    if (part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError("\"..\" is not allowed in paths");
    }
    if (part.size() > kMaxComponentBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "path component longer than ", kMaxComponentBytes, " bytes"));
    }
    if (!allow_hidden && part[0] == '.') {
      return absl::InvalidArgumentError(
          "hidden names (starting with \".\") are not allowed");
    }
    components.emplace_back(part);
  }
  if (components.empty()) {
    return absl::InvalidArgumentError("path names no file");
  }
  return components;
}

std::string UniqueName(absl::string_view name, int n) {
  if (n == 0) return std::string(name);
  const size_t dot = name.rfind('.');
  if (dot == absl::string_view::npos || dot == 0) {
    return absl::StrCat(name, "-", n);
  }
  return absl::StrCat(name.substr(0, dot), "-", n, name.substr(dot));
}

absl::StatusOr<std::unique_ptr<SafeRoot>> SafeRoot::Create(
    absl::string_view root_path, SafeRootOptions options) {
  if (root_path.empty()) return absl::InvalidArgumentError("empty root path");
  if (root_path.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("root path contains NUL");
  }
  return std::unique_ptr<SafeRoot>(
      new SafeRoot(MakeAbsolute(root_path), options));
}

absl::StatusOr<FileDescriptor> SafeRoot::OpenRoot(bool create) const {
  int fd = open(root_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create && options_.create_root) {
    if (absl::Status made = MakeDirectories(root_path_); !made.ok()) {
      return made;
    }
    fd = open(root_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("the directory ", root_path_, " does not exist"));
    }
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot open the directory ", root_path_, ": ", strerror(error)));
  }
  return FileDescriptor(fd);
}

absl::StatusOr<OpenedFile> SafeRoot::OpenForRead(
    absl::string_view relative) const {
  absl::StatusOr<std::vector<std::string>> components =
      SplitRelativePath(relative, options_.allow_hidden);
  if (!components.ok()) return components.status();
  absl::StatusOr<FileDescriptor> root = OpenRoot(/*create=*/false);
  if (!root.ok()) return root.status();
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = OpenBeneath(root->get(), *components,
                             O_RDONLY | O_NONBLOCK | O_NOCTTY,
                             options_.resolve);
  if (fd < 0) {
    if (errno == ENOSYS) {
      return absl::UnimplementedError("openat2 is not available");
    }
    return ErrnoStatus(errno, "cannot open", relative);
  }
  OpenedFile opened;
  opened.fd.reset(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoStatus(errno, "cannot stat", relative);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", relative, "\" is not a regular file"));
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  opened.size = static_cast<uint64_t>(st.st_size);
  return opened;
}

absl::StatusOr<std::string> SafeRoot::ReadFile(absl::string_view relative,
                                               size_t max_bytes) const {
  absl::StatusOr<OpenedFile> opened = OpenForRead(relative);
  if (!opened.ok()) return opened.status();
  auto too_big = [&] {
    return absl::ResourceExhaustedError(absl::StrCat(
        "\"", relative, "\" is larger than the limit of ", max_bytes,
        " bytes"));
  };
  if (opened->size > max_bytes) return too_big();
  std::string data;
  data.resize(static_cast<size_t>(opened->size) + 1);
  size_t total = 0;
  while (true) {
    if (total == data.size()) {
      if (total > max_bytes) return too_big();  // the file grew
      data.resize(data.size() * 2);
    }
    const ssize_t n =
        read(opened->fd.get(), &data[total], data.size() - total);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot read", relative);
    }
    if (n == 0) break;
    total += static_cast<size_t>(n);
    if (total > max_bytes) return too_big();
  }
  data.resize(total);
  return data;
}

absl::StatusOr<std::unique_ptr<PendingFile>> SafeRoot::CreateFile(
    absl::string_view relative) const {
  absl::StatusOr<std::vector<std::string>> components =
      SplitRelativePath(relative, options_.allow_hidden);
  if (!components.ok()) return components.status();
  const std::string name = components->back();
  if (name.size() > kMaxFileNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("file name longer than ", kMaxFileNameBytes, " bytes"));
  }
  absl::StatusOr<FileDescriptor> root = OpenRoot(/*create=*/true);
  if (!root.ok()) return root.status();

  // Walk (and create) the directories one by one, never through a symlink.
  FileDescriptor dir(dup(root->get()));
  if (!dir.valid()) return ErrnoStatus(errno, "cannot open", relative);
  std::vector<std::string> dirs(components->begin(), components->end() - 1);
  std::string walked;
  for (const std::string& component : dirs) {
    absl::StrAppend(&walked, walked.empty() ? "" : "/", component);
    if (mkdirat(dir.get(), component.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, "cannot create directory", walked);
    }
    const int next = OpenDirectoryNoFollow(dir.get(), component.c_str());
    if (next < 0) return ErrnoStatus(errno, "cannot open directory", walked);
    dir.reset(next);
  }

  FileDescriptor file;
  std::string temp_name;
  for (int attempt = 0; attempt < 10 && !file.valid(); ++attempt) {
    temp_name = absl::StrCat(".", name, ".tmp-", RandomHex(6));
    const int fd = openat(dir.get(), temp_name.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          0644);
    if (fd >= 0) {
      file.reset(fd);
    } else if (errno != EEXIST && errno != EINTR) {
      return ErrnoStatus(errno, "cannot create a file for", relative);
    }
  }
  if (!file.valid()) {
    return absl::InternalError(
        absl::StrCat("cannot create a temporary file for \"", relative, "\""));
  }
  // 0644 whatever the umask: assets are meant to be read by the game tools.
  fchmod(file.get(), 0644);
  return std::unique_ptr<PendingFile>(new PendingFile(
      std::move(dir), std::move(file), std::move(temp_name), name,
      absl::StrJoin(dirs, "/"), root_path_));
}

absl::StatusOr<SavedFile> SafeRoot::WriteFile(absl::string_view relative,
                                              absl::string_view data,
                                              bool overwrite) const {
  absl::StatusOr<std::unique_ptr<PendingFile>> pending = CreateFile(relative);
  if (!pending.ok()) return pending.status();
  if (absl::Status written = (*pending)->Write(data); !written.ok()) {
    return written;
  }
  return (*pending)->Commit(overwrite);
}

PendingFile::PendingFile(FileDescriptor dir, FileDescriptor file,
                         std::string temp_name, std::string name,
                         std::string relative_dir, std::string root_path)
    : dir_(std::move(dir)),
      file_(std::move(file)),
      temp_name_(std::move(temp_name)),
      name_(std::move(name)),
      relative_dir_(std::move(relative_dir)),
      root_path_(std::move(root_path)) {}

PendingFile::~PendingFile() { Abandon(); }

void PendingFile::Abandon() {
  if (finished_) return;
  finished_ = true;
  file_.reset();
  unlinkat(dir_.get(), temp_name_.c_str(), 0);
}

absl::Status PendingFile::Write(absl::string_view data) {
  if (finished_) return absl::FailedPreconditionError("file already closed");
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(file_.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      return ErrnoStatus(error, "cannot write", name_);
    }
    done += static_cast<size_t>(n);
  }
  size_ += data.size();
  return absl::OkStatus();
}

absl::StatusOr<SavedFile> PendingFile::Commit(bool overwrite) {
  if (finished_) return absl::FailedPreconditionError("file already closed");
  if (fsync(file_.get()) != 0) {
    const int error = errno;
    Abandon();
    return ErrnoStatus(error, "cannot sync", name_);
  }
  file_.reset();
  std::string final_name;
  if (overwrite) {
    if (renameat(dir_.get(), temp_name_.c_str(), dir_.get(), name_.c_str()) !=
        0) {
      const int error = errno;
      Abandon();
      return ErrnoStatus(error, "cannot save", name_);
    }
    final_name = name_;
  } else {
    for (int n = 0; n < kMaxUniqueAttempts && final_name.empty(); ++n) {
      const std::string candidate = UniqueName(name_, n);
      if (renameat2(dir_.get(), temp_name_.c_str(), dir_.get(),
                    candidate.c_str(), RENAME_NOREPLACE) == 0) {
        final_name = candidate;
        break;
      }
      if (errno == EEXIST) continue;
      if (errno != EINVAL && errno != ENOSYS) {
        const int error = errno;
        Abandon();
        return ErrnoStatus(error, "cannot save", candidate);
      }
      // The file system has no RENAME_NOREPLACE: link(2) fails on an
      // existing name just as atomically.
      if (linkat(dir_.get(), temp_name_.c_str(), dir_.get(),
                 candidate.c_str(), 0) == 0) {
        unlinkat(dir_.get(), temp_name_.c_str(), 0);
        final_name = candidate;
        break;
      }
      if (errno == EEXIST) continue;
      const int error = errno;
      Abandon();
      return ErrnoStatus(error, "cannot save", candidate);
    }
    if (final_name.empty()) {
      Abandon();
      return absl::ResourceExhaustedError(absl::StrCat(
          "no free name for \"", name_, "\" after ", kMaxUniqueAttempts,
          " attempts"));
    }
  }
  finished_ = true;
  fsync(dir_.get());
  SavedFile saved;
  saved.relative_path = relative_dir_.empty()
                            ? final_name
                            : absl::StrCat(relative_dir_, "/", final_name);
  saved.absolute_path = absl::StrCat(
      root_path_ == "/" ? "" : root_path_, "/", saved.relative_path);
  saved.size = size_;
  return saved;
}

}  // namespace layer_vault::mcp
