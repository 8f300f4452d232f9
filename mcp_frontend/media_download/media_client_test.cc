// MediaClient against the Node fake of Layer.ai (tests/fake_layer): real
// TLS, the signed-upload flow as the fake checks it, real downloads, and
// faults injected through the fake's control API.
#include "mcp_frontend/media_download/media_client.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mcp_frontend/safe_files/safe_files.h"
#include "mcp_frontend/tool_registry/cancellation.h"
#include "nlohmann/json.hpp"
#include "tests/mcp/fake_layer_process.h"

namespace layer_vault::mcp {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;
using testing::FakeLayerProcess;

constexpr char kStudio[] = "00000000-0000-4000-8000-000000000001";
constexpr char kImageModel[] = "00000000-0000-4000-8000-0000000000aa";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string PngLikeBytes(size_t size) {
  std::string bytes = "\x89PNG\r\n\x1a\n";
  absl::BitGen gen;
  while (bytes.size() < size) bytes.push_back(static_cast<char>(absl::Uniform<uint8_t>(gen)));
  return bytes;
}

class MediaClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto fake = FakeLayerProcess::Start();
    ASSERT_TRUE(fake.ok()) << fake.status();
    fake_ = fake->release();
  }
  static void TearDownTestSuite() {
    delete fake_;
    fake_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(fake_, nullptr);
    ASSERT_EQ(fake_->Control({{"action", "clear_faults"}})->status, 200);
    ASSERT_EQ(fake_->Control({{"action", "clear_requests"}})->status, 200);
    const char* tmp = getenv("TEST_TMPDIR");
    static int counter = 0;
    dir_ = absl::StrCat(tmp ? tmp : "/tmp", "/media-", getpid(), "-",
                        ++counter);
    SafeRootOptions options;
    options.create_root = true;
    assets_ = *SafeRoot::Create(dir_ + "/assets", options);
    inputs_ = *SafeRoot::Create(dir_ + "/inputs", options);
  }

  std::unique_ptr<MediaClient> Client(
      std::function<void(MediaClientOptions&)> tweak = nullptr) {
    MediaClientOptions options;
    options.allowed_hosts = {absl::StrCat("127.0.0.1:", fake_->media_port())};
    options.ca_bundle = fake_->ca_file();
    options.proxy = "";
    if (tweak) tweak(options);
    auto client = MediaClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // An upload URL from the fake's API for a file of `size` bytes.
  json RequestUploadUrl(const std::string& content_type, uint64_t size) {
    auto response = fake_->Api(
        "POST", absl::StrCat("/v1/workspaces/", kStudio, "/files/upload-url"),
        {{"content_type", content_type},
         {"file_size_bytes", size},
         {"file_name", "ref.png"}});
    EXPECT_TRUE(response.ok());
    EXPECT_EQ(response->status, 200) << response->body;
    return response->json;
  }

  // Uploads `bytes` as image/png; returns the file id.
  std::string UploadPng(const std::string& bytes) {
    auto saved = inputs_->WriteFile("ref.png", bytes, /*overwrite=*/true);
    EXPECT_TRUE(saved.ok());
    auto opened = inputs_->OpenForRead("ref.png");
    EXPECT_TRUE(opened.ok());
    json upload = RequestUploadUrl("image/png", bytes.size());
    auto result = Client()->Upload(upload["upload_url"].get<std::string>(),
                                   *opened, bytes.size(), "image/png",
                                   LayerSignedUploadProtocol(),
                                   CancellationToken());
    EXPECT_TRUE(result.ok()) << result.status();
    return upload["file_id"];
  }

  std::string MediaUrl(const std::string& file_id) {
    return absl::StrCat(fake_->media_base_url(), "/media/", file_id);
  }

  void InjectMediaFault(json fault) {
    fault["action"] = "inject_fault";
    fault["server"] = "media";
    fault["path_prefix"] = "/media/";
    auto response = fake_->Control(fault);
    ASSERT_TRUE(response.ok());
    ASSERT_EQ(response->status, 200) << response->body;
  }

  static FakeLayerProcess* fake_;
  std::string dir_;
  std::unique_ptr<SafeRoot> assets_;
  std::unique_ptr<SafeRoot> inputs_;
};

FakeLayerProcess* MediaClientTest::fake_ = nullptr;

TEST_F(MediaClientTest, UploadThenDownloadGivesTheExactBytes) {
  const std::string bytes = PngLikeBytes(300 * 1024);
  ASSERT_TRUE(inputs_->WriteFile("ref.png", bytes, false).ok());
  auto opened = inputs_->OpenForRead("ref.png");
  ASSERT_TRUE(opened.ok());
  json upload = RequestUploadUrl("image/png", bytes.size());

  std::vector<uint64_t> upload_progress;
  auto uploaded = Client()->Upload(
      upload["upload_url"].get<std::string>(), *opened, bytes.size(),
      "image/png", LayerSignedUploadProtocol(), CancellationToken(),
      [&](uint64_t done, std::optional<uint64_t> total) {
        upload_progress.push_back(done);
        EXPECT_EQ(total, bytes.size());
      });
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();
  EXPECT_EQ(uploaded->bytes, bytes.size());
  EXPECT_EQ(uploaded->display_url.find('?'), std::string::npos);
  ASSERT_FALSE(upload_progress.empty());
  EXPECT_EQ(upload_progress.back(), bytes.size());
  EXPECT_TRUE(std::is_sorted(upload_progress.begin(), upload_progress.end()));

  auto pending = assets_->CreateFile("downloads/ref.png");
  ASSERT_TRUE(pending.ok());
  std::vector<uint64_t> download_progress;
  auto downloaded = Client()->Download(
      MediaUrl(upload["file_id"]), **pending, CancellationToken(),
      [&](uint64_t done, std::optional<uint64_t>) {
        download_progress.push_back(done);
      });
  ASSERT_TRUE(downloaded.ok()) << downloaded.status();
  EXPECT_EQ(downloaded->bytes, bytes.size());
  EXPECT_EQ(downloaded->content_type, "image/png");
  ASSERT_FALSE(download_progress.empty());
  EXPECT_EQ(download_progress.back(), bytes.size());
  auto saved = (*pending)->Commit(false);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(ReadText(saved->absolute_path), bytes);

  // The media host never saw a credential.
  auto recorded = fake_->Requests("server=media");
  ASSERT_TRUE(recorded.ok());
  EXPECT_TRUE(recorded->json["pat_leaks"].empty());
  ASSERT_EQ(recorded->json["requests"].size(), 3u);  // start, PUT, GET
  for (const json& r : recorded->json["requests"]) {
    EXPECT_FALSE(r["headers"].contains("authorization")) << r.dump();
  }
}

TEST_F(MediaClientTest, DownloadsAGeneratedOutput) {
  auto started = fake_->Api(
      "POST", absl::StrCat("/v1/workspaces/", kStudio, "/inferences"),
      {{"model_id", kImageModel}, {"prompt", "a red potion"}, {"batch_size", 1}});
  ASSERT_TRUE(started.ok());
  ASSERT_EQ(started->status, 200) << started->body;
  const std::string run = absl::StrCat("/v1/workspaces/", kStudio,
                                       "/inferences/",
                                       started->json["inference_id"].get<std::string>());
  json finished = json::object();
  for (int i = 0; i < 20 && finished.value("status", "") != "complete"; ++i) {
    finished = fake_->Api("GET", run)->json;
  }
  ASSERT_EQ(finished["status"], "complete") << finished.dump();
  const json& output = finished["outputs"][0];
  auto pending = assets_->CreateFile("potion.png");
  ASSERT_TRUE(pending.ok());
  auto downloaded =
      Client()->Download(output["url"].get<std::string>(), **pending,
                         CancellationToken());
  ASSERT_TRUE(downloaded.ok()) << downloaded.status();
  EXPECT_EQ(downloaded->bytes, output["size_bytes"].get<uint64_t>());
  auto saved = (*pending)->Commit(false);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(ReadText(saved->absolute_path),
            fake_->Get(output["url"].get<std::string>())->body);
}

TEST_F(MediaClientTest, SizeCapByContentLengthStopsBeforeTheBody) {
  const std::string file_id = UploadPng(PngLikeBytes(5000));
  auto client = Client([](MediaClientOptions& o) { o.max_download_bytes = 4999; });
  auto pending = assets_->CreateFile("big.png");
  ASSERT_TRUE(pending.ok());
  auto result = client->Download(MediaUrl(file_id), **pending, CancellationToken());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted)
      << result.status();
  EXPECT_EQ((*pending)->size(), 0u);
}

TEST_F(MediaClientTest, SizeCapWithoutContentLengthAbortsTheStream) {
  const std::string file_id = UploadPng(PngLikeBytes(100));
  InjectMediaFault({{"type", "oversize"}, {"bytes", 3 * 1024 * 1024},
                    {"chunked", true}});
  auto client =
      Client([](MediaClientOptions& o) { o.max_download_bytes = 1024 * 1024; });
  auto pending = assets_->CreateFile("stream.png");
  ASSERT_TRUE(pending.ok());
  auto result =
      client->Download(MediaUrl(file_id), **pending, CancellationToken());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted)
      << result.status();
  EXPECT_LE((*pending)->size(), 1024u * 1024u);
}

TEST_F(MediaClientTest, CancellationStopsADownloadPromptly) {
  const std::string file_id = UploadPng(PngLikeBytes(100));
  InjectMediaFault({{"type", "delay"}, {"delay_ms", 20000}});
  CancellationSource cancel;
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(300));
    cancel.Cancel();
  });
  auto pending = assets_->CreateFile("slow.png");
  ASSERT_TRUE(pending.ok());
  const absl::Time start = absl::Now();
  auto result = Client()->Download(MediaUrl(file_id), **pending, cancel.token());
  canceller.join();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled)
      << result.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(MediaClientTest, TransferTimeout) {
  const std::string file_id = UploadPng(PngLikeBytes(100));
  InjectMediaFault({{"type", "delay"}, {"delay_ms", 20000}});
  auto client = Client(
      [](MediaClientOptions& o) { o.transfer_timeout = absl::Milliseconds(500); });
  auto pending = assets_->CreateFile("slow.png");
  ASSERT_TRUE(pending.ok());
  auto result = client->Download(MediaUrl(file_id), **pending, CancellationToken());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded)
      << result.status();
}

struct StatusCase {
  int status;
  absl::StatusCode code;
  const char* text;
};

class MediaStatusTest : public MediaClientTest,
                        public ::testing::WithParamInterface<StatusCase> {};

TEST_P(MediaStatusTest, NonSuccessSavesNothing) {
  const std::string file_id = UploadPng(PngLikeBytes(100));
  InjectMediaFault({{"type", "status"}, {"status", GetParam().status}});
  auto pending = assets_->CreateFile("x.png");
  ASSERT_TRUE(pending.ok());
  auto result = Client()->Download(MediaUrl(file_id), **pending, CancellationToken());
  EXPECT_EQ(result.status().code(), GetParam().code) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr(GetParam().text));
  EXPECT_EQ((*pending)->size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, MediaStatusTest,
    ::testing::Values(
        StatusCase{302, absl::StatusCode::kFailedPrecondition, "redirect"},
        StatusCase{404, absl::StatusCode::kFailedPrecondition, "HTTP 404"},
        StatusCase{503, absl::StatusCode::kUnavailable, "HTTP 503"}));

TEST_F(MediaClientTest, HostsOutsideTheAllowListAreNeverContacted) {
  const std::string file_id = UploadPng(PngLikeBytes(100));
  ASSERT_EQ(fake_->Control({{"action", "clear_requests"}})->status, 200);
  auto api_only = Client([](MediaClientOptions& o) {
    o.allowed_hosts = {absl::StrCat("127.0.0.1:", fake_->api_port())};
  });
  auto pending = assets_->CreateFile("x.png");
  ASSERT_TRUE(pending.ok());
  for (const std::string& url :
       {MediaUrl(file_id),
        absl::StrCat("https://localhost:", fake_->media_port(), "/media/",
                     file_id),
        absl::StrCat("http://127.0.0.1:", fake_->media_port(), "/media/",
                     file_id)}) {
    EXPECT_EQ(api_only->Download(url, **pending, CancellationToken())
                  .status()
                  .code(),
              absl::StatusCode::kPermissionDenied)
        << url;
  }
  EXPECT_TRUE(fake_->Requests()->json["requests"].empty());
}

TEST_F(MediaClientTest, CertificateIsVerified) {
  const std::string file_id = UploadPng(PngLikeBytes(100));
  auto system_ca = Client([](MediaClientOptions& o) { o.ca_bundle = ""; });
  auto pending = assets_->CreateFile("x.png");
  ASSERT_TRUE(pending.ok());
  auto result =
      system_ca->Download(MediaUrl(file_id), **pending, CancellationToken());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable)
      << result.status();
}

TEST_F(MediaClientTest, UploadWithTheWrongTypeIsRefusedByStorage) {
  const std::string bytes = PngLikeBytes(1000);
  ASSERT_TRUE(inputs_->WriteFile("ref.png", bytes, true).ok());
  auto opened = inputs_->OpenForRead("ref.png");
  json upload = RequestUploadUrl("image/png", bytes.size());
  auto result = Client()->Upload(upload["upload_url"].get<std::string>(),
                                 *opened, bytes.size(), "image/jpeg",
                                 LayerSignedUploadProtocol(),
                                 CancellationToken());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("SignatureDoesNotMatch"));
  EXPECT_EQ(std::string(result.status().message()).find("X-Goog"),
            std::string::npos);
}

TEST_F(MediaClientTest, UploadOfAShorterFileFails) {
  const std::string bytes = PngLikeBytes(1000);
  ASSERT_TRUE(inputs_->WriteFile("ref.png", bytes, true).ok());
  auto opened = inputs_->OpenForRead("ref.png");
  json upload = RequestUploadUrl("image/png", bytes.size() + 10);
  auto result = Client()->Upload(upload["upload_url"].get<std::string>(),
                                 *opened, bytes.size() + 10, "image/png",
                                 LayerSignedUploadProtocol(),
                                 CancellationToken());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition)
      << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("shorter"));
}

TEST_F(MediaClientTest, CredentialHeadersAreRefusedBeforeSending) {
  const std::string bytes = PngLikeBytes(100);
  ASSERT_TRUE(inputs_->WriteFile("ref.png", bytes, true).ok());
  auto opened = inputs_->OpenForRead("ref.png");
  json upload = RequestUploadUrl("image/png", bytes.size());
  ASSERT_EQ(fake_->Control({{"action", "clear_requests"}})->status, 200);
  for (const HttpHeader& bad :
       {HttpHeader{"Authorization", "Bearer x"},
        HttpHeader{"X-Extra", "pat_0123456789abcdef"},
        HttpHeader{"X-Evil", "a\r\nInjected: 1"}}) {
    UploadProtocol protocol = LayerSignedUploadProtocol();
    protocol.start_headers.push_back(bad);
    auto result = Client()->Upload(upload["upload_url"].get<std::string>(),
                                   *opened, bytes.size(), "image/png",
                                   protocol, CancellationToken());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
        << bad.name;
  }
  EXPECT_TRUE(fake_->Requests()->json["requests"].empty());
}

TEST(MediaClientCreateTest, RejectsBadOptions) {
  MediaClientOptions options;
  EXPECT_FALSE(MediaClient::Create(options).ok());  // no hosts
  options.allowed_hosts = {"https://media.app.layer.ai"};
  EXPECT_FALSE(MediaClient::Create(options).ok());
  options.allowed_hosts = {"media.app.layer.ai"};
  options.max_download_bytes = 0;
  EXPECT_FALSE(MediaClient::Create(options).ok());
  options.max_download_bytes = 1;
  EXPECT_TRUE(MediaClient::Create(options).ok());
}

TEST(UploadProtocolTest, LayerFlowHeadersAreData) {
  UploadProtocol protocol = LayerSignedUploadProtocol();
  ASSERT_EQ(protocol.start_headers.size(), 3u);
  EXPECT_EQ(protocol.start_headers[0].name, "x-goog-resumable");
  EXPECT_EQ(protocol.start_headers[1].value, "0,{size}");
  EXPECT_EQ(protocol.put_headers[0].value, "{content_type}");
}

}  // namespace
}  // namespace layer_vault::mcp
