#include "mcp_frontend/jsonrpc/writer.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace layer_vault::mcp {
namespace {

class PipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    read_fd_ = fds[0];
    write_fd_ = fds[1];
  }
  void TearDown() override {
    if (read_fd_ >= 0) close(read_fd_);
    if (write_fd_ >= 0) close(write_fd_);
  }
  // Closes the write end and returns everything written.
  std::string Drain() {
    close(write_fd_);
    write_fd_ = -1;
    std::string all;
    char buf[65536];
    ssize_t n;
    while ((n = read(read_fd_, buf, sizeof(buf))) > 0) all.append(buf, n);
    return all;
  }
  int read_fd_ = -1;
  int write_fd_ = -1;
};

TEST_F(PipeTest, OneMessagePerLine) {
  MessageWriter writer(write_fd_);
  ASSERT_TRUE(writer.Write({{"jsonrpc", "2.0"}, {"id", 1}, {"result", {}}}).ok());
  ASSERT_TRUE(writer.Write({{"jsonrpc", "2.0"}, {"method", "m"}}).ok());
  EXPECT_EQ(Drain(),
            "{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":null}\n"
            "{\"jsonrpc\":\"2.0\",\"method\":\"m\"}\n");
}

TEST_F(PipeTest, RedactsCredentialsInValuesAndKeys) {
  MessageWriter writer(write_fd_);
  nlohmann::json message = {
      {"jsonrpc", "2.0"},
      {"id", 1},
      {"result",
       {{"text", "token pat_abcdefghijklmnop leaked"},
        {"pat_KEYKEYKEYKEY", 1},
        {"auth", "Bearer v4.public.eyJzdWIiOiIxMDAwIn0.c2ln"},
        {"nested", {{"list", {"v4.public.AAAAAAAA"}}}}}}};
  ASSERT_TRUE(writer.Write(message).ok());
  const std::string out = Drain();
  EXPECT_EQ(out.find("pat_"), std::string::npos) << out;
  EXPECT_EQ(out.find("v4.public"), std::string::npos) << out;
  EXPECT_NE(out.find("[REDACTED]"), std::string::npos);
  EXPECT_NO_THROW(nlohmann::json::parse(out));
}

TEST_F(PipeTest, InvalidUtf8IsReplacedNotThrown) {
  MessageWriter writer(write_fd_);
  ASSERT_TRUE(writer
                  .Write({{"jsonrpc", "2.0"},
                          {"method", "m"},
                          {"params", {{"s", std::string("a\xff\xfe" "b")}}}})
                  .ok());
  const std::string out = Drain();
  nlohmann::json parsed = nlohmann::json::parse(out);
  EXPECT_EQ(parsed["params"]["s"], "a\xef\xbf\xbd\xef\xbf\xbd" "b");
}

TEST_F(PipeTest, ConcurrentWritersNeverInterleave) {
  MessageWriter writer(write_fd_);
  // The reader runs concurrently: the pipe buffer is smaller than the output.
  std::string all;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = read(read_fd_, buf, sizeof(buf))) > 0) all.append(buf, n);
  });
  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&writer, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Big enough that one write(2) may be split.
        EXPECT_TRUE(writer
                        .Write({{"jsonrpc", "2.0"},
                                {"method", "m"},
                                {"params",
                                 {{"t", t},
                                  {"i", i},
                                  {"pad", std::string(5000, 'a' + t)}}}})
                        .ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  close(write_fd_);
  write_fd_ = -1;
  reader.join();
  std::vector<std::string> lines = absl::StrSplit(all, '\n');
  ASSERT_EQ(lines.back(), "");
  lines.pop_back();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kPerThread));
  std::vector<int> next(kThreads, 0);
  for (const std::string& line : lines) {
    nlohmann::json m = nlohmann::json::parse(line);
    const int t = m["params"]["t"];
    EXPECT_EQ(m["params"]["i"], next[t]++);  // per-thread order kept
    EXPECT_EQ(m["params"]["pad"], std::string(5000, 'a' + t));
  }
}

TEST_F(PipeTest, BrokenPipeFailsAndStaysFailed) {
  MessageWriter writer(write_fd_);
  close(read_fd_);
  read_fd_ = -1;
  absl::Status first = writer.Write({{"jsonrpc", "2.0"}, {"method", "m"}});
  EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(writer.Write({{"jsonrpc", "2.0"}, {"method", "m"}}).code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace layer_vault::mcp
