#include "mcp_frontend/server/server.h"

#include <deque>
#include <iostream>
#include <thread>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/json_schema.h"
#include "common/redact.h"
#include "mcp_frontend/jsonrpc/line_reader.h"
#include "mcp_frontend/tool_registry/cancellation.h"

namespace layer_vault::mcp {

// A tools/call in flight.
struct Server::Call {
  nlohmann::json id;
  std::string key;  // RequestIdKey(id)
  std::string tool;
  CancellationSource cancel;
  nlohmann::json progress_token;  // null: no progress wanted
  // Guarded by Server::mu_.
  bool done = false;
  bool has_progress = false;
  double last_progress = 0;
};

// A request we sent to the client.
struct Server::Outgoing {
  // Guarded by Server::mu_.
  bool done = false;
  nlohmann::json result;
  bool is_error = false;
  RpcError error;
};

// A fixed set of threads running queued tasks in order.
class Server::WorkerPool {
 public:
  explicit WorkerPool(int threads) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { Loop(); });
    }
  }
  ~WorkerPool() { Join(); }

  void Schedule(std::function<void()> task) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(task));
  }

  // Runs what is queued, then stops the threads.
  void Join() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || stopping_;
  }

  void Loop() {
    while (true) {
      std::function<void()> task;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &WorkerPool::HasWorkOrStopping));
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

const std::vector<std::string>& SupportedProtocolVersions() {
  static const auto* versions = new std::vector<std::string>{
      std::string(kLatestProtocolVersion), "2025-06-18", "2025-03-26",
      "2024-11-05"};
  return *versions;
}

std::string NegotiateProtocolVersion(absl::string_view requested) {
  for (const std::string& version : SupportedProtocolVersions()) {
    if (version == requested) return version;
  }
  return std::string(kLatestProtocolVersion);
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(
    ServerOptions options, const ToolRegistry* tools, int in_fd,
    int out_fd) {
  if (tools == nullptr) return absl::InvalidArgumentError("null registry");
  if (options.worker_threads < 1 || options.max_in_flight < 1) {
    return absl::InvalidArgumentError(
        "worker_threads and max_in_flight must be positive");
  }
  if (options.elicitation_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("elicitation_timeout must be positive");
  }
  if (in_fd < 0 || out_fd < 0) {
    return absl::InvalidArgumentError("bad file descriptor");
  }
  return std::unique_ptr<Server>(
      new Server(std::move(options), tools, in_fd, out_fd));
}

Server::Server(ServerOptions options, const ToolRegistry* tools, int in_fd,
               int out_fd)
    : options_(std::move(options)),
      tools_(tools),
      in_fd_(in_fd),
      writer_(out_fd),
      log_threshold_(options_.client_log_level) {}

Server::~Server() = default;

void Server::Diagnose(absl::string_view message) {
  const std::string line = common::Redact(message);
  if (options_.diagnostics) {
    options_.diagnostics(line);
  } else {
    std::cerr << "mcp_frontend: " << line << "\n";
  }
}

void Server::Send(nlohmann::json message) {
  absl::Status status = writer_.Write(std::move(message));
  if (!status.ok()) Diagnose(status.message());
}

void Server::Respond(const nlohmann::json& id, nlohmann::json result) {
  Send(MakeResult(id, std::move(result)));
}

void Server::RespondError(const nlohmann::json& id, int code,
                          std::string message) {
  Send(MakeError(id, code, std::move(message)));
}

void Server::Log(LogLevel level, absl::string_view logger,
                 absl::string_view message) {
  Diagnose(absl::StrCat(LogLevelName(level), " [", logger, "] ", message));
  {
    absl::MutexLock lock(&mu_);
    if (!initialized_ || shutting_down_ || level < log_threshold_) return;
  }
  Send(MakeNotification("notifications/message",
                        {{"level", std::string(LogLevelName(level))},
                         {"logger", std::string(logger)},
                         {"data", std::string(message)}}));
}

absl::Status Server::Run() {
  pool_ = std::make_unique<WorkerPool>(options_.worker_threads);
  LineReader reader(in_fd_, kMaxMessageBytes);
  absl::Status status;
  while (true) {
    LineReader::Line line = reader.Next();
    if (line.kind == LineReader::Line::Kind::kEof) break;
    if (line.kind == LineReader::Line::Kind::kError) {
      status = line.error;
      Diagnose(absl::StrCat("stopping: ", status.message()));
      break;
    }
    if (line.kind == LineReader::Line::Kind::kOversize) {
      Diagnose(absl::StrCat("discarded a message of ", line.discarded,
                            " bytes (limit ", kMaxMessageBytes, ")"));
      RespondError(nullptr, kInvalidRequest,
                   absl::StrCat("Invalid Request: message exceeds ",
                                kMaxMessageBytes, " bytes"));
      continue;
    }
    HandleLine(line.text);
  }
  Shutdown();
  return status;
}

void Server::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    for (auto& [key, call] : calls_) call->cancel.Cancel();
  }
  pool_->Join();
}

void Server::HandleLine(absl::string_view line) {
  if (absl::StripAsciiWhitespace(line).empty()) return;
  auto parsed = ParseMessage(line);
  if (auto* rejected = std::get_if<RejectedMessage>(&parsed)) {
    Diagnose(absl::StrCat("rejected a message: ", rejected->error.message));
    if (rejected->respond) Send(MakeError(rejected->id, rejected->error));
    return;
  }
  IncomingMessage& message = std::get<IncomingMessage>(parsed);
  switch (message.kind) {
    case IncomingMessage::Kind::kRequest:
      HandleRequest(message);
      break;
    case IncomingMessage::Kind::kNotification:
      HandleNotification(message);
      break;
    case IncomingMessage::Kind::kResponse:
      HandleResponse(message);
      break;
  }
}

void Server::HandleRequest(IncomingMessage& message) {
  const std::string& method = message.method;
  if (method == "ping") {
    Respond(message.id, nlohmann::json::object());
    return;
  }
  if (method == "initialize") {
    HandleInitialize(message);
    return;
  }
  bool initialized;
  {
    absl::MutexLock lock(&mu_);
    initialized = initialized_;
  }
  if (!initialized) {
    RespondError(message.id, kInvalidRequest,
                 "Invalid Request: the server is not initialized; send "
                 "initialize first");
    return;
  }
  if (method == "tools/list") {
    if (message.params.is_object() && message.params.contains("cursor") &&
        !message.params.at("cursor").is_null()) {
      // Every tool fits in one page, so no cursor was ever handed out.
      RespondError(message.id, kInvalidParams, "Invalid params: unknown cursor");
      return;
    }
    Respond(message.id, tools_->ListResult());
  } else if (method == "tools/call") {
    HandleToolCall(message);
  } else if (method == "logging/setLevel") {
    HandleSetLevel(message);
  } else {
    RespondError(message.id, kMethodNotFound,
                 absl::StrCat("Method not found: ", method.substr(0, 100)));
  }
}

void Server::HandleInitialize(const IncomingMessage& message) {
  const nlohmann::json& params = message.params;
  if (!params.is_object() || !params.contains("protocolVersion") ||
      !params.at("protocolVersion").is_string()) {
    RespondError(message.id, kInvalidParams,
                 "Invalid params: initialize needs a string protocolVersion");
    return;
  }
  const std::string version =
      NegotiateProtocolVersion(params.at("protocolVersion").get<std::string>());
  bool can_elicit = false;
  if (const auto caps = params.find("capabilities");
      caps != params.end() && caps->is_object()) {
    // Form mode: "elicitation": {} (before 2025-11-25, and its shorthand)
    // or "elicitation": {"form": {...}}; a URL-only client cannot answer.
    const auto elicitation = caps->find("elicitation");
    can_elicit = elicitation != caps->end() && elicitation->is_object() &&
                 (elicitation->empty() || elicitation->contains("form"));
  }
  bool again;
  {
    absl::MutexLock lock(&mu_);
    again = initialized_;
    if (!again) {
      initialized_ = true;
      protocol_version_ = version;
      client_can_elicit_ = can_elicit;
    }
  }
  if (again) {
    RespondError(message.id, kInvalidRequest,
                 "Invalid Request: already initialized");
    return;
  }
  nlohmann::json server_info = {{"name", options_.name},
                                {"version", options_.version}};
  if (!options_.title.empty()) server_info["title"] = options_.title;
  nlohmann::json result = {
      {"protocolVersion", version},
      {"capabilities",
       {{"logging", nlohmann::json::object()},
        {"tools", {{"listChanged", false}}}}},
      {"serverInfo", std::move(server_info)}};
  if (!options_.instructions.empty()) {
    result["instructions"] = options_.instructions;
  }
  std::string client = "unknown client";
  if (const auto info = params.find("clientInfo");
      info != params.end() && info->is_object()) {
    client = absl::StrCat(info->value("name", "?"), " ",
                          info->value("version", "?"));
  }
  Diagnose(absl::StrCat("initialize from ", client, ": protocol ", version,
                        can_elicit ? ", elicitation" : ""));
  Respond(message.id, std::move(result));
}

void Server::HandleSetLevel(const IncomingMessage& message) {
  std::optional<LogLevel> level;
  if (message.params.is_object() && message.params.contains("level") &&
      message.params.at("level").is_string()) {
    level = ParseLogLevel(message.params.at("level").get<std::string>());
  }
  if (!level) {
    RespondError(message.id, kInvalidParams,
                 "Invalid params: level must be one of debug, info, notice, "
                 "warning, error, critical, alert, emergency");
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    log_threshold_ = *level;
  }
  Respond(message.id, nlohmann::json::object());
}

void Server::HandleToolCall(IncomingMessage& message) {
  nlohmann::json& params = message.params;
  if (!params.is_object() || !params.contains("name") ||
      !params.at("name").is_string()) {
    RespondError(message.id, kInvalidParams,
                 "Invalid params: tools/call needs a string name");
    return;
  }
  std::string name = params.at("name").get<std::string>();
  if (!tools_->Contains(name)) {
    RespondError(message.id, kInvalidParams,
                 absl::StrCat("Unknown tool: ", name.substr(0, 64)));
    return;
  }
  auto call = std::make_shared<Call>();
  call->id = message.id;
  call->key = RequestIdKey(message.id);
  call->tool = name;
  if (const auto meta = params.find("_meta");
      meta != params.end() && meta->is_object()) {
    const auto token = meta->find("progressToken");
    if (token != meta->end() && IsValidRequestId(*token)) {
      call->progress_token = *token;
    }
  }
  nlohmann::json arguments =
      params.contains("arguments") ? std::move(params["arguments"]) : nullptr;
  enum { kAccepted, kDuplicate, kBusy } admission;
  {
    absl::MutexLock lock(&mu_);
    if (calls_.contains(call->key)) {
      admission = kDuplicate;
    } else if (calls_.size() >= static_cast<size_t>(options_.max_in_flight)) {
      admission = kBusy;
    } else {
      admission = kAccepted;
      calls_[call->key] = call;
    }
  }
  if (admission == kDuplicate) {
    RespondError(message.id, kInvalidRequest,
                 "Invalid Request: this id is already in use by a request in "
                 "progress");
    return;
  }
  if (admission == kBusy) {
    RespondError(message.id, kInternalError,
                 absl::StrCat("Internal error: ", options_.max_in_flight,
                              " tool calls are in progress; retry later"));
    return;
  }
  pool_->Schedule(
      [this, call, name = std::move(name),
       arguments = std::move(arguments)]() mutable {
        RunToolCall(call, std::move(name), std::move(arguments));
      });
}

void Server::RunToolCall(const std::shared_ptr<Call>& call, std::string name,
                         nlohmann::json arguments) {
  absl::StatusOr<ToolResult> result =
      absl::CancelledError("cancelled before it started");
  if (!call->cancel.cancelled()) {
    ToolContext::Hooks hooks;
    hooks.progress = [this, &call](double progress, std::optional<double> total,
                                   absl::string_view message) {
      SendProgress(*call, progress, total, message);
    };
    hooks.can_elicit = [this] {
      absl::MutexLock lock(&mu_);
      return client_can_elicit_;
    };
    hooks.elicit = [this, &call](const ElicitRequest& request,
                                 const CancellationToken&) {
      return Elicit(*call, request);
    };
    hooks.log = [this, &name](LogLevel level, absl::string_view message) {
      Log(level, name, message);
    };
    ToolContext context(call->cancel.token(), std::move(hooks));
    result = tools_->Call(name, arguments, context);
  }
  bool cancelled;
  {
    absl::MutexLock lock(&mu_);
    call->done = true;
    calls_.erase(call->key);
    cancelled = call->cancel.cancelled();
  }
  if (cancelled) {
    // The client gave up on this request: it expects no response.
    Diagnose(absl::StrCat("tools/call ", name, " cancelled"));
    return;
  }
  if (!result.ok()) {
    const bool unknown = result.status().code() == absl::StatusCode::kNotFound;
    RespondError(call->id, unknown ? kInvalidParams : kInternalError,
                 common::RedactStatus(result.status()).ToString());
    return;
  }
  if (result->is_error) {
    Diagnose(absl::StrCat("tools/call ", name, " returned an error result"));
  }
  Respond(call->id, result->ToJson());
}

void Server::SendProgress(Call& call, double progress,
                          std::optional<double> total,
                          absl::string_view message) {
  if (call.progress_token.is_null()) return;
  {
    absl::MutexLock lock(&mu_);
    if (call.done || shutting_down_) return;
    if (call.has_progress && !(progress > call.last_progress)) return;
    call.has_progress = true;
    call.last_progress = progress;
  }
  nlohmann::json params = {{"progressToken", call.progress_token},
                           {"progress", progress}};
  if (total) params["total"] = *total;
  if (!message.empty()) params["message"] = std::string(message);
  Send(MakeNotification("notifications/progress", std::move(params)));
}

absl::StatusOr<ElicitResult> Server::Elicit(Call& call,
                                            const ElicitRequest& request) {
  if (request.message.empty()) {
    return absl::InvalidArgumentError("elicitation needs a message");
  }
  if (!request.requested_schema.is_object() ||
      request.requested_schema.value("type", "") != "object") {
    return absl::InvalidArgumentError(
        "elicitation needs an object requestedSchema");
  }
  absl::StatusOr<common::JsonSchema> schema =
      common::JsonSchema::Compile(request.requested_schema);
  if (!schema.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "elicitation requestedSchema: ", schema.status().message()));
  }
  const absl::Duration timeout = request.timeout > absl::ZeroDuration()
                                     ? request.timeout
                                     : options_.elicitation_timeout;
  auto outgoing = std::make_shared<Outgoing>();
  int64_t id;
  {
    absl::MutexLock lock(&mu_);
    if (!client_can_elicit_) {
      return absl::FailedPreconditionError(
          "the MCP client does not support elicitation");
    }
    if (shutting_down_ || call.cancel.cancelled()) {
      return absl::CancelledError("the tool call was cancelled");
    }
    id = next_outgoing_id_++;
    outgoing_[id] = outgoing;
  }
  Send(MakeRequest(id, "elicitation/create",
                   {{"message", request.message},
                    {"requestedSchema", request.requested_schema}}));

  bool answered;
  bool cancelled;
  {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return outgoing->done || shutting_down_ || call.cancel.cancelled();
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    answered = outgoing->done;
    cancelled = !answered && (shutting_down_ || call.cancel.cancelled());
    outgoing_.erase(id);
  }
  if (!answered) {
    const char* reason = cancelled ? "the tool call was cancelled"
                                   : "no answer before the timeout";
    Send(MakeNotification("notifications/cancelled",
                          {{"requestId", id}, {"reason", reason}}));
    if (cancelled) return absl::CancelledError(reason);
    return absl::DeadlineExceededError(absl::StrCat(
        "the user did not answer within ", absl::FormatDuration(timeout)));
  }
  if (outgoing->is_error) {
    return absl::UnavailableError(
        absl::StrCat("the MCP client refused elicitation (",
                     outgoing->error.code, ": ", outgoing->error.message, ")"));
  }
  const nlohmann::json& result = outgoing->result;
  const std::string action =
      result.is_object() && result.contains("action") &&
              result.at("action").is_string()
          ? result.at("action").get<std::string>()
          : "";
  ElicitResult elicited;
  if (action == "decline") {
    elicited.action = ElicitResult::Action::kDecline;
  } else if (action == "cancel") {
    elicited.action = ElicitResult::Action::kCancel;
  } else if (action == "accept") {
    elicited.action = ElicitResult::Action::kAccept;
    elicited.content = result.contains("content") ? result.at("content")
                                                  : nlohmann::json::object();
    if (absl::Status valid = schema->Validate(elicited.content, "/content");
        !valid.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "the user's answer does not match the form: ", valid.message()));
    }
  } else {
    return absl::UnavailableError(
        "the MCP client's elicitation result has no valid action");
  }
  return elicited;
}

void Server::HandleResponse(IncomingMessage& message) {
  if (!message.id.is_number_integer()) {
    Diagnose("dropped a response to an unknown request");
    return;
  }
  absl::MutexLock lock(&mu_);
  const auto it = outgoing_.find(message.id.get<int64_t>());
  if (it == outgoing_.end()) {
    Diagnose("dropped a response to an unknown or expired request");
    return;
  }
  Outgoing& outgoing = *it->second;
  outgoing.done = true;
  outgoing.is_error = message.is_error;
  outgoing.error = std::move(message.error);
  outgoing.result = std::move(message.result);
}

void Server::HandleNotification(const IncomingMessage& message) {
  if (message.method == "notifications/initialized") {
    absl::MutexLock lock(&mu_);
    client_ready_ = true;
    return;
  }
  if (message.method == "notifications/cancelled") {
    const nlohmann::json& params = message.params;
    if (!params.is_object() || !params.contains("requestId") ||
        !IsValidRequestId(params.at("requestId"))) {
      Diagnose("ignored notifications/cancelled without a valid requestId");
      return;
    }
    const std::string key = RequestIdKey(params.at("requestId"));
    absl::MutexLock lock(&mu_);
    const auto it = calls_.find(key);
    if (it == calls_.end()) return;  // finished already, or never a call
    it->second->cancel.Cancel();
    return;
  }
  // Other notifications (progress for our requests, roots changes...) need
  // nothing from this server; never answer a notification.
}

}  // namespace layer_vault::mcp
