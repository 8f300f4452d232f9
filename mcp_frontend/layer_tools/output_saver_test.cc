#include "mcp_frontend/layer_tools/output_saver.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "mcp_frontend/layer_tools/test_fakes.h"
#include "mcp_frontend/safe_files/safe_files.h"

namespace layer_vault::mcp::layer_tools {
namespace {

using nlohmann::json;
using testing::ContextHarness;
using testing::FakeMediaTransport;
using testing::MakeTempDir;
using testing::TinyPng;

constexpr char kRunId[] = "10000000-0000-4000-8000-00000000002a";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SlugTest, MakesSafeStems) {
  EXPECT_EQ(Slug("An isometric Stone Tower!", 40, "x"), "an-isometric-stone-tower");
  EXPECT_EQ(Slug("  ../../etc/passwd  ", 40, "x"), "etc-passwd");
  EXPECT_EQ(Slug("château 城", 40, "x"), "ch-teau");
  EXPECT_EQ(Slug("", 40, "layer"), "layer");
  EXPECT_EQ(Slug("!!!", 40, "layer"), "layer");
  EXPECT_EQ(Slug("abcdef ghijk", 7, "x"), "abcdef");
  EXPECT_EQ(Slug("a b c d e f", 40, "x"), "a-b-c-d-e-f");
}

TEST(OutputExtensionTest, FromTypeThenUrlThenBin) {
  RunOutput o;
  o.url = "https://media.example/media/f1";
  o.content_type = "image/png";
  EXPECT_EQ(OutputExtension(o), "png");
  o.content_type = "audio/wav; codecs=1";
  EXPECT_EQ(OutputExtension(o), "wav");
  o.content_type = "";
  o.url = "https://media.example/media/f1.JPG?X-Goog-Signature=abc.png";
  EXPECT_EQ(OutputExtension(o), "jpg");
  o.url = "https://media.example/media/f1.exe";
  EXPECT_EQ(OutputExtension(o), "bin");
  o.url = "https://media.example/media/f1";
  EXPECT_EQ(OutputExtension(o), "bin");
}

TEST(OutputFileNameTest, StemRunIdEndAndOneBasedIndex) {
  EXPECT_EQ(OutputFileName("stone-tower", kRunId, 0, "png"),
            "stone-tower-0000002a-1.png");
  EXPECT_EQ(OutputFileName("x", "run", 4, "wav"), "x-run-5.wav");
}

TEST(OutputsOfTest, ReadsOutputsWithUrls) {
  json run = {{"outputs",
               {{{"file_id", "f1"},
                 {"url", "https://m/1.png"},
                 {"content_type", "image/png"},
                 {"size_bytes", 10},
                 {"width", 64},
                 {"height", 64}},
                {{"file_id", "no-url"}},
                {{"download_url", "https://m/2.wav"},
                 {"output_name", "voice"}}}}};
  std::vector<RunOutput> outputs = OutputsOf(run);
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0].file_id, "f1");
  EXPECT_EQ(*outputs[0].size_bytes, 10u);
  EXPECT_EQ(*outputs[0].width, 64);
  EXPECT_EQ(outputs[1].url, "https://m/2.wav");
  EXPECT_EQ(outputs[1].output_name, "voice");
  EXPECT_TRUE(OutputsOf(json::object()).empty());
  EXPECT_TRUE(OutputsOf({{"outputs", "nope"}}).empty());
}

class SaveOutputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    ASSERT_FALSE(dir_.empty());
    absl::StatusOr<std::unique_ptr<SafeRoot>> root = SafeRoot::Create(dir_);
    ASSERT_TRUE(root.ok());
    root_ = *std::move(root);
    env_.media = &media_;
    env_.asset_root = root_.get();
  }

  absl::StatusOr<SaveResult> Save(const std::vector<RunOutput>& outputs,
                                  SaveRequest request) {
    context_ = harness_.MakeContext();
    progress_ = std::make_unique<ProgressSteps>(*context_);
    request.run_id = kRunId;
    return SaveOutputs(env_, outputs, request, *context_, *progress_);
  }

  RunOutput Output(const std::string& name, const std::string& type) {
    RunOutput o;
    o.file_id = name;
    o.url = "https://media.test/media/" + name;
    o.content_type = type;
    return o;
  }

  std::string dir_;
  std::unique_ptr<SafeRoot> root_;
  FakeMediaTransport media_;
  ToolEnv env_;
  ContextHarness harness_;
  std::unique_ptr<ToolContext> context_;
  std::unique_ptr<ProgressSteps> progress_;
};

TEST_F(SaveOutputsTest, SavesEveryOutputWithItsBytesAndNoOverwrite) {
  const std::string png = TinyPng("one");
  const std::string wav("RIFF\x24\0\0\0WAVEfmt ", 16);
  media_.Serve("https://media.test/media/a", png, "image/png");
  media_.Serve("https://media.test/media/b", wav, "audio/wav");
  const std::vector<RunOutput> outputs = {Output("a", "image/png"),
                                          Output("b", "audio/wav")};
  absl::StatusOr<SaveResult> first = Save(outputs, {"", "tower", "", false});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->files.size(), 2u);
  EXPECT_EQ(first->failures, 0);
  EXPECT_EQ(first->files[0].path, "tower-0000002a-1.png");
  EXPECT_EQ(first->files[1].path, "tower-0000002a-2.wav");
  EXPECT_EQ(first->files[0].absolute_path, dir_ + "/tower-0000002a-1.png");
  EXPECT_EQ(ReadAll(first->files[0].absolute_path), png);
  EXPECT_EQ(ReadAll(first->files[1].absolute_path), wav);
  EXPECT_EQ(first->files[0].bytes, png.size());
  struct stat st;
  ASSERT_EQ(stat(first->files[0].absolute_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  // Only the PNG comes back as an image.
  ASSERT_EQ(first->images.size(), 1u);
  EXPECT_EQ(first->images[0].mime_type, "image/png");
  EXPECT_EQ(harness_.progress().size(), 2u);

  absl::StatusOr<SaveResult> second = Save(outputs, {"", "tower", "", false});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->files[0].path, "tower-0000002a-1-1.png");
  EXPECT_EQ(ReadAll(dir_ + "/tower-0000002a-1.png"), png);

  media_.Serve("https://media.test/media/a", TinyPng("two"), "image/png");
  absl::StatusOr<SaveResult> third = Save(outputs, {"", "tower", "", true});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->files[0].path, "tower-0000002a-1.png");
  EXPECT_EQ(ReadAll(dir_ + "/tower-0000002a-1.png"), TinyPng("two"));
}

TEST_F(SaveOutputsTest, SavesIntoASubdirectory) {
  media_.Serve("https://media.test/media/a", TinyPng("x"), "image/png");
  absl::StatusOr<SaveResult> r =
      Save({Output("a", "image/png")}, {"sprites/towers", "t", "", false});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->files[0].path, "sprites/towers/t-0000002a-1.png");
  EXPECT_EQ(ReadAll(dir_ + "/sprites/towers/t-0000002a-1.png"), TinyPng("x"));
}

TEST_F(SaveOutputsTest, LargeImagesAreNotInlined) {
  env_.options.max_inline_image_bytes = 10;
  media_.Serve("https://media.test/media/a", TinyPng("big"), "image/png");
  absl::StatusOr<SaveResult> r =
      Save({Output("a", "image/png")}, {"", "t", "", false});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->files[0].error, "");
  EXPECT_TRUE(r->images.empty());
}

TEST_F(SaveOutputsTest, AFailedDownloadIsRecordedAndTheOthersGoOn) {
  media_.Serve("https://media.test/media/b", TinyPng("b"), "image/png");
  absl::StatusOr<SaveResult> r = Save(
      {Output("missing", "image/png"), Output("b", "image/png")},
      {"", "t", "", false});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->failures, 1);
  EXPECT_TRUE(absl::StrContains(r->files[0].error, "404"));
  EXPECT_EQ(r->files[0].path, "");
  EXPECT_EQ(r->files[1].path, "t-0000002a-2.png");
  const json j = SavedOutputJson(r->files[0]);
  EXPECT_FALSE(j.contains("saved_path"));
  EXPECT_TRUE(j.contains("error"));
}

TEST_F(SaveOutputsTest, ARefusedUrlIsRefusedBeforeAnyFileIsCreated) {
  RunOutput o = Output("a", "image/png");
  o.url = "http://media.test/media/a";
  absl::StatusOr<SaveResult> r = Save({o}, {"", "t", "", false});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->failures, 1);
  EXPECT_TRUE(absl::StrContains(r->files[0].error, "not https"))
      << r->files[0].error;
  // Never downloaded, so no temp file was ever made for it.
  EXPECT_TRUE(media_.downloads().empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(SaveOutputsTest, CancellationMidDownloadKeepsNothing) {
  media_.Serve("https://media.test/media/a", TinyPng("a"), "image/png");
  media_.BeforeDownload(
      [this](const std::string&) { harness_.cancellation().Cancel(); });
  absl::StatusOr<SaveResult> r =
      Save({Output("a", "image/png")}, {"", "t", "", false});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  struct stat st;
  EXPECT_NE(stat((dir_ + "/t-0000002a-1.png").c_str(), &st), 0);
}

TEST_F(SaveOutputsTest, ABadDirectoryIsAnErrorPerFile) {
  media_.Serve("https://media.test/media/a", TinyPng("a"), "image/png");
  absl::StatusOr<SaveResult> r =
      Save({Output("a", "image/png")}, {"../outside", "t", "", false});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failures, 1);
  EXPECT_TRUE(media_.downloads().empty());
}

}  // namespace
}  // namespace layer_vault::mcp::layer_tools
