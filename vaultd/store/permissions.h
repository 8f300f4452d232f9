#ifndef LAYER_VAULT_VAULTD_STORE_PERMISSIONS_H_
#define LAYER_VAULT_VAULTD_STORE_PERMISSIONS_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace layer_vault::store {

// ShellQuote quotes `s` for a POSIX shell ('...' with ' escaped), so that a
// fix command printed in an error can be pasted as is.
std::string ShellQuote(absl::string_view s);

// CheckOwner: FAILED_PRECONDITION unless `st` is owned by `uid`; the
// message gives `chown USER 'path'`.
absl::Status CheckOwner(const struct stat& st, absl::string_view path,
                        uid_t uid);

// CheckNoGroupOrOtherAccess: FAILED_PRECONDITION if group or others have any
// permission bit; the message gives `chmod 0700 'path'` for a directory and
// `chmod 0600 'path'` otherwise.
absl::Status CheckNoGroupOrOtherAccess(const struct stat& st,
                                       absl::string_view path);

// CheckPrivateDirectory checks `st` (from fstat of an open directory at
// `path`): a directory owned by `uid` with no group or other permission bits.
// FAILED_PRECONDITION otherwise, with the exact fix command in the message
// (`chmod 0700 'path'` or `chown USER 'path'`), as ssh does.
absl::Status CheckPrivateDirectory(const struct stat& st,
                                   absl::string_view path, uid_t uid);

// CheckPrivateFile is the same for a store file: a regular file owned by
// `uid`, mode 0600 or 0400 (fix: `chmod 0600 'path'`).
absl::Status CheckPrivateFile(const struct stat& st, absl::string_view path,
                              uid_t uid);

// CheckKeyFile is the same for a key file: a regular file owned by `uid`,
// mode exactly 0400 or 0600.
absl::Status CheckKeyFile(const struct stat& st, absl::string_view path,
                          uid_t uid);

}  // namespace layer_vault::store

#endif  // LAYER_VAULT_VAULTD_STORE_PERMISSIONS_H_
