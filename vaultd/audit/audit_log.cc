#include "vaultd/audit/audit_log.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/redact.h"
#include "nlohmann/json.hpp"
#include "vaultd/crypto/hash.h"
#include "vaultd/store/permissions.h"

namespace layer_vault::audit {
namespace {

constexpr size_t kMaxFieldBytes = 1024;
constexpr absl::string_view kTruncated = "...[truncated]";
constexpr size_t kMinHmacKeyBytes = 16;

bool ValidName(absl::string_view name, size_t max, bool allow_dot) {
  if (name.empty() || name.size() > max) return false;
  for (char c : name) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_' ||
          (allow_dot && c == '.'))) {
      return false;
    }
  }
  return true;
}

// Redacts first, then caps: capping first could cut a credential so short
// that it no longer looks like one.
std::string Clean(absl::string_view text) {
  std::string out = common::Redact(text);
  if (out.size() > kMaxFieldBytes) {
    out.resize(kMaxFieldBytes - kTruncated.size());
    out.append(kTruncated.data(), kTruncated.size());
  }
  return out;
}

absl::StatusOr<int> OpenLogFile(const std::string& path) {
  // O_NONBLOCK only so that a FIFO planted at the path cannot block open();
  // it is cleared below once the file is known to be regular.
  const int fd = open(path.c_str(),
                      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
                          O_NONBLOCK,
                      0600);
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP) {
      return absl::FailedPreconditionError(absl::StrCat(
          "audit log ", path, " is a symlink; refusing to follow it (fix: rm ",
          store::ShellQuote(path), ")"));
    }
    if (err == ENXIO) {  // a FIFO without a reader
      return absl::FailedPreconditionError(
          absl::StrCat("audit log ", path, " is not a regular file"));
    }
    return absl::InternalError(
        absl::StrCat("audit log ", path, ": open: ", std::strerror(err)));
  }
  struct stat st;
  absl::Status problem;
  if (fstat(fd, &st) != 0) {
    problem = absl::InternalError(
        absl::StrCat("audit log ", path, ": fstat: ", std::strerror(errno)));
  } else {
    // A regular file, ours, closed to group and others; otherwise the
    // message carries the command that fixes it.
    problem = store::CheckPrivateFile(st, path, geteuid());
  }
  if (problem.ok() && fcntl(fd, F_SETFL, O_APPEND) != 0) {
    problem = absl::InternalError(
        absl::StrCat("audit log ", path, ": fcntl: ", std::strerror(errno)));
  }
  if (!problem.ok()) {
    close(fd);
    return problem;
  }
  return fd;
}

// One write(2) of the whole line. A short write (disk full, file size
// limit) leaves a partial line; a lone "\n" is then attempted so the next
// line starts clean.
absl::Status WriteOnce(int fd, const std::string& line, absl::string_view sink) {
  for (;;) {
    const ssize_t n = write(fd, line.data(), line.size());
    if (n == static_cast<ssize_t>(line.size())) return absl::OkStatus();
    if (n < 0 && errno == EINTR) continue;
    const int err = errno;
    if (n > 0) {
      ssize_t ignored = write(fd, "\n", 1);
      (void)ignored;
      return absl::UnavailableError(absl::StrCat(
          "audit ", sink, ": short write (", n, " of ", line.size(),
          " bytes)"));
    }
    return absl::UnavailableError(
        absl::StrCat("audit ", sink, ": write: ", std::strerror(err)));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Create(
    AuditOptions options) {
  if (!options.path.has_value() && !options.also_stderr) {
    return absl::InvalidArgumentError(
        "audit log: neither a file nor stderr to write to");
  }
  if (options.hmac_key.has_value() &&
      options.hmac_key->size() < kMinHmacKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "audit log: HMAC key must be at least ", kMinHmacKeyBytes, " bytes"));
  }
  int fd = -1;
  if (options.path.has_value()) {
    absl::StatusOr<int> opened = OpenLogFile(*options.path);
    if (!opened.ok()) return opened.status();
    fd = *opened;
  }
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(options), fd));
}

AuditLog::AuditLog(AuditOptions options, int fd)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock
                                       : *common::RealClock()),
      fd_(fd) {}

AuditLog::~AuditLog() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::string> AuditLog::FormatLine(const Event& event,
                                                 absl::Time now) const {
  if (!ValidName(event.name, 64, /*allow_dot=*/true)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "audit: invalid event name \"", absl::CEscape(Clean(event.name)),
        "\" (1-64 of [a-z0-9._])"));
  }
  nlohmann::ordered_json j;
  j["time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone());
  j["event"] = event.name;
  const auto put = [&j](const char* key, const std::string& value) {
    if (!value.empty()) j[key] = Clean(value);
  };
  put("decision", event.decision);
  if (event.caller.has_value()) {
    j["pid"] = event.caller->pid;
    j["uid"] = event.caller->uid;
    put("exe", event.caller->exe);
  }
  put("rule", event.rule);
  put("jti", event.jti);
  put("scope", event.scope);
  put("operation", event.operation);
  if (event.http_status != 0) j["http_status"] = event.http_status;
  if (event.latency.has_value()) {
    j["latency_ms"] = absl::ToDoubleMilliseconds(*event.latency);
  }
  put("reason", event.reason);
  if (!event.identifiers.empty()) {
    nlohmann::ordered_json ids = nlohmann::ordered_json::object();
    for (const auto& [name, value] : event.identifiers) {
      if (!ValidName(name, 32, /*allow_dot=*/false)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "audit: invalid identifier name \"",
            absl::CEscape(Clean(name)), "\" (1-32 of [a-z0-9_])"));
      }
      ids[name] = options_.hmac_key.has_value()
                      ? absl::StrCat("hmac-sha256:",
                                     crypto::HexEncode(crypto::HmacSha256(
                                         *options_.hmac_key, value)))
                      : Clean(value);
    }
    j["ids"] = std::move(ids);
  }
  return j.dump(-1, ' ', /*ensure_ascii=*/false,
                nlohmann::ordered_json::error_handler_t::replace);
}

absl::Status AuditLog::Record(const Event& event) {
  absl::StatusOr<std::string> line = FormatLine(event, clock_.Now());
  if (!line.ok()) return line.status();
  line->push_back('\n');
  absl::Status s = WriteLine(*line);
  if (s.ok()) return s;
  if (options_.fail_closed) return s;
  dropped_.fetch_add(1);
  return absl::OkStatus();
}

absl::Status AuditLog::WriteLine(const std::string& line) {
  absl::MutexLock lock(&mu_);
  absl::Status file_status;
  if (fd_ >= 0) file_status = WriteOnce(fd_, line, "file");
  absl::Status stderr_status;
  if (options_.also_stderr) {
    stderr_status = WriteOnce(options_.stderr_fd, line, "stderr");
  }
  // The file is the record when there is one; stderr is a copy.
  return fd_ >= 0 ? file_status : stderr_status;
}

}  // namespace layer_vault::audit
