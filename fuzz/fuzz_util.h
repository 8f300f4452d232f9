#ifndef LAYER_VAULT_FUZZ_FUZZ_UTIL_H_
#define LAYER_VAULT_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"

namespace layer_vault::fuzz {

// FUZZ_CHECK aborts (a crash libFuzzer records, a failure the replay test
// reports) when a property of the code under test does not hold. Messages
// name the property, never the input (it is in the crash file).
#define FUZZ_CHECK(cond, what)                                          \
  do {                                                                  \
    if (!(cond)) {                                                      \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, \
                   __LINE__, what);                                     \
      std::abort();                                                     \
    }                                                                   \
  } while (0)

// FuzzInput splits one fuzzer input into parts. Inputs are meant to stay
// readable text, so seeds can be written and read by hand: a selector byte,
// then newline-separated fields, then the rest. Taking from an exhausted
// input yields 0 or "". Not thread-safe; a view over the caller's bytes.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  // The next byte, or 0 at the end.
  uint8_t TakeByte() {
    if (rest_.empty()) return 0;
    uint8_t b = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }

  // Bytes up to the next '\n' (not included; the '\n' is consumed), or all
  // that is left if there is none.
  absl::string_view TakeLine() {
    size_t nl = rest_.find('\n');
    absl::string_view line = rest_.substr(0, nl);
    rest_.remove_prefix(nl == absl::string_view::npos ? rest_.size() : nl + 1);
    return line;
  }

  // Everything not taken yet.
  absl::string_view Rest() {
    absl::string_view all = rest_;
    rest_ = {};
    return all;
  }

 private:
  absl::string_view rest_;
};

}  // namespace layer_vault::fuzz

#endif  // LAYER_VAULT_FUZZ_FUZZ_UTIL_H_
