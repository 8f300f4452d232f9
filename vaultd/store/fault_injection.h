#ifndef LAYER_VAULT_VAULTD_STORE_FAULT_INJECTION_H_
#define LAYER_VAULT_VAULTD_STORE_FAULT_INJECTION_H_

#include <string>

#include "absl/status/status.h"
#include "vaultd/store/atomic_file.h"

namespace layer_vault::store::testing {

// The steps of WriteFileAtomically, in order.
enum class WriteStep { kCreateTemp, kWrite, kSync, kRename, kSyncDirectory };

const char* WriteStepName(WriteStep step);

// FaultyFileOps is the real FileOps except that one step fails with EIO.
// A failing kWrite first writes half of the data, like a full disk would.
class FaultyFileOps : public FileOps {
 public:
  explicit FaultyFileOps(WriteStep fail_at) : fail_at_(fail_at) {}

  absl::StatusOr<int> CreateTemp(int dir_fd, const std::string& name) override;
  absl::Status Write(int fd, absl::string_view data) override;
  absl::Status Sync(int fd) override;
  absl::Status Rename(int dir_fd, const std::string& from,
                      const std::string& to) override;
  absl::Status SyncDirectory(int dir_fd) override;

 private:
  WriteStep fail_at_;
};

}  // namespace layer_vault::store::testing

#endif  // LAYER_VAULT_VAULTD_STORE_FAULT_INJECTION_H_
