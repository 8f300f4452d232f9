#ifndef LAYER_VAULT_TESTS_FAULTS_VAULTD_FAULTS_H_
#define LAYER_VAULT_TESTS_FAULTS_VAULTD_FAULTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/relay/vaultd_process.h"
#include "vaultd/store/record.h"

namespace layer_vault::tests::faults {

// KillAndReap sends SIGKILL to the running `vaultd` (a crash: no clean-up
// of any kind), waits until the kernel has torn it down and reaps it, so
// that `vaultd.Start()` can run again. INTERNAL unless it died of SIGKILL.
absl::Status KillAndReap(relay::VaultdProcess& vaultd);

// LoadStoreOffline opens the credential store of a stopped `vaultd` with
// the Store API (vaultd/store/store.h) and its key file, as vaultctl's
// offline commands do, and returns the decrypted record. The store's lock
// is released before it returns. Errors: the Store's (a corrupt or missing
// store fails here).
absl::StatusOr<store::Record> LoadStoreOffline(
    const relay::VaultdProcess& vaultd);

// ReplacePatOffline stores `pat` in the store of a stopped `vaultd` (the
// rest of the record kept), with the Store API.
absl::Status ReplacePatOffline(const relay::VaultdProcess& vaultd,
                               const std::string& pat);

// StoreTempFiles lists the temp files of the store's atomic write
// (".credentials.enc.tmp-*") in `vaultd`'s state directory.
std::vector<std::string> StoreTempFiles(const relay::VaultdProcess& vaultd);

}  // namespace layer_vault::tests::faults

#endif  // LAYER_VAULT_TESTS_FAULTS_VAULTD_FAULTS_H_
