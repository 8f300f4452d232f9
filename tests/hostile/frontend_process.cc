#include "tests/hostile/frontend_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace layer_vault::tests::hostile {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<std::string> FrontendProcess::Binary() {
  if (const char* env = getenv("MCP_FRONTEND_BINARY"); env != nullptr && *env) {
    return std::string(env);
  }
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) {
    return absl::FailedPreconditionError(
        "TEST_SRCDIR is not set: run under bazel test or set "
        "MCP_FRONTEND_BINARY");
  }
  std::string path = absl::StrCat(
      srcdir, "/", workspace != nullptr ? workspace : "layer_vault",
      "/mcp_frontend/mcp_frontend");
  if (access(path.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "mcp_frontend not found at ", path,
        " (add data = [\"//mcp_frontend\"])"));
  }
  return path;
}

absl::StatusOr<std::unique_ptr<FrontendProcess>> FrontendProcess::Start(
    const std::vector<std::string>& flags, const std::string& cwd,
    const std::string& stderr_path) {
  absl::StatusOr<std::string> binary = Binary();
  if (!binary.ok()) return binary.status();
  int in_pipe[2];
  int out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return Errno("pipe2");
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    return Errno("pipe2");
  }
  const int err_fd =
      open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (err_fd < 0) return Errno(absl::StrCat("open ", stderr_path));

  std::vector<std::string> args = {*binary};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // A minimal environment: nothing of the test's (no token, no proxy).
  std::string path_env = "PATH=/usr/bin:/bin";
  char* envp[] = {path_env.data(), nullptr};

  const pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    if (dup2(in_pipe[0], STDIN_FILENO) < 0 ||
        dup2(out_pipe[1], STDOUT_FILENO) < 0 ||
        dup2(err_fd, STDERR_FILENO) < 0 || chdir(cwd.c_str()) != 0) {
      _exit(127);
    }
    execve(argv[0], argv.data(), envp);
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_fd);
  std::unique_ptr<FrontendProcess> process(new FrontendProcess());
  process->pid_ = pid;
  process->in_fd_ = in_pipe[1];
  process->out_fd_ = out_pipe[0];
  fcntl(process->in_fd_, F_SETFL, O_NONBLOCK);
  fcntl(process->out_fd_, F_SETFL, O_NONBLOCK);
  return process;
}

FrontendProcess::~FrontendProcess() {
  if (in_fd_ >= 0) close(in_fd_);
  if (out_fd_ >= 0) close(out_fd_);
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
}

absl::Status FrontendProcess::Pump(absl::string_view* pending,
                                   absl::Time deadline) {
  pollfd fds[2];
  nfds_t count = 0;
  int out_index = -1;
  int in_index = -1;
  if (!out_eof_) {
    out_index = static_cast<int>(count);
    fds[count++] = {out_fd_, POLLIN, 0};
  }
  if (pending != nullptr && !pending->empty() && in_fd_ >= 0) {
    in_index = static_cast<int>(count);
    fds[count++] = {in_fd_, POLLOUT, 0};
  }
  if (count == 0) return absl::OkStatus();
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError("timed out waiting for mcp_frontend");
  }
  const int timeout_ms = static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1000));
  const int ready = poll(fds, count, timeout_ms);
  if (ready < 0) {
    if (errno == EINTR) return absl::OkStatus();
    return Errno("poll");
  }
  if (in_index >= 0 && fds[in_index].revents != 0) {
    const ssize_t n = write(in_fd_, pending->data(), pending->size());
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      if (errno == EPIPE) {
        return absl::UnavailableError("mcp_frontend closed its stdin");
      }
      return Errno("write to mcp_frontend");
    }
    if (n > 0) pending->remove_prefix(static_cast<size_t>(n));
  }
  if (out_index >= 0 && fds[out_index].revents != 0) {
    char chunk[65536];
    while (true) {
      const ssize_t n = read(out_fd_, chunk, sizeof(chunk));
      if (n > 0) {
        out_buffer_.append(chunk, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) out_eof_ = true;
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return Errno("read from mcp_frontend");
      }
      break;
    }
    return TakeLines();
  }
  return absl::OkStatus();
}

absl::Status FrontendProcess::TakeLines() {
  size_t start = 0;
  while (true) {
    const size_t newline = out_buffer_.find('\n', start);
    if (newline == std::string::npos) break;
    const std::string line = out_buffer_.substr(start, newline - start);
    start = newline + 1;
    nlohmann::json message =
        nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!message.is_object() || message.value("jsonrpc", "") != "2.0") {
      out_buffer_.erase(0, start);
      return absl::DataLossError(absl::StrCat(
          "mcp_frontend wrote a line that is not a JSON-RPC message (",
          line.size(), " bytes): ", line.substr(0, 200)));
    }
    messages_.push_back(std::move(message));
  }
  out_buffer_.erase(0, start);
  if (out_eof_ && !out_buffer_.empty()) {
    return absl::DataLossError("mcp_frontend's stdout ended mid-line");
  }
  return absl::OkStatus();
}

absl::Status FrontendProcess::Write(absl::string_view bytes,
                                    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!bytes.empty()) {
    if (in_fd_ < 0) return absl::FailedPreconditionError("stdin is closed");
    if (absl::Status s = Pump(&bytes, deadline); !s.ok()) return s;
    if (out_eof_ && !bytes.empty()) {
      // stdout closed: the frontend is gone; one more try shows EPIPE.
      const ssize_t n = write(in_fd_, bytes.data(), bytes.size());
      if (n < 0) return absl::UnavailableError("mcp_frontend exited");
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<nlohmann::json>> FrontendProcess::ReadUntilResponse(
    const nlohmann::json& id, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    for (size_t i = 0; i < messages_.size(); ++i) {
      const nlohmann::json& m = messages_[i];
      if (!m.contains("method") && m.contains("id") && m["id"] == id) {
        // Earlier responses to other requests stay queued (tool calls
        // finish out of order); everything else before it is returned.
        std::vector<nlohmann::json> out;
        std::vector<nlohmann::json> kept;
        for (size_t k = 0; k < i; ++k) {
          const bool response = !messages_[k].contains("method") &&
                                !messages_[k].value("id", nlohmann::json()).is_null();
          (response ? kept : out).push_back(std::move(messages_[k]));
        }
        out.push_back(std::move(messages_[i]));
        kept.insert(kept.end(), std::make_move_iterator(messages_.begin() + i + 1),
                    std::make_move_iterator(messages_.end()));
        messages_ = std::move(kept);
        return out;
      }
    }
    if (out_eof_) {
      return absl::OutOfRangeError(absl::StrCat(
          "mcp_frontend's stdout ended before the response to ", id.dump()));
    }
    if (absl::Status s = Pump(nullptr, deadline); !s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat(s.message(), " (waiting for the response to ",
                                 id.dump().substr(0, 100), "; ",
                                 messages_.size(), " other messages queued)"));
    }
  }
}

absl::StatusOr<std::vector<nlohmann::json>> FrontendProcess::Request(
    absl::string_view method, nlohmann::json params, absl::Duration timeout) {
  const std::string id = absl::StrCat("probe-", next_probe_++);
  nlohmann::json request = {
      {"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}};
  if (!params.is_null()) request["params"] = std::move(params);
  if (absl::Status s = Write(request.dump() + "\n", timeout); !s.ok()) {
    return s;
  }
  return ReadUntilResponse(id, timeout);
}

absl::Status FrontendProcess::Initialize() {
  absl::StatusOr<std::vector<nlohmann::json>> answer = Request(
      "initialize", {{"protocolVersion", "2025-06-18"},
                     {"capabilities", nlohmann::json::object()},
                     {"clientInfo", {{"name", "hostile"}, {"version", "1"}}}});
  if (!answer.ok()) return answer.status();
  if (!answer->back().contains("result")) {
    return absl::InternalError(
        absl::StrCat("initialize failed: ", answer->back().dump()));
  }
  return Write("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
}

absl::StatusOr<int> FrontendProcess::CloseAndWait(
    std::vector<nlohmann::json>* remaining, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  if (in_fd_ >= 0) {
    close(in_fd_);
    in_fd_ = -1;
  }
  while (!out_eof_) {
    if (absl::Status s = Pump(nullptr, deadline); !s.ok()) return s;
  }
  if (remaining != nullptr) {
    *remaining = std::move(messages_);
    messages_.clear();
  }
  while (true) {
    int status;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      return ExitCodeOf(status);
    }
    if (done < 0) return Errno("waitpid");
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError("mcp_frontend did not exit");
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

absl::StatusOr<std::vector<nlohmann::json>> FrontendProcess::Drain(
    absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  while (!out_eof_ && absl::Now() < deadline) {
    absl::Status s = Pump(nullptr, deadline);
    if (s.code() == absl::StatusCode::kDeadlineExceeded) break;
    if (!s.ok()) return s;
  }
  std::vector<nlohmann::json> out = std::move(messages_);
  messages_.clear();
  return out;
}

ToolOutcome OutcomeOf(const nlohmann::json& response) {
  ToolOutcome outcome;
  if (response.contains("error")) {
    outcome.is_error = true;
    outcome.text = absl::StrCat("rpc ", response["error"].value("code", 0),
                                ": ", response["error"].value("message", ""));
    return outcome;
  }
  const nlohmann::json& result = response.value("result", nlohmann::json());
  outcome.is_error = result.value("isError", false);
  if (result.contains("content") && result["content"].is_array()) {
    for (const nlohmann::json& block : result["content"]) {
      if (block.value("type", "") == "text") {
        absl::StrAppend(&outcome.text, block.value("text", ""));
      }
    }
  }
  if (result.contains("structuredContent")) {
    outcome.structured = result["structuredContent"];
  }
  return outcome;
}

}  // namespace layer_vault::tests::hostile
