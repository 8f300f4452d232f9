#ifndef LAYER_VAULT_TESTS_HOSTILE_FRONTEND_PROCESS_H_
#define LAYER_VAULT_TESTS_HOSTILE_FRONTEND_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace layer_vault::tests::hostile {

// FrontendProcess runs the real mcp_frontend binary (data dependency
// "//mcp_frontend", found in the runfiles or at $MCP_FRONTEND_BINARY) as a
// child with a pipe on stdin and one on stdout, and speaks raw bytes to it.
// stderr goes to `stderr_path`; the working directory is `cwd`.
//
// Writing and reading share one poll loop, so a large write never
// deadlocks against the frontend's answers. Every stdout line must be a
// JSON object with "jsonrpc": "2.0"; anything else makes the reading call
// fail with DATA_LOSS (stdout is the protocol stream).
//
// Not thread-safe. The destructor SIGKILLs the child if it still runs and
// reaps it.
class FrontendProcess {
 public:
  static absl::StatusOr<std::unique_ptr<FrontendProcess>> Start(
      const std::vector<std::string>& flags, const std::string& cwd,
      const std::string& stderr_path);
  ~FrontendProcess();
  FrontendProcess(const FrontendProcess&) = delete;
  FrontendProcess& operator=(const FrontendProcess&) = delete;

  // The mcp_frontend binary.
  static absl::StatusOr<std::string> Binary();

  // Writes every byte of `bytes` to the frontend's stdin (reading its
  // stdout meanwhile). DEADLINE_EXCEEDED after `timeout`; UNAVAILABLE if
  // the frontend closed its stdin.
  absl::Status Write(absl::string_view bytes,
                     absl::Duration timeout = absl::Seconds(30));

  // Reads messages until the response whose id equals `id` and returns it
  // last, after the messages before it that are not responses with a
  // non-null id (those stay queued for their own ReadUntilResponse, since
  // tool calls finish out of order). Error responses with a null id are
  // returned. DEADLINE_EXCEEDED after `timeout`, OUT_OF_RANGE at end of
  // stdout.
  absl::StatusOr<std::vector<nlohmann::json>> ReadUntilResponse(
      const nlohmann::json& id, absl::Duration timeout = absl::Seconds(30));

  // Sends a request with a fresh string id ("probe-N") and returns the
  // messages up to its response (its response last).
  absl::StatusOr<std::vector<nlohmann::json>> Request(
      absl::string_view method, nlohmann::json params = nullptr,
      absl::Duration timeout = absl::Seconds(30));

  // initialize (protocol 2025-06-18) and notifications/initialized.
  absl::Status Initialize();

  // Closes the frontend's stdin, reads stdout to its end and waits for the
  // exit. Returns the exit code (or 128 + signal); `remaining` gets the
  // messages read meanwhile. DEADLINE_EXCEEDED after `timeout`.
  absl::StatusOr<int> CloseAndWait(std::vector<nlohmann::json>* remaining,
                                   absl::Duration timeout = absl::Seconds(30));

  // Reads messages already sent or sent within `wait`; for checking that
  // nothing more comes.
  absl::StatusOr<std::vector<nlohmann::json>> Drain(absl::Duration wait);

  pid_t pid() const { return pid_; }

 private:
  FrontendProcess() = default;
  // One poll round until `deadline`: writes from `pending`, reads stdout
  // into out_buffer_. Returns after progress or at the deadline.
  absl::Status Pump(absl::string_view* pending, absl::Time deadline);
  // Moves complete lines from out_buffer_ into messages_.
  absl::Status TakeLines();

  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  bool out_eof_ = false;
  std::string out_buffer_;
  std::vector<nlohmann::json> messages_;
  int next_probe_ = 1;
};

// The result of a tools/call response as {is_error, text}: text is the
// concatenation of the text content blocks; for a JSON-RPC error response,
// is_error is true and text is "rpc <code>: <message>".
struct ToolOutcome {
  bool is_error = false;
  std::string text;
  nlohmann::json structured;
};
ToolOutcome OutcomeOf(const nlohmann::json& response);

}  // namespace layer_vault::tests::hostile

#endif  // LAYER_VAULT_TESTS_HOSTILE_FRONTEND_PROCESS_H_
