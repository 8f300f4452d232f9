#include "mcp_frontend/safe_files/safe_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::mcp {
namespace {

using ::testing::HasSubstr;

std::string MakeTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(base ? base : "/tmp", "/sf-XXXXXX");
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::set<std::string> List(const std::string& dir) {
  std::set<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.insert(name);
  }
  closedir(d);
  return names;
}

std::string ModeName(ResolveMode mode) {
  switch (mode) {
    case ResolveMode::kAuto:
      return "auto";
    case ResolveMode::kOpenat2:
      return "openat2";
    case ResolveMode::kWalk:
      return "walk";
  }
  return "?";
}

// --- SplitRelativePath ---------------------------------------------------

struct PathCase {
  const char* name;
  std::string path;
  bool ok;
  std::vector<std::string> components;
};

class SplitRelativePathTest : public ::testing::TestWithParam<PathCase> {};

TEST_P(SplitRelativePathTest, Table) {
  const PathCase& c = GetParam();
  auto split = SplitRelativePath(c.path);
  EXPECT_EQ(split.ok(), c.ok) << split.status();
  if (c.ok && split.ok()) {
    EXPECT_EQ(*split, c.components);
  }
  if (!split.ok()) {
    EXPECT_EQ(split.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SplitRelativePathTest,
    ::testing::Values(
        PathCase{"plain", "hero.png", true, {"hero.png"}},
        PathCase{"nested", "chars/hero/idle.png", true,
                 {"chars", "hero", "idle.png"}},
        PathCase{"dot_components_dropped", "./chars/./a.png", true,
                 {"chars", "a.png"}},
        PathCase{"unicode", "h\xc3\xa9ros/\xe2\x9c\x93.png", true,
                 {"h\xc3\xa9ros", "\xe2\x9c\x93.png"}},
        PathCase{"empty", "", false, {}},
        PathCase{"only_dot", ".", false, {}},
        PathCase{"absolute", "/etc/passwd", false, {}},
        PathCase{"parent", "../outside.png", false, {}},
        PathCase{"parent_inside", "a/../../outside.png", false, {}},
        PathCase{"parent_last", "a/..", false, {}},
        PathCase{"double_slash", "a//b.png", false, {}},
        PathCase{"trailing_slash", "a/", false, {}},
        PathCase{"nul", std::string("a\0b.png", 7), false, {}},
        PathCase{"newline", "a\nb.png", false, {}},
        PathCase{"hidden_file", ".env", false, {}},
        PathCase{"hidden_dir", "src/.git/config", false, {}},
        PathCase{"long_component", std::string(256, 'a'), false, {}},
        PathCase{"long_path", std::string(5000, 'a'), false, {}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SplitRelativePathTest, HiddenAllowedWhenAsked) {
  auto split = SplitRelativePath(".config/x", /*allow_hidden=*/true);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->front(), ".config");
  EXPECT_FALSE(SplitRelativePath("../x", true).ok());
}

TEST(UniqueNameTest, Table) {
  EXPECT_EQ(UniqueName("a.png", 0), "a.png");
  EXPECT_EQ(UniqueName("a.png", 1), "a-1.png");
  EXPECT_EQ(UniqueName("a.tar.gz", 2), "a.tar-2.gz");
  EXPECT_EQ(UniqueName("README", 3), "README-3");
  EXPECT_EQ(UniqueName(".hidden", 1), ".hidden-1");
}

// --- SafeRoot, in both resolve modes -----------------------------------

class SafeRootTest : public ::testing::TestWithParam<ResolveMode> {
 protected:
  void SetUp() override {
    base_ = MakeTempDir();
    root_path_ = base_ + "/root";
    outside_ = base_ + "/outside";
    ASSERT_EQ(mkdir(root_path_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    WriteText(outside_ + "/secret.txt", "outside secret");
    SafeRootOptions options;
    options.resolve = GetParam();
    auto root = SafeRoot::Create(root_path_, options);
    ASSERT_TRUE(root.ok());
    root_ = *std::move(root);
    if (GetParam() == ResolveMode::kOpenat2) {
      WriteText(root_path_ + "/probe", "x");
      auto probe = root_->ReadFile("probe", 10);
      if (probe.status().code() == absl::StatusCode::kUnimplemented) {
        GTEST_SKIP() << "openat2 is not available on this kernel";
      }
      unlink((root_path_ + "/probe").c_str());
    }
  }

  std::string base_, root_path_, outside_;
  std::unique_ptr<SafeRoot> root_;
};

TEST_P(SafeRootTest, ReadsFilesBeneathTheRoot) {
  ASSERT_EQ(mkdir((root_path_ + "/refs").c_str(), 0755), 0);
  WriteText(root_path_ + "/refs/pose.png", "png bytes");
  auto data = root_->ReadFile("refs/pose.png", 100);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, "png bytes");
  auto opened = root_->OpenForRead("./refs/pose.png");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->size, 9u);
  EXPECT_EQ(root_->ReadFile("refs/missing.png", 100).status().code(),
            absl::StatusCode::kNotFound);
}

struct Escape {
  const char* name;
  // Sets up the tree (root, outside) and returns the path to try.
  std::function<std::string(const std::string&, const std::string&)> plant;
};

class EscapeTest
    : public ::testing::TestWithParam<std::tuple<ResolveMode, Escape>> {
 protected:
  void SetUp() override {
    base_ = MakeTempDir();
    root_path_ = base_ + "/root";
    outside_ = base_ + "/outside";
    ASSERT_EQ(mkdir(root_path_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    WriteText(outside_ + "/secret.txt", "outside secret");
    SafeRootOptions options;
    options.resolve = std::get<0>(GetParam());
    root_ = *SafeRoot::Create(root_path_, options);
  }
  std::string base_, root_path_, outside_;
  std::unique_ptr<SafeRoot> root_;
};

TEST_P(EscapeTest, NeitherReadNorWriteLeavesTheRoot) {
  const Escape& e = std::get<1>(GetParam());
  const std::string path = e.plant(root_path_, outside_);
  auto read = root_->ReadFile(path, 1 << 20);
  if (read.status().code() == absl::StatusCode::kUnimplemented) {
    GTEST_SKIP() << "openat2 is not available";
  }
  EXPECT_FALSE(read.ok()) << "read " << path << " gave: " << *read;

  auto written = root_->WriteFile(path, "attacker bytes", /*overwrite=*/true);
  if (written.ok()) {
    // Only acceptable if the write replaced a link inside the root rather
    // than going through it.
    struct stat st;
    ASSERT_EQ(lstat(written->absolute_path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_TRUE(absl::StartsWith(written->absolute_path, root_path_ + "/"));
  }
  // Nothing outside changed.
  EXPECT_EQ(ReadText(outside_ + "/secret.txt"), "outside secret");
  EXPECT_EQ(List(outside_), std::set<std::string>{"secret.txt"});
}

std::vector<Escape> Escapes() {
  return {
      {"dotdot", [](const std::string&, const std::string&) {
         return std::string("../outside/secret.txt");
       }},
      {"absolute", [](const std::string&, const std::string& outside) {
         return outside + "/secret.txt";
       }},
      {"symlinked_dir_to_outside",
       [](const std::string& root, const std::string& outside) {
         EXPECT_EQ(symlink(outside.c_str(), (root + "/linked").c_str()), 0);
         return std::string("linked/secret.txt");
       }},
      {"symlinked_file_to_outside",
       [](const std::string& root, const std::string& outside) {
         EXPECT_EQ(symlink((outside + "/secret.txt").c_str(),
                           (root + "/secret.txt").c_str()),
                   0);
         return std::string("secret.txt");
       }},
      {"relative_symlink_up",
       [](const std::string& root, const std::string&) {
         EXPECT_EQ(symlink("../outside", (root + "/up").c_str()), 0);
         return std::string("up/secret.txt");
       }},
      {"deep_symlink",
       [](const std::string& root, const std::string& outside) {
         EXPECT_EQ(mkdir((root + "/a").c_str(), 0755), 0);
         EXPECT_EQ(mkdir((root + "/a/b").c_str(), 0755), 0);
         EXPECT_EQ(symlink(outside.c_str(), (root + "/a/b/c").c_str()), 0);
         return std::string("a/b/c/secret.txt");
       }},
      {"proc_magic_link",
       [](const std::string& root, const std::string&) {
         EXPECT_EQ(symlink("/proc/self/root", (root + "/proc").c_str()), 0);
         return std::string("proc/etc/hostname");
       }},
  };
}

INSTANTIATE_TEST_SUITE_P(
    Table, EscapeTest,
    ::testing::Combine(::testing::Values(ResolveMode::kAuto,
                                         ResolveMode::kOpenat2,
                                         ResolveMode::kWalk),
                       ::testing::ValuesIn(Escapes())),
    [](const auto& info) {
      return absl::StrCat(ModeName(std::get<0>(info.param)), "_",
                          std::get<1>(info.param).name);
    });

TEST_P(SafeRootTest, SymlinkInsideRootIsRefusedToo) {
  WriteText(root_path_ + "/real.png", "x");
  ASSERT_EQ(symlink("real.png", (root_path_ + "/alias.png").c_str()), 0);
  auto read = root_->ReadFile("alias.png", 10);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kPermissionDenied)
      << read.status();
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("symbolic link"));
}

TEST_P(SafeRootTest, WriteThroughPlantedDirectorySymlinkIsRefused) {
  ASSERT_EQ(symlink(outside_.c_str(), (root_path_ + "/out").c_str()), 0);
  auto written = root_->WriteFile("out/new.png", "bytes", false);
  EXPECT_EQ(written.status().code(), absl::StatusCode::kPermissionDenied)
      << written.status();
  EXPECT_EQ(List(outside_), std::set<std::string>{"secret.txt"});
}

TEST_P(SafeRootTest, NonRegularFilesAreRefusedWithoutBlocking) {
  ASSERT_EQ(mkfifo((root_path_ + "/pipe").c_str(), 0644), 0);
  ASSERT_EQ(mkdir((root_path_ + "/dir").c_str(), 0755), 0);
  const absl::Time start = absl::Now();
  EXPECT_EQ(root_->ReadFile("pipe", 10).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_FALSE(root_->ReadFile("dir", 10).ok());
}

TEST_P(SafeRootTest, ReadSizeCap) {
  WriteText(root_path_ + "/big.bin", std::string(101, 'b'));
  WriteText(root_path_ + "/fits.bin", std::string(100, 'b'));
  EXPECT_EQ(root_->ReadFile("big.bin", 100).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(root_->ReadFile("fits.bin", 100).ok());
}

TEST_P(SafeRootTest, WriteCreatesDirectoriesWithMode0644AndNoLeftovers) {
  const mode_t old_umask = umask(077);
  auto saved = root_->WriteFile("chars/hero/idle.png", "png", false);
  umask(old_umask);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->relative_path, "chars/hero/idle.png");
  EXPECT_EQ(saved->absolute_path, root_path_ + "/chars/hero/idle.png");
  EXPECT_EQ(saved->size, 3u);
  EXPECT_EQ(ReadText(saved->absolute_path), "png");
  struct stat st;
  ASSERT_EQ(stat(saved->absolute_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(List(root_path_ + "/chars/hero"),
            std::set<std::string>{"idle.png"});
}

TEST_P(SafeRootTest, NeverOverwritesUnlessAsked) {
  ASSERT_TRUE(root_->WriteFile("a.png", "first", false).ok());
  auto second = root_->WriteFile("a.png", "second", false);
  auto third = root_->WriteFile("a.png", "third", false);
  ASSERT_TRUE(second.ok() && third.ok());
  EXPECT_EQ(second->relative_path, "a-1.png");
  EXPECT_EQ(third->relative_path, "a-2.png");
  EXPECT_EQ(ReadText(root_path_ + "/a.png"), "first");
  auto replaced = root_->WriteFile("a.png", "fourth", /*overwrite=*/true);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->relative_path, "a.png");
  EXPECT_EQ(ReadText(root_path_ + "/a.png"), "fourth");
  EXPECT_EQ(List(root_path_),
            (std::set<std::string>{"a.png", "a-1.png", "a-2.png"}));
}

TEST_P(SafeRootTest, FileSymlinkIsReplacedNotFollowed) {
  ASSERT_EQ(symlink((outside_ + "/secret.txt").c_str(),
                    (root_path_ + "/out.txt").c_str()),
            0);
  auto unique = root_->WriteFile("out.txt", "new", /*overwrite=*/false);
  ASSERT_TRUE(unique.ok()) << unique.status();
  EXPECT_EQ(unique->relative_path, "out-1.txt");
  auto replaced = root_->WriteFile("out.txt", "new", /*overwrite=*/true);
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  struct stat st;
  ASSERT_EQ(lstat((root_path_ + "/out.txt").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(ReadText(outside_ + "/secret.txt"), "outside secret");
}

TEST_P(SafeRootTest, AbandonedFileLeavesNothing) {
  {
    auto pending = root_->CreateFile("sub/x.png");
    ASSERT_TRUE(pending.ok());
    ASSERT_TRUE((*pending)->Write("partial").ok());
    EXPECT_EQ(List(root_path_ + "/sub").size(), 1u);  // the temp file
  }
  EXPECT_TRUE(List(root_path_ + "/sub").empty());
}

TEST_P(SafeRootTest, ConcurrentWritersGetDistinctNames) {
  constexpr int kWriters = 8;
  std::vector<std::thread> threads;
  std::vector<std::string> names(kWriters);
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      auto saved = root_->WriteFile("out/same.png", absl::StrCat("w", i), false);
      ASSERT_TRUE(saved.ok()) << saved.status();
      names[i] = saved->relative_path;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(),
            static_cast<size_t>(kWriters));
  EXPECT_EQ(List(root_path_ + "/out").size(), static_cast<size_t>(kWriters));
}

TEST_P(SafeRootTest, HiddenTargetsAreRefused) {
  EXPECT_EQ(root_->WriteFile(".git/hooks/pre-commit", "x", true).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(root_->ReadFile(".env", 10).status().code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Modes, SafeRootTest,
                         ::testing::Values(ResolveMode::kAuto,
                                           ResolveMode::kOpenat2,
                                           ResolveMode::kWalk),
                         [](const auto& info) { return ModeName(info.param); });

TEST(SafeRootCreateTest, RootIsCreatedOnlyWhenAskedAndOnlyOnWrite) {
  const std::string base = MakeTempDir();
  auto plain = SafeRoot::Create(base + "/missing");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->WriteFile("a.png", "x", false).status().code(),
            absl::StatusCode::kNotFound);

  SafeRootOptions options;
  options.create_root = true;
  auto creating = SafeRoot::Create(base + "/new/assets", options);
  ASSERT_TRUE(creating.ok());
  EXPECT_EQ((*creating)->ReadFile("a.png", 10).status().code(),
            absl::StatusCode::kNotFound);
  struct stat st;
  EXPECT_NE(stat((base + "/new").c_str(), &st), 0);  // reads create nothing
  auto saved = (*creating)->WriteFile("a.png", "x", false);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->absolute_path, base + "/new/assets/a.png");
}

TEST(SafeRootCreateTest, RelativeRootIsMadeAbsolute) {
  auto root = SafeRoot::Create("./assets/./x");
  ASSERT_TRUE(root.ok());
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  EXPECT_EQ((*root)->path(), std::string(cwd) + "/assets/x");
  EXPECT_FALSE(SafeRoot::Create("").ok());
}

}  // namespace
}  // namespace layer_vault::mcp
