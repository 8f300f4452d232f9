#ifndef LAYER_VAULT_CLIENT_VAULTCTL_SECRET_INPUT_H_
#define LAYER_VAULT_CLIENT_VAULTCTL_SECRET_INPUT_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::vaultctl {

// Reading secrets (passphrases, the PAT) straight into locked memory. None
// of these functions echoes, logs or copies the secret into a std::string;
// error messages never contain input bytes.

// IsTerminal: true if `fd` is a terminal.
bool IsTerminal(int fd);

// ReadSecretFromTerminal writes `prompt` to the terminal `tty_path`
// (normally /dev/tty, so it works even when stdin/stdout are redirected),
// turns echo off, reads one line, and restores the terminal, also if the
// process gets SIGINT/SIGTERM/SIGHUP/SIGQUIT meanwhile. Errors:
// INVALID_ARGUMENT if there is no terminal ("use --passphrase-file"), the
// line is empty or longer than `max_size`.
absl::StatusOr<crypto::SecretBytes> ReadSecretFromTerminal(
    const std::string& tty_path, absl::string_view prompt, size_t max_size);

// ReadSecretFromFd reads `fd` to EOF and strips one trailing "\n" or
// "\r\n". INVALID_ARGUMENT if the result is empty or longer than
// `max_size`.
absl::StatusOr<crypto::SecretBytes> ReadSecretFromFd(int fd, size_t max_size,
                                                     absl::string_view what);

// ReadSecretFromFile is ReadSecretFromFd on `path` ("-" is `stdin_fd`).
// NOT_FOUND if it does not exist. `warning` is set when a regular file is
// group- or world-readable.
absl::StatusOr<crypto::SecretBytes> ReadSecretFromFile(
    const std::string& path, int stdin_fd, size_t max_size,
    std::string* warning);

}  // namespace layer_vault::vaultctl

#endif  // LAYER_VAULT_CLIENT_VAULTCTL_SECRET_INPUT_H_
