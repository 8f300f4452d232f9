#ifndef LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_MEDIA_TRANSPORT_H_
#define LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_MEDIA_TRANSPORT_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mcp_frontend/media_download/media_client.h"
#include "mcp_frontend/safe_files/safe_files.h"
#include "mcp_frontend/tool_registry/cancellation.h"

namespace layer_vault::mcp::layer_tools {

// MediaTransport moves file bytes for the Layer.ai tools: downloads of
// generated outputs and uploads to Layer's signed upload URLs, with no Layer
// credential. The production implementation is MediaClientTransport; tests
// use a fake. Errors and thread safety as MediaClient's.
class MediaTransport {
 public:
  virtual ~MediaTransport() = default;

  // OK if Download would accept `url` (its scheme and host); checked before
  // a file is created for it, so a refused URL leaves no trace on disk.
  virtual absl::Status CheckDownloadUrl(absl::string_view url) const = 0;

  // GETs `url` into `out` (not committed).
  virtual absl::StatusOr<DownloadResult> Download(
      absl::string_view url, PendingFile& out, const CancellationToken& cancel,
      const TransferProgress& progress) const = 0;

  // Sends `size` bytes of `file`, of `content_type`, to a signed upload URL
  // returned by the files.upload_url operation.
  virtual absl::StatusOr<UploadResult> Upload(
      absl::string_view signed_url, const OpenedFile& file, uint64_t size,
      absl::string_view content_type, const CancellationToken& cancel,
      const TransferProgress& progress) const = 0;
};

// MediaClientTransport is MediaTransport over a MediaClient (not owned; must
// outlive it), uploading with LayerSignedUploadProtocol().
class MediaClientTransport final : public MediaTransport {
 public:
  explicit MediaClientTransport(const MediaClient* client);

  absl::Status CheckDownloadUrl(absl::string_view url) const override;
  absl::StatusOr<DownloadResult> Download(
      absl::string_view url, PendingFile& out, const CancellationToken& cancel,
      const TransferProgress& progress) const override;
  absl::StatusOr<UploadResult> Upload(
      absl::string_view signed_url, const OpenedFile& file, uint64_t size,
      absl::string_view content_type, const CancellationToken& cancel,
      const TransferProgress& progress) const override;

 private:
  const MediaClient* const client_;
  const UploadProtocol protocol_;
};

}  // namespace layer_vault::mcp::layer_tools

#endif  // LAYER_VAULT_MCP_FRONTEND_LAYER_TOOLS_MEDIA_TRANSPORT_H_
