// The relay wired to the real libcurl client against an in-process HTTPS
// server: the request that reaches the wire carries the PAT only in the
// Authorization header, the body byte for byte, and nothing else.
#include <stdlib.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/relay/http_client.h"
#include "vaultd/relay/relay.h"
#include "vaultd/relay/testing/tls_test_server.h"

namespace layer_vault::relay {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPat[] = "pat_WIRESECRET0123456789abcd";
constexpr char kWs[] = "00000000-0000-4000-8000-000000000001";

TEST(RelayHttpsTest, EndToEndOverTls) {
  auto pki = testing::GenerateTestPki();
  ASSERT_TRUE(pki.ok()) << pki.status();
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string dir = tmp ? tmp : "/tmp";
  const std::string ca_path = dir + "/relay_ca.pem";
  std::ofstream(ca_path) << pki->ca_cert_pem;

  auto server = testing::TlsTestServer::Start(
      pki->server_cert_pem, pki->server_key_pem,
      [](const testing::RecordedRequest& r) {
        if (r.target.find("/inferences/estimate") != std::string::npos) {
          return testing::TestResponse{200, {}, R"({"estimated_price_creative_units":1.5})"};
        }
        if (r.method == "POST") {
          return testing::TestResponse{200, {}, R"({"inference_id":"run-9","status":"in_progress"})"};
        }
        return testing::TestResponse{200, {}, R"({"workspaces":[]})"};
      });
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string base = absl::StrCat("https://127.0.0.1:", (*server)->port());

  RegistryOptions registry_options;
  registry_options.rest_base_url = base + "/api";
  registry_options.graphql_url = base + "/graphql";
  auto registry = Registry::LoadFromDirectory("vaultd/relay/operations", registry_options);
  ASSERT_TRUE(registry.ok()) << registry.status();
  HttpClientOptions http_options;
  http_options.ca_bundle_path = ca_path;
  auto http = CurlHttpClient::Create(http_options);
  ASSERT_TRUE(http.ok());
  common::FakeClock clock;
  SpendOptions spend_options;
  spend_options.ledger_path = dir + "/relay_https_ledger.jsonl";
  auto spend = SpendController::Open(spend_options, &clock);
  ASSERT_TRUE(spend.ok()) << spend.status();
  auto limiter = RateLimiter::Create({}, &clock);
  ASSERT_TRUE(limiter.ok());
  auto relay = Relay::Create({}, RelayDeps{registry->get(), http->get(), spend->get(),
                                           limiter->get(), &clock, RealSleeper()});
  ASSERT_TRUE(relay.ok());
  const auto pat = crypto::SecretBytes::CopyFrom(kPat);

  auto list = (*relay)->Call(CallerKey{"1000"}, "workspaces.list", R"({"limit":3})", pat);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->body_json, R"({"workspaces":[]})");

  const std::string raw = absl::StrCat(R"({"workspace_id":")", kWs,
                                       R"(","body":{"prompt":"tower","model_id":"m1"}})");
  auto run = (*relay)->Call(CallerKey{"1000"}, "inferences.execute", raw, pat);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->creative_units_charged, 1.5);

  auto requests = (*server)->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].target, "/api/v1/workspaces?limit=3");
  EXPECT_EQ(requests[2].target, absl::StrCat("/api/v1/workspaces/", kWs, "/inferences"));
  EXPECT_EQ(requests[2].body, R"({"prompt":"tower","model_id":"m1"})");
  for (const auto& r : requests) {
    for (const auto& [name, value] : r.headers) {
      if (name == "authorization") {
        EXPECT_EQ(value, absl::StrCat("Bearer ", kPat));
      } else {
        EXPECT_THAT(value, Not(HasSubstr("WIRESECRET"))) << name;
      }
    }
    EXPECT_THAT(r.target + r.body, Not(HasSubstr("WIRESECRET")));
  }
  // The reads share one connection; the execute gets its own, so that
  // libcurl cannot replay it.
  EXPECT_EQ((*server)->accepted_connections(), 2);
}

}  // namespace
}  // namespace layer_vault::relay
