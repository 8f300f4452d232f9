#ifndef LAYER_VAULT_MCP_FRONTEND_MEDIA_DOWNLOAD_MEDIA_CLIENT_H_
#define LAYER_VAULT_MCP_FRONTEND_MEDIA_DOWNLOAD_MEDIA_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mcp_frontend/media_download/host_allow_list.h"
#include "mcp_frontend/safe_files/safe_files.h"
#include "mcp_frontend/tool_registry/cancellation.h"

namespace layer_vault::mcp {

struct HttpHeader {
  std::string name;
  std::string value;
};

// UploadProtocol is the signed-URL upload flow as data, so that a change on
// Layer's side (or another storage) is a table edit, not new code. In
// header values "{content_type}" and "{size}" are replaced by the file's.
struct UploadProtocol {
  // If non-empty, first POST to the signed URL with these headers and no
  // body; the answer's Location is the session URL the bytes go to.
  // If empty, the bytes are PUT to the signed URL itself.
  std::vector<HttpHeader> start_headers;
  // Headers of the PUT that carries the bytes (Content-Length is added).
  std::vector<HttpHeader> put_headers;
};

// The flow that works with Layer's signed upload URLs (REST.md 4.2, as
// third-party clients found it): a GCS resumable upload started with
// x-goog-resumable: start, x-goog-content-length-range: 0,<size> and the
// returned content type, then one PUT of the bytes.
UploadProtocol LayerSignedUploadProtocol();

struct MediaClientOptions {
  // See HostAllowList; required, non-empty.
  std::vector<std::string> allowed_hosts;
  // PEM CA bundle to trust instead of the system store (empty: system).
  std::string ca_bundle;
  // HTTPS proxy URL; empty: libcurl's https_proxy/no_proxy variables.
  std::string proxy;
  // Largest download; a larger one is aborted (early, by Content-Length,
  // when the server sends it) and nothing is kept.
  uint64_t max_download_bytes = 100ull * 1024 * 1024;
  absl::Duration connect_timeout = absl::Seconds(15);
  // Whole-transfer limit.
  absl::Duration transfer_timeout = absl::Minutes(10);
  // Abort a transfer that moves less than 1 KiB/s for this long.
  absl::Duration stall_timeout = absl::Seconds(60);
  std::string user_agent = "layer-vault-mcp";
};

// Called with bytes done and the total when known.
using TransferProgress =
    std::function<void(uint64_t done, std::optional<uint64_t> total)>;

struct DownloadResult {
  uint64_t bytes = 0;
  std::string content_type;  // the response's, as sent ("" if none)
  std::string display_url;   // no query string
};

struct UploadResult {
  int http_status = 0;
  uint64_t bytes = 0;
  std::string display_url;
};

// MediaClient moves file bytes between this machine and Layer's media and
// storage hosts over HTTPS, with no Layer credential: generated outputs are
// public or pre-signed URLs, uploads go to pre-signed URLs. Every URL,
// including a resumable session's Location, must pass the HostAllowList;
// redirects are never followed (a 3xx is an error), certificates are
// verified, and no Authorization, Cookie or credential-shaped header is
// ever sent.
//
// Errors: PERMISSION_DENIED (URL not allowed), INVALID_ARGUMENT (bad URL or
// header), RESOURCE_EXHAUSTED (over max_download_bytes), CANCELLED (the
// token was cancelled; checked at least once a second), DEADLINE_EXCEEDED
// (timeouts), FAILED_PRECONDITION (an HTTP 4xx or a redirect; the message
// has the status and, for storage errors, the XML error code),
// UNAVAILABLE (network, TLS or HTTP 5xx). Messages never contain query
// strings (signatures) or bodies beyond an error code.
//
// Thread-safe; each transfer uses its own libcurl handle.
class MediaClient {
 public:
  // INVALID_ARGUMENT for bad options (empty or malformed allow-list,
  // non-positive limits, control characters).
  static absl::StatusOr<std::unique_ptr<MediaClient>> Create(
      MediaClientOptions options);

  const HostAllowList& allow_list() const { return allow_list_; }

  // GETs `url` and streams the body into `out` (a safe_files temp file;
  // the caller commits it). Only HTTP 200 is success.
  absl::StatusOr<DownloadResult> Download(
      absl::string_view url, PendingFile& out,
      const CancellationToken& cancel,
      const TransferProgress& progress = nullptr) const;

  // Uploads `size` bytes of `file` (read with pread from offset 0) to
  // `signed_url` following `protocol`, for a file of `content_type`.
  // FAILED_PRECONDITION if the file holds fewer than `size` bytes.
  absl::StatusOr<UploadResult> Upload(
      absl::string_view signed_url, const OpenedFile& file, uint64_t size,
      absl::string_view content_type, const UploadProtocol& protocol,
      const CancellationToken& cancel,
      const TransferProgress& progress = nullptr) const;

 private:
  MediaClient(MediaClientOptions options, HostAllowList allow_list)
      : options_(std::move(options)), allow_list_(std::move(allow_list)) {}

  // POSTs to start a resumable upload; returns the checked session URL.
  absl::StatusOr<CheckedUrl> StartUpload(const CheckedUrl& url,
                                         const std::vector<HttpHeader>& headers,
                                         const CancellationToken& cancel) const;

  const MediaClientOptions options_;
  const HostAllowList allow_list_;
};

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_MEDIA_DOWNLOAD_MEDIA_CLIENT_H_
