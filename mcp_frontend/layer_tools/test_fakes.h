#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_TEST_FAKES_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_TEST_FAKES_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/fake_clock.h"
#include "mcp_frontend/layer_tools/layer_api.h"
#include "mcp_frontend/layer_tools/media_transport.h"
#include "mcp_frontend/layer_tools/tool_support.h"
#include "mcp_frontend/tool_registry/cancellation.h"
#include "mcp_frontend/tool_registry/tool.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp::layer_tools::testing {

// FakeLayerApi answers operations from scripted handlers and records every
// call. An operation without a handler answers INTERNAL (the test did not
// expect it). Thread-safe.
class FakeLayerApi : public LayerApi {
 public:
  using Handler =
      std::function<absl::StatusOr<nlohmann::json>(const nlohmann::json&)>;

  // Every call of `operation` runs `handler`.
  void On(const std::string& operation, Handler handler);
  // Calls of `operation` get these answers in order; the last one repeats.
  void OnSequence(const std::string& operation,
                  std::vector<absl::StatusOr<nlohmann::json>> answers);
  void SetSpend(absl::StatusOr<client::SpendInfo> spend);

  absl::StatusOr<nlohmann::json> Call(absl::string_view operation,
                                      const nlohmann::json& params) override;
  absl::StatusOr<client::SpendInfo> GetSpend() override;

  struct Recorded {
    std::string operation;
    nlohmann::json params;
  };
  std::vector<Recorded> calls() const;
  // The params of every call of `operation`, in order.
  std::vector<nlohmann::json> CallsOf(const std::string& operation) const;
  int spend_calls() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, Handler> handlers_ ABSL_GUARDED_BY(mu_);
  std::vector<Recorded> calls_ ABSL_GUARDED_BY(mu_);
  absl::StatusOr<client::SpendInfo> spend_ ABSL_GUARDED_BY(mu_) =
      client::SpendInfo{};
  int spend_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

// FakeMediaTransport serves downloads from a map of URL -> bytes and
// records uploads (the bytes are read from the file). Thread-safe.
class FakeMediaTransport : public MediaTransport {
 public:
  void Serve(const std::string& url, std::string bytes,
             std::string content_type);
  // Runs before each download (e.g. to cancel the call mid-download).
  void BeforeDownload(std::function<void(const std::string& url)> hook);
  // The next uploads fail with `status`.
  void FailUploads(absl::Status status);

  // Refuses URLs that are not https:// (as MediaClient does); Download
  // decides the rest by what is served.
  absl::Status CheckDownloadUrl(absl::string_view url) const override;
  absl::StatusOr<DownloadResult> Download(
      absl::string_view url, PendingFile& out, const CancellationToken& cancel,
      const TransferProgress& progress) const override;
  absl::StatusOr<UploadResult> Upload(
      absl::string_view signed_url, const OpenedFile& file, uint64_t size,
      absl::string_view content_type, const CancellationToken& cancel,
      const TransferProgress& progress) const override;

  struct UploadRecord {
    std::string url;
    std::string content_type;
    std::string bytes;
  };
  std::vector<UploadRecord> uploads() const;
  std::vector<std::string> downloads() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> served_
      ABSL_GUARDED_BY(mu_);
  std::function<void(const std::string&)> before_download_
      ABSL_GUARDED_BY(mu_);
  absl::Status upload_failure_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<UploadRecord> uploads_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<std::string> downloads_ ABSL_GUARDED_BY(mu_);
};

// FakeSleeper is a Sleeper that returns at once, advancing `clock` by the
// requested duration and recording it; it can cancel the call at the n-th
// sleep. Thread-safe.
class FakeSleeper {
 public:
  explicit FakeSleeper(common::FakeClock* clock) : clock_(clock) {}

  Sleeper AsSleeper();
  // The `n`-th sleep (1-based) cancels `source` instead of sleeping.
  void CancelAt(int n, CancellationSource* source);
  std::vector<absl::Duration> sleeps() const;

 private:
  common::FakeClock* const clock_;
  mutable absl::Mutex mu_;
  std::vector<absl::Duration> sleeps_ ABSL_GUARDED_BY(mu_);
  int cancel_at_ ABSL_GUARDED_BY(mu_) = 0;
  CancellationSource* cancel_source_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// ContextHarness makes ToolContexts whose hooks record progress and answer
// elicitation from a script. Not thread-safe (as ToolContext).
class ContextHarness {
 public:
  struct Progress {
    double value;
    std::string message;
  };

  ContextHarness() = default;
  ContextHarness(const ContextHarness&) = delete;
  ContextHarness& operator=(const ContextHarness&) = delete;

  // A new context over this harness' cancellation source and hooks.
  std::unique_ptr<ToolContext> MakeContext();

  CancellationSource& cancellation() { return cancel_; }
  void set_can_elicit(bool can) { can_elicit_ = can; }
  // Answers elicitation/create; unset: UNAVAILABLE.
  void set_elicit(
      std::function<absl::StatusOr<ElicitResult>(const ElicitRequest&)> fn) {
    elicit_ = std::move(fn);
  }
  const std::vector<Progress>& progress() const { return progress_; }
  const std::vector<ElicitRequest>& elicitations() const {
    return elicitations_;
  }

 private:
  CancellationSource cancel_;
  bool can_elicit_ = false;
  std::function<absl::StatusOr<ElicitResult>(const ElicitRequest&)> elicit_;
  std::vector<Progress> progress_;
  std::vector<ElicitRequest> elicitations_;
};

// A fresh directory under $TEST_TMPDIR (or /tmp).
std::string MakeTempDir();

// A small valid PNG (8-byte signature and IHDR), `tag` making it unique.
std::string TinyPng(absl::string_view tag);

}  // namespace layer_vault::mcp::layer_tools::testing

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_TEST_FAKES_H_
