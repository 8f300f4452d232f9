#ifndef LAYER_VAULT_VAULTD_PEER_PROC_PARSE_H_
#define LAYER_VAULT_VAULTD_PEER_PROC_PARSE_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace layer_vault::peer {

// ProcStat holds the fields of /proc/<pid>/stat that attestation uses.
struct ProcStat {
  pid_t pid = 0;
  // The command name between the parentheses. It may contain any byte but
  // NUL (spaces, parentheses, newlines), so it is never used for decisions.
  std::string comm;
  // Field 3: R, S, D, Z, X, ...
  char state = '?';
  // Field 22: start time in clock ticks since boot (sysconf(_SC_CLK_TCK)).
  uint64_t start_time_ticks = 0;
};

// ParseProcStat parses the whole content of a /proc/<pid>/stat file.
//
// The comm field is delimited by the first '(' and the *last* ')' of the
// text, so a process cannot shift the following fields by naming itself
// "x) R 1 2 3". Fields after ')' are single-space separated decimal numbers
// (state is one character); a trailing newline is accepted.
//
// Returns INVALID_ARGUMENT, naming the field, for any malformed input
// (missing parentheses, too few fields, non-numeric or out-of-range numbers).
// Pure function; thread-safe.
absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text);

// ParseStatusGroups returns the supplementary group ids of the `Groups:` line
// of a /proc/<pid>/status file, sorted and without duplicates (empty when
// the process has none).
//
// Returns INVALID_ARGUMENT when there is no `Groups:` line or an entry is not
// a decimal gid below 2^32-1 ((gid_t)-1 is not a group). Pure function;
// thread-safe.
absl::StatusOr<std::vector<gid_t>> ParseStatusGroups(absl::string_view text);

}  // namespace layer_vault::peer

#endif  // LAYER_VAULT_VAULTD_PEER_PROC_PARSE_H_
