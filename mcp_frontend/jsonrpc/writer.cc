#include "mcp_frontend/jsonrpc/writer.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/redact.h"

namespace layer_vault::mcp {

MessageWriter::MessageWriter(int fd) : fd_(fd) {}

std::string MessageWriter::Serialize(nlohmann::json message) {
  common::RedactJsonInPlace(message);
  std::string line = message.dump(-1, ' ', /*ensure_ascii=*/false,
                                  nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  return line;
}

absl::Status MessageWriter::Write(nlohmann::json message) {
  const std::string line = Serialize(std::move(message));
  absl::MutexLock lock(&mu_);
  if (!failed_.ok()) return failed_;
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = write(fd_, line.data() + written, line.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        // A non-blocking descriptor inherited from the host: wait for room.
        pollfd waiter = {fd_, POLLOUT, 0};
        poll(&waiter, 1, -1);
        continue;
      }
      failed_ = absl::UnavailableError(
          absl::StrCat("writing to the MCP client: ", strerror(errno)));
      return failed_;
    }
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace layer_vault::mcp
