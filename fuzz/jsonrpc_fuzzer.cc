// Fuzz target: the MCP frontend's JSON-RPC framing (mcp_frontend/jsonrpc):
// LineReader over a descriptor, ParseMessage on every line, and the
// redacting MessageWriter on what the frontend sends back.
//
// Input: a byte choosing the line cap, a byte choosing how many bytes each
// read(2) returns (the stream is delivered as SOCK_SEQPACKET packets of that
// size, so lines and CRLFs straddle reads), then the stream.
// Properties: LineReader yields exactly the lines of a reference splitter;
// every outgoing line is one line of valid JSON without credentials;
// a request survives MakeRequest -> Serialize -> ParseMessage; rejections
// carry a valid id (or null) and never quote the input.

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/redact.h"
#include "fuzz/fuzz_util.h"
#include "mcp_frontend/jsonrpc/line_reader.h"
#include "mcp_frontend/jsonrpc/message.h"
#include "mcp_frontend/jsonrpc/writer.h"
#include "nlohmann/json.hpp"

namespace layer_vault::fuzz {
namespace {

using nlohmann::json;
using Line = mcp::LineReader::Line;

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void CheckNoCredential(absl::string_view text) {
  for (size_t i = 0; i + 4 <= text.size(); ++i) {
    if (absl::EqualsIgnoreCase(text.substr(i, 4), "pat_")) {
      size_t run = 0;
      while (i + 4 + run < text.size() && IsTokenChar(text[i + 4 + run])) ++run;
      FUZZ_CHECK(run < 8, "a PAT reached the MCP output");
    }
    if (absl::StartsWith(text.substr(i), "v4.public.") && i + 10 < text.size()) {
      FUZZ_CHECK(!IsTokenChar(text[i + 10]), "a token reached the MCP output");
    }
  }
}

// One outgoing line: newline-terminated, one line, valid JSON, redacted.
json CheckOutgoing(const json& message) {
  const std::string line = mcp::MessageWriter::Serialize(message);
  FUZZ_CHECK(!line.empty() && line.back() == '\n' &&
                 line.find('\n') == line.size() - 1,
             "an outgoing message is not exactly one line");
  FUZZ_CHECK(mcp::FindInvalidUtf8(line) == absl::string_view::npos,
             "an outgoing line is not UTF-8");
  CheckNoCredential(line);
  json back = json::parse(line, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!back.is_discarded(), "an outgoing line is not JSON");
  return back;
}

// String values marked as secrets that must not be quoted back.
void CollectMarked(const json& v, std::vector<std::string>& out) {
  std::vector<const json*> stack = {&v};
  while (!stack.empty()) {
    const json* node = stack.back();
    stack.pop_back();
    if (node->is_string()) {
      const std::string& s = node->get_ref<const std::string&>();
      if (absl::StartsWith(s, "SECRET") && s.size() >= 10) out.push_back(s);
    } else if (node->is_structured()) {
      for (const json& child : *node) stack.push_back(&child);
    }
  }
}

void HandleLine(absl::string_view line) {
  auto parsed = mcp::ParseMessage(line);
  if (auto* rejected = std::get_if<mcp::RejectedMessage>(&parsed)) {
    FUZZ_CHECK(rejected->id.is_null() || mcp::IsValidRequestId(rejected->id),
               "a rejection carries an invalid id");
    const int code = rejected->error.code;
    FUZZ_CHECK(code == mcp::kParseError || code == mcp::kInvalidRequest ||
                   code == mcp::kInvalidParams,
               "a rejection with an unexpected code");
    if (code == mcp::kParseError) {
      FUZZ_CHECK(rejected->id.is_null(), "a parse error with an id");
    }
    json whole = json::parse(line, nullptr, false);
    if (!whole.is_discarded()) {
      std::vector<std::string> marked;
      CollectMarked(whole, marked);
      for (const std::string& s : marked) {
        FUZZ_CHECK(!absl::StrContains(rejected->error.message, s),
                   "a rejection quotes the input");
      }
    }
    if (rejected->respond) {
      CheckOutgoing(mcp::MakeError(rejected->id, rejected->error));
    }
    return;
  }
  const mcp::IncomingMessage& m = std::get<mcp::IncomingMessage>(parsed);
  FUZZ_CHECK(line.size() <= mcp::kMaxMessageBytes, "accepted an oversize line");
  switch (m.kind) {
    case mcp::IncomingMessage::Kind::kRequest:
    case mcp::IncomingMessage::Kind::kNotification: {
      FUZZ_CHECK(m.params.is_null() || m.params.is_object(),
                 "params neither an object nor absent");
      const bool request = m.kind == mcp::IncomingMessage::Kind::kRequest;
      if (request) {
        FUZZ_CHECK(mcp::IsValidRequestId(m.id), "a request without a valid id");
      }
      // What the frontend sends: a result echoing the request.
      CheckOutgoing(mcp::MakeResult(request ? m.id : json(0),
                                    json{{"echo", m.params}}));
      // The same message, written and read back, is the same message (as
      // redacted: the writer redacts everything it writes).
      const json sent = request ? mcp::MakeRequest(m.id, m.method, m.params)
                                : mcp::MakeNotification(m.method, m.params);
      const json expected = common::RedactJson(sent);
      const std::string out = mcp::MessageWriter::Serialize(sent);
      auto again = mcp::ParseMessage(
          absl::string_view(out).substr(0, out.size() - 1));
      auto* back = std::get_if<mcp::IncomingMessage>(&again);
      FUZZ_CHECK(back != nullptr, "a written message does not parse back");
      FUZZ_CHECK(back->kind == m.kind &&
                     back->method == expected["method"].get<std::string>() &&
                     (!request || back->id == expected["id"]) &&
                     back->params == expected.value("params", json()),
                 "a written message reads back differently");
      break;
    }
    case mcp::IncomingMessage::Kind::kResponse:
      FUZZ_CHECK(mcp::IsValidRequestId(m.id), "a response without a valid id");
      FUZZ_CHECK(m.is_error || !m.result.is_null(),
                 "a successful response without a result");
      break;
  }
}

// The lines LineReader must produce for `stream` with cap `max`.
std::vector<Line> ReferenceLines(absl::string_view stream, size_t max) {
  std::vector<Line> out;
  std::vector<absl::string_view> pieces = absl::StrSplit(stream, '\n');
  // After a final "\n" there is an empty piece that is not a line.
  if (!pieces.empty() && pieces.back().empty()) pieces.pop_back();
  for (absl::string_view piece : pieces) {
    Line line;
    if (piece.size() > max) {
      line.kind = Line::Kind::kOversize;
      line.discarded = piece.size();
    } else {
      line.kind = Line::Kind::kLine;
      if (absl::EndsWith(piece, "\r")) piece.remove_suffix(1);
      line.text = std::string(piece);
    }
    out.push_back(line);
  }
  return out;
}

}  // namespace
}  // namespace layer_vault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace layer_vault;
  using namespace layer_vault::fuzz;
  FuzzInput in(data, size);
  static constexpr size_t kCaps[] = {mcp::kMaxMessageBytes, 64, 8, 1, 0};
  const size_t cap = kCaps[in.TakeByte() % (sizeof(kCaps) / sizeof(kCaps[0]))];
  static constexpr size_t kChunks[] = {65536, 1, 2, 3, 5, 16, 100, 1000};
  size_t chunk =
      kChunks[in.TakeByte() % (sizeof(kChunks) / sizeof(kChunks[0]))];
  const absl::string_view stream = in.Rest();
  // At most ~16 reads per input: enough to straddle lines, and cheap
  // (LineReader grows its buffer by 64 KiB per read).
  chunk = std::max(chunk, stream.size() / 16);

  int fds[2];
  FUZZ_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) == 0, "socketpair");
  // Every packet is queued before reading: a connected pair is bounded by
  // the send buffer only, which 16 small packets stay far below.
  for (size_t off = 0; off < stream.size(); off += chunk) {
    const size_t n = std::min(chunk, stream.size() - off);
    FUZZ_CHECK(send(fds[1], stream.data() + off, n, MSG_DONTWAIT) ==
                   static_cast<ssize_t>(n),
               "send (socket buffer full?)");
  }
  shutdown(fds[1], SHUT_WR);

  const std::vector<Line> expected = ReferenceLines(stream, cap);
  mcp::LineReader reader(fds[0], cap);
  for (size_t i = 0;; ++i) {
    Line line = reader.Next();
    FUZZ_CHECK(line.kind != Line::Kind::kError, "read error");
    if (line.kind == Line::Kind::kEof) {
      FUZZ_CHECK(i == expected.size(), "LineReader lost lines");
      FUZZ_CHECK(reader.Next().kind == Line::Kind::kEof, "EOF is not sticky");
      break;
    }
    FUZZ_CHECK(i < expected.size(), "LineReader made up a line");
    FUZZ_CHECK(line.kind == expected[i].kind, "line kind differs");
    if (line.kind == Line::Kind::kLine) {
      FUZZ_CHECK(line.text == expected[i].text, "line text differs");
      HandleLine(line.text);
    } else {
      FUZZ_CHECK(line.discarded == expected[i].discarded,
                 "discarded byte count differs");
    }
  }
  close(fds[0]);
  close(fds[1]);
  return 0;
}
