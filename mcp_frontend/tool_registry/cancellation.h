#ifndef LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_CANCELLATION_H_
#define LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_CANCELLATION_H_

#include <atomic>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace layer_vault::mcp {

// CancellationToken is the read side of a cancellation flag: a tool handler
// (or a download) polls it, or sleeps on it, and stops early once it is set.
// Cheap to copy; copies share the flag. A default-constructed token is never
// cancelled. Thread-safe.
class CancellationToken {
 public:
  CancellationToken();

  // True once the owning CancellationSource was cancelled. Lock-free.
  bool cancelled() const;

  // Sleeps for `timeout` or until cancelled, whichever comes first; true if
  // cancelled. Use it instead of a plain sleep between polls.
  bool WaitFor(absl::Duration timeout) const;

 private:
  friend class CancellationSource;
  struct State {
    absl::Mutex mu;
    bool cancelled ABSL_GUARDED_BY(mu) = false;
    std::atomic<bool> flag{false};
  };
  explicit CancellationToken(std::shared_ptr<State> state)
      : state_(std::move(state)) {}

  std::shared_ptr<State> state_;
};

// CancellationSource owns a cancellation flag and hands out tokens for it.
// Thread-safe.
class CancellationSource {
 public:
  CancellationSource();

  // Sets the flag and wakes every WaitFor. Idempotent.
  void Cancel();
  bool cancelled() const;
  CancellationToken token() const;

 private:
  std::shared_ptr<CancellationToken::State> state_;
};

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_TOOL_REGISTRY_CANCELLATION_H_
