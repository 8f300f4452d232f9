#include "mcp_frontend/jsonrpc/line_reader.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace layer_vault::mcp {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

}  // namespace

LineReader::LineReader(int fd, size_t max_line_bytes)
    : fd_(fd), max_line_bytes_(max_line_bytes) {}

LineReader::Line LineReader::TakeLine(size_t newline) {
  Line line;
  size_t end = newline;
  if (end > start_ && buffer_[end - 1] == '\r') --end;
  line.kind = Line::Kind::kLine;
  line.text.assign(buffer_, start_, end - start_);
  start_ = scan_ = newline + 1;
  return line;
}

LineReader::Line LineReader::Next() {
  while (true) {
    const size_t newline = buffer_.find('\n', scan_);
    if (newline != std::string::npos) {
      if (discarding_ || newline - start_ > max_line_bytes_) {
        Line line;
        line.kind = Line::Kind::kOversize;
        line.discarded = discarded_ + (newline - start_);
        discarding_ = false;
        discarded_ = 0;
        start_ = scan_ = newline + 1;
        return line;
      }
      return TakeLine(newline);
    }
    scan_ = buffer_.size();
    if (discarding_ || buffer_.size() - start_ > max_line_bytes_) {
      // The current line is already too long: forget its bytes.
      discarding_ = true;
      discarded_ += buffer_.size() - start_;
      buffer_.clear();
      start_ = scan_ = 0;
    }
    if (eof_) {
      Line line;
      if (discarding_) {
        line.kind = Line::Kind::kOversize;
        line.discarded = discarded_;
        discarding_ = false;
        discarded_ = 0;
        return line;
      }
      if (start_ < buffer_.size()) {
        buffer_.push_back('\n');
        return TakeLine(buffer_.size() - 1);
      }
      buffer_.clear();
      start_ = scan_ = 0;
      line.kind = Line::Kind::kEof;
      return line;
    }
    if (start_ > 0) {
      buffer_.erase(0, start_);
      scan_ -= start_;
      start_ = 0;
    }
    const size_t old_size = buffer_.size();
    buffer_.resize(old_size + kReadChunk);
    ssize_t n;
    do {
      n = read(fd_, &buffer_[old_size], kReadChunk);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      const int saved = errno;
      buffer_.resize(old_size);
      Line line;
      line.kind = Line::Kind::kError;
      line.error =
          absl::InternalError(absl::StrCat("read: ", strerror(saved)));
      return line;
    }
    buffer_.resize(old_size + static_cast<size_t>(n));
    if (n == 0) eof_ = true;
  }
}

}  // namespace layer_vault::mcp
