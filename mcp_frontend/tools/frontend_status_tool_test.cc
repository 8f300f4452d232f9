#include "mcp_frontend/tools/frontend_status_tool.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mcp_frontend/tool_registry/tool_registry.h"

namespace layer_vault::mcp {
namespace {

using ::testing::HasSubstr;

// A short directory under /tmp for Unix sockets (see DESIGN.md).
class SocketDir {
 public:
  SocketDir() {
    char pattern[] = "/tmp/mcp-st-XXXXXX";
    EXPECT_NE(mkdtemp(pattern), nullptr);
    path_ = pattern;
  }
  ~SocketDir() {
    for (int fd : fds_) close(fd);
    unlink(socket_path().c_str());
    rmdir(path_.c_str());
  }
  std::string socket_path() const { return path_ + "/workload.sock"; }
  // Binds the socket; listens if asked (otherwise it is stale).
  void Bind(bool listening) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    const std::string path = socket_path();
    memcpy(address.sun_path, path.c_str(), path.size());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
              0);
    if (listening) {
      ASSERT_EQ(listen(fd, 4), 0);
    }
    fds_.push_back(fd);
  }

 private:
  std::string path_;
  std::vector<int> fds_;
};

class FrontendStatusToolTest : public ::testing::Test {
 protected:
  nlohmann::json Call(const FrontendStatusOptions& options) {
    ToolRegistry registry;
    EXPECT_TRUE(registry.Register(MakeFrontendStatusTool(options)).ok());
    ToolContext context(CancellationToken(), {});
    auto result = registry.Call("get_frontend_status", nlohmann::json::object(),
                                context);
    EXPECT_TRUE(result.ok());
    EXPECT_FALSE(result->is_error) << result->ToJson().dump();
    text_ = result->content.empty() ? "" : result->content[0].text;
    return result->structured_content;
  }

  FrontendStatusOptions Options() {
    FrontendStatusOptions options;
    options.server_name = "layer-vault";
    options.server_version = "0.1.0";
    options.vaultd_socket = dir_.socket_path();
    const char* tmp = getenv("TEST_TMPDIR");
    options.asset_root = absl::StrCat(tmp ? tmp : "/tmp", "/not-yet/assets");
    options.input_root = tmp ? tmp : "/tmp";
    options.allowed_media_hosts = {"media.app.layer.ai"};
    options.confirm_threshold_creative_units = 20;
    return options;
  }

  SocketDir dir_;
  std::string text_;
};

TEST_F(FrontendStatusToolTest, ReportsMissingVaultdAndRoots) {
  FrontendStatusOptions options = Options();
  options.warnings = {"LAYER_API_TOKEN is set: remove it"};
  nlohmann::json status = Call(options);
  EXPECT_EQ(status["vaultd"]["reachable"], false);
  EXPECT_THAT(status["vaultd"]["problem"].get<std::string>(),
              HasSubstr("not running"));
  EXPECT_EQ(status["asset_root"]["exists"], false);
  EXPECT_EQ(status["asset_root"]["writable"], true);  // creatable
  EXPECT_EQ(status["input_root"]["readable"], true);
  EXPECT_TRUE(status["default_workspace"].is_null());
  EXPECT_EQ(status["warnings"][0], "LAYER_API_TOKEN is set: remove it");
  EXPECT_THAT(text_, HasSubstr("created on the first save"));
  EXPECT_THAT(text_, HasSubstr("warning: LAYER_API_TOKEN"));
}

TEST_F(FrontendStatusToolTest, ReportsListeningVaultd) {
  dir_.Bind(/*listening=*/true);
  FrontendStatusOptions options = Options();
  options.default_workspace = "00000000-0000-4000-8000-000000000001";
  nlohmann::json status = Call(options);
  EXPECT_EQ(status["vaultd"]["reachable"], true);
  EXPECT_FALSE(status["vaultd"].contains("problem"));
  EXPECT_EQ(status["default_workspace"], options.default_workspace);
}

TEST_F(FrontendStatusToolTest, ReportsStaleSocket) {
  dir_.Bind(/*listening=*/false);
  nlohmann::json status = Call(Options());
  EXPECT_EQ(status["vaultd"]["reachable"], false);
  EXPECT_THAT(status["vaultd"]["problem"].get<std::string>(),
              HasSubstr("stale"));
}

TEST(ProbeVaultdSocketTest, PathTooLong) {
  EXPECT_EQ(ProbeVaultdSocket(std::string(200, 'a')).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FrontendStatusToolDefinitionTest, IsReadOnlyAndTakesNoArguments) {
  auto tool = MakeFrontendStatusTool({});
  const ToolDefinition& d = tool->definition();
  EXPECT_EQ(d.name, "get_frontend_status");
  EXPECT_EQ(d.annotations.read_only_hint, true);
  EXPECT_EQ(d.annotations.open_world_hint, false);
  ToolRegistry registry;
  ASSERT_TRUE(registry.Register(std::move(tool)).ok());
  ToolContext context(CancellationToken(), {});
  auto result = registry.Call("get_frontend_status", {{"x", 1}}, context);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->is_error);
}

}  // namespace
}  // namespace layer_vault::mcp
