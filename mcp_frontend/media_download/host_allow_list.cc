#include "mcp_frontend/media_download/host_allow_list.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace layer_vault::mcp {
namespace {

struct UrlDeleter {
  void operator()(CURLU* handle) const { curl_url_cleanup(handle); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

// One part of a parsed URL; nullopt-like empty + false when absent.
bool GetPart(CURLU* handle, CURLUPart part, std::string& out,
             unsigned int flags = 0) {
  char* value = nullptr;
  if (curl_url_get(handle, part, &value, flags) != CURLUE_OK ||
      value == nullptr) {
    return false;
  }
  out = value;
  curl_free(value);
  return true;
}

bool HasSpaceOrControl(absl::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '-';
}

bool ParsePort(absl::string_view text, int& port) {
  return absl::SimpleAtoi(text, &port) && port >= 1 && port <= 65535 &&
         !text.empty() && text[0] != '+' && text[0] != '-';
}

absl::StatusOr<UrlHandle> Parse(absl::string_view url) {
  if (url.empty() || HasSpaceOrControl(url)) {
    return absl::InvalidArgumentError(
        "the URL is empty or contains whitespace or control characters");
  }
  UrlHandle handle(curl_url());
  if (handle == nullptr) return absl::InternalError("curl_url failed");
  const std::string text(url);
  if (curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), 0) !=
      CURLUE_OK) {
    return absl::InvalidArgumentError("the URL is malformed");
  }
  return handle;
}

}  // namespace

absl::StatusOr<HostAllowList> HostAllowList::Create(
    const std::vector<std::string>& entries) {
  std::vector<std::pair<std::string, int>> parsed;
  for (const std::string& raw : entries) {
    const std::string entry = absl::AsciiStrToLower(raw);
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(
          "allowed media host \"", raw, "\": ", why,
          " (use host or host:port, e.g. media.app.layer.ai)"));
    };
    if (entry.empty()) return bad("empty");
    if (HasSpaceOrControl(entry)) return bad("whitespace");
    if (entry.find("://") != std::string::npos) return bad("has a scheme");
    if (entry.find('/') != std::string::npos) return bad("has a path");
    if (entry.find('@') != std::string::npos) return bad("has userinfo");
    std::string host;
    int port = 443;
    absl::string_view rest;
    if (entry[0] == '[') {
      const size_t close = entry.find(']');
      if (close == std::string::npos) return bad("unclosed [");
      host = entry.substr(0, close + 1);
      rest = absl::string_view(entry).substr(close + 1);
    } else {
      const size_t colon = entry.find(':');
      host = entry.substr(0, colon);
      if (colon != std::string::npos) {
        rest = absl::string_view(entry).substr(colon);
      }
      for (char c : host) {
        if (!IsHostChar(c)) return bad("bad character in host");
      }
    }
    if (host.empty() || host == "[]") return bad("no host");
    if (!rest.empty()) {
      if (rest[0] != ':' || !ParsePort(rest.substr(1), port)) {
        return bad("bad port");
      }
    }
    parsed.emplace_back(host, port);
  }
  return HostAllowList(std::move(parsed));
}

std::vector<std::string> HostAllowList::entries() const {
  std::vector<std::string> out;
  for (const auto& [host, port] : entries_) {
    out.push_back(port == 443 ? host : absl::StrCat(host, ":", port));
  }
  return out;
}

absl::StatusOr<CheckedUrl> HostAllowList::Check(absl::string_view url) const {
  absl::StatusOr<UrlHandle> handle = Parse(url);
  if (!handle.ok()) return handle.status();
  CURLU* h = handle->get();
  std::string scheme, host, port_text, path, normalized, ignored;
  if (!GetPart(h, CURLUPART_SCHEME, scheme) ||
      !GetPart(h, CURLUPART_HOST, host) ||
      !GetPart(h, CURLUPART_PORT, port_text, CURLU_DEFAULT_PORT) ||
      !GetPart(h, CURLUPART_URL, normalized)) {
    return absl::InvalidArgumentError("the URL is malformed");
  }
  GetPart(h, CURLUPART_PATH, path);
  host = absl::AsciiStrToLower(host);
  scheme = absl::AsciiStrToLower(scheme);
  int port = 0;
  if (!ParsePort(port_text, port)) {
    return absl::InvalidArgumentError("the URL has a bad port");
  }
  const std::string where =
      port == 443 ? host : absl::StrCat(host, ":", port);
  if (scheme != "https") {
    return absl::PermissionDeniedError(absl::StrCat(
        "only https URLs are allowed (got ", scheme, "://", where, ")"));
  }
  if (GetPart(h, CURLUPART_USER, ignored) ||
      GetPart(h, CURLUPART_PASSWORD, ignored) ||
      GetPart(h, CURLUPART_OPTIONS, ignored)) {
    return absl::PermissionDeniedError(
        absl::StrCat("URLs with a user name or password are not allowed (",
                     where, ")"));
  }
  bool allowed = false;
  for (const auto& [allowed_host, allowed_port] : entries_) {
    if (allowed_host == host && allowed_port == port) allowed = true;
  }
  if (!allowed) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the host ", where,
        " is not an allowed media host (see --allowed_media_hosts)"));
  }
  CheckedUrl checked;
  checked.url = std::move(normalized);
  checked.host = host;
  checked.port = port;
  checked.display = absl::StrCat("https://", where, path);
  return checked;
}

absl::StatusOr<std::string> ResolveUrl(absl::string_view base,
                                       absl::string_view reference) {
  absl::StatusOr<UrlHandle> handle = Parse(base);
  if (!handle.ok()) return handle.status();
  if (reference.empty() || HasSpaceOrControl(reference)) {
    return absl::InvalidArgumentError(
        "the location is empty or contains whitespace or control characters");
  }
  const std::string text(reference);
  if (curl_url_set(handle->get(), CURLUPART_URL, text.c_str(), 0) !=
      CURLUE_OK) {
    return absl::InvalidArgumentError("the location is malformed");
  }
  std::string resolved;
  if (!GetPart(handle->get(), CURLUPART_URL, resolved)) {
    return absl::InvalidArgumentError("the location is malformed");
  }
  return resolved;
}

}  // namespace layer_vault::mcp
