#ifndef LAYER_VAULT_VAULTD_SERVER_CALL_TRACKER_H_
#define LAYER_VAULT_VAULTD_SERVER_CALL_TRACKER_H_

#include <grpcpp/support/server_interceptor.h>

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace layer_vault::server {

// CallTracker counts the gRPC calls a server is handling, so that shutdown
// can wait for calls in flight without also waiting for idle connections:
// grpc::Server::Shutdown(deadline) holds until every connection is gone,
// and an MCP frontend keeps its connection open while idle, which would
// make every stop take the whole grace period.
//
// A call counts from the moment gRPC creates its interceptors (before the
// handler runs) until gRPC destroys them (after the status is sent or the
// call is cancelled). Thread-safe; must outlive the servers it is
// installed on.
class CallTracker {
 public:
  CallTracker() = default;
  CallTracker(const CallTracker&) = delete;
  CallTracker& operator=(const CallTracker&) = delete;

  // A factory for grpc::ServerBuilder::experimental().
  // SetInterceptorCreators; its interceptors report to this tracker.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  NewInterceptorFactory();

  // Calls in flight now.
  int64_t in_flight() const;

  // Blocks until no call is in flight or `deadline` passes; true if idle.
  bool WaitUntilIdle(absl::Time deadline) const;

  // Used by the interceptors.
  void CallStarted();
  void CallEnded();

 private:
  bool IdleLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace layer_vault::server

#endif  // LAYER_VAULT_VAULTD_SERVER_CALL_TRACKER_H_
