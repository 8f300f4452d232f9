#include "mcp_frontend/layer_tools/media_transport.h"

namespace layer_vault::mcp::layer_tools {

MediaClientTransport::MediaClientTransport(const MediaClient* client)
    : client_(client), protocol_(LayerSignedUploadProtocol()) {}

absl::Status MediaClientTransport::CheckDownloadUrl(
    absl::string_view url) const {
  return client_->allow_list().Check(url).status();
}

absl::StatusOr<DownloadResult> MediaClientTransport::Download(
    absl::string_view url, PendingFile& out, const CancellationToken& cancel,
    const TransferProgress& progress) const {
  return client_->Download(url, out, cancel, progress);
}

absl::StatusOr<UploadResult> MediaClientTransport::Upload(
    absl::string_view signed_url, const OpenedFile& file, uint64_t size,
    absl::string_view content_type, const CancellationToken& cancel,
    const TransferProgress& progress) const {
  return client_->Upload(signed_url, file, size, content_type, protocol_,
                         cancel, progress);
}

}  // namespace layer_vault::mcp::layer_tools
