#ifndef LAYER_VAULT_MCP_FRONTEND_MEDIA_DOWNLOAD_HOST_ALLOW_LIST_H_
#define LAYER_VAULT_MCP_FRONTEND_MEDIA_DOWNLOAD_HOST_ALLOW_LIST_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace layer_vault::mcp {

// CheckedUrl is a URL that passed HostAllowList::Check.
struct CheckedUrl {
  std::string url;      // as libcurl normalised it; what will be fetched
  std::string host;     // lower case; IPv6 literals keep their brackets
  int port = 443;
  // "https://host[:port]/path": no query or fragment, which may hold a
  // signature. Safe for messages and logs.
  std::string display;
};

// HostAllowList decides which URLs the frontend may fetch from or upload
// to (media.app.layer.ai, storage.googleapis.com; the fake's host in
// tests): the defence against a tool being pointed at internal services.
//
// An entry is "host" (port 443 only) or "host:port" (that port only);
// hosts compare exactly, case-insensitively: no wildcards, no suffix
// match. URLs are parsed by libcurl's own parser, the one that will fetch
// them, so the check and the fetch cannot disagree. Copyable, immutable,
// thread-safe.
class HostAllowList {
 public:
  // INVALID_ARGUMENT for an entry that is empty, has a scheme, a path,
  // userinfo, whitespace, or a port outside 1..65535. An empty list allows
  // nothing.
  static absl::StatusOr<HostAllowList> Create(
      const std::vector<std::string>& entries);

  // The URL's parts, if it is "https:", has no user name or password, and
  // names an allowed host and port. PERMISSION_DENIED for a disallowed
  // host, port, scheme or userinfo; INVALID_ARGUMENT for a malformed URL
  // or one with whitespace or control characters. Messages never contain
  // the query string.
  absl::StatusOr<CheckedUrl> Check(absl::string_view url) const;

  // "host" or "host:port" entries as given (normalised to lower case).
  std::vector<std::string> entries() const;

 private:
  explicit HostAllowList(std::vector<std::pair<std::string, int>> entries)
      : entries_(std::move(entries)) {}

  std::vector<std::pair<std::string, int>> entries_;  // host, port
};

// Resolves `reference` (absolute, or relative such as a Location header)
// against `base`. INVALID_ARGUMENT if either is malformed.
absl::StatusOr<std::string> ResolveUrl(absl::string_view base,
                                       absl::string_view reference);

}  // namespace layer_vault::mcp

#endif  // LAYER_VAULT_MCP_FRONTEND_MEDIA_DOWNLOAD_HOST_ALLOW_LIST_H_
