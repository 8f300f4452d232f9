#include "tests/faults/vaultd_faults.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/atomic_file.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/store.h"

namespace layer_vault::tests::faults {
namespace {

absl::StatusOr<store::KeyMaterial> StoreKey(
    const relay::VaultdProcess& vaultd) {
  absl::StatusOr<store::KeySource> source =
      store::KeySource::Parse("key-file:" + vaultd.dir() + "/store.key");
  if (!source.ok()) return source.status();
  return store::KeyMaterial::Read(*source, store::KeyEnvironment{});
}

}  // namespace

absl::Status KillAndReap(relay::VaultdProcess& vaultd) {
  const pid_t pid = vaultd.pid();
  if (pid <= 0) return absl::FailedPreconditionError("vaultd is not running");
  if (kill(pid, SIGKILL) != 0) {
    return absl::InternalError(absl::StrCat("kill: ", std::strerror(errno)));
  }
  // Wait for the zombie without reaping it; Stop() then reaps it at once
  // (its SIGTERM to a zombie is harmless) and forgets the pid.
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0) {
    if (errno != EINTR) {
      return absl::InternalError(
          absl::StrCat("waitid: ", std::strerror(errno)));
    }
  }
  const absl::Status stopped = vaultd.Stop();
  if (info.si_code != CLD_KILLED || info.si_status != SIGKILL) {
    return absl::InternalError(
        absl::StrCat("vaultd did not die of SIGKILL (si_code ", info.si_code,
                     ", status ", info.si_status, ")"));
  }
  // Stop() reports the signal as an abnormal exit; that is the point here.
  if (stopped.ok() || vaultd.running()) {
    return absl::InternalError("vaultd was not reaped");
  }
  return absl::OkStatus();
}

absl::StatusOr<store::Record> LoadStoreOffline(
    const relay::VaultdProcess& vaultd) {
  absl::StatusOr<store::KeyMaterial> key = StoreKey(vaultd);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::unique_ptr<store::Store>> opened =
      store::Store::Open(vaultd.state_dir());
  if (!opened.ok()) return opened.status();
  return (*opened)->Load(*key);
}

absl::Status ReplacePatOffline(const relay::VaultdProcess& vaultd,
                               const std::string& pat) {
  absl::StatusOr<store::KeyMaterial> key = StoreKey(vaultd);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::unique_ptr<store::Store>> opened =
      store::Store::Open(vaultd.state_dir());
  if (!opened.ok()) return opened.status();
  absl::StatusOr<store::Record> record = (*opened)->Load(*key);
  if (!record.ok()) return record.status();
  if (absl::Status s = store::SetToken(
          *record, crypto::SecretBytes::CopyFrom(pat), absl::Now());
      !s.ok()) {
    return s;
  }
  return (*opened)->Save(*record);
}

std::vector<std::string> StoreTempFiles(const relay::VaultdProcess& vaultd) {
  std::vector<std::string> names;
  const std::string prefix = store::TempPrefix(store::Store::kFileName);
  DIR* dir = opendir(vaultd.state_dir().c_str());
  if (dir == nullptr) return names;
  while (struct dirent* entry = readdir(dir)) {
    if (absl::StartsWith(entry->d_name, prefix)) names.push_back(entry->d_name);
  }
  closedir(dir);
  return names;
}

}  // namespace layer_vault::tests::faults
