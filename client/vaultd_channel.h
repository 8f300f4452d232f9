#ifndef LAYER_VAULT_CLIENT_VAULTD_CHANNEL_H_
#define LAYER_VAULT_CLIENT_VAULTD_CHANNEL_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/retry_policy.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"

namespace layer_vault::client {

// Largest response accepted from vaultd: Layer.ai bodies are capped at 8 MiB
// by vaultd, plus room for the envelope.
inline constexpr int kMaxResponseBytes = 16 << 20;

// RetryRule says when a call that failed with UNAVAILABLE may be repeated.
enum class RetryRule {
  // The RPC has no effect that a repetition could double (Ping, IssueToken,
  // GetSpend, GetVerificationKeys, Admin Status): retried on UNAVAILABLE
  // whether or not it reached vaultd.
  kIdempotent,
  // The RPC may act (CallLayer runs a Layer.ai operation that can spend
  // Creative Units; admin mutations): retried only when the connection to
  // vaultd could not be established, i.e. the request provably never left
  // this process. An UNAVAILABLE after the request was sent (vaultd's own
  // answer, or a connection lost mid-call) is returned as is.
  kOnlyIfNotSent,
};

// VaultdChannel is a lazily connected gRPC channel to one of vaultd's Unix
// sockets, with the connection-failure diagnosis and retry loop shared by
// VaultClient and AdminClient.
//
// Thread-safe. Nothing is connected until the first Run. After a failed
// connection the channel is dropped and the next attempt starts afresh, so a
// vaultd started meanwhile is reached without waiting out gRPC's reconnect
// backoff.
class VaultdChannel {
 public:
  struct Options {
    // Absolute path of the socket, shorter than 108 bytes.
    std::string socket_path;
    // Appended to a "no permission to connect" message, e.g. "the admin
    // socket is for the vaultd user and root".
    std::string permission_hint;
    // How long one attempt may wait for the connection to be established.
    absl::Duration connect_timeout = absl::Seconds(1);
    RetryPolicy retry;
  };

  // INVALID_ARGUMENT for a relative or over-long socket path, or a bad
  // retry policy.
  static absl::StatusOr<std::unique_ptr<VaultdChannel>> Create(
      Options options);

  VaultdChannel(const VaultdChannel&) = delete;
  VaultdChannel& operator=(const VaultdChannel&) = delete;

  // One attempt of an RPC on a connected channel.
  using Rpc = std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&)>;

  // Runs `rpc`, connecting first, and retries UNAVAILABLE per `rule` and the
  // retry policy (jittered backoff, bounded attempts). Returns OK or the
  // last failure: a connection failure as ConnectionError describes it, or
  // vaultd's answer through FromGrpcStatus.
  absl::Status Run(RetryRule rule, const Rpc& rpc);

  const std::string& socket_path() const { return options_.socket_path; }

 private:
  explicit VaultdChannel(Options options) : options_(std::move(options)) {}

  // A READY channel, or why there is none (see ConnectionError).
  absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect();

  const Options options_;
  absl::Mutex mu_;
  std::shared_ptr<grpc::Channel> channel_ ABSL_GUARDED_BY(mu_);
};

// ConnectionError says why a Unix socket at `socket_path` cannot be used,
// from a plain connect(2):
//   UNAVAILABLE "vaultd is not running at PATH (...)": no socket there, or
//     a socket that nobody listens on;
//   PERMISSION_DENIED "vaultd refused this process: no permission to
//     connect to PATH (<permission_hint>)": EACCES/EPERM;
//   UNAVAILABLE "vaultd at PATH did not answer within N ms": the connect
//     succeeded (vaultd is up but overloaded or stuck);
//   UNAVAILABLE "cannot connect to vaultd at PATH: <strerror>" otherwise.
absl::Status ConnectionError(const std::string& socket_path,
                             absl::string_view permission_hint,
                             absl::Duration connect_timeout);

// FromGrpcStatus maps vaultd's answer to an absl::Status with the same code
// (1:1) and the same message, passed through common::Redact as a second line
// of defence. PERMISSION_DENIED messages get the prefix "vaultd refused this
// process: ". OK maps to OK.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace layer_vault::client

#endif  // LAYER_VAULT_CLIENT_VAULTD_CHANNEL_H_
