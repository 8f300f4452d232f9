#include "mcp_frontend/layer_tools/test_fakes.h"

#include <stdlib.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace layer_vault::mcp::layer_tools::testing {

void FakeLayerApi::On(const std::string& operation, Handler handler) {
  absl::MutexLock lock(&mu_);
  handlers_[operation] = std::move(handler);
}

void FakeLayerApi::OnSequence(
    const std::string& operation,
    std::vector<absl::StatusOr<nlohmann::json>> answers) {
  auto queue = std::make_shared<std::deque<absl::StatusOr<nlohmann::json>>>(
      answers.begin(), answers.end());
  auto mu = std::make_shared<absl::Mutex>();
  On(operation, [queue, mu](const nlohmann::json&)
                    -> absl::StatusOr<nlohmann::json> {
    absl::MutexLock lock(mu.get());
    if (queue->empty()) return absl::InternalError("no scripted answer");
    absl::StatusOr<nlohmann::json> answer = queue->front();
    if (queue->size() > 1) queue->pop_front();
    return answer;
  });
}

void FakeLayerApi::SetSpend(absl::StatusOr<client::SpendInfo> spend) {
  absl::MutexLock lock(&mu_);
  spend_ = std::move(spend);
}

absl::StatusOr<nlohmann::json> FakeLayerApi::Call(
    absl::string_view operation, const nlohmann::json& params) {
  Handler handler;
  {
    absl::MutexLock lock(&mu_);
    calls_.push_back({std::string(operation), params});
    const auto it = handlers_.find(std::string(operation));
    if (it == handlers_.end()) {
      return absl::InternalError(
          absl::StrCat("FakeLayerApi: unexpected operation ", operation));
    }
    handler = it->second;
  }
  return handler(params);
}

absl::StatusOr<client::SpendInfo> FakeLayerApi::GetSpend() {
  absl::MutexLock lock(&mu_);
  ++spend_calls_;
  return spend_;
}

std::vector<FakeLayerApi::Recorded> FakeLayerApi::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

std::vector<nlohmann::json> FakeLayerApi::CallsOf(
    const std::string& operation) const {
  absl::MutexLock lock(&mu_);
  std::vector<nlohmann::json> out;
  for (const Recorded& r : calls_) {
    if (r.operation == operation) out.push_back(r.params);
  }
  return out;
}

int FakeLayerApi::spend_calls() const {
  absl::MutexLock lock(&mu_);
  return spend_calls_;
}

void FakeMediaTransport::Serve(const std::string& url, std::string bytes,
                               std::string content_type) {
  absl::MutexLock lock(&mu_);
  served_[url] = {std::move(bytes), std::move(content_type)};
}

void FakeMediaTransport::BeforeDownload(
    std::function<void(const std::string&)> hook) {
  absl::MutexLock lock(&mu_);
  before_download_ = std::move(hook);
}

void FakeMediaTransport::FailUploads(absl::Status status) {
  absl::MutexLock lock(&mu_);
  upload_failure_ = std::move(status);
}

absl::Status FakeMediaTransport::CheckDownloadUrl(
    absl::string_view url) const {
  if (!absl::StartsWith(url, "https://")) {
    return absl::InvalidArgumentError("the URL is not https");
  }
  return absl::OkStatus();
}

absl::StatusOr<DownloadResult> FakeMediaTransport::Download(
    absl::string_view url, PendingFile& out, const CancellationToken& cancel,
    const TransferProgress& progress) const {
  std::function<void(const std::string&)> hook;
  {
    absl::MutexLock lock(&mu_);
    hook = before_download_;
    downloads_.emplace_back(url);
  }
  if (hook) hook(std::string(url));
  if (cancel.cancelled()) return absl::CancelledError("download cancelled");
  std::pair<std::string, std::string> served;
  {
    absl::MutexLock lock(&mu_);
    const auto it = served_.find(std::string(url));
    if (it == served_.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("downloading ", url, ": HTTP 404"));
    }
    served = it->second;
  }
  if (absl::Status s = out.Write(served.first); !s.ok()) return s;
  if (progress) progress(served.first.size(), served.first.size());
  DownloadResult result;
  result.bytes = served.first.size();
  result.content_type = served.second;
  result.display_url = std::string(url);
  return result;
}

absl::StatusOr<UploadResult> FakeMediaTransport::Upload(
    absl::string_view signed_url, const OpenedFile& file, uint64_t size,
    absl::string_view content_type, const CancellationToken& cancel,
    const TransferProgress& progress) const {
  if (cancel.cancelled()) return absl::CancelledError("upload cancelled");
  {
    absl::MutexLock lock(&mu_);
    if (!upload_failure_.ok()) return upload_failure_;
  }
  std::string bytes(size, '\0');
  ssize_t n = pread(file.fd.get(), bytes.data(), size, 0);
  if (n != static_cast<ssize_t>(size)) {
    return absl::FailedPreconditionError("short file");
  }
  if (progress) progress(size, size);
  {
    absl::MutexLock lock(&mu_);
    uploads_.push_back({std::string(signed_url), std::string(content_type),
                        std::move(bytes)});
  }
  UploadResult result;
  result.http_status = 200;
  result.bytes = size;
  result.display_url = std::string(signed_url);
  return result;
}

std::vector<FakeMediaTransport::UploadRecord> FakeMediaTransport::uploads()
    const {
  absl::MutexLock lock(&mu_);
  return uploads_;
}

std::vector<std::string> FakeMediaTransport::downloads() const {
  absl::MutexLock lock(&mu_);
  return downloads_;
}

Sleeper FakeSleeper::AsSleeper() {
  return [this](absl::Duration d, const CancellationToken& cancel) {
    CancellationSource* to_cancel = nullptr;
    {
      absl::MutexLock lock(&mu_);
      sleeps_.push_back(d);
      if (cancel_at_ > 0 && static_cast<int>(sleeps_.size()) == cancel_at_) {
        to_cancel = cancel_source_;
      }
    }
    if (to_cancel != nullptr) to_cancel->Cancel();
    clock_->Advance(d);
    return cancel.cancelled();
  };
}

void FakeSleeper::CancelAt(int n, CancellationSource* source) {
  absl::MutexLock lock(&mu_);
  cancel_at_ = n;
  cancel_source_ = source;
}

std::vector<absl::Duration> FakeSleeper::sleeps() const {
  absl::MutexLock lock(&mu_);
  return sleeps_;
}

std::unique_ptr<ToolContext> ContextHarness::MakeContext() {
  ToolContext::Hooks hooks;
  hooks.progress = [this](double value, std::optional<double>,
                          absl::string_view message) {
    progress_.push_back({value, std::string(message)});
  };
  hooks.can_elicit = [this] { return can_elicit_; };
  hooks.elicit = [this](const ElicitRequest& request,
                        const CancellationToken&)
      -> absl::StatusOr<ElicitResult> {
    elicitations_.push_back(request);
    if (!elicit_) return absl::UnavailableError("no elicitation handler");
    return elicit_(request);
  };
  return std::make_unique<ToolContext>(cancel_.token(), std::move(hooks));
}

std::string MakeTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(base != nullptr && *base ? base : "/tmp", "/ltXXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

std::string TinyPng(absl::string_view tag) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  png += std::string("\0\0\0\x0dIHDR", 8);
  png += std::string("\0\0\0\x40\0\0\0\x40\x08\x06\0\0\0", 13);
  png += std::string(tag);
  return png;
}

}  // namespace layer_vault::mcp::layer_tools::testing
