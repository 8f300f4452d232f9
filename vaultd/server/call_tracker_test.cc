#include "vaultd/server/call_tracker.h"

#include <grpcpp/grpcpp.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "proto/vault.grpc.pb.h"

namespace layer_vault::server {
namespace {

namespace v1 = layer::vault::v1;

// Ping blocks until the test releases it, so a call can be held in flight.
class HeldWorkload final : public v1::Workload::Service {
 public:
  grpc::Status Ping(grpc::ServerContext*, const v1::PingRequest*,
                    v1::PingResponse*) override {
    entered.Notify();
    release.WaitForNotification();
    return grpc::Status::OK;
  }
  absl::Notification entered;
  absl::Notification release;
};

class CallTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lvctXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + dir_ + "/s.sock",
                             grpc::InsecureServerCredentials());
    builder.RegisterService(&service_);
    std::vector<std::unique_ptr<
        grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(tracker_.NewInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::Workload::NewStub(grpc::CreateChannel(
        "unix:" + dir_ + "/s.sock", grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (!service_.release.HasBeenNotified()) service_.release.Notify();
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
    std::filesystem::remove_all(dir_);
  }

  grpc::Status CallPing() {
    grpc::ClientContext ctx;
    v1::PingResponse resp;
    return stub_->Ping(&ctx, v1::PingRequest(), &resp);
  }

  std::string dir_;
  HeldWorkload service_;
  CallTracker tracker_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Workload::Stub> stub_;
};

TEST_F(CallTrackerTest, CountsACallFromStartUntilItsStatusIsSent) {
  EXPECT_EQ(tracker_.in_flight(), 0);
  EXPECT_TRUE(tracker_.WaitUntilIdle(absl::Now()));

  grpc::Status result;
  std::thread caller([&] { result = CallPing(); });
  service_.entered.WaitForNotification();
  EXPECT_EQ(tracker_.in_flight(), 1);
  // Not idle while the call is held; the wait gives up at its deadline.
  EXPECT_FALSE(tracker_.WaitUntilIdle(absl::Now() + absl::Milliseconds(20)));

  service_.release.Notify();
  caller.join();
  EXPECT_TRUE(result.ok()) << result.error_message();
  // The interceptor is destroyed once the call is done, possibly just after
  // the client saw the answer.
  EXPECT_TRUE(tracker_.WaitUntilIdle(absl::Now() + absl::Seconds(30)));
  EXPECT_EQ(tracker_.in_flight(), 0);
}

TEST_F(CallTrackerTest, AnIdleConnectionIsNotACallInFlight) {
  service_.release.Notify();
  ASSERT_TRUE(CallPing().ok());  // The channel stays connected afterwards.
  EXPECT_TRUE(tracker_.WaitUntilIdle(absl::Now() + absl::Seconds(30)));
  EXPECT_EQ(tracker_.in_flight(), 0);
}

}  // namespace
}  // namespace layer_vault::server
