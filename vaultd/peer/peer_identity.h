#ifndef LAYER_VAULT_VAULTD_PEER_PEER_IDENTITY_H_
#define LAYER_VAULT_VAULTD_PEER_PEER_IDENTITY_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vaultd/peer/exe_digest_cache.h"

namespace layer_vault::peer {

// PidFd owns a process file descriptor (pidfd) and closes it on
// destruction. Shared by copies of a PeerIdentity. Thread-safe (immutable).
class PidFd {
 public:
  explicit PidFd(int fd) : fd_(fd) {}
  ~PidFd();
  PidFd(const PidFd&) = delete;
  PidFd& operator=(const PidFd&) = delete;
  int get() const { return fd_; }

 private:
  const int fd_;
};

// PeerIdentity is what the kernel says about the process at the other end of
// a Unix socket, as of connect(2), plus facts read from /proc/<pid> and
// confirmed to belong to that same process.
//
// A plain value: copyable (copies share the pidfd), safe to read from many
// threads. Only trusted daemon code builds one; ReadPeer is the way to get
// one from a connection. Fields left at their defaults by hand-built
// identities (tests) make StillSame and ExeSha256 fail closed.
struct PeerIdentity {
  // From SO_PEERCRED: credentials at connect(2) time, in vaultd's pid and
  // user namespaces.
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  // Supplementary groups, sorted, without duplicates: from SO_PEERGROUPS
  // (connect-time, like uid/gid) or, where the kernel lacks it, from the
  // `Groups:` line of /proc/<pid>/status.
  std::vector<gid_t> supplementary_gids;

  // Field 22 of /proc/<pid>/stat: start time in clock ticks since boot.
  uint64_t start_time_ticks = 0;
  // /proc/sys/kernel/random/boot_id: pid and start time are only unique
  // within one boot.
  std::string boot_id;

  // readlink(/proc/<pid>/exe). Ends in " (deleted)" when the file was
  // unlinked or replaced after exec. Empty when it could not be read; then
  // `exe_status` says why (typically PERMISSION_DENIED: reading another
  // user's /proc/<pid>/exe needs CAP_SYS_PTRACE).
  std::string exe_path;
  absl::Status exe_status;
  // Identity of the executable file at attestation (stat of /proc/<pid>/exe);
  // valid when exe_status is OK.
  dev_t exe_dev = 0;
  ino_t exe_ino = 0;

  // True when the kernel supports SO_PEERPIDFD (Linux 6.5+) and it was used.
  bool pidfd_supported = false;
  // The peer's pidfd; null when !pidfd_supported.
  std::shared_ptr<const PidFd> pidfd;

  // Where ExeSha256 caches digests (set by ReadPeer).
  std::shared_ptr<ExeDigestCache> exe_digest_cache;
  // A digest already known to trusted code (lower-case hex). When set,
  // ExeSha256 returns it without touching the process. ReadPeer leaves it
  // empty; tests and fakes set it.
  std::optional<std::string> known_exe_sha256;

  // True if `g` is the primary or a supplementary group.
  bool InGroup(gid_t g) const;

  // ExeSha256 returns the lower-case hex SHA-256 of the peer's executable,
  // read through /proc/<pid>/exe (so a file replaced at the same path is
  // not what gets hashed) and cached by file identity. Computed on first
  // use only: callers that never need it never pay for it.
  //
  // Errors: FAILED_PRECONDITION if this identity did not come from ReadPeer,
  // or the process has exec'ed another file since it was attested;
  // PERMISSION_DENIED if /proc/<pid>/exe is not readable by vaultd;
  // UNAVAILABLE if the process is gone or is no longer the same process;
  // RESOURCE_EXHAUSTED/ABORTED/INTERNAL from ExeDigestCache::Sha256Hex.
  // Thread-safe.
  absl::StatusOr<std::string> ExeSha256() const;

  // ToLogString returns "pid=N uid=N gid=N exe=\"...\"" with the path
  // C-escaped (it may hold newlines or quotes). For logs, never for
  // decisions.
  std::string ToLogString() const;

  // BindingString returns a canonical string that names this process for
  // the lifetime of the boot: "peer-v1;boot=<boot_id>;uid=<uid>;pid=<pid>;
  // start=<ticks>". Tokens carry it (as their implicit assertion) so that a
  // token presented by another process or user fails. Two identities have
  // the same binding string iff they are the same process as the same uid.
  std::string BindingString() const;
};

// ReadPeerOptions tune ReadPeer. The defaults are what vaultd uses.
struct ReadPeerOptions {
  // Use SO_PEERPIDFD when the kernel has it. False forces the fallback (start
  // time comparison), for tests.
  bool use_pidfd = true;
  // Use SO_PEERGROUPS when the kernel has it. False forces the fallback
  // (/proc/<pid>/status), for tests.
  bool use_peergroups = true;
  // Digest cache for ExeSha256; null means ExeDigestCache::Default().
  std::shared_ptr<ExeDigestCache> exe_digest_cache;
};

// ReadPeer attests the process at the other end of the connected AF_UNIX
// socket `fd` (the caller keeps ownership of `fd`).
//
// It reads SO_PEERCRED, SO_PEERPIDFD (where supported), the supplementary
// groups, the start time, and the executable path, then confirms that the
// pid still names the process that connected: with a pidfd, the pidfd still
// refers to a live process (a pidfd never follows a recycled pid); without
// one, the start time read after everything else equals the one read first
// and is not later than the moment ReadPeer began. Only then is the
// identity returned.
//
// Without SO_PEERPIDFD there is a residual window: a peer that connected,
// exited, and whose pid was reused by a process started within the same
// clock tick before ReadPeer began is not detected.
//
// Errors: INVALID_ARGUMENT if `fd` is not an AF_UNIX socket;
// FAILED_PRECONDITION if the peer cannot be attested (no peer credentials,
// pid not visible in vaultd's pid namespace); UNAVAILABLE if the peer exited
// or its pid was reused during attestation (drop the connection);
// INTERNAL for unexpected system call failures. A missing executable path
// is not an error (see PeerIdentity::exe_status).
// Thread-safe.
absl::StatusOr<PeerIdentity> ReadPeer(int fd,
                                      const ReadPeerOptions& options = {});

// StillSame checks that the process `peer` describes is still alive, is still
// the same process (not a recycled pid), and still runs the executable it
// ran when attested (when that was known).
//
// Returns OK; UNAVAILABLE if it exited (zombies count as exited) or its pid
// now names another process; FAILED_PRECONDITION if it has exec'ed another
// executable, or `peer` was not built by ReadPeer (no start time);
// INTERNAL for unexpected system call failures. Thread-safe.
absl::Status StillSame(const PeerIdentity& peer);

}  // namespace layer_vault::peer

#endif  // LAYER_VAULT_VAULTD_PEER_PEER_IDENTITY_H_
