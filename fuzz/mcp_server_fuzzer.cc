// Fuzz target: MCP dispatch (mcp_frontend/server): a real Server with a few
// deterministic tools reads the fuzzed stream from a pipe until end of
// input, then the target reads back everything it wrote.
//
// Input: the client's side of the stdio stream (newline-delimited JSON-RPC).
// Properties: Run ends cleanly at end of input; every output line is one
// JSON-RPC 2.0 object; nothing the server writes (output or diagnostics)
// holds a credential; a response only ever answers an id the client sent,
// and never more often than the client sent it.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/redact.h"
#include "fuzz/fuzz_util.h"
#include "mcp_frontend/jsonrpc/message.h"
#include "mcp_frontend/server/server.h"
#include "mcp_frontend/tool_registry/log_level.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "mcp_frontend/tool_registry/tool_registry.h"
#include "nlohmann/json.hpp"

namespace layer_vault::fuzz {
namespace {

using mcp::ToolContext;
using mcp::ToolResult;
using nlohmann::json;

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void CheckNoCredential(absl::string_view text, const char* where) {
  for (size_t i = 0; i + 4 <= text.size(); ++i) {
    if (absl::EqualsIgnoreCase(text.substr(i, 4), "pat_")) {
      size_t run = 0;
      while (i + 4 + run < text.size() && IsTokenChar(text[i + 4 + run])) ++run;
      FUZZ_CHECK(run < 8, where);
    }
    if (absl::StartsWith(text.substr(i), "v4.public.") && i + 10 < text.size()) {
      FUZZ_CHECK(!IsTokenChar(text[i + 10]), where);
    }
  }
}

json Schema(json properties = json::object(), json required = json::array()) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)}};
}

mcp::ToolDefinition Definition(std::string name, json input = Schema()) {
  mcp::ToolDefinition d;
  d.name = std::move(name);
  d.description = "fuzz tool";
  d.input_schema = std::move(input);
  return d;
}

// Tools that finish on their own (or at cancellation), and that try to leak
// a credential through every channel a tool has.
const mcp::ToolRegistry& Tools() {
  static const mcp::ToolRegistry* registry = [] {
    auto* r = new mcp::ToolRegistry();
    auto add = [r](mcp::ToolDefinition d,
                   std::function<absl::StatusOr<ToolResult>(const json&,
                                                            ToolContext&)>
                       f) {
      FUZZ_CHECK(r->Register(mcp::MakeTool(std::move(d), std::move(f))).ok(),
                 "tool registration");
    };
    add(Definition("echo", Schema({{"text", {{"type", "string"}}}}, {"text"})),
        [](const json& args, ToolContext&) -> absl::StatusOr<ToolResult> {
          return ToolResult::Structured({{"text", args["text"]}});
        });
    add(Definition("leak"),
        [](const json&, ToolContext& context) -> absl::StatusOr<ToolResult> {
          context.Log(mcp::LogLevel::kError,
                      "token v4.public.eyJzdWIiOiIxMDAwIn0 expired");
          return absl::InternalError(
              "Layer.ai refused pat_0123456789abcdefghij");
        });
    add(Definition("progress"),
        [](const json&, ToolContext& context) -> absl::StatusOr<ToolResult> {
          context.ReportProgress(1, 2, "half");
          context.ReportProgress(2, 2, "done pat_0123456789abcdef");
          return ToolResult::Structured({{"ok", true}});
        });
    add(Definition("confirm"),
        [](const json&, ToolContext& context) -> absl::StatusOr<ToolResult> {
          if (!context.CanElicit()) return ToolResult::Error("cannot ask");
          mcp::ElicitRequest request;
          request.message = "Proceed?";
          request.requested_schema =
              Schema({{"confirm", {{"type", "boolean"}}}}, {"confirm"});
          request.timeout = absl::Milliseconds(20);
          absl::StatusOr<mcp::ElicitResult> answer = context.Elicit(request);
          if (!answer.ok()) return answer.status();
          return ToolResult::Structured(
              {{"accepted", answer->action == mcp::ElicitResult::Action::kAccept}});
        });
    add(Definition("wait"),
        [](const json&, ToolContext& context) -> absl::StatusOr<ToolResult> {
          context.cancellation().WaitFor(absl::Milliseconds(20));
          return ToolResult::Structured({{"ok", true}});
        });
    return r;
  }();
  return *registry;
}

// Request ids the client sent, and ids it may be answered under, as keys
// of their redacted form (the writer redacts ids too).
std::string IdKey(const json& id) {
  return mcp::RequestIdKey(common::RedactJson(id));
}

}  // namespace
}  // namespace layer_vault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace layer_vault;
  using namespace layer_vault::fuzz;
  const absl::string_view stream(reinterpret_cast<const char*>(data), size);

  // What the client sent: how many times each id may be answered.
  absl::flat_hash_map<std::string, int> answerable;
  for (absl::string_view line : absl::StrSplit(stream, '\n')) {
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    auto parsed = mcp::ParseMessage(line);
    if (auto* m = std::get_if<mcp::IncomingMessage>(&parsed)) {
      if (m->kind == mcp::IncomingMessage::Kind::kRequest) ++answerable[IdKey(m->id)];
    } else {
      const auto& r = std::get<mcp::RejectedMessage>(parsed);
      if (r.respond) ++answerable[IdKey(r.id)];
    }
  }

  int in[2];
  FUZZ_CHECK(pipe(in) == 0, "pipe");
  // The pipe holds 64 KiB, more than any input: write it all, then EOF.
  FUZZ_CHECK(write(in[1], data, size) == static_cast<ssize_t>(size), "write");
  close(in[1]);
  const int out = memfd_create("mcp-out", MFD_CLOEXEC);
  FUZZ_CHECK(out >= 0, "memfd_create");

  absl::Mutex diag_mu;
  std::string diagnostics;
  mcp::ServerOptions options;
  options.worker_threads = 2;
  options.max_in_flight = 8;
  options.elicitation_timeout = absl::Milliseconds(20);
  options.client_log_level = mcp::LogLevel::kDebug;
  options.diagnostics = [&](absl::string_view line) {
    absl::MutexLock lock(&diag_mu);
    diagnostics.append(line.data(), line.size());
    diagnostics.push_back('\n');
  };
  {
    absl::StatusOr<std::unique_ptr<mcp::Server>> server =
        mcp::Server::Create(options, &Tools(), in[0], out);
    FUZZ_CHECK(server.ok(), "Server::Create");
    FUZZ_CHECK((*server)->Run().ok(), "Run did not end cleanly at EOF");
  }
  close(in[0]);

  std::string written;
  char buf[65536];
  ssize_t n;
  FUZZ_CHECK(lseek(out, 0, SEEK_SET) == 0, "lseek");
  while ((n = read(out, buf, sizeof(buf))) > 0) written.append(buf, n);
  close(out);

  CheckNoCredential(diagnostics, "a credential reached the diagnostics");
  FUZZ_CHECK(written.empty() || written.back() == '\n',
             "output does not end with a newline");
  absl::flat_hash_map<std::string, int> answered;
  for (absl::string_view line : absl::StrSplit(written, '\n')) {
    if (line.empty()) continue;
    CheckNoCredential(line, "a credential reached the MCP output");
    json message = json::parse(line, nullptr, /*allow_exceptions=*/false);
    FUZZ_CHECK(message.is_object() && message.value("jsonrpc", "") == "2.0",
               "an output line is not a JSON-RPC 2.0 object");
    const bool is_response = !message.contains("method");
    if (!is_response) continue;
    FUZZ_CHECK(message.contains("id") &&
                   (message.contains("result") != message.contains("error")),
               "a response without an id or with both result and error");
    const std::string key = IdKey(message["id"]);
    FUZZ_CHECK(++answered[key] <= answerable[key],
               "answered an id more often than the client sent it");
  }
  return 0;
}
