#ifndef LAYER_VAULT_VAULTD_AUDIT_AUDIT_LOG_H_
#define LAYER_VAULT_VAULTD_AUDIT_AUDIT_LOG_H_

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/peer/peer_identity.h"

namespace layer_vault::audit {

// Event names vaultd uses. Any name of 1-64 characters from [a-z0-9._] is
// accepted; these are the ones the daemon and log readers agree on.
inline constexpr absl::string_view kEventAuth = "auth";
inline constexpr absl::string_view kEventTokenIssue = "token.issue";
inline constexpr absl::string_view kEventTokenDeny = "token.deny";
inline constexpr absl::string_view kEventTokenReject = "token.reject";
inline constexpr absl::string_view kEventRelayCall = "relay.call";
inline constexpr absl::string_view kEventPolicyReload = "policy.reload";
inline constexpr absl::string_view kEventAdminUnlock = "admin.unlock";
inline constexpr absl::string_view kEventAdminLock = "admin.lock";
inline constexpr absl::string_view kEventAdminSetCredential =
    "admin.set_credential";
inline constexpr absl::string_view kEventAdminRevoke = "admin.revoke";
inline constexpr absl::string_view kEventAdminRotateKey = "admin.rotate_key";
inline constexpr absl::string_view kEventError = "error";

// The attested caller of an event, copied from its PeerIdentity.
struct Caller {
  pid_t pid = 0;
  uid_t uid = 0;
  std::string exe;

  static Caller From(const peer::PeerIdentity& peer) {
    return Caller{peer.pid, peer.uid, peer.exe_path};
  }
};

// Event is one audit record. Empty strings, a zero http_status and unset
// optionals are left out of the line. The log stamps the time itself, from
// its clock.
//
// Never put a secret here: tokens appear only as their jti. As a safety net
// every string is still passed through common::Redact before it is written.
struct Event {
  std::string name;      // e.g. kEventTokenIssue; required
  std::string decision;  // "allow", "deny", "error", or empty
  std::optional<Caller> caller;
  std::string rule;  // policy rule that decided, if any
  std::string jti;
  std::string scope;
  std::string operation;
  int http_status = 0;
  std::optional<absl::Duration> latency;
  std::string reason;
  // Identifiers that may be sensitive (workspace ids, asset ids, file
  // names): written under "ids" as "hmac-sha256:<hex>" when the log has an
  // HMAC key, as (redacted) plain text otherwise. Names: 1-32 of [a-z0-9_].
  std::vector<std::pair<std::string, std::string>> identifiers;
};

struct AuditOptions {
  // JSON-lines file; unset for none. Opened O_APPEND|O_CREAT|O_CLOEXEC|
  // O_NOFOLLOW with mode 0600.
  std::optional<std::string> path;
  // Also write each line to `stderr_fd` (journald under systemd).
  bool also_stderr = false;
  int stderr_fd = STDERR_FILENO;
  // When true, Record returns an error if the line could not be written and
  // the caller must not go on with the audited action. When false, write
  // failures are counted in dropped() and Record returns OK.
  bool fail_closed = false;
  // Key for identifiers (at least 16 bytes); unset writes them in plain.
  std::optional<crypto::SecretBytes> hmac_key;
  // Source of the "time" field; null means common::RealClock(). Must outlive
  // the log.
  const common::Clock* clock = nullptr;
};

// AuditLog writes audit events as JSON lines:
//
//   {"time":"2026-01-01T00:00:00.000Z","event":"token.issue",
//    "decision":"allow","pid":42,"uid":1000,"exe":"/usr/bin/x",
//    "rule":"ide","jti":"...","scope":"layer:read","operation":"...",
//    "http_status":200,"latency_ms":12.5,"reason":"...",
//    "ids":{"workspace":"hmac-sha256:..."}}
//
// Each line is built completely, then written with one write(2) per sink,
// under a mutex: lines from concurrent Record calls never interleave, and
// with O_APPEND neither do lines from other processes appending to the same
// file. Every string field is redacted (common::Redact: PATs, PASETO tokens,
// bearer credentials) and then capped at 1 KiB. Invalid UTF-8 becomes U+FFFD.
//
// Thread-safe. Not copyable. The file is closed on destruction.
class AuditLog {
 public:
  // Create opens the sinks.
  //
  // Errors: INVALID_ARGUMENT if there is neither a path nor also_stderr, or
  // the HMAC key is shorter than 16 bytes; FAILED_PRECONDITION if the path is
  // a symlink, not a regular file, not owned by vaultd's euid, or accessible
  // to group or others (the message carries the command that fixes it);
  // INTERNAL for other open/fstat errors (the message names the path).
  static absl::StatusOr<std::unique_ptr<AuditLog>> Create(AuditOptions options);

  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Record writes `event`. INVALID_ARGUMENT (nothing written) for an invalid
  // event or identifier name. With fail_closed, UNAVAILABLE if the line did
  // not reach the file (or stderr, when it is the only sink) in full;
  // otherwise such failures return OK and count in dropped().
  [[nodiscard]] absl::Status Record(const Event& event);

  // Events that could not be written (fail_closed == false only).
  uint64_t dropped() const { return dropped_.load(); }

  // The line Record would write for `event` at `now`, without the trailing
  // newline. Exposed for tests and for logging an event elsewhere.
  absl::StatusOr<std::string> FormatLine(const Event& event,
                                         absl::Time now) const;

 private:
  AuditLog(AuditOptions options, int fd);

  absl::Status WriteLine(const std::string& line) ABSL_LOCKS_EXCLUDED(mu_);

  const AuditOptions options_;
  const common::Clock& clock_;
  const int fd_;  // -1 when there is no file
  absl::Mutex mu_;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace layer_vault::audit

#endif  // LAYER_VAULT_VAULTD_AUDIT_AUDIT_LOG_H_
