#include "mcp_frontend/server/server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mcp_frontend/jsonrpc/message.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "mcp_frontend/tool_registry/tool_registry.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr absl::Duration kTimeout = absl::Seconds(20);

// Observable state of the test tools.
struct ToolProbe {
  absl::Mutex mu;
  int block_started ABSL_GUARDED_BY(mu) = 0;
  int block_finished ABSL_GUARDED_BY(mu) = 0;
  int block_saw_cancel ABSL_GUARDED_BY(mu) = 0;
  absl::Notification release_blockers;

  void Release() {
    if (!release_blockers.HasBeenNotified()) release_blockers.Notify();
  }

  void WaitStarted(int n) {
    absl::MutexLock lock(&mu);
    auto ready = [&] { return block_started >= n; };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&ready), kTimeout));
  }
  void WaitFinished(int n) {
    absl::MutexLock lock(&mu);
    auto ready = [&] { return block_finished >= n; };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&ready), kTimeout));
  }
};

json ObjectSchema(json properties = json::object(),
                  json required = json::array()) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)}};
}

ToolDefinition Definition(std::string name, json input = ObjectSchema()) {
  ToolDefinition d;
  d.name = std::move(name);
  d.description = "test tool";
  d.input_schema = std::move(input);
  return d;
}

void AddTestTools(ToolRegistry& registry, ToolProbe& probe) {
  ASSERT_TRUE(
      registry
          .Register(MakeTool(
              Definition("echo", ObjectSchema({{"text", {{"type", "string"}}}},
                                              {"text"})),
              [](const json& args, ToolContext&) -> absl::StatusOr<ToolResult> {
                return ToolResult::Structured({{"text", args["text"]}});
              }))
          .ok());
  ASSERT_TRUE(
      registry
          .Register(MakeTool(
              Definition("block"),
              [&probe](const json&,
                       ToolContext& context) -> absl::StatusOr<ToolResult> {
                {
                  absl::MutexLock lock(&probe.mu);
                  ++probe.block_started;
                }
                bool cancelled = false;
                while (!probe.release_blockers.HasBeenNotified()) {
                  if (context.cancellation().WaitFor(absl::Milliseconds(5))) {
                    cancelled = true;
                    break;
                  }
                }
                absl::MutexLock lock(&probe.mu);
                ++probe.block_finished;
                if (cancelled) ++probe.block_saw_cancel;
                return ToolResult::Structured({{"released", !cancelled}});
              }))
          .ok());
  ASSERT_TRUE(
      registry
          .Register(MakeTool(
              Definition("progress"),
              [](const json&, ToolContext& context) -> absl::StatusOr<ToolResult> {
                context.ReportProgress(1, 3, "first");
                context.ReportProgress(2, 3);
                context.ReportProgress(2, 3);  // not increasing: dropped
                context.ReportProgress(1, 3);  // decreasing: dropped
                context.ReportProgress(3, 3, "done");
                return ToolResult::Structured({{"ok", true}});
              }))
          .ok());
  ASSERT_TRUE(
      registry
          .Register(MakeTool(
              Definition("confirm",
                         ObjectSchema({{"timeout_ms", {{"type", "integer"}}}})),
              [](const json& args,
                 ToolContext& context) -> absl::StatusOr<ToolResult> {
                if (!context.CanElicit()) {
                  return ToolResult::Error(
                      "cannot ask: pass confirm=true to proceed");
                }
                ElicitRequest request;
                request.message = "Spend 25 Creative Units?";
                request.requested_schema = ObjectSchema(
                    {{"confirm", {{"type", "boolean"}}}}, {"confirm"});
                if (args.contains("timeout_ms")) {
                  request.timeout =
                      absl::Milliseconds(args["timeout_ms"].get<int>());
                }
                absl::StatusOr<ElicitResult> answer = context.Elicit(request);
                if (!answer.ok()) return answer.status();
                const char* action =
                    answer->action == ElicitResult::Action::kAccept ? "accept"
                    : answer->action == ElicitResult::Action::kDecline
                        ? "decline"
                        : "cancel";
                json out = {{"action", action}};
                if (answer->action == ElicitResult::Action::kAccept) {
                  out["confirm"] = answer->content["confirm"];
                }
                return ToolResult::Structured(out);
              }))
          .ok());
  ASSERT_TRUE(
      registry
          .Register(MakeTool(
              Definition("log", ObjectSchema({{"level", {{"type", "string"}}},
                                              {"message", {{"type", "string"}}}},
                                             {"level", "message"})),
              [](const json& args,
                 ToolContext& context) -> absl::StatusOr<ToolResult> {
                context.Log(*ParseLogLevel(args["level"].get<std::string>()),
                            args["message"].get<std::string>());
                return ToolResult::Structured({{"ok", true}});
              }))
          .ok());
}

// Runs a Server on two pipes and talks to it like an MCP client.
class Harness {
 public:
  explicit Harness(ServerOptions options = {}) {
    signal(SIGPIPE, SIG_IGN);
    AddTestTools(registry_, probe_);
    int to_server[2];
    int from_server[2];
    EXPECT_EQ(pipe2(to_server, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(from_server, O_CLOEXEC), 0);
    client_write_ = to_server[1];
    client_read_ = from_server[0];
    server_read_ = to_server[0];
    server_write_ = from_server[1];
    options.diagnostics = [this](absl::string_view line) {
      absl::MutexLock lock(&diag_mu_);
      diagnostics_.emplace_back(line);
    };
    auto server = Server::Create(std::move(options), &registry_, server_read_,
                                 server_write_);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    thread_ = std::thread([this] {
      run_status_ = server_->Run();
      run_returned_.Notify();
    });
  }

  ~Harness() {
    probe_.Release();
    CloseInput();
    close(client_read_);
    close(server_read_);
    close(server_write_);
  }

  // Ends the server's input and waits for Run to return.
  void CloseInput() {
    if (client_write_ >= 0) {
      close(client_write_);
      client_write_ = -1;
    }
    if (thread_.joinable()) thread_.join();
  }

  void SendRaw(absl::string_view bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = write(client_write_, bytes.data() + done, bytes.size() - done);
      ASSERT_GT(n, 0);
      done += static_cast<size_t>(n);
    }
  }
  void Send(const json& message) { SendRaw(message.dump() + "\n"); }
  void Request(const json& id, const std::string& method,
               json params = nullptr) {
    Send(MakeRequest(id, method, std::move(params)));
  }

  // The next message from the server, or nullopt after `timeout`.
  std::optional<json> Read(absl::Duration timeout = kTimeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      const size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
        EXPECT_FALSE(parsed.is_discarded()) << "not JSON on stdout: " << line;
        return parsed;
      }
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return std::nullopt;
      pollfd p = {client_read_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <=
          0) {
        continue;
      }
      char chunk[65536];
      ssize_t n = read(client_read_, chunk, sizeof(chunk));
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, n);
    }
  }

  // Reads until the response with `id`; messages before it are appended to
  // `others` (if given) or must not exist.
  json ReadResponse(const json& id, std::vector<json>* others = nullptr) {
    while (true) {
      std::optional<json> message = Read();
      if (!message) {
        ADD_FAILURE() << "no response for id " << id;
        return json();
      }
      if (message->contains("id") && (*message)["id"] == id &&
          !message->contains("method")) {
        return *message;
      }
      if (others) {
        others->push_back(*message);
      } else {
        ADD_FAILURE() << "unexpected message: " << message->dump();
      }
    }
  }

  json Initialize(json capabilities = json::object(),
                  std::string version = "2025-06-18") {
    Request("init", "initialize",
            {{"protocolVersion", version},
             {"capabilities", std::move(capabilities)},
             {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
    json response = ReadResponse("init");
    Send(MakeNotification("notifications/initialized", nullptr));
    return response;
  }

  json CallTool(const json& id, const std::string& name,
                json arguments = json::object(), json meta = nullptr) {
    json params = {{"name", name}, {"arguments", std::move(arguments)}};
    if (!meta.is_null()) params["_meta"] = std::move(meta);
    Request(id, "tools/call", std::move(params));
    return id;
  }

  // Nothing arrives within `wait`.
  void ExpectSilence(absl::Duration wait = absl::Milliseconds(100)) {
    std::optional<json> message = Read(wait);
    EXPECT_FALSE(message.has_value()) << message->dump();
  }

  std::vector<std::string> diagnostics() {
    absl::MutexLock lock(&diag_mu_);
    return diagnostics_;
  }

  ToolProbe& probe() { return probe_; }
  absl::Notification& run_returned() { return run_returned_; }
  const absl::Status& run_status() const { return run_status_; }

 private:
  ToolRegistry registry_;
  ToolProbe probe_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  absl::Status run_status_;
  absl::Notification run_returned_;
  int client_write_ = -1, client_read_ = -1, server_read_ = -1,
      server_write_ = -1;
  std::string buffer_;
  absl::Mutex diag_mu_;
  std::vector<std::string> diagnostics_ ABSL_GUARDED_BY(diag_mu_);
};

int ErrorCode(const json& response) {
  if (!response.contains("error")) return 0;
  return response["error"]["code"].get<int>();
}

// --- lifecycle ---------------------------------------------------------

class NegotiationTest
    : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(NegotiationTest, AnswersSupportedVersionElseLatest) {
  ServerOptions options;
  options.name = "layer-vault";
  options.title = "Layer.ai";
  options.version = "1.2.3";
  options.instructions = "Discover, estimate, run, poll, save.";
  Harness h(options);
  json response = h.Initialize(json::object(), GetParam().first);
  const json& result = response["result"];
  EXPECT_EQ(result["protocolVersion"], GetParam().second);
  EXPECT_EQ(result["capabilities"]["tools"]["listChanged"], false);
  EXPECT_TRUE(result["capabilities"]["logging"].is_object());
  EXPECT_FALSE(result["capabilities"].contains("resources"));
  EXPECT_EQ(result["serverInfo"]["name"], "layer-vault");
  EXPECT_EQ(result["serverInfo"]["title"], "Layer.ai");
  EXPECT_EQ(result["serverInfo"]["version"], "1.2.3");
  EXPECT_EQ(result["instructions"], "Discover, estimate, run, poll, save.");
}

INSTANTIATE_TEST_SUITE_P(
    Versions, NegotiationTest,
    ::testing::Values(std::make_pair("2025-11-25", "2025-11-25"),
                      std::make_pair("2025-06-18", "2025-06-18"),
                      std::make_pair("2025-03-26", "2025-03-26"),
                      std::make_pair("2024-11-05", "2024-11-05"),
                      std::make_pair("2024-10-07", "2025-11-25"),
                      std::make_pair("2099-01-01", "2025-11-25")));

TEST(ServerTest, RequestsBeforeInitializeAreRefusedExceptPing) {
  Harness h;
  h.Request(1, "tools/list");
  EXPECT_EQ(ErrorCode(h.ReadResponse(1)), kInvalidRequest);
  h.Request(2, "tools/call", {{"name", "echo"}});
  EXPECT_EQ(ErrorCode(h.ReadResponse(2)), kInvalidRequest);
  h.Request(3, "ping");
  EXPECT_EQ(h.ReadResponse(3)["result"], json::object());
  h.Initialize();
  h.Request(4, "tools/list");
  EXPECT_EQ(ErrorCode(h.ReadResponse(4)), 0);
}

TEST(ServerTest, InitializeNeedsProtocolVersionAndOnlyOnce) {
  Harness h;
  h.Request(1, "initialize", {{"capabilities", json::object()}});
  EXPECT_EQ(ErrorCode(h.ReadResponse(1)), kInvalidParams);
  h.Initialize();
  h.Request(2, "initialize", {{"protocolVersion", "2025-06-18"}});
  EXPECT_EQ(ErrorCode(h.ReadResponse(2)), kInvalidRequest);
}

TEST(ServerTest, EndOfInputIsCleanExit) {
  Harness h;
  h.Initialize();
  h.CloseInput();
  EXPECT_TRUE(h.run_returned().HasBeenNotified());
  EXPECT_TRUE(h.run_status().ok()) << h.run_status();
}

// --- framing and dispatch ----------------------------------------------

TEST(ServerTest, BadLinesAreAnsweredAndServingGoesOn) {
  Harness h;
  h.SendRaw("this is not json\n");
  json parse_error = *h.Read();
  EXPECT_EQ(ErrorCode(parse_error), kParseError);
  EXPECT_TRUE(parse_error["id"].is_null());

  h.SendRaw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xffing\"}\n");
  json utf8_error = *h.Read();
  EXPECT_EQ(ErrorCode(utf8_error), kParseError);
  EXPECT_TRUE(utf8_error["id"].is_null());

  h.SendRaw(R"([{"jsonrpc":"2.0","id":2,"method":"ping"}])" "\n");
  json batch_error = *h.Read();
  EXPECT_EQ(ErrorCode(batch_error), kInvalidRequest);
  EXPECT_TRUE(batch_error["id"].is_null());

  h.SendRaw("\n   \n");  // blank lines: nothing
  h.SendRaw(R"({"jsonrpc":"2.0","id":3,"method":"ping"})" "\r\n");  // CRLF
  EXPECT_EQ(h.ReadResponse(3)["result"], json::object());
}

TEST(ServerTest, OversizeMessageIsRejectedWithoutHarm) {
  Harness h;
  h.Initialize();
  std::string huge = R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"text":")";
  huge.append(kMaxMessageBytes, 'x');
  huge += "\"}}}\n";
  std::thread writer([&] { h.SendRaw(huge); });
  json error = *h.Read();
  writer.join();
  EXPECT_EQ(ErrorCode(error), kInvalidRequest);
  EXPECT_TRUE(error["id"].is_null());
  EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr("4194304"));
  h.Request(10, "ping");
  EXPECT_EQ(h.ReadResponse(10)["result"], json::object());
}

TEST(ServerTest, UnknownMethodAndNotifications) {
  Harness h;
  h.Initialize();
  h.Send(MakeNotification("notifications/whatever", {{"x", 1}}));
  h.Send(MakeNotification("unknown/notification", nullptr));
  h.Request(5, "resources/list");
  json response = h.ReadResponse(5);  // nothing came before it
  EXPECT_EQ(ErrorCode(response), kMethodNotFound);
  EXPECT_THAT(response["error"]["message"].get<std::string>(),
              HasSubstr("resources/list"));
}

TEST(ServerTest, StringAndNumberIdsAreEchoedExactly) {
  Harness h;
  h.Request("7", "ping");
  EXPECT_EQ(h.ReadResponse("7")["id"], "7");
  h.Request(7, "ping");
  EXPECT_EQ(h.ReadResponse(7)["id"], 7);
}

// --- tools -------------------------------------------------------------

TEST(ServerTest, ToolsListIncludesSchemas) {
  Harness h;
  h.Initialize();
  h.Request(1, "tools/list", json::object());
  json tools = h.ReadResponse(1)["result"]["tools"];
  ASSERT_EQ(tools.size(), 5u);
  EXPECT_EQ(tools[0]["name"], "echo");
  EXPECT_EQ(tools[0]["inputSchema"]["required"], json::array({"text"}));
  h.Request(2, "tools/list", {{"cursor", "abc"}});
  EXPECT_EQ(ErrorCode(h.ReadResponse(2)), kInvalidParams);
}

TEST(ServerTest, ToolCallResultAndErrors) {
  Harness h;
  h.Initialize();
  h.CallTool(1, "echo", {{"text", "hello"}});
  json ok = h.ReadResponse(1)["result"];
  EXPECT_EQ(ok["isError"], false);
  EXPECT_EQ(ok["structuredContent"]["text"], "hello");

  h.CallTool(2, "echo", {{"text", 5}});
  json invalid = h.ReadResponse(2)["result"];
  EXPECT_EQ(invalid["isError"], true);
  EXPECT_THAT(invalid["content"][0]["text"].get<std::string>(),
              HasSubstr("/text"));

  h.CallTool(3, "no_such_tool");
  json unknown = h.ReadResponse(3);
  EXPECT_EQ(ErrorCode(unknown), kInvalidParams);
  EXPECT_THAT(unknown["error"]["message"].get<std::string>(),
              HasSubstr("no_such_tool"));

  h.Request(4, "tools/call", {{"arguments", json::object()}});
  EXPECT_EQ(ErrorCode(h.ReadResponse(4)), kInvalidParams);
}

TEST(ServerTest, BlockingToolDoesNotBlockPingOrList) {
  Harness h;
  h.Initialize();
  h.CallTool("slow", "block");
  h.probe().WaitStarted(1);
  h.Request(1, "ping");
  EXPECT_EQ(h.ReadResponse(1)["result"], json::object());
  h.Request(2, "tools/list");
  EXPECT_EQ(h.ReadResponse(2)["result"]["tools"].size(), 5u);
  h.CallTool(3, "echo", {{"text", "meanwhile"}});
  EXPECT_EQ(h.ReadResponse(3)["result"]["structuredContent"]["text"],
            "meanwhile");
  h.probe().Release();
  EXPECT_EQ(h.ReadResponse("slow")["result"]["structuredContent"]["released"],
            true);
}

TEST(ServerTest, CallsRunConcurrently) {
  ServerOptions options;
  options.worker_threads = 3;
  Harness h(options);
  h.Initialize();
  h.CallTool(1, "block");
  h.CallTool(2, "block");
  h.CallTool(3, "block");
  h.probe().WaitStarted(3);  // all three at once
  h.probe().Release();
  std::set<int> ids;
  for (int i = 0; i < 3; ++i) {
    std::optional<json> response = h.Read();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ((*response)["result"]["structuredContent"]["released"], true);
    ids.insert((*response)["id"].get<int>());
  }
  EXPECT_EQ(ids, (std::set<int>{1, 2, 3}));
}

TEST(ServerTest, CancelledNotificationAbortsTheCallAndNoResponseIsSent) {
  Harness h;
  h.Initialize();
  h.CallTool("c1", "block");
  h.probe().WaitStarted(1);
  h.Send(MakeNotification("notifications/cancelled",
                          {{"requestId", "c1"}, {"reason", "user"}}));
  h.probe().WaitFinished(1);
  {
    absl::MutexLock lock(&h.probe().mu);
    EXPECT_EQ(h.probe().block_saw_cancel, 1);
  }
  h.Request(2, "ping");
  h.ReadResponse(2);  // fails if a response for "c1" comes first
  h.ExpectSilence();
  // Cancelling an unknown or finished request is harmless.
  h.Send(MakeNotification("notifications/cancelled", {{"requestId", "c1"}}));
  h.Send(MakeNotification("notifications/cancelled", {{"requestId", 999}}));
  h.Request(3, "ping");
  h.ReadResponse(3);
}

TEST(ServerTest, CancellationMatchesIdTypeExactly) {
  Harness h;
  h.Initialize();
  h.CallTool(1, "block");
  h.probe().WaitStarted(1);
  // "1" (a string) is not the request 1 (a number).
  h.Send(MakeNotification("notifications/cancelled", {{"requestId", "1"}}));
  h.Request(2, "ping");
  h.ReadResponse(2);
  h.probe().Release();
  EXPECT_EQ(h.ReadResponse(1)["result"]["structuredContent"]["released"], true);
}

TEST(ServerTest, DuplicateInFlightIdIsRefused) {
  Harness h;
  h.Initialize();
  h.CallTool(1, "block");
  h.probe().WaitStarted(1);
  h.CallTool(1, "echo", {{"text", "x"}});
  EXPECT_EQ(ErrorCode(h.ReadResponse(1)), kInvalidRequest);
  h.probe().Release();
  EXPECT_EQ(h.ReadResponse(1)["result"]["isError"], false);
}

TEST(ServerTest, TooManyCallsInFlight) {
  ServerOptions options;
  options.worker_threads = 1;
  options.max_in_flight = 2;
  Harness h(options);
  h.Initialize();
  h.CallTool(1, "block");
  h.CallTool(2, "block");  // queued
  h.CallTool(3, "block");
  EXPECT_EQ(ErrorCode(h.ReadResponse(3)), kInternalError);
  h.probe().Release();
  std::set<int> ids;
  for (int i = 0; i < 2; ++i) {
    std::optional<json> response = h.Read();
    ASSERT_TRUE(response.has_value());
    ids.insert((*response)["id"].get<int>());
  }
  EXPECT_EQ(ids, (std::set<int>{1, 2}));
}

TEST(ServerTest, EndOfInputCancelsInFlightCalls) {
  Harness h;
  h.Initialize();
  h.CallTool(1, "block");
  h.CallTool(2, "block");
  h.probe().WaitStarted(2);
  h.CloseInput();  // returns only after Run returned
  EXPECT_TRUE(h.run_status().ok());
  absl::MutexLock lock(&h.probe().mu);
  EXPECT_EQ(h.probe().block_saw_cancel, 2);
}

// --- progress ----------------------------------------------------------

TEST(ServerTest, ProgressIsSentOnlyWhenAskedAndOnlyIncreasing) {
  Harness h;
  h.Initialize();
  h.CallTool(1, "progress", json::object(), {{"progressToken", "tok-1"}});
  std::vector<json> notifications;
  json response = h.ReadResponse(1, &notifications);
  EXPECT_EQ(response["result"]["isError"], false);
  ASSERT_EQ(notifications.size(), 3u);
  std::vector<double> values;
  for (const json& n : notifications) {
    EXPECT_EQ(n["method"], "notifications/progress");
    EXPECT_EQ(n["params"]["progressToken"], "tok-1");
    EXPECT_EQ(n["params"]["total"], 3);
    values.push_back(n["params"]["progress"].get<double>());
  }
  EXPECT_EQ(values, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(notifications[0]["params"]["message"], "first");
  EXPECT_FALSE(notifications[1]["params"].contains("message"));

  h.CallTool(2, "progress", json::object(), {{"progressToken", 77}});
  notifications.clear();
  h.ReadResponse(2, &notifications);
  ASSERT_EQ(notifications.size(), 3u);
  EXPECT_EQ(notifications[0]["params"]["progressToken"], 77);

  h.CallTool(3, "progress");  // no token: no notifications
  h.ReadResponse(3);
}

// --- elicitation -------------------------------------------------------

json ElicitationCapability() { return {{"elicitation", json::object()}}; }

TEST(ServerTest, ElicitationRoundTripAccept) {
  Harness h;
  h.Initialize(ElicitationCapability());
  h.CallTool(1, "confirm");
  json request = *h.Read();
  ASSERT_EQ(request["method"], "elicitation/create");
  EXPECT_EQ(request["params"]["message"], "Spend 25 Creative Units?");
  EXPECT_EQ(request["params"]["requestedSchema"]["required"],
            json::array({"confirm"}));
  ASSERT_TRUE(IsValidRequestId(request["id"]));
  h.Send(MakeResult(request["id"],
                    {{"action", "accept"}, {"content", {{"confirm", true}}}}));
  json result = h.ReadResponse(1)["result"];
  EXPECT_EQ(result["isError"], false);
  EXPECT_EQ(result["structuredContent"]["action"], "accept");
  EXPECT_EQ(result["structuredContent"]["confirm"], true);
}

TEST(ServerTest, ElicitationDeclineAndCancel) {
  Harness h;
  h.Initialize(ElicitationCapability());
  for (const char* action : {"decline", "cancel"}) {
    h.CallTool(action, "confirm");
    json request = *h.Read();
    ASSERT_EQ(request["method"], "elicitation/create");
    h.Send(MakeResult(request["id"], {{"action", action}}));
    EXPECT_EQ(h.ReadResponse(action)["result"]["structuredContent"]["action"],
              action);
  }
}

TEST(ServerTest, ElicitationAnswerNotMatchingTheFormIsRefused) {
  Harness h;
  h.Initialize(ElicitationCapability());
  h.CallTool(1, "confirm");
  json request = *h.Read();
  h.Send(MakeResult(request["id"],
                    {{"action", "accept"}, {"content", {{"confirm", "yes"}}}}));
  json result = h.ReadResponse(1)["result"];
  EXPECT_EQ(result["isError"], true);
  EXPECT_THAT(result["content"][0]["text"].get<std::string>(),
              HasSubstr("/content/confirm"));
}

TEST(ServerTest, ElicitationErrorResponseFromClient) {
  Harness h;
  h.Initialize(ElicitationCapability());
  h.CallTool(1, "confirm");
  json request = *h.Read();
  h.Send(MakeError(request["id"], kMethodNotFound, "no handler"));
  json result = h.ReadResponse(1)["result"];
  EXPECT_EQ(result["isError"], true);
  EXPECT_THAT(result["content"][0]["text"].get<std::string>(),
              HasSubstr("refused elicitation"));
}

TEST(ServerTest, NoElicitationWithoutTheCapability) {
  Harness h;
  h.Initialize();
  h.CallTool(1, "confirm");
  json result = h.ReadResponse(1)["result"];  // no request came first
  EXPECT_EQ(result["isError"], true);
  EXPECT_THAT(result["content"][0]["text"].get<std::string>(),
              HasSubstr("confirm=true"));
}

TEST(ServerTest, FormCapabilityOf2025_11_25IsElicitationButUrlOnlyIsNot) {
  {
    Harness h;
    h.Initialize({{"elicitation", {{"form", json::object()}}}}, "2025-11-25");
    h.CallTool(1, "confirm");
    EXPECT_EQ((*h.Read())["method"], "elicitation/create");
  }
  {
    Harness h;
    h.Initialize({{"elicitation", {{"url", json::object()}}}}, "2025-11-25");
    h.CallTool(1, "confirm");
    EXPECT_EQ(h.ReadResponse(1)["result"]["isError"], true);
  }
}

TEST(ServerTest, ElicitationTimesOutAndTellsTheClient) {
  Harness h;
  h.Initialize(ElicitationCapability());
  h.CallTool(1, "confirm", {{"timeout_ms", 100}});
  json request = *h.Read();
  ASSERT_EQ(request["method"], "elicitation/create");
  json cancelled = *h.Read();
  EXPECT_EQ(cancelled["method"], "notifications/cancelled");
  EXPECT_EQ(cancelled["params"]["requestId"], request["id"]);
  json result = h.ReadResponse(1)["result"];
  EXPECT_EQ(result["isError"], true);
  EXPECT_THAT(result["content"][0]["text"].get<std::string>(),
              HasSubstr("did not answer"));
  // A late answer is dropped without harm.
  h.Send(MakeResult(request["id"], {{"action", "accept"}}));
  h.Request(2, "ping");
  h.ReadResponse(2);
}

TEST(ServerTest, CancellingACallWaitingForTheUserEndsTheElicitation) {
  Harness h;
  h.Initialize(ElicitationCapability());
  h.CallTool(1, "confirm");
  json request = *h.Read();
  ASSERT_EQ(request["method"], "elicitation/create");
  h.Send(MakeNotification("notifications/cancelled", {{"requestId", 1}}));
  json cancelled = *h.Read();
  EXPECT_EQ(cancelled["method"], "notifications/cancelled");
  EXPECT_EQ(cancelled["params"]["requestId"], request["id"]);
  h.Request(2, "ping");
  h.ReadResponse(2);  // and no response for request 1
  h.ExpectSilence();
}

TEST(ServerTest, EndOfInputEndsAWaitingElicitation) {
  Harness h;
  h.Initialize(ElicitationCapability());
  h.CallTool(1, "confirm");
  ASSERT_EQ((*h.Read())["method"], "elicitation/create");
  h.CloseInput();
  EXPECT_TRUE(h.run_status().ok());
}

// --- logging -----------------------------------------------------------

TEST(ServerTest, LoggingLevelFiltersAndSecretsAreRedacted) {
  Harness h;
  h.Initialize();
  h.Request(1, "logging/setLevel", {{"level", "warning"}});
  EXPECT_EQ(h.ReadResponse(1)["result"], json::object());
  h.CallTool(2, "log", {{"level", "info"}, {"message", "quiet"}});
  h.ReadResponse(2);  // no notification before it
  h.CallTool(3, "log",
             {{"level", "error"},
              {"message", "upstream said pat_0123456789abcdef"}});
  std::vector<json> notifications;
  h.ReadResponse(3, &notifications);
  ASSERT_EQ(notifications.size(), 1u);
  EXPECT_EQ(notifications[0]["method"], "notifications/message");
  EXPECT_EQ(notifications[0]["params"]["level"], "error");
  EXPECT_EQ(notifications[0]["params"]["logger"], "log");
  const std::string data = notifications[0]["params"]["data"];
  EXPECT_THAT(data, HasSubstr("upstream said"));
  EXPECT_EQ(data.find("pat_"), std::string::npos);
  for (const std::string& line : h.diagnostics()) {
    EXPECT_EQ(line.find("pat_0123"), std::string::npos) << line;
  }
  h.Request(4, "logging/setLevel", {{"level", "loud"}});
  EXPECT_EQ(ErrorCode(h.ReadResponse(4)), kInvalidParams);
}

TEST(NegotiateProtocolVersionTest, Table) {
  EXPECT_EQ(NegotiateProtocolVersion("2025-03-26"), "2025-03-26");
  EXPECT_EQ(NegotiateProtocolVersion(""), kLatestProtocolVersion);
  EXPECT_EQ(SupportedProtocolVersions().front(), kLatestProtocolVersion);
}

TEST(ServerCreateTest, RejectsBadOptions) {
  ToolRegistry registry;
  EXPECT_FALSE(Server::Create({}, nullptr, 0, 1).ok());
  ServerOptions options;
  options.worker_threads = 0;
  EXPECT_FALSE(Server::Create(options, &registry, 0, 1).ok());
  EXPECT_FALSE(Server::Create({}, &registry, -1, 1).ok());
}

}  // namespace
}  // namespace layer_vault::mcp
