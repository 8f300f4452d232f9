#include "vaultd/peer/exe_digest_cache.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace layer_vault::peer {
namespace {

class ExeDigestCacheTest : public ::testing::Test {
 protected:
  // Writes `content` to a fresh file under $TEST_TMPDIR, returns an O_RDONLY fd.
  int WriteFile(const std::string& name, const std::string& content) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    path_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
    const int w = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(w, 0);
    EXPECT_EQ(write(w, content.data(), content.size()),
              static_cast<ssize_t>(content.size()));
    close(w);
    const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    fds_.push_back(fd);
    return fd;
  }
  void TearDown() override {
    for (int fd : fds_) close(fd);
  }

  static std::string OneShotSha256Hex(const std::string& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EXPECT_EQ(EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(),
                         nullptr),
              1);
    return absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(md), len));
  }

  std::string path_;
  std::vector<int> fds_;
};

TEST_F(ExeDigestCacheTest, KnownVectors) {
  ExeDigestCache cache;
  absl::StatusOr<std::string> abc = cache.Sha256Hex(WriteFile("abc", "abc"));
  ASSERT_TRUE(abc.ok()) << abc.status();
  EXPECT_EQ(*abc,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  absl::StatusOr<std::string> empty = cache.Sha256Hex(WriteFile("empty", ""));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(ExeDigestCacheTest, StreamsAcrossChunks) {
  // 2.5 MiB with a non-repeating pattern: three pread chunks.
  std::string data;
  for (size_t i = 0; data.size() < (size_t{5} << 19); ++i) {
    absl::StrAppend(&data, i, ",");
  }
  ExeDigestCache cache;
  absl::StatusOr<std::string> got = cache.Sha256Hex(WriteFile("big", data));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, OneShotSha256Hex(data));
}

TEST_F(ExeDigestCacheTest, IgnoresAndKeepsFdOffset) {
  const int fd = WriteFile("offset", "abc");
  ASSERT_EQ(lseek(fd, 2, SEEK_SET), 2);
  ExeDigestCache cache;
  absl::StatusOr<std::string> got = cache.Sha256Hex(fd);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, OneShotSha256Hex("abc"));
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2);
}

TEST_F(ExeDigestCacheTest, SecondLookupHitsCache) {
  ExeDigestCache cache;
  const int fd = WriteFile("hit", "same bytes");
  ASSERT_TRUE(cache.Sha256Hex(fd).ok());
  ASSERT_TRUE(cache.Sha256Hex(fd).ok());
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 1u);
}

TEST_F(ExeDigestCacheTest, RewrittenFileIsHashedAgain) {
  ExeDigestCache cache;
  const int fd = WriteFile("rewrite", "version one");
  absl::StatusOr<std::string> first = cache.Sha256Hex(fd);
  ASSERT_TRUE(first.ok());
  // Same inode, same size, and the mtime set back: only ctime tells.
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  const int w = open(path_.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(w, 0);
  ASSERT_EQ(pwrite(w, "version two", 11, 0), 11);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(futimens(w, times), 0);
  close(w);
  absl::StatusOr<std::string> second = cache.Sha256Hex(fd);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, OneShotSha256Hex("version two"));
  EXPECT_NE(*first, *second);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST_F(ExeDigestCacheTest, RefusesFilesOverTheLimit) {
  ExeDigestCache::Options options;
  options.max_file_bytes = 3;
  ExeDigestCache cache(options);
  EXPECT_TRUE(cache.Sha256Hex(WriteFile("three", "abc")).ok());
  EXPECT_EQ(cache.Sha256Hex(WriteFile("four", "abcd")).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(ExeDigestCacheTest, RefusesNonRegularFiles) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  ExeDigestCache cache;
  EXPECT_EQ(cache.Sha256Hex(p[0]).status().code(),
            absl::StatusCode::kInvalidArgument);
  close(p[0]);
  close(p[1]);
  EXPECT_EQ(cache.Sha256Hex(-1).status().code(), absl::StatusCode::kInternal);
}

TEST_F(ExeDigestCacheTest, EvictsOldestEntry) {
  ExeDigestCache::Options options;
  options.max_entries = 1;
  ExeDigestCache cache(options);
  const int a = WriteFile("a", "a");
  const int b = WriteFile("b", "b");
  ASSERT_TRUE(cache.Sha256Hex(a).ok());
  ASSERT_TRUE(cache.Sha256Hex(b).ok());
  ASSERT_TRUE(cache.Sha256Hex(a).ok());  // evicted by b: a miss
  EXPECT_EQ(cache.misses(), 3u);
  EXPECT_EQ(cache.hits(), 0u);
}

TEST_F(ExeDigestCacheTest, ConcurrentCallersAgree) {
  ExeDigestCache cache;
  const int fd = WriteFile("concurrent", std::string(300000, 'x'));
  const std::string want = OneShotSha256Hex(std::string(300000, 'x'));
  std::vector<std::thread> threads;
  std::vector<std::string> got(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 20; ++j) {
        absl::StatusOr<std::string> d = cache.Sha256Hex(fd);
        got[i] = d.ok() ? *d : d.status().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& g : got) EXPECT_EQ(g, want);
  EXPECT_EQ(cache.hits() + cache.misses(), 160u);
}

}  // namespace
}  // namespace layer_vault::peer
