#ifndef LAYER_VAULT_TESTS_LOAD_RUN_TOGETHER_H_
#define LAYER_VAULT_TESTS_LOAD_RUN_TOGETHER_H_

#include <functional>

#include "absl/time/time.h"

namespace layer_vault::tests::load {

// Runs body(thread, end) on `threads` threads released together, for a
// timed load phase: every thread is started and waits until all are, then
// `before_start` (if set) runs on the calling thread, the clock starts and
// each body is handed end = start + `duration` (a body stops its calls at
// `end`; nothing interrupts it). Returns the time from the start until the
// last body returned. `body` must be safe to call from several threads at
// once (index per-thread state by `thread`, 0 .. threads - 1).
absl::Duration RunTogether(
    int threads, absl::Duration duration,
    const std::function<void(int thread, absl::Time end)>& body,
    const std::function<void()>& before_start = nullptr);

}  // namespace layer_vault::tests::load

#endif  // LAYER_VAULT_TESTS_LOAD_RUN_TOGETHER_H_
