#include "vaultd/server/daemon.h"

#include <grp.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/server_posix.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "vaultd/peer/peer_identity.h"
#include "vaultd/server/call_tracker.h"
#include "vaultd/server/connection_registry.h"
#include "vaultd/server/process.h"
#include "vaultd/server/unix_listener.h"

namespace layer_vault::server {
namespace {

absl::StatusOr<std::optional<gid_t>> ResolveGroup(const std::string& group) {
  if (group.empty()) return std::optional<gid_t>();
  gid_t gid;
  if (absl::SimpleAtoi(group, &gid)) return std::optional<gid_t>(gid);
  struct group* g = getgrnam(group.c_str());
  if (g == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("workload_socket_group: no group named ", group));
  }
  return std::optional<gid_t>(g->gr_gid);
}

void Log(absl::string_view line) {
  std::string out = absl::StrCat("vaultd: ", line, "\n");
  ssize_t ignored = write(STDERR_FILENO, out.data(), out.size());
  (void)ignored;
}

// Owns a listening fd vaultd bound itself and removes its socket file.
struct OwnedSocket {
  int fd = -1;
  std::string path;  // empty when systemd owns the socket
  ~OwnedSocket() {
    if (fd >= 0) close(fd);
    if (!path.empty()) unlink(path.c_str());
  }
};

}  // namespace

absl::Status RunDaemon(const DaemonConfig& config, DaemonParts parts) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A file size limit (systemd LimitFSIZE=) must fail a store write with a
  // clear error (EFBIG), not kill vaultd part-way through it.
  signal(SIGXFSZ, SIG_IGN);
  int sig_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sig_fd < 0) {
    return absl::InternalError(
        absl::StrCat("signalfd: ", std::strerror(errno)));
  }

  OwnedSocket workload, admin;
  auto activated = SystemdSockets();
  if (!activated.ok()) return activated.status();
  if (!activated->empty()) {
    if (activated->count("workload") == 0 || activated->count("admin") == 0) {
      return absl::InvalidArgumentError(
          "socket activation must pass two sockets named workload and admin");
    }
    workload.fd = activated->at("workload");
    admin.fd = activated->at("admin");
  } else {
    auto group = ResolveGroup(config.workload_socket_group);
    if (!group.ok()) return group.status();
    auto w = BindUnixSocket({config.workload_socket, 0660, *group, 0750});
    if (!w.ok()) return w.status();
    workload.fd = *w;
    workload.path = config.workload_socket;
    auto a = BindUnixSocket({config.admin_socket, 0600, std::nullopt, 0700});
    if (!a.ok()) return a.status();
    admin.fd = *a;
    admin.path = config.admin_socket;
  }

  ConnectionRegistry connections;
  WorkloadService workload_service(*parts.core, connections, parts.policy,
                                   *parts.events, parts.relay);
  AdminService admin_service(*parts.core, connections, *parts.events,
                             parts.admin);

  CallTracker calls;  // Outlives the servers below.
  auto build = [&calls](grpc::Service* service) {
    grpc::ServerBuilder builder;
    builder.RegisterService(service);
    builder.SetMaxReceiveMessageSize(1 << 20);
    std::vector<std::unique_ptr<
        grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(calls.NewInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    return builder.BuildAndStart();
  };
  std::unique_ptr<grpc::Server> workload_server = build(&workload_service);
  std::unique_ptr<grpc::Server> admin_server = build(&admin_service);
  if (workload_server == nullptr || admin_server == nullptr) {
    return absl::InternalError("cannot start the gRPC servers");
  }

  auto handoff = [&](grpc::Server* server, absl::string_view socket_name) {
    return [&, server, socket_name](int fd) {
      auto identity = peer::ReadPeer(fd);
      if (!identity.ok()) {
        audit::Event e;
        e.name = "auth";
        e.decision = "deny";
        e.reason = absl::StrCat(socket_name, ": cannot attest caller: ",
                                identity.status().message());
        parts.events->Record(e);
        close(fd);
        return;
      }
      connections.Register(fd, *std::move(identity));
      grpc::AddInsecureChannelFromFd(server, fd);
    };
  };
  auto loop = AcceptLoop::Start(
      {{workload.fd, handoff(workload_server.get(), "workload")},
       {admin.fd, handoff(admin_server.get(), "admin")}});
  if (!loop.ok()) return loop.status();

  Notifier notifier;
  const absl::Duration watchdog = Notifier::WatchdogInterval();
  const absl::Duration maintenance_every = absl::Minutes(1);
  absl::Time next_maintenance = absl::Now() + maintenance_every;
  absl::Time next_watchdog = absl::Now();
  notifier.Ready(parts.core->sealed() ? "sealed" : "unsealed");
  Log(absl::StrCat("serving ", config.workload_socket, " and ",
                   config.admin_socket, parts.core->sealed()
                                            ? " (sealed: run vaultctl unlock)"
                                            : ""));

  for (;;) {
    absl::Time now = absl::Now();
    if (watchdog > absl::ZeroDuration() && now >= next_watchdog) {
      notifier.WatchdogPing();
      next_watchdog = now + watchdog;
    }
    if (now >= next_maintenance) {
      if (absl::Status s = parts.core->Maintenance(); !s.ok()) {
        Log(absl::StrCat("maintenance: ", s.message()));
      }
      next_maintenance = now + maintenance_every;
    }
    absl::Time wake = next_maintenance;
    if (watchdog > absl::ZeroDuration()) wake = std::min(wake, next_watchdog);
    int timeout_ms = static_cast<int>(
        std::max<int64_t>(1, absl::ToInt64Milliseconds(wake - absl::Now())));
    pollfd p{sig_fd, POLLIN, 0};
    int n = poll(&p, 1, timeout_ms);
    if (n <= 0) continue;
    signalfd_siginfo info;
    if (read(sig_fd, &info, sizeof(info)) != sizeof(info)) continue;
    if (info.ssi_signo == SIGHUP) {
      if (parts.reload) {
        absl::Status s = parts.reload();
        Log(s.ok() ? "policy reloaded"
                   : absl::StrCat("policy reload failed, keeping the old "
                                  "policy: ",
                                  s.message()));
      }
      continue;
    }
    break;  // SIGTERM or SIGINT.
  }

  notifier.Stopping();
  Log("stopping: no new connections; letting calls in flight finish");
  (*loop)->Stop();
  // Calls in flight get the grace period. Connections left idle then get
  // at most kIdleDrain to close by themselves (the client library's
  // channels close after a second idle), so that they learn of the stop
  // from the closed connection rather than by writing their next call into
  // it; a client that keeps an idle connection open must not hold the stop
  // up for the whole grace period either. Calls that start meanwhile are
  // served; any still running at the end are cancelled.
  constexpr absl::Duration kIdleDrain = absl::Seconds(2);
  const absl::Time grace_end = absl::Now() + config.shutdown_grace;
  if (!calls.WaitUntilIdle(grace_end)) {
    Log(absl::StrCat("grace period over: cancelling ", calls.in_flight(),
                     " calls in flight"));
  }
  const auto drain_end = absl::ToChronoTime(
      std::max(absl::Now(), std::min(grace_end, absl::Now() + kIdleDrain)));
  workload_server->Shutdown(drain_end);
  admin_server->Shutdown(drain_end);
  close(sig_fd);
  return absl::OkStatus();
}

}  // namespace layer_vault::server
