#ifndef LAYER_VAULT_CLIENT_VAULTCTL_DOCTOR_H_
#define LAYER_VAULT_CLIENT_VAULTCTL_DOCTOR_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "vaultd/store/format.h"
#include "vaultd/store/key_source.h"

namespace layer_vault::vaultctl {

// `vaultctl doctor`: a security audit of a layer-vault installation and of a
// project directory, as a list of findings. Every check is a function of its
// inputs (no process globals), so tests drive each one directly.

enum class Verdict { kPass, kWarn, kFail };

// "PASS", "WARN", "FAIL".
absl::string_view VerdictName(Verdict verdict);

// Finding is one line of the report. `fix` is empty for a PASS.
struct Finding {
  std::string check;  // stable id, e.g. "store-permissions"
  Verdict verdict;
  std::string detail;
  std::string fix;
};

// 0 if all pass, 1 if the worst is a warning, 2 if anything failed.
int DoctorExitCode(const std::vector<Finding>& findings);

// True if `text` holds a plaintext Layer.ai token: "pat_" not preceded by a
// token character, then at least 28 of [A-Za-z0-9_-]. Stricter than
// common::Redact (which prefers over-redaction): doctor must not cry wolf.
bool ContainsPlaintextPat(absl::string_view text);

// Obtains the key for the store with `header` (its key source; its KDF
// iterations, for a progress line), or an error (for example no passphrase
// available non-interactively). CheckStore unlocks the store as soon as it
// returns a key, then returns.
using KeyProvider =
    std::function<absl::StatusOr<store::KeyMaterial>(const store::Header&)>;

// Store checks: store-permissions, store-ownership, store-encrypted,
// store-loadable, kdf-strength, token-age.
std::vector<Finding> CheckStore(const std::string& state_dir, uid_t uid,
                                const KeyProvider& key_provider,
                                absl::Time now);

// environment: no variable holds a plaintext PAT (names only are reported).
Finding CheckEnvironment(
    const std::vector<std::pair<std::string, std::string>>& environment);

// project-plaintext-tokens: no plaintext PAT in .env* files, *.token,
// *.credentials or MCP host configuration files under `project_dir`
// (depth-limited walk; skips .git, node_modules, bazel-*; never follows
// symlinks). Reports file:line, never the value.
Finding ScanProject(const std::string& project_dir);

// project-gitignore: `project_dir`/.gitignore ignores .env*, *.token,
// *.credentials, and the state directory if it lies inside the project.
Finding CheckGitignore(const std::string& project_dir,
                       const std::string& state_dir);

// Inputs of the core-dump check, read from the running system by
// CoreDumpInputs::FromSystem.
struct CoreDumpInputs {
  uint64_t soft_limit = 0;  // RLIMIT_CORE of this process (the daemon user
  uint64_t hard_limit = 0;  // when doctor runs as that user)
  std::string core_pattern;   // /proc/sys/kernel/core_pattern
  std::string suid_dumpable;  // /proc/sys/fs/suid_dumpable
  // Concatenated /etc/systemd/coredump.conf and coredump.conf.d/*.conf.
  std::string coredump_conf;

  static CoreDumpInputs FromSystem();
};

// core-dumps: core dumps are disabled for the daemon user.
Finding CheckCoreDumps(const CoreDumpInputs& inputs);

}  // namespace layer_vault::vaultctl

#endif  // LAYER_VAULT_CLIENT_VAULTCTL_DOCTOR_H_
