#ifndef LAYER_VAULT_VAULTD_SERVER_APP_H_
#define LAYER_VAULT_VAULTD_SERVER_APP_H_

#include <string>

#include "vaultd/server/config.h"

namespace layer_vault::server {

// RunVaultd is vaultd from start to exit: process hardening, the store
// (unsealed at start for systemd-credential and key-file sources), the
// policy, the audit log, the relay, then RunDaemon. Returns the process exit
// code: 0 after a clean SIGTERM, 1 on a start-up error (printed to stderr
// without any secret), 2 on a bad configuration.
int RunVaultd(const DaemonConfig& config);

// Where the operation registry is installed relative to the running
// binary: <bindir>/../share/vaultd/operations.
std::string InstalledOperationsDir();

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_APP_H_
