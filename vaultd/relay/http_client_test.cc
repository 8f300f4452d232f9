#include "vaultd/relay/http_client.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/relay/testing/tls_test_server.h"

namespace layer_vault::relay {
namespace {

using testing::RecordedRequest;
using testing::TestResponse;
using testing::TlsTestServer;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPat[] = "pat_TESTSECRET0123456789abcdef";

class HttpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pki = testing::GenerateTestPki();
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = new testing::TestPki(*std::move(pki));
    const char* tmp = std::getenv("TEST_TMPDIR");
    ca_path_ = new std::string(absl::StrCat(tmp ? tmp : "/tmp", "/test_ca.pem"));
    std::ofstream(*ca_path_) << pki_->ca_cert_pem;
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete ca_path_;
  }

  std::unique_ptr<TlsTestServer> StartServer(
      TlsTestServer::Handler handler = [](const RecordedRequest&) {
        return TestResponse{200, {{"Content-Type", "application/json"}},
                            R"({"ok":true})"};
      }) {
    auto server = TlsTestServer::Start(pki_->server_cert_pem,
                                       pki_->server_key_pem, std::move(handler));
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  std::unique_ptr<CurlHttpClient> Client(HttpClientOptions options = {}) {
    options.ca_bundle_path = *ca_path_;
    auto client = CurlHttpClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  static HttpRequest Get(int port, absl::string_view path = "/v1/workspaces") {
    return HttpRequest{"GET", absl::StrCat("https://127.0.0.1:", port, path), "",
                       "", /*idempotent=*/true};
  }

  static testing::TestPki* pki_;
  static std::string* ca_path_;
  crypto::SecretBytes pat_ = crypto::SecretBytes::CopyFrom(kPat);
};

testing::TestPki* HttpClientTest::pki_ = nullptr;
std::string* HttpClientTest::ca_path_ = nullptr;

TEST_F(HttpClientTest, GetVerifiedAgainstTheCaWithBearerToken) {
  auto server = StartServer([](const RecordedRequest&) {
    return TestResponse{200,
                        {{"Content-Type", "application/json"}, {"Retry-After", "5"}},
                        R"({"workspaces":[]})"};
  });
  auto client = Client();
  auto response = client->Send(Get(server->port()), pat_);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"workspaces":[]})");
  EXPECT_EQ(response->content_type, "application/json");
  EXPECT_EQ(response->retry_after, "5");
  EXPECT_GT(response->latency, absl::ZeroDuration());
  auto requests = server->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v1/workspaces");
  EXPECT_EQ(requests[0].headers["authorization"], absl::StrCat("Bearer ", kPat));
  EXPECT_EQ(requests[0].headers["accept"], "application/json");
}

TEST_F(HttpClientTest, PostSendsBodyExactly) {
  auto server = StartServer();
  auto client = Client();
  const std::string body = R"({"model_id":"m", "prompt":"tower \u00e9"})" +
                           std::string(4096, ' ');  // > 1 KiB: no Expect: 100
  HttpRequest request{"POST",
                      absl::StrCat("https://127.0.0.1:", server->port(), "/v1/x"),
                      body, "application/json"};
  auto start = absl::Now();
  auto response = client->Send(request, pat_);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(900));
  auto requests = server->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, body);
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");
  EXPECT_EQ(requests[0].headers.count("expect"), 0u);
}

TEST_F(HttpClientTest, NonSuccessStatusIsAResponseNotAnError) {
  auto server = StartServer([](const RecordedRequest&) {
    return TestResponse{429, {{"Retry-After", "Thu, 01 Jan 2026 00:00:05 GMT"}}, "{}"};
  });
  auto client = Client();
  auto response = client->Send(Get(server->port()), pat_);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(response->retry_after, "Thu, 01 Jan 2026 00:00:05 GMT");
}

TEST_F(HttpClientTest, RedirectsAreNotFollowed) {
  int port = 0;
  auto server = StartServer([&port](const RecordedRequest& r) {
    if (r.target == "/start") {
      return TestResponse{302, {{"Location", absl::StrCat("https://127.0.0.1:", port, "/next")}}, ""};
    }
    return TestResponse{200, {}, "followed"};
  });
  port = server->port();
  auto client = Client();
  auto response = client->Send(Get(server->port(), "/start"), pat_);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(server->requests().size(), 1u);
}

TEST_F(HttpClientTest, UntrustedCertificateIsRefused) {
  auto server = TlsTestServer::Start(pki_->untrusted_cert_pem,
                                     pki_->untrusted_key_pem,
                                     [](const RecordedRequest&) {
                                       return TestResponse{200, {}, "{}"};
                                     });
  ASSERT_TRUE(server.ok());
  auto client = Client();
  auto response = client->Send(Get((*server)->port()), pat_);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("TLS verification"));
  EXPECT_FALSE(IsTransientTransportError(response.status()));
  EXPECT_TRUE((*server)->requests().empty());  // the PAT never left
}

TEST_F(HttpClientTest, HostnameMismatchIsRefused) {
  auto server = TlsTestServer::Start(pki_->wrong_host_cert_pem,
                                     pki_->wrong_host_key_pem,
                                     [](const RecordedRequest&) {
                                       return TestResponse{200, {}, "{}"};
                                     });
  ASSERT_TRUE(server.ok());
  auto client = Client();
  auto response = client->Send(Get((*server)->port()), pat_);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("TLS verification"));
  EXPECT_TRUE((*server)->requests().empty());
}

TEST_F(HttpClientTest, SystemStoreDoesNotTrustTheTestCa) {
  auto server = StartServer();
  auto client = CurlHttpClient::Create(HttpClientOptions{});
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Send(Get(server->port()), pat_);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(server->requests().empty());
}

TEST_F(HttpClientTest, PlainHttpAndOtherSchemesAreRefused) {
  auto server = StartServer();
  auto client = Client();
  for (const std::string& url :
       {absl::StrCat("http://127.0.0.1:", server->port(), "/"),
        std::string("file:///etc/passwd"), std::string("ftp://127.0.0.1/"),
        std::string("HTTP://127.0.0.1/"), std::string("//127.0.0.1/")}) {
    auto response = client->Send(HttpRequest{"GET", url, "", ""}, pat_);
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument) << url;
  }
  EXPECT_EQ(server->accepted_connections(), 0);
}

TEST_F(HttpClientTest, ResponseSizeCapWithContentLength) {
  auto server = StartServer([](const RecordedRequest&) {
    return TestResponse{200, {}, std::string(2 << 20, 'x')};
  });
  HttpClientOptions options;
  options.max_response_bytes = 1 << 20;
  auto client = Client(options);
  auto response = client->Send(Get(server->port()), pat_);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("1048576-byte cap"));
}

TEST_F(HttpClientTest, ResponseSizeCapWhenChunked) {
  auto server = StartServer([](const RecordedRequest& r) {
    TestResponse response{200, {}, std::string(r.target == "/big" ? 3 << 20 : 1000, 'x')};
    response.chunked = true;
    return response;
  });
  HttpClientOptions options;
  options.max_response_bytes = 1 << 20;
  auto client = Client(options);
  auto response = client->Send(Get(server->port(), "/big"), pat_);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kOutOfRange);
  // A small chunked response is fine.
  response = client->Send(Get(server->port(), "/small"), pat_);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body.size(), 1000u);
}

TEST_F(HttpClientTest, TotalTimeoutIsTransientUnavailable) {
  auto server = StartServer([](const RecordedRequest&) {
    TestResponse response{200, {}, "{}"};
    response.delay_ms = 30000;  // cut short when the server stops
    return response;
  });
  HttpClientOptions options;
  options.total_timeout = absl::Milliseconds(300);
  auto client = Client(options);
  auto start = absl::Now();
  auto response = client->Send(Get(server->port()), pat_);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("timed out"));
  EXPECT_TRUE(IsTransientTransportError(response.status()));
}

TEST_F(HttpClientTest, ConnectionRefusedIsTransient) {
  int port;
  {
    auto server = StartServer();
    port = server->port();
  }  // stopped: nothing listens on the port any more
  auto client = Client();
  auto response = client->Send(Get(port), pat_);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsTransientTransportError(response.status()));
  EXPECT_THAT(std::string(response.status().message()), Not(HasSubstr(kPat)));
}

TEST_F(HttpClientTest, ConnectionsAreReused) {
  auto server = StartServer();
  auto client = Client();
  for (int i = 0; i < 5; ++i) {
    auto response = client->Send(Get(server->port()), pat_);
    ASSERT_TRUE(response.ok()) << response.status();
  }
  EXPECT_EQ(server->accepted_connections(), 1);
  EXPECT_EQ(server->requests().size(), 5u);
}

// libcurl re-sends a request whose reused connection dies before the
// answer; a request that must not be sent twice never reuses one.
TEST_F(HttpClientTest, NonIdempotentRequestsUseAFreshConnection) {
  auto server = StartServer();
  auto client = Client();
  ASSERT_TRUE(client->Send(Get(server->port()), pat_).ok());
  HttpRequest post{"POST", absl::StrCat("https://127.0.0.1:", server->port(), "/v1/x"),
                   "{}", "application/json"};
  ASSERT_FALSE(post.idempotent);
  ASSERT_TRUE(client->Send(post, pat_).ok());
  EXPECT_EQ(server->accepted_connections(), 2);
  ASSERT_TRUE(client->Send(post, pat_).ok());
  EXPECT_EQ(server->accepted_connections(), 3);
  EXPECT_EQ(server->requests().size(), 3u);
}

TEST_F(HttpClientTest, ConcurrentCallersShareAPool) {
  auto server = StartServer();
  auto client = Client();
  constexpr int kThreads = 8, kCalls = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        if (client->Send(Get(server->port()), pat_).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kCalls);
  EXPECT_LE(server->accepted_connections(), kThreads);
}

TEST_F(HttpClientTest, ExplicitProxyIsUsed) {
  auto server = StartServer();
  int dead_port;
  {
    auto dead = StartServer();
    dead_port = dead->port();
  }
  HttpClientOptions options;
  options.proxy = absl::StrCat("http://127.0.0.1:", dead_port);
  auto client = Client(options);
  auto response = client->Send(Get(server->port()), pat_);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server->accepted_connections(), 0);
}

TEST_F(HttpClientTest, EnvironmentProxyOnlyWhenConfigured) {
  auto server = StartServer();
  int dead_port;
  {
    auto dead = StartServer();
    dead_port = dead->port();
  }
  const std::string proxy = absl::StrCat("http://127.0.0.1:", dead_port);
  ::setenv("HTTPS_PROXY", proxy.c_str(), 1);
  ::setenv("https_proxy", proxy.c_str(), 1);
  ::unsetenv("NO_PROXY");
  ::unsetenv("no_proxy");
  {
    auto direct = Client();  // use_environment_proxy = false
    EXPECT_TRUE(direct->Send(Get(server->port()), pat_).ok());
    HttpClientOptions options;
    options.use_environment_proxy = true;
    auto via_env = Client(options);
    EXPECT_EQ(via_env->Send(Get(server->port()), pat_).status().code(),
              absl::StatusCode::kUnavailable);
  }
  ::unsetenv("HTTPS_PROXY");
  ::unsetenv("https_proxy");
  EXPECT_EQ(server->accepted_connections(), 1);
}

TEST_F(HttpClientTest, RefusesTokensThatCouldInjectHeaders) {
  auto server = StartServer();
  auto client = Client();
  for (const char* bad : {"", "pat_abc\r\nX-Evil: 1", "pat_abc\n", "pat\x01"}) {
    auto token = crypto::SecretBytes::CopyFrom(bad);
    auto response = client->Send(Get(server->port()), token);
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(response.status().message()), Not(HasSubstr("pat_abc")));
  }
  EXPECT_EQ(server->accepted_connections(), 0);
}

TEST_F(HttpClientTest, RejectsBadOptions) {
  HttpClientOptions options;
  options.total_timeout = absl::ZeroDuration();
  EXPECT_EQ(CurlHttpClient::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = {};
  options.max_response_bytes = 0;
  EXPECT_FALSE(CurlHttpClient::Create(options).ok());
  options = {};
  options.proxy = "http://proxy\n";
  EXPECT_FALSE(CurlHttpClient::Create(options).ok());
}

}  // namespace
}  // namespace layer_vault::relay
