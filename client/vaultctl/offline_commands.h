#ifndef LAYER_VAULT_CLIENT_VAULTCTL_OFFLINE_COMMANDS_H_
#define LAYER_VAULT_CLIENT_VAULTCTL_OFFLINE_COMMANDS_H_

#include "client/vaultctl/command.h"

namespace layer_vault::vaultctl {

// Default state directory (systemd StateDirectory=vaultd).
inline constexpr char kDefaultStateDir[] = "/var/lib/vaultd";

// AddOfflineCommands registers the commands that work on a state directory
// directly, without vaultd: init, set-token, import-env, show,
// change-passphrase, doctor. Run them as the user that owns the store (the
// vaultd user), with vaultd stopped: the store is locked while in use.
void AddOfflineCommands(CommandTable& table);

}  // namespace layer_vault::vaultctl

#endif  // LAYER_VAULT_CLIENT_VAULTCTL_OFFLINE_COMMANDS_H_
