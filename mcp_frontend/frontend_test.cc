#include "mcp_frontend/frontend.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mcp_frontend/jsonrpc/message.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

std::string TmpDir() {
  const char* tmp = getenv("TEST_TMPDIR");
  return tmp ? tmp : "/tmp";
}

FrontendConfig GoodConfig() {
  FrontendConfig config;
  config.vaultd_socket = "/tmp/no-such-dir/workload.sock";
  config.asset_root = TmpDir() + "/assets";
  config.input_root = TmpDir();
  config.allowed_media_hosts = {"media.app.layer.ai", "127.0.0.1:8443"};
  return config;
}

struct BadConfig {
  const char* name;
  std::function<void(FrontendConfig&)> mutate;
  const char* mentions;
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, IsRejectedNamingTheSetting) {
  FrontendConfig config = GoodConfig();
  GetParam().mutate(config);
  auto frontend = Frontend::Create(config);
  EXPECT_EQ(frontend.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(frontend.status().message()),
              HasSubstr(GetParam().mentions));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadConfigTest,
    ::testing::Values(
        BadConfig{"relative_socket",
                  [](FrontendConfig& c) { c.vaultd_socket = "vaultd.sock"; },
                  "--vaultd_socket"},
        BadConfig{"long_socket",
                  [](FrontendConfig& c) {
                    c.vaultd_socket = "/" + std::string(120, 's');
                  },
                  "--vaultd_socket"},
        BadConfig{"negative_threshold",
                  [](FrontendConfig& c) {
                    c.confirm_threshold_creative_units = -1;
                  },
                  "--confirm_threshold"},
        BadConfig{"workspace_not_uuid",
                  [](FrontendConfig& c) { c.default_workspace = "my studio"; },
                  "--default_workspace"},
        BadConfig{"media_host_with_scheme",
                  [](FrontendConfig& c) {
                    c.allowed_media_hosts = {"https://media.app.layer.ai"};
                  },
                  "--allowed_media_hosts"},
        BadConfig{"no_media_hosts",
                  [](FrontendConfig& c) { c.allowed_media_hosts.clear(); },
                  "--allowed_media_hosts"},
        BadConfig{"missing_ca_bundle",
                  [](FrontendConfig& c) { c.ca_bundle = "/no/such/ca.pem"; },
                  "--ca_bundle"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(EnvironmentWarningsTest, LayerApiTokenIsFlaggedWithoutItsValue) {
  auto warnings = EnvironmentWarnings([](const char* name) -> const char* {
    return std::string(name) == "LAYER_API_TOKEN" ? "pat_abcdefghijklmnop"
                                                  : nullptr;
  });
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("LAYER_API_TOKEN"));
  EXPECT_THAT(warnings[0], HasSubstr("Remove it"));
  EXPECT_EQ(warnings[0].find("pat_"), std::string::npos);
  EXPECT_TRUE(
      EnvironmentWarnings([](const char*) -> const char* { return nullptr; })
          .empty());
}

TEST(ServerInstructionsTest, TeachTheWorkflow) {
  FrontendConfig config = GoodConfig();
  config.confirm_threshold_creative_units = 12.5;
  config.default_workspace = "00000000-0000-4000-8000-000000000001";
  const std::string text = ServerInstructions(config);
  for (const char* needle :
       {"list_workspaces", "estimate_price", "generate", "get_run",
        "upload_file", "12.5 CU", "confirm_price", config.asset_root.c_str(),
        "00000000-0000-4000-8000-000000000001", "vaultctl unlock",
        "get_frontend_status"}) {
    EXPECT_THAT(text, HasSubstr(needle));
  }
}

TEST(FrontendTest, ServesInitializeToolsAndStatus) {
  FrontendConfig config = GoodConfig();
  config.warnings = {"test warning"};
  auto frontend = Frontend::Create(config);
  ASSERT_TRUE(frontend.ok()) << frontend.status();
  // get_frontend_status and the Layer.ai tools.
  EXPECT_TRUE((*frontend)->tools().Contains("get_frontend_status"));
  EXPECT_TRUE((*frontend)->tools().Contains("generate"));

  int to_server[2], from_server[2];
  ASSERT_EQ(pipe2(to_server, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(from_server, O_CLOEXEC), 0);
  absl::Status served;
  std::thread thread([&] {
    served = (*frontend)->Serve(to_server[0], from_server[1],
                                [](absl::string_view) {});
    close(from_server[1]);
  });
  const std::string input =
      MakeRequest(1, "initialize",
                  {{"protocolVersion", "2025-06-18"},
                   {"capabilities", json::object()},
                   {"clientInfo", {{"name", "t"}, {"version", "1"}}}})
          .dump() +
      "\n" + MakeNotification("notifications/initialized", nullptr).dump() +
      "\n" + MakeRequest(2, "tools/list", nullptr).dump() + "\n" +
      MakeRequest(3, "tools/call", {{"name", "get_frontend_status"}}).dump() +
      "\n";
  ASSERT_EQ(write(to_server[1], input.data(), input.size()),
            static_cast<ssize_t>(input.size()));
  // Read the three answers, then end the input.
  std::string output;
  char buffer[65536];
  ssize_t n;
  while (std::count(output.begin(), output.end(), '\n') < 3 &&
         (n = read(from_server[0], buffer, sizeof(buffer))) > 0) {
    output.append(buffer, n);
  }
  close(to_server[1]);
  while ((n = read(from_server[0], buffer, sizeof(buffer))) > 0) {
    output.append(buffer, n);
  }
  thread.join();
  close(to_server[0]);
  close(from_server[0]);
  EXPECT_TRUE(served.ok()) << served;

  std::vector<json> messages;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    messages.push_back(json::parse(line));
  }
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0]["result"]["serverInfo"]["name"], kFrontendName);
  EXPECT_EQ(messages[0]["result"]["serverInfo"]["version"], kFrontendVersion);
  EXPECT_THAT(messages[0]["result"]["instructions"].get<std::string>(),
              HasSubstr("estimate_price"));
  EXPECT_EQ(messages[1]["result"]["tools"][0]["name"], "get_frontend_status");
  const json& status = messages[2]["result"]["structuredContent"];
  EXPECT_EQ(status["warnings"][0], "test warning");
  EXPECT_EQ(status["vaultd"]["reachable"], false);
}

}  // namespace
}  // namespace layer_vault::mcp
