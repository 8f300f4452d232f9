#ifndef LAYER_VAULT_TESTS_MCP_FAKE_LAYER_PROCESS_H_
#define LAYER_VAULT_TESTS_MCP_FAKE_LAYER_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp::testing {

// FakeLayerProcess runs the Node fake of Layer.ai (tests/fake_layer, see
// its README.md) as a child process for C++ tests, with a fresh fake PAT and
// TLS directory, and talks to it over HTTPS with libcurl. The test target
// needs data = ["//tests:fake_layer"] and Node.js on PATH (or /usr/bin/node).
// Destruction closes the fake's stdin (it runs with --exit-with-stdin),
// reaps it, and removes its TLS directory. Not thread-safe.
class FakeLayerProcess {
 public:
  struct Options {
    int polls_to_complete = 2;
    double poll_interval_seconds = 0.05;
  };

  struct Response {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    nlohmann::json json;  // parsed body, or null
  };

  static absl::StatusOr<std::unique_ptr<FakeLayerProcess>> Start(
      const Options& options);
  static absl::StatusOr<std::unique_ptr<FakeLayerProcess>> Start() {
    return Start(Options());
  }
  ~FakeLayerProcess();

  const std::string& pat() const { return pat_; }
  int media_port() const { return media_port_; }
  int api_port() const { return api_port_; }
  // "https://127.0.0.1:<port>/api" and "https://127.0.0.1:<media port>".
  const std::string& base_url() const { return base_url_; }
  const std::string& media_base_url() const { return media_base_url_; }
  const std::string& ca_file() const { return ca_file_; }

  // A REST call as vaultd would make it: `path` after "/api" (e.g.
  // "/v1/workspaces"), Authorization: Bearer <PAT>, JSON body unless null.
  absl::StatusOr<Response> Api(absl::string_view method, absl::string_view path,
                               const nlohmann::json& body = nullptr);
  // POST /__control with `command`.
  absl::StatusOr<Response> Control(const nlohmann::json& command);
  // GET /__requests[?query].
  absl::StatusOr<Response> Requests(absl::string_view query = "");
  // A plain GET of any URL, trusting the fake's CA.
  absl::StatusOr<Response> Get(absl::string_view url);

 private:
  FakeLayerProcess() = default;
  absl::StatusOr<Response> Send(absl::string_view method, const std::string& url,
                                const std::vector<std::string>& headers,
                                const std::string* body);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string tls_dir_;
  std::string pat_;
  std::string control_token_;
  std::string base_url_;
  std::string media_base_url_;
  std::string ca_file_;
  int api_port_ = 0;
  int media_port_ = 0;
};

}  // namespace layer_vault::mcp::testing

#endif  // LAYER_VAULT_TESTS_MCP_FAKE_LAYER_PROCESS_H_
