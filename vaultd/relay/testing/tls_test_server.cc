#include "vaultd/relay/testing/tls_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace layer_vault::relay::testing {
namespace {

struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertDeleter {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

absl::Status OpensslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("openssl: ", what, ": ",
                                          ERR_error_string(ERR_get_error(), nullptr)));
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

absl::StatusOr<Cert> MakeCert(EVP_PKEY* key, const char* cn, X509* issuer,
                              EVP_PKEY* issuer_key, bool is_ca,
                              const char* san, long serial) {
  Cert cert(X509_new());
  if (!cert) return OpensslError("X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (is_ca) {
    if (!AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE") ||
        !AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign")) {
      return OpensslError("CA extensions");
    }
  } else {
    if (!AddExtension(cert.get(), signer, NID_basic_constraints, "CA:FALSE") ||
        !AddExtension(cert.get(), signer, NID_subject_alt_name, san) ||
        !AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth")) {
      return OpensslError("leaf extensions");
    }
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
    return OpensslError("X509_sign");
  }
  return cert;
}

std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

Key NewKey() { return Key(EVP_EC_gen("P-256")); }

}  // namespace

absl::StatusOr<TestPki> GenerateTestPki() {
  TestPki pki;
  Key ca_key = NewKey(), server_key = NewKey(), wrong_key = NewKey(),
      rogue_ca_key = NewKey(), rogue_key = NewKey();
  if (!ca_key || !server_key || !wrong_key || !rogue_ca_key || !rogue_key) {
    return OpensslError("EVP_EC_gen");
  }
  auto ca = MakeCert(ca_key.get(), "layer-vault test CA", nullptr, nullptr, true,
                     nullptr, 1);
  if (!ca.ok()) return ca.status();
  auto server = MakeCert(server_key.get(), "127.0.0.1", ca->get(), ca_key.get(),
                         false, "IP:127.0.0.1,DNS:localhost", 2);
  if (!server.ok()) return server.status();
  auto wrong = MakeCert(wrong_key.get(), "example.invalid", ca->get(),
                        ca_key.get(), false, "DNS:example.invalid", 3);
  if (!wrong.ok()) return wrong.status();
  auto rogue_ca = MakeCert(rogue_ca_key.get(), "rogue CA", nullptr, nullptr,
                           true, nullptr, 4);
  if (!rogue_ca.ok()) return rogue_ca.status();
  auto rogue = MakeCert(rogue_key.get(), "127.0.0.1", rogue_ca->get(),
                        rogue_ca_key.get(), false, "IP:127.0.0.1,DNS:localhost", 5);
  if (!rogue.ok()) return rogue.status();
  pki.ca_cert_pem = CertPem(ca->get());
  pki.server_cert_pem = CertPem(server->get());
  pki.server_key_pem = KeyPem(server_key.get());
  pki.wrong_host_cert_pem = CertPem(wrong->get());
  pki.wrong_host_key_pem = KeyPem(wrong_key.get());
  pki.untrusted_cert_pem = CertPem(rogue->get());
  pki.untrusted_key_pem = KeyPem(rogue_key.get());
  return pki;
}

absl::StatusOr<std::unique_ptr<TlsTestServer>> TlsTestServer::Start(
    const std::string& cert_pem, const std::string& key_pem, Handler handler) {
  // A peer that hangs up mid-handshake must not kill the test with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<TlsTestServer> server(new TlsTestServer());
  server->handler_ = std::move(handler);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return OpensslError("SSL_CTX_new");
  server->ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  BIO* cert_bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  const bool loaded = cert && key && SSL_CTX_use_certificate(ctx, cert) == 1 &&
                      SSL_CTX_use_PrivateKey(ctx, key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!loaded) return OpensslError("load certificate");

  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket");
  server->listen_fd_ = fd;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 64) != 0) {
    return absl::InternalError(absl::StrCat("bind/listen: ", std::strerror(errno)));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  server->port_ = ntohs(addr.sin_port);
  server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

TlsTestServer::~TlsTestServer() {
  stopping_.Notify();
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::thread> workers;
  {
    absl::MutexLock lock(&mu_);
    for (int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  {
    absl::MutexLock lock(&mu_);
    for (int fd : client_fds_) ::close(fd);
    client_fds_.clear();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

std::vector<RecordedRequest> TlsTestServer::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void TlsTestServer::AcceptLoop() {
  while (!stopping_.HasBeenNotified()) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;  // shut down
    }
    if (stopping_.HasBeenNotified()) {
      ::close(fd);
      return;
    }
    ++accepted_;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    absl::MutexLock lock(&mu_);
    client_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void TlsTestServer::Serve(int fd) {
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) {
    SSL_free(ssl);
    return;  // the destructor closes fd
  }
  std::string buffer;
  char chunk[16384];
  auto read_more = [&]() -> bool {
    int n = SSL_read(ssl, chunk, sizeof(chunk));
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  };
  auto write_all = [&](const std::string& data) -> bool {
    size_t done = 0;
    while (done < data.size()) {
      int n = SSL_write(ssl, data.data() + done,
                        static_cast<int>(std::min<size_t>(data.size() - done, 1 << 20)));
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  };
  while (!stopping_.HasBeenNotified()) {
    size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more()) goto done;
    }
    {
      RecordedRequest request;
      std::vector<std::string> lines =
          absl::StrSplit(buffer.substr(0, end), "\r\n");
      std::vector<std::string> start = absl::StrSplit(lines[0], ' ');
      if (start.size() < 2) goto done;
      request.method = start[0];
      request.target = start[1];
      for (size_t i = 1; i < lines.size(); ++i) {
        size_t colon = lines[i].find(':');
        if (colon == std::string::npos) continue;
        request.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
            std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
      }
      size_t length = 0;
      if (auto it = request.headers.find("content-length");
          it != request.headers.end()) {
        (void)absl::SimpleAtoi(it->second, &length);
      }
      buffer.erase(0, end + 4);
      while (buffer.size() < length) {
        if (!read_more()) goto done;
      }
      request.body = buffer.substr(0, length);
      buffer.erase(0, length);
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(request);
      }
      TestResponse response = handler_(request);
      if (response.delay_ms > 0 &&
          stopping_.WaitForNotificationWithTimeout(
              absl::Milliseconds(response.delay_ms))) {
        goto done;
      }
      std::string head = absl::StrCat("HTTP/1.1 ", response.status, " X\r\n");
      for (const auto& [k, v] : response.headers) {
        absl::StrAppend(&head, k, ": ", v, "\r\n");
      }
      if (response.chunked) {
        absl::StrAppend(&head, "Transfer-Encoding: chunked\r\n\r\n");
        if (!write_all(head)) goto done;
        const size_t step = 65536;
        for (size_t off = 0; off < response.body.size(); off += step) {
          std::string piece = response.body.substr(off, step);
          char size_line[32];
          std::snprintf(size_line, sizeof(size_line), "%zx\r\n", piece.size());
          if (!write_all(size_line + piece + "\r\n")) goto done;
        }
        if (!write_all("0\r\n\r\n")) goto done;
      } else {
        absl::StrAppend(&head, "Content-Length: ", response.body.size(), "\r\n\r\n");
        if (!write_all(head + response.body)) goto done;
      }
    }
  }
done:
  SSL_shutdown(ssl);
  SSL_free(ssl);
}

}  // namespace layer_vault::relay::testing
