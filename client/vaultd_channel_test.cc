#include "client/vaultd_channel.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/vault.grpc.pb.h"

namespace layer_vault::client {
namespace {

namespace v1 = layer::vault::v1;
using ::testing::HasSubstr;

// A stand-in for vaultd's Workload service whose Ping answers `answer`.
class FakeWorkload final : public v1::Workload::Service {
 public:
  explicit FakeWorkload(grpc::Status answer) : answer_(std::move(answer)) {}
  grpc::Status Ping(grpc::ServerContext*, const v1::PingRequest*,
                    v1::PingResponse*) override {
    ++calls;
    return answer_;
  }
  std::atomic<int> calls{0};

 private:
  const grpc::Status answer_;
};

class VaultdChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lvchXXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/workload.sock";
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }

  void StartServer(FakeWorkload* service) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + path_,
                             grpc::InsecureServerCredentials());
    builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }

  std::unique_ptr<VaultdChannel> MakeChannel(int max_attempts) {
    VaultdChannel::Options options;
    options.socket_path = path_;
    options.permission_hint = "test hint";
    options.connect_timeout = absl::Milliseconds(300);
    options.retry.max_attempts = max_attempts;
    options.retry.sleeper = [this](absl::Duration) {
      ++sleeps_;
      if (on_sleep_) on_sleep_();
    };
    auto channel = VaultdChannel::Create(options);
    EXPECT_TRUE(channel.ok()) << channel.status();
    return channel.ok() ? *std::move(channel) : nullptr;
  }

  static VaultdChannel::Rpc PingRpc() {
    return [](const std::shared_ptr<grpc::Channel>& ch) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
      v1::PingRequest req;
      v1::PingResponse resp;
      return v1::Workload::NewStub(ch)->Ping(&ctx, req, &resp);
    };
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<grpc::Server> server_;
  int sleeps_ = 0;
  std::function<void()> on_sleep_;
};

TEST_F(VaultdChannelTest, CreateRejectsBadSocketPaths) {
  VaultdChannel::Options options;
  options.socket_path = "relative/workload.sock";
  EXPECT_EQ(VaultdChannel::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.socket_path = "/" + std::string(120, 'x');
  EXPECT_EQ(VaultdChannel::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.socket_path = "";
  EXPECT_EQ(VaultdChannel::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(VaultdChannelTest, MissingSocketIsNotRunningAndRetried) {
  auto channel = MakeChannel(3);
  absl::Status s = channel->Run(RetryRule::kOnlyIfNotSent, PingRpc());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("vaultd is not running at " + path_));
  // Nothing was sent, so even the non-idempotent rule retries.
  EXPECT_EQ(sleeps_, 2);
}

TEST_F(VaultdChannelTest, StaleSocketIsNotRunning) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);  // The file stays; nobody listens.
  absl::Status s = ConnectionError(path_, "hint", absl::Seconds(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("vaultd is not running at " + path_));
  EXPECT_THAT(std::string(s.message()), HasSubstr("nothing listens"));
}

TEST_F(VaultdChannelTest, SilentListenerDidNotAnswer) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);  // Accepted by the kernel, never answered.
  auto channel = MakeChannel(2);
  absl::Status s = channel->Run(RetryRule::kIdempotent, PingRpc());
  close(fd);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("did not answer within"));
  EXPECT_EQ(sleeps_, 1);
}

TEST_F(VaultdChannelTest, IdempotentUnavailableAnswerIsRetried) {
  FakeWorkload service(grpc::Status(grpc::StatusCode::UNAVAILABLE, "busy"));
  StartServer(&service);
  auto channel = MakeChannel(3);
  absl::Status s = channel->Run(RetryRule::kIdempotent, PingRpc());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "busy");
  EXPECT_EQ(service.calls.load(), 3);
  EXPECT_EQ(sleeps_, 2);
}

TEST_F(VaultdChannelTest, UnavailableAnswerAfterSendingIsNotRetried) {
  FakeWorkload service(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "Layer.ai unreachable"));
  StartServer(&service);
  auto channel = MakeChannel(3);
  absl::Status s = channel->Run(RetryRule::kOnlyIfNotSent, PingRpc());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "Layer.ai unreachable");
  EXPECT_EQ(service.calls.load(), 1);
  EXPECT_EQ(sleeps_, 0);
}

TEST_F(VaultdChannelTest, PermissionDeniedIsPrefixedAndNotRetried) {
  FakeWorkload service(
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "not in the policy"));
  StartServer(&service);
  auto channel = MakeChannel(3);
  absl::Status s = channel->Run(RetryRule::kIdempotent, PingRpc());
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "vaultd refused this process: not in the policy");
  EXPECT_EQ(service.calls.load(), 1);
}

TEST_F(VaultdChannelTest, ReachesAServerThatStartsBetweenAttempts) {
  FakeWorkload service(grpc::Status::OK);
  on_sleep_ = [&] {
    if (server_ == nullptr) StartServer(&service);
  };
  auto channel = MakeChannel(3);
  absl::Status s = channel->Run(RetryRule::kOnlyIfNotSent, PingRpc());
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(sleeps_, 1);
  EXPECT_EQ(service.calls.load(), 1);
}

TEST(FromGrpcStatusTest, MapsEveryCodeOneToOneAndKeepsTheMessage) {
  for (int c = 1; c <= 16; ++c) {
    auto code = static_cast<grpc::StatusCode>(c);
    absl::Status s = FromGrpcStatus(grpc::Status(code, "[vault:X] why"));
    EXPECT_EQ(static_cast<int>(s.code()), c);
    if (code == grpc::StatusCode::PERMISSION_DENIED) {
      EXPECT_EQ(s.message(), "vaultd refused this process: [vault:X] why");
    } else {
      EXPECT_EQ(s.message(), "[vault:X] why");
    }
  }
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(FromGrpcStatusTest, RedactsCredentialShapedText) {
  absl::Status s = FromGrpcStatus(grpc::Status(
      grpc::StatusCode::INTERNAL, "oops pat_TESTONLYabcdefghijklmnop leaked"));
  EXPECT_FALSE(absl::StrContains(s.message(), "pat_TESTONLY"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("[REDACTED]"));
}

}  // namespace
}  // namespace layer_vault::client
