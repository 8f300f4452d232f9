#ifndef LAYER_VAULT_VAULTD_SERVER_UNIX_LISTENER_H_
#define LAYER_VAULT_VAULTD_SERVER_UNIX_LISTENER_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace layer_vault::server {

// Where and how vaultd binds one of its own Unix sockets.
struct SocketSpec {
  std::string path;
  // Mode of the socket file (0660 for workload, 0600 for admin).
  mode_t mode = 0600;
  // Group of the socket file, or nullopt to keep the process's group.
  std::optional<gid_t> group;
  // Highest mode the parent directory may have (0750 workload, 0700 admin);
  // a missing parent is created with exactly this mode.
  mode_t max_dir_mode = 0700;
};

// BindUnixSocket creates, binds and listens on a Unix stream socket.
//
// The returned fd is non-blocking and close-on-exec; the caller owns it.
// An existing file at `spec.path` is removed only if it is a socket (a stale
// one from a previous run); anything else is refused. Errors:
//   INVALID_ARGUMENT    path empty or longer than a sockaddr_un allows.
//   FAILED_PRECONDITION a non-socket file is in the way, or the parent
//                       directory is more permissive than `max_dir_mode`
//                       (the message gives the chmod to fix it).
//   INTERNAL            a system call failed (message names it and errno).
absl::StatusOr<int> BindUnixSocket(const SocketSpec& spec);

// AcceptLoop runs one thread that accepts connections on listening sockets
// and hands each new connection fd (non-blocking, close-on-exec) to that
// socket's handler, which takes ownership of the fd.
//
// Thread-safety: Start and Stop are called from one thread. Handlers run on
// the loop's thread, one at a time, and must not block for long.
class AcceptLoop {
 public:
  using Handler = std::function<void(int connection_fd)>;
  struct Listener {
    int listen_fd;  // Not owned.
    Handler handler;
  };

  static absl::StatusOr<std::unique_ptr<AcceptLoop>> Start(
      std::vector<Listener> listeners);

  // Stops accepting and joins the thread. Idempotent. Listening fds stay
  // open (the caller owns them).
  void Stop();

  ~AcceptLoop();

  AcceptLoop(const AcceptLoop&) = delete;
  AcceptLoop& operator=(const AcceptLoop&) = delete;

 private:
  AcceptLoop(std::vector<Listener> listeners, int wake_fd);
  void Run();

  std::vector<Listener> listeners_;
  int wake_fd_;
  std::thread thread_;
};

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_UNIX_LISTENER_H_
