#include "mcp_frontend/media_download/media_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/redact.h"

namespace layer_vault::mcp {
namespace {

constexpr size_t kMaxErrorBody = 4096;
constexpr uint64_t kProgressStep = 256 * 1024;

absl::once_flag g_curl_once;
CURLcode g_curl_init = CURLE_OK;

struct EasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// State shared with libcurl's callbacks during one transfer.
struct Transfer {
  const CancellationToken* cancel = nullptr;
  const TransferProgress* progress = nullptr;

  // The current response's head (reset at each status line).
  long status = 0;
  std::string content_type;
  std::string location;
  std::optional<uint64_t> content_length;

  // Download sink (only for HTTP 200).
  PendingFile* out = nullptr;
  uint64_t max_bytes = 0;
  uint64_t received = 0;
  bool too_large = false;
  absl::Status sink_error;
  uint64_t last_reported = 0;

  // Everything else the server sends back, kept short.
  std::string other_body;

  // Upload source.
  int fd = -1;
  uint64_t upload_size = 0;
  uint64_t sent = 0;
  bool short_file = false;
};

void Report(Transfer& t, uint64_t done, std::optional<uint64_t> total,
            bool final_report) {
  if (t.progress == nullptr || !*t.progress) return;
  if (!final_report && done - t.last_reported < kProgressStep) return;
  t.last_reported = done;
  (*t.progress)(done, total);
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  const size_t total = size * count;
  absl::string_view line(data, total);
  line = absl::StripTrailingAsciiWhitespace(line);
  if (absl::StartsWith(line, "HTTP/")) {
    t.status = 0;
    t.content_type.clear();
    t.location.clear();
    t.content_length.reset();
    const size_t space = line.find(' ');
    int status = 0;
    if (space != absl::string_view::npos &&
        absl::SimpleAtoi(line.substr(space + 1, 3), &status)) {
      t.status = status;
    }
    return total;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return total;
  const std::string name = absl::AsciiStrToLower(line.substr(0, colon));
  const absl::string_view value =
      absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (name == "content-type") {
    t.content_type = std::string(value);
  } else if (name == "location") {
    t.location = std::string(value);
  } else if (name == "content-length") {
    uint64_t length = 0;
    if (absl::SimpleAtoi(value, &length)) {
      t.content_length = length;
      if (t.out != nullptr && t.status == 200 && length > t.max_bytes) {
        t.too_large = true;
        return 0;  // abort before any byte of the body
      }
    }
  }
  return total;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  const size_t total = size * count;
  if (t.out == nullptr || t.status != 200) {
    if (t.other_body.size() < kMaxErrorBody) {
      t.other_body.append(data,
                          std::min(total, kMaxErrorBody - t.other_body.size()));
    }
    return total;
  }
  if (t.received + total > t.max_bytes) {
    t.too_large = true;
    return 0;
  }
  if (absl::Status written = t.out->Write(absl::string_view(data, total));
      !written.ok()) {
    t.sink_error = written;
    return 0;
  }
  t.received += total;
  Report(t, t.received, t.content_length, false);
  return total;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  const uint64_t left = t.upload_size - t.sent;
  const size_t want = static_cast<size_t>(
      std::min<uint64_t>(left, static_cast<uint64_t>(size * count)));
  if (want == 0) return 0;
  ssize_t n;
  do {
    n = pread(t.fd, buffer, want, static_cast<off_t>(t.sent));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    t.short_file = true;
    return CURL_READFUNC_ABORT;
  }
  t.sent += static_cast<uint64_t>(n);
  Report(t, t.sent, t.upload_size, false);
  return static_cast<size_t>(n);
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const Transfer& t = *static_cast<const Transfer*>(user);
  return t.cancel != nullptr && t.cancel->cancelled() ? 1 : 0;
}

bool HasControl(absl::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
             absl::string_view::npos;
}

// "Name: value" after checking that the header is safe to send from here.
absl::StatusOr<std::string> HeaderLine(const HttpHeader& header) {
  if (header.name.empty() ||
      !std::all_of(header.name.begin(), header.name.end(), IsTokenChar)) {
    return absl::InvalidArgumentError("bad HTTP header name");
  }
  const std::string name = absl::AsciiStrToLower(header.name);
  if (name == "authorization" || name == "proxy-authorization" ||
      name == "cookie" || name == "host" || name == "content-length" ||
      name == "transfer-encoding") {
    return absl::InvalidArgumentError(absl::StrCat(
        "the header ", header.name, " may not be set on media transfers"));
  }
  if (HasControl(header.value) || common::ContainsCredential(header.value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing the value of header ", header.name));
  }
  return absl::StrCat(header.name, ": ", header.value);
}

absl::StatusOr<Slist> BuildHeaders(const std::vector<HttpHeader>& headers) {
  Slist list;
  auto append = [&list](const std::string& line) {
    curl_slist* next = curl_slist_append(list.get(), line.c_str());
    if (next == nullptr) return false;
    list.release();
    list.reset(next);
    return true;
  };
  for (const HttpHeader& header : headers) {
    absl::StatusOr<std::string> line = HeaderLine(header);
    if (!line.ok()) return line.status();
    if (!append(*line)) return absl::InternalError("out of memory");
  }
  // No "Expect: 100-continue" round trip; no compression of media.
  if (!append("Expect:") || !append("Accept-Encoding: identity")) {
    return absl::InternalError("out of memory");
  }
  return list;
}

// The <Code> of a storage XML error body, if it looks like one.
std::string StorageErrorCode(absl::string_view body) {
  const size_t start = body.find("<Code>");
  if (start == absl::string_view::npos) return "";
  const size_t end = body.find("</Code>", start);
  if (end == absl::string_view::npos) return "";
  absl::string_view code = body.substr(start + 6, end - start - 6);
  if (code.empty() || code.size() > 64 ||
      !std::all_of(code.begin(), code.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c));
      })) {
    return "";
  }
  return std::string(code);
}

absl::Status HttpStatusError(const Transfer& t, absl::string_view what,
                             absl::string_view display) {
  const std::string code = StorageErrorCode(t.other_body);
  const std::string detail = absl::StrCat(
      what, " ", display, ": HTTP ", t.status, code.empty() ? "" : " ", code);
  if (t.status >= 300 && t.status < 400) {
    return absl::FailedPreconditionError(
        absl::StrCat(detail, " (a redirect; redirects are not followed)"));
  }
  if (t.status >= 400 && t.status < 500) {
    return absl::FailedPreconditionError(detail);
  }
  return absl::UnavailableError(detail);
}

class MediaTransfer {
 public:
  MediaTransfer(const MediaClientOptions& options, const CheckedUrl& url)
      : options_(options), url_(url), curl_(curl_easy_init()) {
    error_[0] = '\0';
  }

  CURL* curl() { return curl_.get(); }
  Transfer& state() { return transfer_; }

  // Common, safe options. False if libcurl refused one.
  bool Configure(curl_slist* headers) {
    CURL* c = curl_.get();
    if (c == nullptr) return false;
    bool ok = true;
    auto set = [&ok](CURLcode code) { ok = ok && code == CURLE_OK; };
    set(curl_easy_setopt(c, CURLOPT_URL, url_.url.c_str()));
    set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https"));
    set(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https"));
    set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L));
    set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L));
    set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L));
    set(curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2));
    if (!options_.ca_bundle.empty()) {
      set(curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_bundle.c_str()));
    }
    if (!options_.proxy.empty()) {
      set(curl_easy_setopt(c, CURLOPT_PROXY, options_.proxy.c_str()));
      set(curl_easy_setopt(c, CURLOPT_HTTPPROXYTUNNEL, 1L));
    }
    set(curl_easy_setopt(c, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L));
    set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
    set(curl_easy_setopt(c, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED)));
    set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(absl::ToInt64Milliseconds(
                             options_.connect_timeout))));
    set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                         static_cast<long>(absl::ToInt64Milliseconds(
                             options_.transfer_timeout))));
    set(curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L));
    set(curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                         static_cast<long>(std::max<int64_t>(
                             1, absl::ToInt64Seconds(options_.stall_timeout)))));
    set(curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str()));
    set(curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers));
    set(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader));
    set(curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer_));
    set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody));
    set(curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer_));
    set(curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L));
    set(curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &OnProgress));
    set(curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer_));
    set(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_));
    return ok;
  }

  // Runs the transfer; OK means an HTTP answer arrived (any status).
  absl::Status Perform(absl::string_view what) {
    const CURLcode code = curl_easy_perform(curl_.get());
    if (code == CURLE_OK) return absl::OkStatus();
    const Transfer& t = transfer_;
    if (t.too_large || code == CURLE_FILESIZE_EXCEEDED) {
      return absl::ResourceExhaustedError(absl::StrCat(
          what, " ", url_.display, ": larger than the limit of ",
          options_.max_download_bytes, " bytes"));
    }
    if (!t.sink_error.ok()) return t.sink_error;
    if (t.short_file) {
      return absl::FailedPreconditionError(absl::StrCat(
          what, " ", url_.display,
          ": the file is shorter than its declared size (did it change?)"));
    }
    if (code == CURLE_ABORTED_BY_CALLBACK) {
      return absl::CancelledError(absl::StrCat(what, " cancelled"));
    }
    std::string detail =
        common::Redact(error_[0] != '\0' ? error_ : curl_easy_strerror(code));
    // libcurl's messages may quote the URL; keep signatures out.
    detail = absl::StrReplaceAll(detail, {{url_.url, url_.display}});
    if (code == CURLE_OPERATION_TIMEDOUT) {
      return absl::DeadlineExceededError(
          absl::StrCat(what, " ", url_.display, " timed out: ", detail));
    }
    return absl::UnavailableError(
        absl::StrCat(what, " ", url_.display, " failed: ", detail));
  }

 private:
  const MediaClientOptions& options_;
  const CheckedUrl& url_;
  EasyHandle curl_;
  Transfer transfer_;
  char error_[CURL_ERROR_SIZE];
};

std::vector<HttpHeader> Expand(const std::vector<HttpHeader>& templates,
                               absl::string_view content_type,
                               uint64_t size) {
  std::vector<HttpHeader> headers;
  for (const HttpHeader& h : templates) {
    headers.push_back(
        {h.name, absl::StrReplaceAll(h.value, {{"{content_type}", content_type},
                                               {"{size}", absl::StrCat(size)}})});
  }
  return headers;
}

}  // namespace

UploadProtocol LayerSignedUploadProtocol() {
  UploadProtocol protocol;
  protocol.start_headers = {
      {"x-goog-resumable", "start"},
      {"x-goog-content-length-range", "0,{size}"},
      {"Content-Type", "{content_type}"},
  };
  protocol.put_headers = {{"Content-Type", "{content_type}"}};
  return protocol;
}

absl::StatusOr<std::unique_ptr<MediaClient>> MediaClient::Create(
    MediaClientOptions options) {
  if (options.allowed_hosts.empty()) {
    return absl::InvalidArgumentError("no allowed media hosts");
  }
  absl::StatusOr<HostAllowList> allow_list =
      HostAllowList::Create(options.allowed_hosts);
  if (!allow_list.ok()) return allow_list.status();
  if (options.max_download_bytes == 0 ||
      options.connect_timeout <= absl::ZeroDuration() ||
      options.transfer_timeout <= absl::ZeroDuration() ||
      options.stall_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "media client: limits and timeouts must be positive");
  }
  if (HasControl(options.ca_bundle) || HasControl(options.proxy) ||
      HasControl(options.user_agent)) {
    return absl::InvalidArgumentError(
        "media client: control characters in an option");
  }
  absl::call_once(g_curl_once,
                  [] { g_curl_init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (g_curl_init != CURLE_OK) {
    return absl::InternalError("curl_global_init failed");
  }
  return std::unique_ptr<MediaClient>(
      new MediaClient(std::move(options), *std::move(allow_list)));
}

absl::StatusOr<DownloadResult> MediaClient::Download(
    absl::string_view url, PendingFile& out, const CancellationToken& cancel,
    const TransferProgress& progress) const {
  absl::StatusOr<CheckedUrl> checked = allow_list_.Check(url);
  if (!checked.ok()) return checked.status();
  absl::StatusOr<Slist> headers = BuildHeaders({});
  if (!headers.ok()) return headers.status();
  MediaTransfer transfer(options_, *checked);
  Transfer& t = transfer.state();
  t.cancel = &cancel;
  t.progress = &progress;
  t.out = &out;
  t.max_bytes = options_.max_download_bytes;
  if (!transfer.Configure(headers->get()) ||
      curl_easy_setopt(transfer.curl(), CURLOPT_HTTPGET, 1L) != CURLE_OK ||
      curl_easy_setopt(transfer.curl(), CURLOPT_MAXFILESIZE_LARGE,
                       static_cast<curl_off_t>(options_.max_download_bytes)) !=
          CURLE_OK) {
    return absl::InternalError("media client: libcurl refused an option");
  }
  if (cancel.cancelled()) return absl::CancelledError("download cancelled");
  if (absl::Status done = transfer.Perform("downloading"); !done.ok()) {
    return done;
  }
  if (t.status != 200) return HttpStatusError(t, "downloading", checked->display);
  Report(t, t.received, t.content_length, true);
  DownloadResult result;
  result.bytes = t.received;
  result.content_type = t.content_type;
  result.display_url = checked->display;
  return result;
}

absl::StatusOr<CheckedUrl> MediaClient::StartUpload(
    const CheckedUrl& url, const std::vector<HttpHeader>& headers,
    const CancellationToken& cancel) const {
  absl::StatusOr<Slist> list = BuildHeaders(headers);
  if (!list.ok()) return list.status();
  MediaTransfer transfer(options_, url);
  transfer.state().cancel = &cancel;
  if (!transfer.Configure(list->get()) ||
      curl_easy_setopt(transfer.curl(), CURLOPT_POST, 1L) != CURLE_OK ||
      curl_easy_setopt(transfer.curl(), CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(0)) != CURLE_OK ||
      curl_easy_setopt(transfer.curl(), CURLOPT_POSTFIELDS, "") != CURLE_OK) {
    return absl::InternalError("media client: libcurl refused an option");
  }
  if (absl::Status done = transfer.Perform("starting the upload to");
      !done.ok()) {
    return done;
  }
  const Transfer& t = transfer.state();
  if (t.status != 200 && t.status != 201) {
    return HttpStatusError(t, "starting the upload to", url.display);
  }
  if (t.location.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "starting the upload to ", url.display,
        ": the answer has no Location (no upload session)"));
  }
  absl::StatusOr<std::string> session = ResolveUrl(url.url, t.location);
  if (!session.ok()) return session.status();
  absl::StatusOr<CheckedUrl> checked = allow_list_.Check(*session);
  if (!checked.ok()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the upload session is on a host that is not allowed: ",
        checked.status().message()));
  }
  return checked;
}

absl::StatusOr<UploadResult> MediaClient::Upload(
    absl::string_view signed_url, const OpenedFile& file, uint64_t size,
    absl::string_view content_type, const UploadProtocol& protocol,
    const CancellationToken& cancel, const TransferProgress& progress) const {
  if (content_type.empty() || HasControl(content_type)) {
    return absl::InvalidArgumentError("bad content type");
  }
  if (!file.fd.valid()) return absl::InvalidArgumentError("no file to upload");
  absl::StatusOr<CheckedUrl> checked = allow_list_.Check(signed_url);
  if (!checked.ok()) return checked.status();
  CheckedUrl target = *checked;
  if (!protocol.start_headers.empty()) {
    absl::StatusOr<CheckedUrl> session = StartUpload(
        *checked, Expand(protocol.start_headers, content_type, size), cancel);
    if (!session.ok()) return session.status();
    target = *std::move(session);
  }
  absl::StatusOr<Slist> headers =
      BuildHeaders(Expand(protocol.put_headers, content_type, size));
  if (!headers.ok()) return headers.status();
  MediaTransfer transfer(options_, target);
  Transfer& t = transfer.state();
  t.cancel = &cancel;
  t.progress = &progress;
  t.fd = file.fd.get();
  t.upload_size = size;
  if (!transfer.Configure(headers->get()) ||
      curl_easy_setopt(transfer.curl(), CURLOPT_UPLOAD, 1L) != CURLE_OK ||
      curl_easy_setopt(transfer.curl(), CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(size)) != CURLE_OK ||
      curl_easy_setopt(transfer.curl(), CURLOPT_READFUNCTION, &OnRead) !=
          CURLE_OK ||
      curl_easy_setopt(transfer.curl(), CURLOPT_READDATA, &t) != CURLE_OK) {
    return absl::InternalError("media client: libcurl refused an option");
  }
  if (cancel.cancelled()) return absl::CancelledError("upload cancelled");
  if (absl::Status done = transfer.Perform("uploading to"); !done.ok()) {
    return done;
  }
  if (t.status == 308) {
    return absl::FailedPreconditionError(absl::StrCat(
        "uploading to ", target.display,
        ": the storage host says the upload is incomplete (HTTP 308)"));
  }
  if (t.status != 200 && t.status != 201) {
    return HttpStatusError(t, "uploading to", target.display);
  }
  Report(t, t.sent, size, true);
  UploadResult result;
  result.http_status = static_cast<int>(t.status);
  result.bytes = t.sent;
  result.display_url = target.display;
  return result;
}

}  // namespace layer_vault::mcp
