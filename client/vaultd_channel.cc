#include "client/vaultd_channel.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/redact.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace layer_vault::client {
namespace {

std::shared_ptr<grpc::Channel> NewChannel(const std::string& socket_path) {
  grpc::ChannelArguments args;
  // A private subchannel pool: a dropped channel takes its reconnect backoff
  // state with it, so the next channel connects at once.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // An idle channel closes its connection after a second (the least gRPC
  // allows) and reconnects on the next call, a fraction of a millisecond
  // on a Unix socket. An idle client never polls its connection, so
  // otherwise it would learn that vaultd restarted only by writing a call
  // into the dead connection, an error after which a CallLayer cannot be
  // retried (it may have been sent). vaultd waits briefly for idle
  // connections to close when it stops (vaultd/server/daemon.cc).
  args.SetInt(GRPC_ARG_CLIENT_IDLE_TIMEOUT_MS, 1000);
  args.SetMaxReceiveMessageSize(kMaxResponseBytes);
  return grpc::CreateCustomChannel(absl::StrCat("unix:", socket_path),
                                   grpc::InsecureChannelCredentials(), args);
}

}  // namespace

absl::StatusOr<std::unique_ptr<VaultdChannel>> VaultdChannel::Create(
    Options options) {
  const std::string& path = options.socket_path;
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path must be absolute: \"", path, "\""));
  }
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path is longer than ",
                     sizeof(sockaddr_un{}.sun_path) - 1, " bytes: ", path));
  }
  if (path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("socket path contains a NUL byte");
  }
  if (options.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("connect_timeout must be positive");
  }
  if (absl::Status s = ValidateRetryPolicy(options.retry); !s.ok()) return s;
  return std::unique_ptr<VaultdChannel>(new VaultdChannel(std::move(options)));
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> VaultdChannel::Connect() {
  std::shared_ptr<grpc::Channel> channel;
  {
    absl::MutexLock lock(&mu_);
    if (channel_ == nullptr) channel_ = NewChannel(options_.socket_path);
    channel = channel_;
  }
  const auto deadline =
      absl::ToChronoTime(absl::Now() + options_.connect_timeout);
  grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE ||
        state == GRPC_CHANNEL_SHUTDOWN) {
      break;
    }
    if (!channel->WaitForStateChange(state, deadline)) break;
    state = channel->GetState(/*try_to_connect=*/true);
  }
  if (state == GRPC_CHANNEL_READY) return channel;
  {
    absl::MutexLock lock(&mu_);
    if (channel_ == channel) channel_.reset();
  }
  return ConnectionError(options_.socket_path, options_.permission_hint,
                         options_.connect_timeout);
}

absl::Status VaultdChannel::Run(RetryRule rule, const Rpc& rpc) {
  Backoff backoff(options_.retry);
  for (int attempt = 1;; ++attempt) {
    absl::Status failure;
    bool retryable = false;
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Connect();
    if (!channel.ok()) {
      failure = channel.status();
      // Nothing was sent: safe to repeat under either rule.
      retryable = failure.code() == absl::StatusCode::kUnavailable;
    } else {
      grpc::Status answer = rpc(*channel);
      if (answer.ok()) return absl::OkStatus();
      failure = FromGrpcStatus(answer);
      retryable = answer.error_code() == grpc::StatusCode::UNAVAILABLE &&
                  rule == RetryRule::kIdempotent;
    }
    if (!retryable || attempt >= options_.retry.max_attempts) return failure;
    backoff.Wait(attempt);
  }
}

absl::Status ConnectionError(const std::string& socket_path,
                             absl::string_view permission_hint,
                             absl::Duration connect_timeout) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to vaultd at ", socket_path,
                     ": socket: ", std::strerror(errno)));
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // Create() checked that the path fits with its terminating NUL.
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  close(fd);
  if (rc == 0) {
    return absl::UnavailableError(absl::StrCat(
        "vaultd at ", socket_path, " did not answer within ",
        absl::ToInt64Milliseconds(connect_timeout), " ms"));
  }
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::UnavailableError(absl::StrCat(
          "vaultd is not running at ", socket_path, " (no socket there)"));
    case ECONNREFUSED:
      return absl::UnavailableError(
          absl::StrCat("vaultd is not running at ", socket_path,
                       " (the socket exists but nothing listens on it)"));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(absl::StrCat(
          "vaultd refused this process: no permission to connect to ",
          socket_path,
          permission_hint.empty() ? "" : absl::StrCat(" (", permission_hint, ")")));
    default:
      return absl::UnavailableError(absl::StrCat(
          "cannot connect to vaultd at ", socket_path, ": ",
          std::strerror(err)));
  }
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string message = common::Redact(status.error_message());
  if (code == absl::StatusCode::kPermissionDenied) {
    message = absl::StrCat("vaultd refused this process: ", message);
  }
  return absl::Status(code, message);
}

}  // namespace layer_vault::client
