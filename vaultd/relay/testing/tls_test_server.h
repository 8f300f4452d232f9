#ifndef LAYER_VAULT_VAULTD_RELAY_TESTING_TLS_TEST_SERVER_H_
#define LAYER_VAULT_VAULTD_RELAY_TESTING_TLS_TEST_SERVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace layer_vault::relay::testing {

// A certificate authority and leaf certificates generated in memory with the
// OpenSSL EVP/X509 API (EC P-256, SHA-256), for hermetic TLS tests.
struct TestPki {
  std::string ca_cert_pem;
  std::string server_cert_pem;  // SAN: IP 127.0.0.1 and DNS localhost
  std::string server_key_pem;
  // Same CA, but the SAN names only DNS "example.invalid" (host mismatch).
  std::string wrong_host_cert_pem;
  std::string wrong_host_key_pem;
  // Signed by a different CA that nobody trusts.
  std::string untrusted_cert_pem;
  std::string untrusted_key_pem;
};
absl::StatusOr<TestPki> GenerateTestPki();

struct RecordedRequest {
  std::string method;
  std::string target;  // path and query
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct TestResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool chunked = false;  // omit Content-Length, send chunked
  // Wait this long (or until the server stops) before answering.
  int delay_ms = 0;
};

// TlsTestServer is an HTTP/1.1-over-TLS server on 127.0.0.1 (port 0) that
// runs in background threads, records every request, counts accepted
// connections, and keeps connections alive. Test-only.
class TlsTestServer {
 public:
  using Handler = std::function<TestResponse(const RecordedRequest&)>;

  static absl::StatusOr<std::unique_ptr<TlsTestServer>> Start(
      const std::string& cert_pem, const std::string& key_pem, Handler handler);
  ~TlsTestServer();  // stops and joins every thread

  int port() const { return port_; }
  int accepted_connections() const { return accepted_.load(); }
  std::vector<RecordedRequest> requests() const;

 private:
  TlsTestServer() = default;
  void AcceptLoop();
  void Serve(int fd);

  void* ctx_ = nullptr;  // SSL_CTX
  int listen_fd_ = -1;
  int port_ = 0;
  Handler handler_;
  std::atomic<int> accepted_{0};
  absl::Notification stopping_;
  std::thread accept_thread_;
  mutable absl::Mutex mu_;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);
  std::vector<int> client_fds_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedRequest> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace layer_vault::relay::testing

#endif  // LAYER_VAULT_VAULTD_RELAY_TESTING_TLS_TEST_SERVER_H_
