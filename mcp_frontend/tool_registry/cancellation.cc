#include "mcp_frontend/tool_registry/cancellation.h"

#include <utility>

namespace layer_vault::mcp {

CancellationToken::CancellationToken()
    : state_(std::make_shared<State>()) {}

bool CancellationToken::cancelled() const {
  return state_->flag.load(std::memory_order_acquire);
}

bool CancellationToken::WaitFor(absl::Duration timeout) const {
  State& state = *state_;
  absl::MutexLock lock(&state.mu);
  state.mu.AwaitWithTimeout(absl::Condition(&state.cancelled), timeout);
  return state.cancelled;
}

CancellationSource::CancellationSource()
    : state_(std::make_shared<CancellationToken::State>()) {}

void CancellationSource::Cancel() {
  absl::MutexLock lock(&state_->mu);
  state_->cancelled = true;
  state_->flag.store(true, std::memory_order_release);
}

bool CancellationSource::cancelled() const {
  return state_->flag.load(std::memory_order_acquire);
}

CancellationToken CancellationSource::token() const {
  return CancellationToken(state_);
}

}  // namespace layer_vault::mcp
