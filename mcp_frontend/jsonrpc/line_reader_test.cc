#include "mcp_frontend/jsonrpc/line_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace layer_vault::mcp {
namespace {

using Kind = LineReader::Line::Kind;

// A pipe whose write end is fed by a thread, piece by piece with pauses, so
// the reader sees lines split across reads.
class Feeder {
 public:
  explicit Feeder(std::vector<std::string> pieces,
                  absl::Duration pause = absl::ZeroDuration()) {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    read_fd_ = fds[0];
    const int write_fd = fds[1];
    thread_ = std::thread([write_fd, pieces = std::move(pieces), pause] {
      for (const std::string& piece : pieces) {
        size_t done = 0;
        while (done < piece.size()) {
          ssize_t n = write(write_fd, piece.data() + done, piece.size() - done);
          if (n <= 0) break;
          done += static_cast<size_t>(n);
        }
        if (pause > absl::ZeroDuration()) absl::SleepFor(pause);
      }
      close(write_fd);
    });
  }
  ~Feeder() {
    thread_.join();
    close(read_fd_);
  }
  int fd() const { return read_fd_; }

 private:
  int read_fd_ = -1;
  std::thread thread_;
};

struct Item {
  Kind kind;
  std::string text;
  size_t discarded;
};

std::vector<Item> ReadAll(int fd, size_t max) {
  LineReader reader(fd, max);
  std::vector<Item> items;
  while (true) {
    LineReader::Line line = reader.Next();
    items.push_back({line.kind, line.text, line.discarded});
    if (line.kind == Kind::kEof || line.kind == Kind::kError) break;
  }
  return items;
}

TEST(LineReaderTest, SplitsLinesInOneRead) {
  Feeder feeder({"one\ntwo\n\nthree\n"});
  auto items = ReadAll(feeder.fd(), 100);
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].text, "one");
  EXPECT_EQ(items[1].text, "two");
  EXPECT_EQ(items[2].kind, Kind::kLine);
  EXPECT_EQ(items[2].text, "");
  EXPECT_EQ(items[3].text, "three");
  EXPECT_EQ(items[4].kind, Kind::kEof);
}

TEST(LineReaderTest, AssemblesPartialLines) {
  Feeder feeder({"{\"a\"", ":1", "}\n{\"b", "\":2}\n"}, absl::Milliseconds(20));
  auto items = ReadAll(feeder.fd(), 100);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].text, "{\"a\":1}");
  EXPECT_EQ(items[1].text, "{\"b\":2}");
}

TEST(LineReaderTest, StripsCrlfButKeepsInnerCr) {
  Feeder feeder({"a\r\nb\rc\r\n", "\r\n"});
  auto items = ReadAll(feeder.fd(), 100);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].text, "a");
  EXPECT_EQ(items[1].text, "b\rc");
  EXPECT_EQ(items[2].text, "");
}

TEST(LineReaderTest, FinalLineWithoutNewline) {
  Feeder feeder({"first\nlast"});
  auto items = ReadAll(feeder.fd(), 100);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[1].kind, Kind::kLine);
  EXPECT_EQ(items[1].text, "last");
  EXPECT_EQ(items[2].kind, Kind::kEof);
}

TEST(LineReaderTest, CapIsInclusive) {
  Feeder feeder({std::string(16, 'x') + "\n" + std::string(17, 'y') + "\nok\n"});
  auto items = ReadAll(feeder.fd(), 16);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].kind, Kind::kLine);
  EXPECT_EQ(items[0].text.size(), 16u);
  EXPECT_EQ(items[1].kind, Kind::kOversize);
  EXPECT_EQ(items[1].discarded, 17u);
  EXPECT_EQ(items[2].text, "ok");
}

TEST(LineReaderTest, OversizeAcrossManyReadsIsDiscardedAndStreamResyncs) {
  // 1 MiB line with a 1000-byte cap, written in pieces: never buffered, the
  // next line is intact.
  std::vector<std::string> pieces = {"before\n"};
  for (int i = 0; i < 16; ++i) pieces.push_back(std::string(64 * 1024, 'z'));
  pieces.push_back("\nafter\n");
  Feeder feeder(pieces);
  auto items = ReadAll(feeder.fd(), 1000);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].text, "before");
  EXPECT_EQ(items[1].kind, Kind::kOversize);
  EXPECT_EQ(items[1].discarded, 16u * 64 * 1024);
  EXPECT_EQ(items[2].kind, Kind::kLine);
  EXPECT_EQ(items[2].text, "after");
  EXPECT_EQ(items[3].kind, Kind::kEof);
}

TEST(LineReaderTest, OversizeAtEndOfFile) {
  Feeder feeder({"ok\n", std::string(5000, 'q')});
  auto items = ReadAll(feeder.fd(), 100);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[1].kind, Kind::kOversize);
  EXPECT_EQ(items[1].discarded, 5000u);
  EXPECT_EQ(items[2].kind, Kind::kEof);
}

TEST(LineReaderTest, EofIsSticky) {
  Feeder feeder({""});
  LineReader reader(feeder.fd(), 10);
  EXPECT_EQ(reader.Next().kind, Kind::kEof);
  EXPECT_EQ(reader.Next().kind, Kind::kEof);
}

TEST(LineReaderTest, ReadErrorIsReported) {
  LineReader reader(-1, 10);
  LineReader::Line line = reader.Next();
  EXPECT_EQ(line.kind, Kind::kError);
  EXPECT_FALSE(line.error.ok());
}

}  // namespace
}  // namespace layer_vault::mcp
