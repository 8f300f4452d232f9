#ifndef LAYER_VAULT_VAULTD_RELAY_HTTP_CLIENT_H_
#define LAYER_VAULT_VAULTD_RELAY_HTTP_CLIENT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/relay/http_types.h"

namespace layer_vault::relay {

// HttpClient sends one request to Layer.ai with the PAT attached. The relay
// depends on this interface; tests substitute fakes.
class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Sends `request` with "Authorization: Bearer <bearer_token>". Returns
  // Layer.ai's response whatever its HTTP status, or a transport error:
  //   INVALID_ARGUMENT  not an https:// URL, bad method, or a token that
  //                     cannot go in a header (CR, LF, control bytes);
  //   UNAVAILABLE       no connection, TLS failure (certificate or host
  //                     not verified), timeout, connection dropped; transient
  //                     ones (see IsTransientTransportError) may be retried;
  //   OUT_OF_RANGE      the response body exceeded the size cap (the
  //                     transfer was aborted);
  //   INTERNAL          libcurl could not be set up.
  // Error messages never contain the token. Thread-safe.
  virtual absl::StatusOr<HttpResponse> Send(
      const HttpRequest& request, const crypto::SecretBytes& bearer_token) = 0;
};

struct HttpClientOptions {
  // PEM bundle of trusted CAs; empty uses the system store.
  std::string ca_bundle_path;
  // Proxy URL for corporate networks, e.g. "http://proxy.corp:3128"
  // (HTTPS requests are tunnelled with CONNECT, so TLS stays end to end).
  // Empty: no proxy, unless use_environment_proxy.
  std::string proxy;
  // Honour HTTPS_PROXY / https_proxy / ALL_PROXY / NO_PROXY from the
  // environment when `proxy` is empty. Off by default: a daemon's proxy is
  // configuration, not inherited state.
  bool use_environment_proxy = false;
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration total_timeout = absl::Seconds(60);
  // Responses larger than this are aborted mid-transfer.
  size_t max_response_bytes = 8 * 1024 * 1024;
  // Idle CURL handles kept (each holds its own kept-alive connections).
  size_t max_idle_handles = 32;
  std::string user_agent = "layer-vault-relay/1";
};

// CurlHttpClient is the libcurl implementation: HTTPS only (no other
// protocol, no redirects followed), peer and host verified, TLS 1.2 or
// later, HTTP/1.1, connect and total timeouts, a response size cap, and
// connection reuse through a pool of CURL easy handles (each keeps its own
// connection cache; a CURLSH shares DNS and TLS sessions between them).
// libcurl's shared connection cache is not used: it is not safe across
// threads in the libcurl this links (7.88). A request that is not
// idempotent (HttpRequest::idempotent) gets a fresh connection, so libcurl
// never replays it. CURLOPT_VERBOSE is never set.
//
// The PAT: the "Authorization: Bearer ..." line is assembled in a
// crypto::SecretBytes (locked, wiped) buffer; curl_slist_append copies it
// into a malloc'ed node, which is wiped with OPENSSL_cleanse before
// curl_slist_free_all. Residual risk: libcurl copies header lines into its
// own request buffer while sending, and OpenSSL copies plaintext into TLS
// record buffers; neither is wiped when freed, so fragments of the PAT can
// remain in freed heap memory of this process until reused. vaultd's
// process hardening (no core dumps, PR_SET_DUMPABLE=0) is what protects
// those.
//
// Thread-safe: concurrent Send calls use different handles.
class CurlHttpClient final : public HttpClient {
 public:
  // INVALID_ARGUMENT for bad options (non-positive timeouts or cap, a proxy
  // or CA path with control characters); INTERNAL if libcurl cannot be
  // initialised.
  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> Create(
      const HttpClientOptions& options);
  ~CurlHttpClient() override;

  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  absl::StatusOr<HttpResponse> Send(
      const HttpRequest& request,
      const crypto::SecretBytes& bearer_token) override;

 private:
  explicit CurlHttpClient(const HttpClientOptions& options);
  void* AcquireHandle();
  void ReleaseHandle(void* handle);

  const HttpClientOptions options_;
  void* share_ = nullptr;  // CURLSH*
  absl::Mutex share_locks_[8];
  absl::Mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);  // CURL*

  friend struct CurlShareLock;
};

}  // namespace layer_vault::relay

#endif  // LAYER_VAULT_VAULTD_RELAY_HTTP_CLIENT_H_
