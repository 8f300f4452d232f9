#include "vaultd/store/fault_injection.h"

namespace layer_vault::store::testing {
namespace {

absl::Status Injected(WriteStep step) {
  return absl::InternalError(
      std::string("injected failure at ") + WriteStepName(step));
}

}  // namespace

const char* WriteStepName(WriteStep step) {
  switch (step) {
    case WriteStep::kCreateTemp:
      return "create_temp";
    case WriteStep::kWrite:
      return "write";
    case WriteStep::kSync:
      return "fsync";
    case WriteStep::kRename:
      return "rename";
    case WriteStep::kSyncDirectory:
      return "fsync_directory";
  }
  return "unknown";
}

absl::StatusOr<int> FaultyFileOps::CreateTemp(int dir_fd,
                                              const std::string& name) {
  if (fail_at_ == WriteStep::kCreateTemp) return Injected(fail_at_);
  return FileOps::CreateTemp(dir_fd, name);
}

absl::Status FaultyFileOps::Write(int fd, absl::string_view data) {
  if (fail_at_ == WriteStep::kWrite) {
    absl::Status partial = FileOps::Write(fd, data.substr(0, data.size() / 2));
    if (!partial.ok()) return partial;
    return Injected(fail_at_);
  }
  return FileOps::Write(fd, data);
}

absl::Status FaultyFileOps::Sync(int fd) {
  if (fail_at_ == WriteStep::kSync) return Injected(fail_at_);
  return FileOps::Sync(fd);
}

absl::Status FaultyFileOps::Rename(int dir_fd, const std::string& from,
                                   const std::string& to) {
  if (fail_at_ == WriteStep::kRename) return Injected(fail_at_);
  return FileOps::Rename(dir_fd, from, to);
}

absl::Status FaultyFileOps::SyncDirectory(int dir_fd) {
  if (fail_at_ == WriteStep::kSyncDirectory) return Injected(fail_at_);
  return FileOps::SyncDirectory(dir_fd);
}

}  // namespace layer_vault::store::testing
