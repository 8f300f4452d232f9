#ifndef LAYER_VAULT_TESTS_RELAY_FAKE_LAYER_H_
#define LAYER_VAULT_TESTS_RELAY_FAKE_LAYER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace layer_vault::tests::relay {

// FakeLayer runs the Node fake of Layer.ai (tests/fake_layer/server.js, see
// its README.md) as a child process: real HTTPS on 127.0.0.1 with a CA made
// at start, a random port, and the control API to inject faults and read
// the recorded requests. The binary needs data = ["//tests:fake_layer"] and
// Node.js (/usr/bin/node or on PATH).
//
// The PAT the fake accepts is passed only through the child's environment.
// The destructor closes the fake's stdin (it runs with --exit-with-stdin),
// waits for it (SIGKILL after 10 s) and removes its TLS directory.
// Control calls are thread-safe (one libcurl handle each).
class FakeLayer {
 public:
  struct Options {
    // The PAT the fake accepts; empty: a fresh "pat_TESTONLY..." one.
    std::string pat;
    int polls_to_complete = 1;
    double poll_interval_seconds = 0.05;
  };

  static absl::StatusOr<std::unique_ptr<FakeLayer>> Start(Options options);
  ~FakeLayer();
  FakeLayer(const FakeLayer&) = delete;
  FakeLayer& operator=(const FakeLayer&) = delete;

  const std::string& pat() const { return pat_; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  // "https://127.0.0.1:<port>/api" (no /v1) and ".../graphql".
  const std::string& base_url() const { return base_url_; }
  const std::string& graphql_url() const { return graphql_url_; }
  const std::string& ca_file() const { return ca_file_; }

  // POST /__control with `command`; the fake's JSON answer, or an error
  // unless it answered 200.
  absl::StatusOr<nlohmann::json> Control(const nlohmann::json& command);
  // Shorthand for {"action":"inject_fault", ...fault}.
  absl::Status InjectFault(nlohmann::json fault);
  // GET /__requests: {"requests":[...], "pat_leaks":[...]}.
  absl::StatusOr<nlohmann::json> Requests();
  // POST /__reset: initial world, no recordings, no faults.
  absl::Status Reset();

 private:
  FakeLayer() = default;
  absl::StatusOr<nlohmann::json> ControlRequest(absl::string_view method,
                                                absl::string_view path,
                                                const std::string* body);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string tls_dir_;
  std::string pat_;
  std::string control_token_;
  std::string base_url_;
  std::string graphql_url_;
  std::string ca_file_;
  int port_ = 0;
};

// A visibly fake PAT: "pat_TESTONLY" followed by random [A-Za-z0-9], 48
// characters in all.
std::string FakePat();

// The absolute path of `path` (relative to the workspace root) in this
// binary's runfiles ($TEST_SRCDIR, $RUNFILES_DIR or <argv0>.runfiles).
absl::StatusOr<std::string> Runfile(absl::string_view path);

}  // namespace layer_vault::tests::relay

#endif  // LAYER_VAULT_TESTS_RELAY_FAKE_LAYER_H_
