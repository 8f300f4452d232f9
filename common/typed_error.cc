#include "common/typed_error.h"

#include <cstdint>
#include <cstdlib>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace layer_vault::common {
namespace {

bool IsDomain(absl::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    if (!(c >= 'a' && c <= 'z')) return false;
  }
  return true;
}

bool IsType(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

std::optional<ErrorType> Parse(absl::string_view text) {
  size_t colon = text.find(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  absl::string_view domain = text.substr(0, colon);
  absl::string_view type = text.substr(colon + 1);
  if (!IsDomain(domain) || !IsType(type)) return std::nullopt;
  return ErrorType{std::string(domain), std::string(type)};
}

}  // namespace

absl::Status TypedError(absl::StatusCode code, absl::string_view domain,
                        absl::string_view type, absl::string_view message) {
  if (code == absl::StatusCode::kOk || !IsDomain(domain) || !IsType(type)) {
    std::abort();
  }
  absl::Status status(code,
                      absl::StrCat("[", domain, ":", type, "] ", message));
  status.SetPayload(kErrorTypeUrl, absl::Cord(absl::StrCat(domain, ":", type)));
  return status;
}

std::optional<ErrorType> ErrorTypeOf(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  if (auto payload = status.GetPayload(kErrorTypeUrl)) {
    return Parse(std::string(*payload));
  }
  absl::string_view message = status.message();
  if (message.empty() || message[0] != '[') return std::nullopt;
  size_t close = message.find(']');
  if (close == absl::string_view::npos) return std::nullopt;
  return Parse(message.substr(1, close - 1));
}

void SetRetryAfter(absl::Status& status, absl::Duration delay) {
  if (status.ok()) return;
  if (delay < absl::ZeroDuration()) delay = absl::ZeroDuration();
  status.SetPayload(kRetryAfterUrl,
                    absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(
                        absl::Ceil(delay, absl::Milliseconds(1))))));
}

std::optional<absl::Duration> RetryAfterOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterUrl);
  if (!payload) return std::nullopt;
  int64_t ms = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &ms) || ms < 0) {
    return std::nullopt;
  }
  return absl::Milliseconds(ms);
}

}  // namespace layer_vault::common
