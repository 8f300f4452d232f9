#ifndef LAYER_VAULT_CLIENT_VAULTCTL_ONLINE_COMMANDS_H_
#define LAYER_VAULT_CLIENT_VAULTCTL_ONLINE_COMMANDS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "client/vaultctl/command.h"

namespace layer_vault::vaultctl {

// vaultd's admin socket in a systemd deployment (vaultd's default).
inline constexpr char kDefaultAdminSocket[] = "/run/vaultd-admin/admin.sock";

// AddOnlineCommands registers the commands that talk to a running vaultd
// over its admin socket (client/admin_client.h): status, unlock, lock,
// rotate, revoke, revoke-all, rotate-signing-key, each with
// --admin-socket PATH. It also extends the offline set-token (so it must run
// after AddOfflineCommands) to go online by the rule of ChooseSetTokenMode.
// Failures exit with OnlineExitCodeFor (exit_codes.h: 12 unavailable,
// 13 wrong state such as sealed, 14 refused, 8 wrong passphrase, ...).
void AddOnlineCommands(CommandTable& table);

enum class SetTokenMode { kOffline, kOnline };

// ChooseSetTokenMode decides where `vaultctl set-token` stores the token:
//   - --admin-socket given: online (vaultd stores it, SetCredential);
//   - an offline-only flag given (--state-dir, --passphrase-file,
//     --key-source, --credentials-directory, --rotation-days): offline (the
//     store file directly);
//   - both: INVALID_ARGUMENT (a usage error naming the two flags);
//   - neither: online if `daemon_listens(kDefaultAdminSocket)`, else offline
//     on the default state directory. A running vaultd holds the store's
//     lock, so offline could not work then anyway.
absl::StatusOr<SetTokenMode> ChooseSetTokenMode(
    const Flags& flags,
    const std::function<bool(const std::string&)>& daemon_listens);

// AdminSocketListens: true if a connect(2) to `path` succeeds, or is refused
// for lack of permission (someone runs vaultd there; the online command then
// explains the permission problem). False for no socket or nobody listening.
bool AdminSocketListens(const std::string& path);

}  // namespace layer_vault::vaultctl

#endif  // LAYER_VAULT_CLIENT_VAULTCTL_ONLINE_COMMANDS_H_
