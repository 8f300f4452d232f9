#include "vaultd/relay/http_client.h"

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <cstring>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/redact.h"

namespace layer_vault::relay {
namespace {

constexpr char kAuthorizationPrefix[] = "Authorization: Bearer ";

absl::once_flag global_init_once;
CURLcode global_init_result = CURLE_OK;

bool HasControlChars(absl::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Per-transfer state handed to libcurl callbacks.
struct Transfer {
  size_t max_bytes = 0;
  bool too_large = false;
  HttpResponse response;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->response.body.size() + n > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new response (after 1xx): forget the previous one's headers.
    t->response.content_type.clear();
    t->response.retry_after.reset();
    return n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (value.size() > 256) value = value.substr(0, 256);
  if (absl::EqualsIgnoreCase(name, "content-type")) {
    t->response.content_type = std::string(value);
  } else if (absl::EqualsIgnoreCase(name, "retry-after")) {
    t->response.retry_after = std::string(value);
  }
  return n;
}

// Wipes every header line (the Authorization one holds the PAT) and frees
// the list.
void WipeAndFree(curl_slist* list) {
  for (curl_slist* node = list; node != nullptr; node = node->next) {
    if (node->data != nullptr) OPENSSL_cleanse(node->data, std::strlen(node->data));
  }
  curl_slist_free_all(list);
}

struct SlistGuard {
  curl_slist* list = nullptr;
  ~SlistGuard() { WipeAndFree(list); }
};

bool IsTransient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_PROXY:
      return true;
    default:
      return false;
  }
}

bool IsTlsVerification(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return true;
    default:
      return false;
  }
}

std::string HostOf(absl::string_view url) {
  absl::string_view rest = url.substr(url.find("://") + 3);
  return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

}  // namespace

// libcurl share-lock callbacks (DNS cache, TLS session cache).
struct CurlShareLock {
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<CurlHttpClient*>(user)->share_locks_[Index(data)].Lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<CurlHttpClient*>(user)->share_locks_[Index(data)].Unlock();
  }
  static size_t Index(curl_lock_data data) {
    size_t i = static_cast<size_t>(data);
    return i < 8 ? i : 0;
  }
};

CurlHttpClient::CurlHttpClient(const HttpClientOptions& options)
    : options_(options) {}

absl::StatusOr<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(
    const HttpClientOptions& options) {
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.total_timeout <= absl::ZeroDuration() ||
      options.max_response_bytes == 0) {
    return absl::InvalidArgumentError(
        "http client: timeouts and the response cap must be positive");
  }
  if (HasControlChars(options.ca_bundle_path) || HasControlChars(options.proxy)) {
    return absl::InvalidArgumentError(
        "http client: control characters in the CA bundle path or proxy");
  }
  absl::call_once(global_init_once, [] {
    global_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
  });
  if (global_init_result != CURLE_OK) {
    return absl::InternalError("http client: curl_global_init failed");
  }
  std::unique_ptr<CurlHttpClient> client(new CurlHttpClient(options));
  CURLSH* share = curl_share_init();
  if (share == nullptr) return absl::InternalError("http client: curl_share_init");
  client->share_ = share;
  if (curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &CurlShareLock::Lock) != CURLSHE_OK ||
      curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &CurlShareLock::Unlock) != CURLSHE_OK ||
      curl_share_setopt(share, CURLSHOPT_USERDATA, client.get()) != CURLSHE_OK ||
      curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
      curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
          CURLSHE_OK) {
    return absl::InternalError("http client: curl_share_setopt failed");
  }
  return client;
}

CurlHttpClient::~CurlHttpClient() {
  {
    absl::MutexLock lock(&mu_);
    for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
    idle_.clear();
  }
  if (share_ != nullptr) curl_share_cleanup(static_cast<CURLSH*>(share_));
}

void* CurlHttpClient::AcquireHandle() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void CurlHttpClient::ReleaseHandle(void* handle) {
  {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < options_.max_idle_handles) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

absl::StatusOr<HttpResponse> CurlHttpClient::Send(
    const HttpRequest& request, const crypto::SecretBytes& bearer_token) {
  if (!absl::StartsWithIgnoreCase(request.url, "https://") ||
      HasControlChars(request.url) || absl::StrContains(request.url, " ")) {
    return absl::InvalidArgumentError(
        "http client: only https:// URLs are allowed");
  }
  const std::string& method = request.method;
  if (method != "GET" && method != "POST" && method != "PUT" &&
      method != "PATCH" && method != "DELETE") {
    return absl::InvalidArgumentError("http client: unsupported method");
  }
  if (bearer_token.empty() || HasControlChars(bearer_token.UnsafeView())) {
    return absl::InvalidArgumentError(
        "http client: the stored credential is empty or holds characters not "
        "allowed in an HTTP header");
  }
  if (HasControlChars(request.content_type)) {
    return absl::InvalidArgumentError("http client: bad content type");
  }
  const std::string host = HostOf(request.url);

  // "Authorization: Bearer <token>\0", assembled in locked, wiped memory.
  const size_t prefix = sizeof(kAuthorizationPrefix) - 1;
  crypto::SecretBytes header(prefix + bearer_token.size() + 1);
  std::memcpy(header.UnsafeMutableData(), kAuthorizationPrefix, prefix);
  std::memcpy(header.UnsafeMutableData() + prefix, bearer_token.UnsafeData(),
              bearer_token.size());
  header.UnsafeMutableData()[prefix + bearer_token.size()] = '\0';

  SlistGuard headers;
  auto append = [&headers](const char* line) {
    curl_slist* next = curl_slist_append(headers.list, line);
    if (next == nullptr) return false;
    headers.list = next;
    return true;
  };
  const std::string content_type =
      request.content_type.empty() ? "" : "Content-Type: " + request.content_type;
  if (!append(reinterpret_cast<const char*>(header.UnsafeData())) ||
      !append("Accept: application/json") || !append("Expect:") ||
      (!content_type.empty() && !append(content_type.c_str()))) {
    return absl::InternalError("http client: out of memory");
  }

  CURL* curl = static_cast<CURL*>(AcquireHandle());
  if (curl == nullptr) return absl::InternalError("http client: curl_easy_init");
  // Resets options, keeps the handle's live connections and caches.
  curl_easy_reset(curl);

  Transfer transfer;
  transfer.max_bytes = options_.max_response_bytes;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  bool ok = true;
  auto set = [&ok](CURLcode code) { ok = ok && code == CURLE_OK; };
  set(curl_easy_setopt(curl, CURLOPT_SHARE, static_cast<CURLSH*>(share_)));
  set(curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str()));
  set(curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https"));
  set(curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https"));
  set(curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L));
  set(curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L));
  set(curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L));
  set(curl_easy_setopt(curl, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2));
  set(curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1));
  if (!options_.ca_bundle_path.empty()) {
    set(curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle_path.c_str()));
  }
  if (!options_.proxy.empty()) {
    set(curl_easy_setopt(curl, CURLOPT_PROXY, options_.proxy.c_str()));
    set(curl_easy_setopt(curl, CURLOPT_HTTPPROXYTUNNEL, 1L));
  } else if (!options_.use_environment_proxy) {
    // An empty string disables libcurl's reading of *_proxy variables.
    set(curl_easy_setopt(curl, CURLOPT_PROXY, ""));
  } else {
    set(curl_easy_setopt(curl, CURLOPT_HTTPPROXYTUNNEL, 1L));
  }
  set(curl_easy_setopt(curl, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L));
  set(curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L));
  // libcurl replays a request once, on a new connection, when a reused one
  // dies before the answer starts; only a new connection rules that out.
  if (!request.idempotent) {
    set(curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L));
  }
  set(curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                       static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout))));
  set(curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                       static_cast<long>(absl::ToInt64Milliseconds(options_.total_timeout))));
  set(curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                       static_cast<curl_off_t>(options_.max_response_bytes)));
  set(curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str()));
  set(curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list));
  set(curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody));
  set(curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer));
  set(curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &WriteHeader));
  set(curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer));
  set(curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer));
  if (method == "GET") {
    set(curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L));
  } else {
    if (method != "POST") {
      set(curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str()));
    }
    set(curl_easy_setopt(curl, CURLOPT_POST, 1L));
    set(curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size())));
    set(curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data()));
  }
  if (!ok) {
    curl_easy_reset(curl);
    ReleaseHandle(curl);
    return absl::InternalError("http client: curl_easy_setopt failed");
  }

  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t total_us = 0;
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total_us);
  // Drop every pointer into this call's buffers (headers, error buffer)
  // before the handle goes back to the pool.
  curl_easy_reset(curl);
  ReleaseHandle(curl);

  if (code == CURLE_OK) {
    transfer.response.status = static_cast<int>(status);
    transfer.response.latency = absl::Microseconds(total_us);
    return std::move(transfer.response);
  }
  if (transfer.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return absl::OutOfRangeError(absl::StrCat(
        "http client: the response from ", host, " exceeded the ",
        options_.max_response_bytes, "-byte cap"));
  }
  std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  detail = common::Redact(detail);
  if (code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT) {
    return absl::InvalidArgumentError(absl::StrCat("http client: ", detail));
  }
  if (code == CURLE_OUT_OF_MEMORY || code == CURLE_FAILED_INIT) {
    return absl::InternalError(absl::StrCat("http client: ", detail));
  }
  if (IsTlsVerification(code)) {
    return absl::UnavailableError(absl::StrCat(
        "http client: TLS verification of ", host, " failed: ", detail));
  }
  absl::Status error = absl::UnavailableError(absl::StrCat(
      "http client: ", method, " ", host,
      code == CURLE_OPERATION_TIMEDOUT ? " timed out: " : " failed: ", detail));
  if (IsTransient(code)) MarkTransient(error);
  return error;
}

}  // namespace layer_vault::relay
