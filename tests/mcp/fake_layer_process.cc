#include "tests/mcp/fake_layer_process.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "absl/base/call_once.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace layer_vault::mcp::testing {
namespace {

absl::once_flag g_curl_once;

std::string RandomHex(int bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  absl::BitGen gen;
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    const uint8_t b = absl::Uniform<uint8_t>(gen);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string ServerScript() {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/",
                      workspace ? workspace : "layer_vault",
                      "/tests/fake_layer/server.js");
}

void RemoveTree(const std::string& dir) {
  nftw(
      dir.c_str(),
      [](const char* path, const struct stat*, int, struct FTW*) {
        return remove(path);
      },
      16, FTW_DEPTH | FTW_PHYS);
}

size_t CollectBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t CollectHeader(char* data, size_t size, size_t count, void* user) {
  auto& headers = *static_cast<std::map<std::string, std::string>*>(user);
  absl::string_view line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    headers[absl::AsciiStrToLower(line.substr(0, colon))] = std::string(
        absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * count;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FakeLayerProcess>> FakeLayerProcess::Start(
    const Options& options) {
  absl::call_once(g_curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<FakeLayerProcess> fake(new FakeLayerProcess());
  char dir[] = "/tmp/fake-layer-XXXXXX";
  if (mkdtemp(dir) == nullptr) return absl::InternalError("mkdtemp failed");
  fake->tls_dir_ = dir;
  fake->pat_ = absl::StrCat("pat_fake_", RandomHex(18));

  int in_pipe[2];
  int out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe failed");
  }
  const std::string script = ServerScript();
  const std::string tls_dir = fake->tls_dir_;
  const std::string pat_env = absl::StrCat("FAKE_LAYER_PAT=", fake->pat_);
  const std::string polls = absl::StrCat(options.polls_to_complete);
  const std::string interval = absl::StrCat(options.poll_interval_seconds);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (strncmp(*e, "FAKE_LAYER_PAT=", 15) != 0) env_strings.push_back(*e);
  }
  env_strings.push_back(pat_env);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    const char* argv[] = {"node",
                          script.c_str(),
                          "--tls-dir",
                          tls_dir.c_str(),
                          "--polls-to-complete",
                          polls.c_str(),
                          "--poll-interval-seconds",
                          interval.c_str(),
                          "--exit-with-stdin",
                          nullptr};
    execvpe("node", const_cast<char* const*>(argv), envp.data());
    execve("/usr/bin/node", const_cast<char* const*>(argv), envp.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  fake->pid_ = pid;
  fake->stdin_fd_ = in_pipe[1];

  std::string line;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (line.find('\n') == std::string::npos) {
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) {
      close(out_pipe[0]);
      return absl::DeadlineExceededError("the fake did not print its ready line");
    }
    pollfd p = {out_pipe[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buffer[4096];
    const ssize_t n = read(out_pipe[0], buffer, sizeof(buffer));
    if (n <= 0) {
      close(out_pipe[0]);
      return absl::UnavailableError(
          "the fake exited before it was ready (is Node.js installed, and "
          "tests/node_modules set up?)");
    }
    line.append(buffer, n);
  }
  close(out_pipe[0]);  // the fake prints nothing after the ready line
  nlohmann::json ready =
      nlohmann::json::parse(line.substr(0, line.find('\n')), nullptr, false);
  if (!ready.is_object() || !ready.value("ready", false)) {
    return absl::InternalError("bad ready line from the fake");
  }
  fake->api_port_ = ready["port"];
  fake->media_port_ = ready["media_port"];
  fake->base_url_ = ready["base_url"];
  fake->media_base_url_ = ready["media_base_url"];
  fake->ca_file_ = ready["ca_file"];
  fake->control_token_ = ready["control_token"];
  return fake;
}

FakeLayerProcess::~FakeLayerProcess() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (pid_ > 0) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    int status;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  if (!tls_dir_.empty()) RemoveTree(tls_dir_);
}

absl::StatusOr<FakeLayerProcess::Response> FakeLayerProcess::Send(
    absl::string_view method, const std::string& url,
    const std::vector<std::string>& headers, const std::string* body) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init");
  Response response;
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  const std::string method_text(method);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &CollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body->size()));
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("request to the fake failed: ", curl_easy_strerror(code)));
  }
  response.json = nlohmann::json::parse(response.body, nullptr, false);
  if (response.json.is_discarded()) response.json = nullptr;
  return response;
}

absl::StatusOr<FakeLayerProcess::Response> FakeLayerProcess::Api(
    absl::string_view method, absl::string_view path,
    const nlohmann::json& body) {
  std::vector<std::string> headers = {
      absl::StrCat("Authorization: Bearer ", pat_)};
  std::string text;
  if (!body.is_null()) {
    text = body.dump();
    headers.push_back("Content-Type: application/json");
  }
  return Send(method, absl::StrCat(base_url_, path), headers,
              body.is_null() ? nullptr : &text);
}

absl::StatusOr<FakeLayerProcess::Response> FakeLayerProcess::Control(
    const nlohmann::json& command) {
  const std::string text = command.dump();
  return Send("POST",
              absl::StrCat("https://127.0.0.1:", api_port_, "/__control"),
              {absl::StrCat("X-Fake-Control-Token: ", control_token_),
               "Content-Type: application/json"},
              &text);
}

absl::StatusOr<FakeLayerProcess::Response> FakeLayerProcess::Requests(
    absl::string_view query) {
  return Send("GET",
              absl::StrCat("https://127.0.0.1:", api_port_, "/__requests",
                           query.empty() ? "" : "?", query),
              {absl::StrCat("X-Fake-Control-Token: ", control_token_)},
              nullptr);
}

absl::StatusOr<FakeLayerProcess::Response> FakeLayerProcess::Get(
    absl::string_view url) {
  return Send("GET", std::string(url), {}, nullptr);
}

}  // namespace layer_vault::mcp::testing
