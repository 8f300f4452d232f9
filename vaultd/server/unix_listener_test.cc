#include "vaultd/server/unix_listener.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/server_posix.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "proto/vault.grpc.pb.h"

namespace layer_vault::server {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/lvXXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class EchoWorkload final : public layer::vault::v1::Workload::Service {
 public:
  grpc::Status Ping(grpc::ServerContext* ctx,
                    const layer::vault::v1::PingRequest* req,
                    layer::vault::v1::PingResponse* resp) override {
    last_peer = ctx->peer();
    resp->set_payload(req->payload());
    return grpc::Status::OK;
  }
  std::string last_peer;
};

TEST(BindUnixSocketTest, SetsModeAndRemovesOnlyStaleSockets) {
  TempDir dir;
  std::string path = dir.path() + "/s.sock";
  auto fd = BindUnixSocket({path, 0660, std::nullopt, 0700});
  ASSERT_TRUE(fd.ok()) << fd.status();
  struct stat st;
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  close(*fd);
  // A stale socket from an earlier run is replaced.
  auto again = BindUnixSocket({path, 0600, std::nullopt, 0700});
  ASSERT_TRUE(again.ok()) << again.status();
  close(*again);
  // A regular file in the way is never removed.
  std::string file = dir.path() + "/f";
  FILE* f = fopen(file.c_str(), "w");
  fclose(f);
  auto refused = BindUnixSocket({file, 0600, std::nullopt, 0700});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(std::filesystem::exists(file));
}

TEST(BindUnixSocketTest, RefusesLongPathsAndLooseDirectories) {
  EXPECT_EQ(BindUnixSocket({std::string(200, 'a'), 0600, std::nullopt, 0700})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  TempDir dir;
  chmod(dir.path().c_str(), 0777);
  auto s = BindUnixSocket({dir.path() + "/s.sock", 0600, std::nullopt, 0700});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("chmod 0700"), std::string::npos)
      << s.status();
}

TEST(AcceptLoopTest, HandsConnectionsToGrpc) {
  TempDir dir;
  std::string path = dir.path() + "/w.sock";
  auto listen_fd = BindUnixSocket({path, 0600, std::nullopt, 0700});
  ASSERT_TRUE(listen_fd.ok()) << listen_fd.status();

  EchoWorkload service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  std::atomic<int> accepted{0};
  auto loop = AcceptLoop::Start({{*listen_fd, [&](int fd) {
                                    ++accepted;
                                    grpc::AddInsecureChannelFromFd(server.get(),
                                                                   fd);
                                  }}});
  ASSERT_TRUE(loop.ok()) << loop.status();

  auto channel =
      grpc::CreateChannel("unix:" + path, grpc::InsecureChannelCredentials());
  auto stub = layer::vault::v1::Workload::NewStub(channel);
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext ctx;
    layer::vault::v1::PingRequest req;
    req.set_payload("hello");
    layer::vault::v1::PingResponse resp;
    grpc::Status st = stub->Ping(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.payload(), "hello");
  }
  EXPECT_EQ(accepted.load(), 1);  // One connection, reused.
  EXPECT_EQ(service.last_peer.rfind("fd:", 0), 0u) << service.last_peer;

  (*loop)->Stop();
  server->Shutdown();
  close(*listen_fd);
}

}  // namespace
}  // namespace layer_vault::server
