// Hostile paths on the real mcp_frontend binary: upload_file's source path
// (input root) and the output_dir/file_name of the run tools (asset root).
// Rows need no upstream: vaultd's socket does not exist, and every check on
// a path happens before the first call to vaultd. That gives an oracle: an
// upload whose file was opened and sniffed goes on to vaultd and fails with
// "vaultd" in its message; outside/x.png holds JPEG bytes under a PNG name,
// so "image/jpeg" in any answer means a file outside the root was read.
// After each row: ping and tools/list still answer, nothing changed on disk.
// SafeRoot's own tables are mcp_frontend/safe_files/safe_files_test.cc.

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/hostile/frontend_process.h"
#include "tests/hostile/frontend_sandbox.h"

namespace layer_vault::tests::hostile {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

// What a file that was opened and sniffed as PNG runs into next.
constexpr char kReachedVaultd[] = "vaultd";
// Proof that outside/x.png (JPEG bytes) was read.
constexpr char kReadOutside[] = "image/jpeg";
// Proof that a GIF planted inside the root was read.
constexpr char kReadInside[] = "image/gif";

struct PathRow {
  const char* name;
  const char* tool;
  // Plants what the row needs and returns the tool's arguments; nullopt
  // skips the row (e.g. mknod is not permitted here).
  std::function<std::optional<json>(const FrontendSandbox&)> plant;
  const char* mentions;
};

json Upload(const std::string& path) { return {{"path", path}}; }
json Upload(const char* path) { return {{"path", std::string(path)}}; }

// get_run with a syntactically valid run id: output checks come first.
json GetRun(json extra) {
  json args = {{"inference_id", "10000000-0000-4000-8000-000000000001"},
               {"wait", false},
               {"download", true}};
  for (auto& [key, value] : extra.items()) args[key] = value;
  return args;
}

std::optional<json> Fixed(json args) { return args; }

std::vector<PathRow> Rows() {
  using S = const FrontendSandbox&;
  return {
      // --- the oracle itself: a good file reaches vaultd ---
      {"control_good_file_reaches_vaultd", "upload_file",
       [](S s) {
         WriteFileOrFail(s.inputs() + "/ok.png", PngBytes());
         return Fixed(Upload("ok.png"));
       },
       kReachedVaultd},
      // --- input root: lexical escapes ---
      {"upload_dotdot", "upload_file", [](S) { return Fixed(Upload("../outside/x.png")); },
       "\"..\" is not allowed"},
      {"upload_dotdot_after_dir", "upload_file",
       [](S s) {
         MakeDirOrFail(s.inputs() + "/a");
         return Fixed(Upload("a/../../outside/x.png"));
       },
       "is not allowed"},
      {"upload_absolute_outside", "upload_file",
       [](S s) { return Fixed(Upload(s.outside() + "/x.png")); },
       "absolute paths are not allowed"},
      {"upload_absolute_inside", "upload_file",
       [](S s) {
         WriteFileOrFail(s.inputs() + "/ok.png", PngBytes());
         return Fixed(Upload(s.inputs() + "/ok.png"));
       },
       "absolute paths are not allowed"},
      {"upload_backslashes_are_names", "upload_file",
       [](S) { return Fixed(Upload("sub\\..\\..\\outside\\x.png")); }, "no such file"},
      {"upload_fullwidth_dots_are_names", "upload_file",
       [](S) { return Fixed(Upload("\xef\xbc\x8e\xef\xbc\x8e/outside/x.png")); },
       "no such file"},
      {"upload_division_slash_is_a_name", "upload_file",
       [](S) { return Fixed(Upload("sub\xe2\x88\x95..\xe2\x88\x95outside\xe2\x88\x95x.png")); },
       "no such file"},
      // --- input root: symlinks ---
      {"upload_dir_symlink_to_outside", "upload_file",
       [](S s) {
         SymlinkOrFail(s.outside(), s.inputs() + "/link");
         return Fixed(Upload("link/x.png"));
       },
       "symbolic link"},
      {"upload_relative_symlink_up", "upload_file",
       [](S s) {
         SymlinkOrFail("../outside", s.inputs() + "/up");
         return Fixed(Upload("up/x.png"));
       },
       "symbolic link"},
      {"upload_file_symlink_to_outside", "upload_file",
       [](S s) {
         SymlinkOrFail(s.outside() + "/x.png", s.inputs() + "/x.png");
         return Fixed(Upload("x.png"));
       },
       "symbolic link"},
      {"upload_symlink_within_root", "upload_file",
       [](S s) {
         WriteFileOrFail(s.inputs() + "/ok.png", PngBytes());
         SymlinkOrFail("ok.png", s.inputs() + "/alias.png");
         return Fixed(Upload("alias.png"));
       },
       "symbolic link"},
      {"upload_deep_symlink", "upload_file",
       [](S s) {
         MakeDirOrFail(s.inputs() + "/a");
         MakeDirOrFail(s.inputs() + "/a/b");
         SymlinkOrFail("../../../outside", s.inputs() + "/a/b/c");
         return Fixed(Upload("a/b/c/x.png"));
       },
       "symbolic link"},
      {"upload_proc_magic_link", "upload_file",
       [](S s) {
         SymlinkOrFail("/proc/self/cwd", s.inputs() + "/p");
         return Fixed(Upload("p/tree/outside/x.png"));
       },
       "symbolic link"},
      {"upload_dev_via_symlink", "upload_file",
       [](S s) {
         SymlinkOrFail("/dev", s.inputs() + "/dev");
         return Fixed(json{{"path", "dev/zero"}, {"content_type", "image/png"}});
       },
       "symbolic link"},
      // --- input root: bad names ---
      {"upload_nul_in_name", "upload_file",
       [](S) { return Fixed(Upload(std::string("ok.png") + '\0' + "../../outside/x.png")); },
       "NUL or control character"},
      {"upload_lf_in_name", "upload_file", [](S) { return Fixed(Upload("a\nb.png")); },
       "NUL or control character"},
      {"upload_crlf_in_name", "upload_file",
       [](S) { return Fixed(Upload("a\r\n../outside/x.png")); },
       "NUL or control character"},
      {"upload_del_in_name", "upload_file", [](S) { return Fixed(Upload("a\x7f.png")); },
       "NUL or control character"},
      {"upload_component_over_255", "upload_file",
       [](S) { return Fixed(Upload(std::string(300, 'a') + ".png")); },
       "longer than 255 bytes"},
      {"upload_path_over_4096", "upload_file",
       [](S) {
         std::string path;
         for (int i = 0; i < 30; ++i) path += std::string(150, 'd') + "/";
         return Fixed(Upload(path + "x.png"));
       },
       "Invalid arguments"},
      {"upload_many_components_not_found", "upload_file",
       [](S) {
         std::string path;
         for (int i = 0; i < 2000; ++i) path += "d/";
         return Fixed(Upload(path + "x.png"));
       },
       "no such file"},
      {"upload_hidden_name", "upload_file",
       [](S s) {
         WriteFileOrFail(s.inputs() + "/.env.png", PngBytes());
         return Fixed(Upload(".env.png"));
       },
       "hidden names"},
      {"upload_empty_component", "upload_file", [](S) { return Fixed(Upload("a//x.png")); },
       "empty component"},
      {"upload_trailing_slash", "upload_file", [](S) { return Fixed(Upload("x.png/")); },
       "empty component"},
      {"upload_dot_only", "upload_file", [](S) { return Fixed(Upload("./.")); },
       "names no file"},
      {"upload_empty", "upload_file", [](S) { return Fixed(Upload("")); },
       "Invalid arguments"},
      // --- input root: not regular files (must not block) ---
      {"upload_fifo", "upload_file",
       [](S s) {
         EXPECT_EQ(mkfifo((s.inputs() + "/pipe.png").c_str(), 0644), 0);
         return Fixed(Upload("pipe.png"));
       },
       "not a regular file"},
      {"upload_directory", "upload_file",
       [](S s) {
         MakeDirOrFail(s.inputs() + "/dir.png");
         return Fixed(Upload("dir.png"));
       },
       "not a regular file"},
      {"upload_char_device", "upload_file",
       [](S s) -> std::optional<json> {
         if (mknod((s.inputs() + "/zero.png").c_str(), S_IFCHR | 0644,
                   makedev(1, 5)) != 0) {
           return std::nullopt;
         }
         return Upload("zero.png");
       },
       "not a regular file"},
      {"upload_unix_socket", "upload_file",
       [](S s) -> std::optional<json> {
         const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
         sockaddr_un addr = {};
         addr.sun_family = AF_UNIX;
         const std::string path = s.inputs() + "/sock.png";
         if (fd < 0 || path.size() >= sizeof(addr.sun_path)) return std::nullopt;
         path.copy(addr.sun_path, path.size());
         const bool bound =
             bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
         close(fd);  // the socket file stays
         if (!bound) return std::nullopt;
         return Upload("sock.png");
       },
       "cannot open"},
      {"upload_empty_file", "upload_file",
       [](S s) {
         WriteFileOrFail(s.inputs() + "/empty.png", "");
         return Fixed(Upload("empty.png"));
       },
       "is empty"},
      // --- asset root: output_dir and file_name ---
      {"output_dir_dotdot", "get_run",
       [](S) { return Fixed(GetRun({{"output_dir", "../outside"}})); },
       "output_dir: \"..\" is not allowed"},
      {"output_dir_absolute", "get_run",
       [](S s) { return Fixed(GetRun({{"output_dir", s.outside()}})); },
       "output_dir: absolute paths are not allowed"},
      {"output_dir_nul", "get_run",
       [](S) { return Fixed(GetRun({{"output_dir", std::string("a") + '\0' + "/../.."}})); },
       "output_dir: path contains a NUL"},
      {"output_dir_lf", "get_run",
       [](S) { return Fixed(GetRun({{"output_dir", "a\nb"}})); },
       "output_dir: path contains a NUL or control character"},
      {"output_dir_hidden", "get_run",
       [](S) { return Fixed(GetRun({{"output_dir", ".git/hooks"}})); },
       "output_dir: hidden names"},
      {"output_dir_over_1024", "get_run",
       [](S) { return Fixed(GetRun({{"output_dir", std::string(1100, 'o')}})); },
       "Invalid arguments"},
      {"output_dir_component_over_255", "get_run",
       [](S) { return Fixed(GetRun({{"output_dir", std::string(300, 'o')}})); },
       "longer than 255 bytes"},
      {"file_name_dotdot", "get_run",
       [](S) { return Fixed(GetRun({{"file_name", "../outside/x"}})); },
       "Invalid arguments"},
      {"file_name_slash", "get_run",
       [](S) { return Fixed(GetRun({{"file_name", "a/b"}})); }, "Invalid arguments"},
      {"file_name_nul", "get_run",
       [](S) { return Fixed(GetRun({{"file_name", std::string("a") + '\0' + "b"}})); },
       "Invalid arguments"},
      {"file_name_hidden", "get_run",
       [](S) { return Fixed(GetRun({{"file_name", ".bashrc"}})); }, "Invalid arguments"},
      {"file_name_over_64", "get_run",
       [](S) { return Fixed(GetRun({{"file_name", std::string(65, 'f')}})); },
       "Invalid arguments"},
      {"run_id_traversal", "get_run",
       [](S) {
         json args = GetRun(json::object());
         args["inference_id"] = "../../etc/passwd";
         return Fixed(args);
       },
       "Invalid arguments"},
  };
}

class PathsTest : public FrontendSandboxTest,
                  public ::testing::WithParamInterface<PathRow> {};

TEST_P(PathsTest, IsRefusedCleanly) {
  const PathRow& row = GetParam();
  SCOPED_TRACE(row.name);
  std::optional<json> arguments = row.plant(*sandbox_);
  if (!arguments.has_value()) GTEST_SKIP() << "cannot plant " << row.name;
  const Snapshot before = TakeSnapshot(sandbox_->tree());
  std::unique_ptr<FrontendProcess> frontend = StartFrontend();
  ASSERT_NE(frontend, nullptr);

  const absl::Time start = absl::Now();
  const ToolOutcome outcome = CallTool(*frontend, row.tool, *arguments);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << "must not hang";
  EXPECT_TRUE(outcome.is_error) << outcome.text;
  EXPECT_THAT(outcome.text, HasSubstr(row.mentions));
  EXPECT_THAT(outcome.text, Not(HasSubstr(kReadOutside)));
  if (!absl::StartsWith(row.name, "control_")) {
    EXPECT_THAT(outcome.text, Not(HasSubstr(kReachedVaultd)))
        << "the path was opened";
  }
  ExpectStillServing(*frontend);
  auto exit_code = frontend->CloseAndWait(nullptr);
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
  EXPECT_EQ(SnapshotDiff(before, TakeSnapshot(sandbox_->tree())), "");
}

INSTANTIATE_TEST_SUITE_P(Rows, PathsTest, ::testing::ValuesIn(Rows()),
                         [](const auto& info) { return std::string(info.param.name); });

// A hard link is a regular file of the root as far as the kernel is
// concerned: openat2(RESOLVE_BENEATH) cannot tell it from any other file,
// and the frontend reads it. This documents that behaviour (the defence is
// fs.protected_hardlinks, under which an unprivileged agent can only link
// files it could already read); it fails if the product starts refusing
// them, so the report stays true.
TEST_F(PathsTest, HardLinksToOutsideFilesAreReadThrough) {
  const std::string foreign = sandbox_->outside() + "/foreign.png";
  WriteFileOrFail(foreign, JpegBytes());
  ASSERT_EQ(chmod(foreign.c_str(), 0600), 0);
  // Another user's file where the test may chown (root); else our own.
  const bool other_owner = chown(foreign.c_str(), 65534, 65534) == 0;
  ASSERT_EQ(link((sandbox_->outside() + "/x.png").c_str(),
                 (sandbox_->inputs() + "/own.png").c_str()),
            0);
  ASSERT_EQ(link(foreign.c_str(), (sandbox_->inputs() + "/foreign.png").c_str()),
            0)
      << strerror(errno);
  std::unique_ptr<FrontendProcess> frontend = StartFrontend();
  ASSERT_NE(frontend, nullptr);
  for (const char* path : {"own.png", "foreign.png"}) {
    SCOPED_TRACE(path);
    const ToolOutcome outcome = CallTool(*frontend, "upload_file", Upload(path));
    EXPECT_TRUE(outcome.is_error);
    // Sniffed as JPEG: the bytes of the outside file were read.
    EXPECT_THAT(outcome.text, HasSubstr(kReadOutside));
  }
  RecordProperty("foreign_owner", other_owner ? "uid 65534" : "self");
  ExpectStillServing(*frontend);
}

// Between the check and the use: a thread swaps (renameat2 RENAME_EXCHANGE)
// a real directory or file inside the root with a symlink to the outside,
// over and over, while upload_file runs kUploads times on the same path.
// The inside file holds GIF bytes under its PNG name (refused by the
// sniffer as "image/gif", before any call to vaultd); the outside one JPEG
// bytes: no answer may ever show "image/jpeg", and every answer is one of
// the two clean outcomes.
struct Race {
  const char* name;
  const char* path;       // what upload_file is given
  const char* swapped;    // the entry that flips
  void (*plant)(const FrontendSandbox&);
};

class RaceTest : public PathsTest {};

TEST_F(RaceTest, SwappingSymlinksNeverLeakOutsideFiles) {
  constexpr int kUploads = 640;
  const Race races[] = {
      {"directory", "d/x.png", "d",
       [](const FrontendSandbox& s) {
         MakeDirOrFail(s.inputs() + "/d");
         WriteFileOrFail(s.inputs() + "/d/x.png", GifBytes());
         SymlinkOrFail(s.outside(), s.inputs() + "/d.swap");
       }},
      {"file", "f.png", "f.png",
       [](const FrontendSandbox& s) {
         WriteFileOrFail(s.inputs() + "/f.png", GifBytes());
         SymlinkOrFail(s.outside() + "/x.png", s.inputs() + "/f.png.swap");
       }},
  };
  std::unique_ptr<FrontendProcess> frontend = StartFrontend();
  ASSERT_NE(frontend, nullptr);
  for (const Race& race : races) {
    SCOPED_TRACE(race.name);
    race.plant(*sandbox_);
    const Snapshot outside_before = TakeSnapshot(sandbox_->outside());
    std::atomic<bool> stop{false};
    std::atomic<int> flips{0};
    const std::string a = sandbox_->inputs() + "/" + race.swapped;
    const std::string b = a + ".swap";
    std::thread flipper([&] {
      while (!stop.load()) {
        if (renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(),
                      RENAME_EXCHANGE) == 0) {
          flips.fetch_add(1);
        }
      }
    });
    int refused = 0;
    int read_inside = 0;
    std::vector<std::string> unexpected;
    // Batches of 16 concurrent calls (4 workers).
    for (int batch = 0; batch < kUploads / 16; ++batch) {
      std::string requests;
      for (int i = 0; i < 16; ++i) {
        requests += json{{"jsonrpc", "2.0"},
                         {"id", batch * 16 + i},
                         {"method", "tools/call"},
                         {"params",
                          {{"name", "upload_file"},
                           {"arguments", Upload(race.path)}}}}
                        .dump() +
                    "\n";
      }
      if (absl::Status s = frontend->Write(requests); !s.ok()) {
        ADD_FAILURE() << s;
        break;
      }
      for (int i = 0; i < 16; ++i) {
        auto answer = frontend->ReadUntilResponse(batch * 16 + i);
        if (!answer.ok()) {
          ADD_FAILURE() << answer.status();
          break;
        }
        const ToolOutcome outcome = OutcomeOf(answer->back());
        if (absl::StrContains(outcome.text, kReadOutside) || !outcome.is_error) {
          unexpected.push_back(outcome.text);
        } else if (absl::StrContains(outcome.text, "symbolic link")) {
          ++refused;
        } else if (absl::StrContains(outcome.text, kReadInside)) {
          ++read_inside;
        } else {
          unexpected.push_back(outcome.text);
        }
      }
    }
    stop.store(true);
    flipper.join();
    EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " answers, first: "
                                    << unexpected.front();
    EXPECT_EQ(refused + read_inside, kUploads);
    EXPECT_GT(flips.load(), 0);
    EXPECT_EQ(SnapshotDiff(outside_before, TakeSnapshot(sandbox_->outside())),
              "");
    RecordProperty(absl::StrCat(race.name, "_flips"), flips.load());
    RecordProperty(absl::StrCat(race.name, "_refused"), refused);
    RecordProperty(absl::StrCat(race.name, "_read_inside"), read_inside);
    std::cerr << race.name << ": " << kUploads << " uploads, " << flips.load()
              << " swaps, " << refused << " refused as symlinks, "
              << read_inside << " read the inside file, 0 read outside\n";
  }
  ExpectStillServing(*frontend);
}

}  // namespace
}  // namespace layer_vault::tests::hostile
