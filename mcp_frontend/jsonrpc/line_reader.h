#ifndef LAYER_VAULT_MCP_FRONTEND_JSONRPC_LINE_READER_H_
#define LAYER_VAULT_MCP_FRONTEND_JSONRPC_LINE_READER_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"

namespace layer_vault::mcp {

// LineReader splits the bytes of a file descriptor into newline-terminated
// lines (the stdio framing of MCP) with a per-line size cap.
//
// A line longer than `max_line_bytes` (not counting "\n", counting a "\r"
// before it) is never held in memory: its bytes are discarded up to the
// next newline and Next() reports kOversize once, so the stream stays in
// sync. A trailing "\r" is removed (CRLF framing). Bytes after the last
// newline are returned as a final line at end of file.
//
// Does not own `fd`. Not thread-safe: one reader thread.
class LineReader {
 public:
  struct Line {
    enum class Kind {
      kLine,      // `text` holds the line, without "\n" or a final "\r"
      kOversize,  // a line over the cap was discarded (`discarded` bytes)
      kEof,       // end of file; every later call returns kEof again
      kError,     // read(2) failed; `error` says why
    };
    Kind kind = Kind::kEof;
    std::string text;
    size_t discarded = 0;
    absl::Status error;
  };

  LineReader(int fd, size_t max_line_bytes);

  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Blocks until a line, an oversize line, end of file or an error.
  // Retries EINTR.
  Line Next();

 private:
  // Takes the line ending at buffer_[newline] out of the buffer.
  Line TakeLine(size_t newline);

  const int fd_;
  const size_t max_line_bytes_;
  std::string buffer_;
  size_t start_ = 0;  // first unread byte in buffer_
  size_t scan_ = 0;   // buffer_[start_, scan_) holds no newline
  bool discarding_ = false;
  size_t discarded_ = 0;
  bool eof_ = false;
};

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_JSONRPC_LINE_READER_H_
