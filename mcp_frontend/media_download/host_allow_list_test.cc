#include "mcp_frontend/media_download/host_allow_list.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace layer_vault::mcp {
namespace {

HostAllowList List() {
  auto list = HostAllowList::Create(
      {"media.app.layer.ai", "Storage.GoogleAPIs.com", "127.0.0.1:8443",
       "[::1]:9443"});
  EXPECT_TRUE(list.ok()) << list.status();
  return *list;
}

struct UrlCase {
  const char* name;
  std::string url;
  absl::StatusCode code;
};

class CheckTest : public ::testing::TestWithParam<UrlCase> {};

TEST_P(CheckTest, Table) {
  auto checked = List().Check(GetParam().url);
  EXPECT_EQ(checked.status().code(), GetParam().code) << checked.status();
  if (!checked.ok()) {
    // Never echo a query string (it may carry a signature).
    EXPECT_EQ(std::string(checked.status().message()).find("Signature"),
              std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CheckTest,
    ::testing::Values(
        UrlCase{"allowed", "https://media.app.layer.ai/x/y.png",
                absl::StatusCode::kOk},
        UrlCase{"allowed_upper", "https://MEDIA.app.layer.ai/x.png",
                absl::StatusCode::kOk},
        UrlCase{"explicit_443", "https://media.app.layer.ai:443/x.png",
                absl::StatusCode::kOk},
        UrlCase{"signed_query",
                "https://storage.googleapis.com/b/o?X-Goog-Signature=abc",
                absl::StatusCode::kOk},
        UrlCase{"allowed_port", "https://127.0.0.1:8443/media/a.png",
                absl::StatusCode::kOk},
        UrlCase{"ipv6", "https://[::1]:9443/a", absl::StatusCode::kOk},
        UrlCase{"http", "http://media.app.layer.ai/x.png",
                absl::StatusCode::kPermissionDenied},
        UrlCase{"ftp", "ftp://media.app.layer.ai/x.png",
                absl::StatusCode::kPermissionDenied},
        UrlCase{"other_port", "https://media.app.layer.ai:8443/x.png",
                absl::StatusCode::kPermissionDenied},
        UrlCase{"default_port_not_listed", "https://127.0.0.1/media/a.png",
                absl::StatusCode::kPermissionDenied},
        UrlCase{"wrong_port", "https://127.0.0.1:8444/media/a.png",
                absl::StatusCode::kPermissionDenied},
        UrlCase{"suffix", "https://evil.media.app.layer.ai/x.png",
                absl::StatusCode::kPermissionDenied},
        UrlCase{"prefix", "https://media.app.layer.ai.evil.com/x.png",
                absl::StatusCode::kPermissionDenied},
        UrlCase{"userinfo", "https://user:pw@media.app.layer.ai/x.png",
                absl::StatusCode::kPermissionDenied},
        UrlCase{"userinfo_trick",
                "https://media.app.layer.ai@169.254.169.254/latest",
                absl::StatusCode::kPermissionDenied},
        UrlCase{"metadata", "https://169.254.169.254/latest/meta-data",
                absl::StatusCode::kPermissionDenied},
        UrlCase{"localhost_name", "https://localhost:8443/a",
                absl::StatusCode::kPermissionDenied},
        UrlCase{"space", "https://media.app.layer.ai/a b.png",
                absl::StatusCode::kInvalidArgument},
        UrlCase{"newline", "https://media.app.layer.ai/a\r\nHost: x",
                absl::StatusCode::kInvalidArgument},
        UrlCase{"no_scheme", "media.app.layer.ai/x.png",
                absl::StatusCode::kInvalidArgument},
        UrlCase{"empty", "", absl::StatusCode::kInvalidArgument}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(HostAllowListTest, DisplayHasNoQuery) {
  auto checked = List().Check(
      "https://storage.googleapis.com/bucket/obj?X-Goog-Signature=s3cr3t#frag");
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->display, "https://storage.googleapis.com/bucket/obj");
  EXPECT_EQ(checked->host, "storage.googleapis.com");
  EXPECT_EQ(checked->port, 443);
  EXPECT_NE(checked->url.find("X-Goog-Signature"), std::string::npos);
}

TEST(HostAllowListTest, BadEntries) {
  for (const char* entry :
       {"", "https://media.app.layer.ai", "media.app.layer.ai/path",
        "user@media.app.layer.ai", "host:0", "host:70000", "host:x",
        "a b", "[::1", "ho$t"}) {
    EXPECT_FALSE(HostAllowList::Create({entry}).ok()) << entry;
  }
  auto list = HostAllowList::Create({"Media.App.Layer.AI", "h:8443"});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->entries(),
            (std::vector<std::string>{"media.app.layer.ai", "h:8443"}));
}

TEST(HostAllowListTest, EmptyListAllowsNothing) {
  auto list = HostAllowList::Create({});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->Check("https://media.app.layer.ai/x").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(ResolveUrlTest, RelativeAndAbsolute) {
  EXPECT_EQ(*ResolveUrl("https://h/upload/1?sig=x", "/upload-session/abc"),
            "https://h/upload-session/abc");
  EXPECT_EQ(*ResolveUrl("https://h/a", "https://other/b"), "https://other/b");
  EXPECT_FALSE(ResolveUrl("https://h/a", "").ok());
}

}  // namespace
}  // namespace layer_vault::mcp
