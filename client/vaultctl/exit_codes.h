#ifndef LAYER_VAULT_CLIENT_VAULTCTL_EXIT_CODES_H_
#define LAYER_VAULT_CLIENT_VAULTCTL_EXIT_CODES_H_

#include <string>

#include "absl/status/status.h"

namespace layer_vault::vaultctl {

// vaultctl's exit codes. Stable: scripts depend on them. `vaultctl --help`
// prints this table (ExitCodeHelp).
//
//   0  success
//   1  doctor: warnings, no failures
//   2  doctor: at least one failure
//   3  any other error (I/O, internal)
//   4  usage error (unknown command or flag, missing or conflicting flags)
//   5  invalid input (PAT, workspace id, passphrase rules, unknown key
//      source, passphrases differ, no terminal to ask on)
//   6  not found: no store, missing key source, variable not set
//   7  a store already exists (init never overwrites)
//   8  wrong passphrase or key, or the store file was tampered with
//   9  store file damaged: truncated, corrupt, or unsupported format version
//   10 insecure permissions or ownership (the message gives the fix)
//   11 the store is in use by another process (vaultd running?)
// Online commands (talking to vaultd over its admin socket) also use:
//   12 vaultd unavailable: not running at the socket, not answering, or
//      Layer.ai unreachable for a check (retrying later may work)
//   13 vaultd cannot do it in its current state: sealed (run vaultctl
//      unlock), already unlocked, no token stored, token rejected by Layer.ai
//   14 vaultd refused this process (not root, the vaultd user or an admin
//      uid of the policy)
enum ExitCode : int {
  kExitOk = 0,
  kExitDoctorWarnings = 1,
  kExitDoctorFailures = 2,
  kExitError = 3,
  kExitUsage = 4,
  kExitInvalidInput = 5,
  kExitNotFound = 6,
  kExitAlreadyExists = 7,
  kExitWrongKeyOrTampered = 8,
  kExitDamaged = 9,
  kExitInsecure = 10,
  kExitBusy = 11,
  kExitVaultdUnavailable = 12,
  kExitVaultdState = 13,
  kExitVaultdRefused = 14,
};

// The exit code for a failed operation, from its status code (store.h
// documents which condition has which code). OK maps to 0.
int ExitCodeFor(const absl::Status& status);

// The exit code for a failed call to vaultd (client/admin_client.h errors):
// UNAVAILABLE and DEADLINE_EXCEEDED 12, FAILED_PRECONDITION 13,
// PERMISSION_DENIED 14, UNAUTHENTICATED (wrong passphrase) 8,
// INVALID_ARGUMENT 5, NOT_FOUND 6, DATA_LOSS 9, others 3.
int OnlineExitCodeFor(const absl::Status& status);

// The table above, for --help.
std::string ExitCodeHelp();

}  // namespace layer_vault::vaultctl

#endif  // LAYER_VAULT_CLIENT_VAULTCTL_EXIT_CODES_H_
