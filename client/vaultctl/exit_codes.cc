#include "client/vaultctl/exit_codes.h"

namespace layer_vault::vaultctl {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
      return kExitInvalidInput;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kAlreadyExists:
      return kExitAlreadyExists;
    case absl::StatusCode::kUnauthenticated:
      return kExitWrongKeyOrTampered;
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnimplemented:
      return kExitDamaged;
    case absl::StatusCode::kFailedPrecondition:
      return kExitInsecure;
    case absl::StatusCode::kUnavailable:
      return kExitBusy;
    default:
      return kExitError;
  }
}

int OnlineExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitVaultdUnavailable;
    case absl::StatusCode::kFailedPrecondition:
      return kExitVaultdState;
    case absl::StatusCode::kPermissionDenied:
      return kExitVaultdRefused;
    case absl::StatusCode::kUnauthenticated:
      return kExitWrongKeyOrTampered;
    case absl::StatusCode::kInvalidArgument:
      return kExitInvalidInput;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kDataLoss:
      return kExitDamaged;
    default:
      return kExitError;
  }
}

std::string ExitCodeHelp() {
  return R"(exit codes:
  0   success
  1   doctor: warnings, no failures
  2   doctor: at least one failure
  3   any other error (I/O, internal)
  4   usage error (unknown command or flag, missing or conflicting flags)
  5   invalid input (token, workspace id, passphrase, unknown key source)
  6   not found (no store, missing key source, variable not set)
  7   a store already exists (init never overwrites)
  8   wrong passphrase or key, or the store file was tampered with
  9   store file damaged (truncated, corrupt, unsupported format version)
  10  insecure permissions or ownership (the message gives the fix)
  11  the store is in use by another process (vaultd running?)
  12  vaultd unavailable: not running at the socket, not answering, or
      Layer.ai unreachable for a check (retrying later may work)
  13  vaultd cannot do it in its current state (sealed: run vaultctl unlock;
      already unlocked; no token stored; token rejected by Layer.ai)
  14  vaultd refused this process (not root, the vaultd user or an admin)
)";
}

}  // namespace layer_vault::vaultctl
