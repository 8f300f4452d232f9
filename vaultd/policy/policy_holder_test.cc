#include "vaultd/policy/policy_holder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::policy {
namespace {

using ::testing::HasSubstr;

std::string PolicyGranting(const std::string& scope, uid_t uid = 1000) {
  return absl::StrCat(R"({"version": 1, "rules": [{"name": "r", "match": )",
                      R"({"uids": [)", uid, R"(]}, "scopes": [")", scope,
                      R"("]}]})");
}

peer::PeerIdentity Caller(uid_t uid = 1000) {
  peer::PeerIdentity p;
  p.uid = uid;
  p.gid = uid;
  return p;
}

class PolicyHolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    path_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/policy.json");
    Write(PolicyGranting("layer:read"));
  }
  void Write(const std::string& text, mode_t mode = 0644) {
    // Replace the file the way an editor or config tool would.
    const std::string tmp = path_ + ".new";
    std::ofstream(tmp) << text;
    ASSERT_EQ(chmod(tmp.c_str(), mode), 0);
    ASSERT_EQ(rename(tmp.c_str(), path_.c_str()), 0);
  }
  std::string path_;
};

TEST_F(PolicyHolderTest, LoadsAndReloads) {
  absl::StatusOr<std::unique_ptr<PolicyHolder>> holder =
      PolicyHolder::Load(path_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  PolicyHolder& h = **holder;
  EXPECT_EQ(h.generation(), 1u);
  EXPECT_TRUE(h.Decide(Caller()).HasScope("layer:read"));

  std::shared_ptr<const Policy> snapshot = h.Get();
  Write(PolicyGranting("layer:generate"));
  ASSERT_TRUE(h.Reload().ok());
  EXPECT_EQ(h.generation(), 2u);
  EXPECT_TRUE(h.Decide(Caller()).HasScope("layer:generate"));
  EXPECT_FALSE(h.Decide(Caller()).HasScope("layer:read"));
  // A reader that took the old policy keeps a consistent view of it.
  EXPECT_TRUE(snapshot->Decide(Caller()).HasScope("layer:read"));
}

struct BadReload {
  std::string name;
  std::string text;
  mode_t mode;
  bool remove;
  absl::StatusCode code;
  std::string message;
};

void PrintTo(const BadReload& c, std::ostream* os) { *os << c.name; }

class BadReloadTest : public PolicyHolderTest,
                      public ::testing::WithParamInterface<BadReload> {};

TEST_P(BadReloadTest, KeepsTheOldPolicy) {
  absl::StatusOr<std::unique_ptr<PolicyHolder>> holder =
      PolicyHolder::Load(path_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  PolicyHolder& h = **holder;
  std::shared_ptr<const Policy> before = h.Get();

  const BadReload& c = GetParam();
  if (c.remove) {
    ASSERT_EQ(unlink(path_.c_str()), 0);
  } else {
    Write(c.text, c.mode);
  }
  absl::Status s = h.Reload();
  EXPECT_EQ(s.code(), c.code) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(c.message));
  EXPECT_EQ(h.Get(), before);
  EXPECT_EQ(h.generation(), 1u);
  EXPECT_TRUE(h.Decide(Caller()).HasScope("layer:read"));
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadReloadTest,
    ::testing::Values(
        BadReload{"syntax", "{\"version\": 1, \"rules\": [", 0644, false,
                  absl::StatusCode::kInvalidArgument, "malformed JSON"},
        BadReload{"unknown_scope", PolicyGranting("layer:delete"), 0644, false,
                  absl::StatusCode::kInvalidArgument,
                  "/rules/0/scopes/0: unknown scope"},
        BadReload{"world_writable", PolicyGranting("layer:generate"), 0666,
                  false, absl::StatusCode::kFailedPrecondition, "chmod go-w"},
        BadReload{"removed", "", 0, true, absl::StatusCode::kNotFound,
                  "No such file"}),
    [](const ::testing::TestParamInfo<BadReload>& info) {
      return info.param.name;
    });

TEST_F(PolicyHolderTest, LoadFailsWithoutAValidPolicy) {
  Write("{}");
  absl::StatusOr<std::unique_ptr<PolicyHolder>> holder =
      PolicyHolder::Load(path_);
  EXPECT_EQ(holder.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(holder.status().message()),
              HasSubstr("/version: required"));
}

TEST(PolicyHolderMemoryTest, InMemoryPolicyCannotReloadButCanBeReplaced) {
  absl::StatusOr<std::unique_ptr<Policy>> a =
      Policy::Parse(PolicyGranting("layer:read"));
  absl::StatusOr<std::unique_ptr<Policy>> b =
      Policy::Parse(PolicyGranting("layer:upload"));
  ASSERT_TRUE(a.ok() && b.ok());
  PolicyHolder h(std::move(*a));
  EXPECT_EQ(h.Reload().code(), absl::StatusCode::kFailedPrecondition);
  h.Replace(std::move(*b));
  EXPECT_EQ(h.generation(), 2u);
  EXPECT_TRUE(h.Decide(Caller()).HasScope("layer:upload"));
}

TEST_F(PolicyHolderTest, ReadersSeeWholePoliciesDuringReloads) {
  // Two policies that grant different scopes to different uids; a reader
  // must always see one of them whole, never a mix.
  absl::StatusOr<std::unique_ptr<PolicyHolder>> holder =
      PolicyHolder::Load(path_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  PolicyHolder& h = **holder;
  const std::string p1 = PolicyGranting("layer:read", 1000);
  const std::string p2 = PolicyGranting("layer:upload", 2000);

  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int> decisions{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        std::shared_ptr<const Policy> p = h.Get();
        const bool a = p->Decide(Caller(1000)).allowed;
        const bool b = p->Decide(Caller(2000)).allowed;
        if (a == b) torn.fetch_add(1);
        decisions.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    Write(i % 2 == 0 ? p2 : p1);
    ASSERT_TRUE(h.Reload().ok());
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(decisions.load(), 0);
  EXPECT_EQ(h.generation(), 51u);
}

}  // namespace
}  // namespace layer_vault::policy
