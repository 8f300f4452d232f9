// Hostile answers from "Layer.ai" and hostile asset-root trees, on the real
// mcp_frontend with a real vaultd relaying to the fake Layer.ai over HTTPS
// (tests/relay RelayEnv). The fake is scripted (inject_fault status 200 with
// a body) to answer inferences.get and files.upload_url with hostile media
// URLs; the asset root gets symlinks planted or raced where outputs go.
// Each row: a clean refusal (the output's error / the tool's isError text),
// no media request the allow-list should have stopped, nothing written
// outside the root, and the frontend still answering. HostAllowList's own
// table is mcp_frontend/media_download/host_allow_list_test.cc.

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/hostile/frontend_process.h"
#include "tests/hostile/frontend_sandbox.h"
#include "tests/relay/relay_env.h"

namespace layer_vault::tests::hostile {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;
using relay::kImageFast;
using relay::kStudio;

// One environment for the whole binary: starting vaultd and the fake is
// the slow part.
struct Upstream {
  std::unique_ptr<relay::RelayEnv> env;
  std::string inference_id;  // a finished run with one PNG output
  std::string output_url;
  int media_port = 0;
};

Upstream* g_upstream = nullptr;

class UpstreamEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto upstream = std::make_unique<Upstream>();
    relay::RelayEnvOptions options;
    options.fake.polls_to_complete = 1;
    auto env = relay::RelayEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    upstream->env = *std::move(env);
    auto client = upstream->env->Client();
    ASSERT_TRUE(client.ok()) << client.status();
    auto run = (*client)->Call(
        "inferences.execute",
        {{"workspace_id", kStudio},
         {"body", {{"model_id", kImageFast}, {"prompt", "hostile"}, {"batch_size", 1}}}});
    ASSERT_TRUE(run.ok()) << run.status();
    upstream->inference_id = (*run)["inference_id"].get<std::string>();
    auto done = (*client)->Call("inferences.get",
                                {{"workspace_id", kStudio},
                                 {"inference_id", upstream->inference_id}});
    ASSERT_TRUE(done.ok()) << done.status();
    ASSERT_EQ((*done)["status"], "complete") << done->dump();
    upstream->output_url = (*done)["outputs"][0]["url"].get<std::string>();
    // "https://127.0.0.1:<media port>/media/<file id>.png"
    const size_t colon = upstream->output_url.find(':', 8);
    ASSERT_NE(colon, std::string::npos);
    upstream->media_port = std::stoi(upstream->output_url.substr(colon + 1));
    g_upstream = upstream.release();
  }
  void TearDown() override {
    if (g_upstream != nullptr) {
      EXPECT_TRUE(g_upstream->env->vaultd().Stop().ok());
      delete g_upstream;
      g_upstream = nullptr;
    }
  }
};

const ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new UpstreamEnvironment());

std::string InferencePath() {
  return absl::StrCat("/api/v1/workspaces/", kStudio, "/inferences/",
                      g_upstream->inference_id);
}

class UpstreamTest : public FrontendSandboxTest {
 protected:
  void SetUp() override {
    ASSERT_NE(g_upstream, nullptr) << "the upstream did not start";
    FrontendSandboxTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(Fake().Control({{"action", "clear_faults"}}).ok());
    ASSERT_TRUE(Fake().Control({{"action", "clear_requests"}}).ok());
  }

  void TearDown() override {
    if (g_upstream != nullptr) {
      EXPECT_TRUE(Fake().Control({{"action", "clear_faults"}}).ok());
    }
  }

  static relay::FakeLayer& Fake() { return g_upstream->env->fake(); }

  // The frontend behind the real vaultd, with the fake's media server as
  // an allowed media host.
  std::unique_ptr<FrontendProcess> StartWithUpstream() {
    std::vector<std::string> flags = sandbox_->Flags(
        g_upstream->env->vaultd().workload_socket(),
        absl::StrCat("127.0.0.1:", g_upstream->media_port,
                     ",media.app.layer.ai"));
    flags.push_back("--ca_bundle=" + Fake().ca_file());
    return StartFrontendWith(flags);
  }

  static json GetRun(json extra = json::object()) {
    json args = {{"inference_id", g_upstream->inference_id},
                 {"wait", false},
                 {"download", true}};
    for (auto& [key, value] : extra.items()) args[key] = value;
    return args;
  }

  // get_run (GetRun(extra)) once on a fresh frontend, which must then
  // still serve and exit cleanly; the frontend's answer.
  ToolOutcome GetRunOnFreshFrontend(json extra = json::object()) {
    std::unique_ptr<FrontendProcess> frontend = StartWithUpstream();
    EXPECT_NE(frontend, nullptr);
    if (frontend == nullptr) return {true, "the frontend did not start", {}};
    ToolOutcome outcome = CallTool(*frontend, "get_run", GetRun(extra));
    ExpectStillServing(*frontend);
    EXPECT_TRUE(frontend->CloseAndWait(nullptr).ok());
    return outcome;
  }

  // Media requests the fake recorded since SetUp.
  static std::vector<json> MediaRequests() {
    std::vector<json> media;
    auto recorded = Fake().Requests();
    EXPECT_TRUE(recorded.ok()) << recorded.status();
    if (!recorded.ok()) return media;
    for (const json& r : (*recorded)["requests"]) {
      if (r.value("server", "") == "media") media.push_back(r);
    }
    return media;
  }
};

// ---------------------------------------------------------------------------
// Media URLs in a finished run's outputs (inferences.get, scripted).

struct UrlRow {
  const char* name;
  std::function<std::string()> url;
  const char* mentions;
};

std::string Media(absl::string_view host_port, absl::string_view rest = "/media/x.png") {
  return absl::StrCat("https://", host_port, rest);
}
std::string Ours() { return absl::StrCat("127.0.0.1:", g_upstream->media_port); }

constexpr char kNotHttps[] = "only https URLs are allowed";
constexpr char kNotAllowed[] = "is not an allowed media host";
constexpr char kUserinfo[] = "user name or password";

std::vector<UrlRow> UrlRows() {
  return {
      {"http", [] { return absl::StrCat("http://", Ours(), "/media/x.png"); }, kNotHttps},
      // A file: URL has no host part for the check to read: refused as
      // malformed before the scheme is even looked at.
      {"file", [] { return std::string("file:///etc/passwd"); }, "the URL is malformed"},
      {"file_localhost", [] { return std::string("file://localhost/etc/shadow"); },
       "the URL is malformed"},
      {"data", [] { return std::string("data:image/png;base64,iVBORw0KGgo="); }, ""},
      {"ftp", [] { return absl::StrCat("ftp://", Ours(), "/x.png"); }, kNotHttps},
      {"gopher", [] { return absl::StrCat("gopher://", Ours(), "/x"); }, kNotHttps},
      {"foreign_host", [] { return Media("evil.example"); }, kNotAllowed},
      {"metadata_ip", [] { return Media("169.254.169.254", "/latest/meta-data"); }, kNotAllowed},
      {"allowed_name_as_userinfo",
       [] { return Media(absl::StrCat(Ours(), "@evil.example")); }, kUserinfo},
      {"userinfo_on_allowed_host",
       [] { return Media(absl::StrCat("evil.example@", Ours())); }, kUserinfo},
      {"password_on_allowed_host",
       [] { return Media(absl::StrCat("u:p@", Ours())); }, kUserinfo},
      {"same_server_by_name",
       [] { return Media(absl::StrCat("localhost:", g_upstream->media_port)); }, kNotAllowed},
      {"api_port", [] { return Media(absl::StrCat("127.0.0.1:", g_upstream->env->fake().port())); }, kNotAllowed},
      {"default_port", [] { return Media("127.0.0.1"); }, kNotAllowed},
      {"ipv6_loopback", [] { return Media(absl::StrCat("[::1]:", g_upstream->media_port)); }, kNotAllowed},
      {"ipv4_mapped_ipv6",
       [] { return Media(absl::StrCat("[::ffff:127.0.0.1]:", g_upstream->media_port)); },
       kNotAllowed},
      {"other_loopback", [] { return Media(absl::StrCat("127.0.0.2:", g_upstream->media_port)); },
       kNotAllowed},
      {"zero_address", [] { return Media(absl::StrCat("0.0.0.0:", g_upstream->media_port)); },
       kNotAllowed},
      {"idn_lookalike", [] { return Media("med\xd1\x96" "a.app.layer.ai"); }, ""},
      {"punycode_lookalike", [] { return Media("xn--mda-hdd.app.layer.ai"); }, kNotAllowed},
      {"allowed_suffix", [] { return Media("evil.media.app.layer.ai"); }, kNotAllowed},
      {"allowed_prefix", [] { return Media("media.app.layer.ai.evil.example"); }, kNotAllowed},
      {"allowed_with_other_port", [] { return Media("media.app.layer.ai:8443"); }, kNotAllowed},
      {"backslash_authority", [] { return absl::StrCat("https://evil.example\\@", Ours(), "/x.png"); }, ""},
      {"crlf_injection", [] { return Media(Ours(), "/media/x.png\r\nX-Evil: 1"); }, ""},
      {"space_in_url", [] { return Media(Ours(), "/media/a b.png"); }, ""},
      {"no_scheme", [] { return absl::StrCat(Ours(), "/media/x.png"); }, ""},
      {"empty_host", [] { return std::string("https:///media/x.png"); }, ""},
      {"huge_url", [] { return Media("evil.example", "/" + std::string(100000, 'u')); }, ""},
  };
}

class MediaUrlTest : public UpstreamTest,
                     public ::testing::WithParamInterface<UrlRow> {};

json RunWithOutputUrl(const std::string& url) {
  return {{"inference_id", g_upstream->inference_id},
          {"status", "complete"},
          {"created_at", "2026-01-01T00:00:00Z"},
          {"completed_at", "2026-01-01T00:00:01Z"},
          {"actual_price_creative_units", 0.2},
          {"outputs",
           {{{"file_id", "30000000-0000-4000-8000-00000000dead"},
             {"url", url},
             {"content_type", "image/png"}}}}};
}

TEST_P(MediaUrlTest, IsNeverFetched) {
  const UrlRow& row = GetParam();
  SCOPED_TRACE(row.name);
  const std::string url = row.url();
  ASSERT_TRUE(Fake()
                  .InjectFault({{"type", "status"},
                                {"status", 200},
                                {"method", "GET"},
                                {"path", InferencePath()},
                                {"count", -1},
                                {"body", RunWithOutputUrl(url)}})
                  .ok());
  const Snapshot before = TakeSnapshot(sandbox_->tree());
  const ToolOutcome outcome = GetRunOnFreshFrontend();
  EXPECT_TRUE(outcome.is_error) << outcome.text;
  EXPECT_THAT(outcome.text, HasSubstr("NOT SAVED"));
  EXPECT_THAT(outcome.text, HasSubstr(row.mentions));
  EXPECT_TRUE(MediaRequests().empty()) << json(MediaRequests()).dump();
  // No file anywhere (the URL is checked once the temporary file exists, so
  // the asset root's mtime may change), and nothing else changed.
  Snapshot after = TakeSnapshot(sandbox_->tree());
  Snapshot expected = before;
  expected["assets"] = after["assets"];
  EXPECT_EQ(SnapshotDiff(expected, after), "");
}

INSTANTIATE_TEST_SUITE_P(Rows, MediaUrlTest, ::testing::ValuesIn(UrlRows()),
                         [](const auto& info) { return std::string(info.param.name); });

// Redirects from the allowed media host are errors, never followed (the
// fake cannot send a Location header, and none would be read).
class RedirectTest : public UpstreamTest,
                     public ::testing::WithParamInterface<int> {};

TEST_P(RedirectTest, IsNotFollowed) {
  ASSERT_TRUE(Fake()
                  .InjectFault({{"type", "status"},
                                {"server", "media"},
                                {"status", GetParam()},
                                {"count", -1},
                                {"body", "moved"}})
                  .ok());
  const Snapshot before = TakeSnapshot(sandbox_->tree());
  const ToolOutcome outcome = GetRunOnFreshFrontend();
  EXPECT_TRUE(outcome.is_error) << outcome.text;
  EXPECT_THAT(outcome.text, HasSubstr("redirects are not followed"));
  EXPECT_EQ(MediaRequests().size(), 1u);
  const std::string diff = SnapshotDiff(before, TakeSnapshot(sandbox_->tree()));
  // The asset root may gain the (empty) directory entry change of a temp
  // file that was removed, never a file.
  EXPECT_TRUE(ListFiles(sandbox_->tree()) ==
              std::vector<std::string>{"outside/x.png"})
      << diff;
}

INSTANTIATE_TEST_SUITE_P(Statuses, RedirectTest,
                         ::testing::Values(301, 302, 303, 307, 308));

// A hostile upload_url from files.upload_url: the local file is never sent.
TEST_F(UpstreamTest, HostileUploadUrlsAreRefusedBeforeSending) {
  WriteFileOrFail(sandbox_->inputs() + "/ok.png", PngBytes());
  std::unique_ptr<FrontendProcess> frontend = StartWithUpstream();
  ASSERT_NE(frontend, nullptr);
  const std::vector<std::pair<std::string, const char*>> rows = {
      {"https://evil.example/upload", "is not an allowed media host"},
      {absl::StrCat("http://", Ours(), "/upload/x"), "only https URLs"},
      {absl::StrCat("https://", Ours(), "@evil.example/upload"), "user name or password"},
      {"file:///tmp/upload", "URL"},
  };
  for (const auto& [url, mentions] : rows) {
    SCOPED_TRACE(url);
    ASSERT_TRUE(Fake().Control({{"action", "clear_faults"}}).ok());
    ASSERT_TRUE(Fake().Control({{"action", "clear_requests"}}).ok());
    ASSERT_TRUE(Fake()
                    .InjectFault({{"type", "status"},
                                  {"status", 200},
                                  {"method", "POST"},
                                  {"path_prefix", absl::StrCat("/api/v1/workspaces/",
                                                               kStudio, "/files/")},
                                  {"count", -1},
                                  {"body",
                                   {{"file_id", "30000000-0000-4000-8000-00000000beef"},
                                    {"upload_url", url},
                                    {"content_type", "image/png"}}}})
                    .ok());
    const ToolOutcome outcome =
        CallTool(*frontend, "upload_file", {{"path", "ok.png"}});
    EXPECT_TRUE(outcome.is_error) << outcome.text;
    EXPECT_THAT(outcome.text, HasSubstr(mentions));
    EXPECT_TRUE(MediaRequests().empty());
  }
  ExpectStillServing(*frontend);
}

// ---------------------------------------------------------------------------
// The asset root: symlinks planted where get_run saves a finished run.

struct OutputRow {
  const char* name;
  std::function<void(const FrontendSandbox&)> plant;
  json extra;           // output_dir, overwrite
  bool saved;           // the output is saved (inside the root)
  const char* mentions;  // else: its error
};

std::vector<OutputRow> OutputRows() {
  using S = const FrontendSandbox&;
  return {
      {"control_plain_save", [](S) {}, {{"output_dir", "out"}}, true, ""},
      {"output_dir_symlink_to_outside",
       [](S s) { SymlinkOrFail(s.outside(), s.assets() + "/out"); },
       {{"output_dir", "out"}}, false, "symbolic link"},
      {"output_dir_relative_symlink_up",
       [](S s) { SymlinkOrFail("../outside", s.assets() + "/up"); },
       {{"output_dir", "up/deeper"}}, false, "symbolic link"},
      {"nested_symlink",
       [](S s) {
         MakeDirOrFail(s.assets() + "/a");
         SymlinkOrFail(s.outside(), s.assets() + "/a/b");
       },
       {{"output_dir", "a/b/c"}}, false, "symbolic link"},
      {"output_dir_symlink_to_root_fs",
       [](S s) { SymlinkOrFail("/", s.assets() + "/root"); },
       {{"output_dir", "root/tmp"}}, false, "symbolic link"},
      {"output_dir_is_a_file",
       [](S s) { WriteFileOrFail(s.assets() + "/out", "x"); },
       {{"output_dir", "out"}}, false, "not a directory"},
      {"output_dir_is_a_fifo",
       [](S s) { EXPECT_EQ(mkfifo((s.assets() + "/out").c_str(), 0644), 0); },
       {{"output_dir", "out"}}, false, "not a directory"},
  };
}

class OutputTest : public UpstreamTest,
                   public ::testing::WithParamInterface<OutputRow> {};

TEST_P(OutputTest, NothingLandsOutsideTheRoot) {
  const OutputRow& row = GetParam();
  SCOPED_TRACE(row.name);
  row.plant(*sandbox_);
  const Snapshot outside_before = TakeSnapshot(sandbox_->outside());
  const ToolOutcome outcome = GetRunOnFreshFrontend(row.extra);
  ASSERT_TRUE(outcome.structured.is_object()) << outcome.text;
  const json& output = outcome.structured["outputs"][0];
  if (row.saved) {
    EXPECT_FALSE(outcome.is_error) << outcome.text;
    const std::string path = output.value("absolute_path", "");
    EXPECT_TRUE(absl::StartsWith(path, sandbox_->assets() + "/")) << path;
    struct stat st;
    ASSERT_EQ(lstat(path.c_str(), &st), 0) << path;
    EXPECT_TRUE(S_ISREG(st.st_mode));
  } else {
    EXPECT_TRUE(outcome.is_error) << outcome.text;
    EXPECT_FALSE(output.contains("saved_path")) << output.dump();
    EXPECT_THAT(output.value("error", ""), HasSubstr(row.mentions));
  }
  EXPECT_EQ(SnapshotDiff(outside_before, TakeSnapshot(sandbox_->outside())), "");
}

INSTANTIATE_TEST_SUITE_P(Rows, OutputTest, ::testing::ValuesIn(OutputRows()),
                         [](const auto& info) { return std::string(info.param.name); });

// The file name itself planted as a symlink to an outside file: with
// overwrite the link is replaced (never written through); without, a free
// name is taken.
TEST_F(UpstreamTest, PlantedFileSymlinkIsReplacedOrAvoidedNeverFollowed) {
  WriteFileOrFail(sandbox_->outside() + "/victim.png", "victim");
  std::unique_ptr<FrontendProcess> frontend = StartWithUpstream();
  ASSERT_NE(frontend, nullptr);
  // Learn the name get_run uses, then plant a link there.
  ToolOutcome first = CallTool(*frontend, "get_run", GetRun({{"file_name", "probe"}}));
  ASSERT_FALSE(first.is_error) << first.text;
  const std::string name = first.structured["outputs"][0].value("saved_path", "");
  ASSERT_FALSE(name.empty());
  for (const bool overwrite : {false, true}) {
    SCOPED_TRACE(overwrite ? "overwrite" : "no overwrite");
    const std::string planted = sandbox_->assets() + "/" + name;
    unlink(planted.c_str());
    SymlinkOrFail(sandbox_->outside() + "/victim.png", planted);
    const Snapshot outside_before = TakeSnapshot(sandbox_->outside());
    const ToolOutcome outcome = CallTool(
        *frontend, "get_run",
        GetRun({{"file_name", "probe"}, {"overwrite", overwrite}}));
    EXPECT_FALSE(outcome.is_error) << outcome.text;
    const std::string saved =
        outcome.structured["outputs"][0].value("absolute_path", "");
    struct stat st;
    ASSERT_EQ(lstat(saved.c_str(), &st), 0) << saved;
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(saved == planted, overwrite);
    EXPECT_EQ(ReadFileOrEmpty(sandbox_->outside() + "/victim.png"), "victim");
    EXPECT_EQ(SnapshotDiff(outside_before, TakeSnapshot(sandbox_->outside())), "");
  }
}

// A thread swaps assets/out (a directory) with a symlink to the outside,
// over and over, while get_run saves into output_dir "out" kSaves times.
TEST_F(UpstreamTest, RacedOutputDirectoryNeverLeaksWrites) {
  constexpr int kSaves = 96;
  MakeDirOrFail(sandbox_->assets() + "/out");
  SymlinkOrFail(sandbox_->outside(), sandbox_->assets() + "/out.swap");
  const Snapshot outside_before = TakeSnapshot(sandbox_->outside());
  std::unique_ptr<FrontendProcess> frontend = StartWithUpstream();
  ASSERT_NE(frontend, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> flips{0};
  const std::string a = sandbox_->assets() + "/out";
  const std::string b = a + ".swap";
  std::thread flipper([&] {
    while (!stop.load()) {
      if (renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) {
        flips.fetch_add(1);
      }
    }
  });
  int saved = 0;
  int refused = 0;
  std::vector<std::string> unexpected;
  for (int i = 0; i < kSaves; ++i) {
    const ToolOutcome outcome =
        CallTool(*frontend, "get_run", GetRun({{"output_dir", "out"}}));
    const json output = outcome.structured.is_object()
                            ? outcome.structured["outputs"][0]
                            : json::object();
    const std::string path = output.value("absolute_path", "");
    if (!path.empty() && absl::StartsWith(path, sandbox_->assets() + "/out/")) {
      ++saved;
    } else if (absl::StrContains(output.value("error", ""), "symbolic link") ||
               // The symlink seen by openat(O_NOFOLLOW | O_DIRECTORY) was
               // swapped back before the follow-up lstat: still refused.
               absl::StrContains(output.value("error", ""),
                                 "a component is not a directory")) {
      ++refused;
    } else {
      unexpected.push_back(output.dump());
    }
  }
  stop.store(true);
  flipper.join();
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected, first: "
                                  << unexpected.front();
  EXPECT_EQ(saved + refused, kSaves);
  EXPECT_GT(flips.load(), 0);
  // Whichever of the two names is the directory now holds every saved file.
  EXPECT_EQ(SnapshotDiff(outside_before, TakeSnapshot(sandbox_->outside())), "");
  std::cerr << "output race: " << kSaves << " saves, " << flips.load()
            << " swaps, " << saved << " saved inside, " << refused
            << " refused as symlinks, 0 outside\n";
  ExpectStillServing(*frontend);
}

}  // namespace
}  // namespace layer_vault::tests::hostile
