#include "tests/relay/fake_layer.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "vaultd/crypto/random.h"

extern char** environ;

namespace layer_vault::tests::relay {
namespace {

constexpr char kWorkspace[] = "layer_vault";

absl::once_flag g_curl_once;

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  remove(path);
  return 0;
}

size_t Collect(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

}  // namespace

std::string FakePat() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string pat = "pat_TESTONLY";
  const std::string random = crypto::RandomBytes(48 - pat.size());
  for (char c : random) pat += kAlphabet[static_cast<uint8_t>(c) % 62];
  return pat;
}

absl::StatusOr<std::string> Runfile(absl::string_view path) {
  std::vector<std::string> roots;
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    if (const char* root = getenv(var); root != nullptr && *root != '\0') {
      roots.push_back(root);
    }
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    roots.push_back(absl::StrCat(absl::string_view(exe, n), ".runfiles"));
  }
  for (const std::string& root : roots) {
    std::string candidate = absl::StrCat(root, "/", kWorkspace, "/", path);
    if (access(candidate.c_str(), F_OK) == 0) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat("runfile ", path, " not found (is it in `data`?)"));
}

absl::StatusOr<std::unique_ptr<FakeLayer>> FakeLayer::Start(Options options) {
  absl::call_once(g_curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto script = Runfile("tests/fake_layer/server.js");
  if (!script.ok()) return script.status();

  std::unique_ptr<FakeLayer> fake(new FakeLayer());
  char dir[] = "/tmp/lvfakeXXXXXX";
  if (mkdtemp(dir) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", strerror(errno)));
  }
  fake->tls_dir_ = dir;
  fake->pat_ = options.pat.empty() ? FakePat() : options.pat;

  int in_pipe[2];
  int out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe2");
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    return absl::InternalError("pipe2");
  }
  const std::string node =
      access("/usr/bin/node", X_OK) == 0 ? "/usr/bin/node" : "node";
  std::vector<std::string> args = {node,
                                   *script,
                                   "--tls-dir",
                                   fake->tls_dir_,
                                   "--polls-to-complete",
                                   absl::StrCat(options.polls_to_complete),
                                   "--poll-interval-seconds",
                                   absl::StrCat(options.poll_interval_seconds),
                                   "--exit-with-stdin"};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "FAKE_LAYER_PAT=")) env.emplace_back(*e);
  }
  env.push_back("FAKE_LAYER_PAT=" + fake->pat_);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(),
                              envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", node, ": ", strerror(rc)));
  }
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
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(out_pipe[0]);
      return absl::UnavailableError(
          "the fake exited before it was ready (is Node.js installed, and "
          "tests/node_modules set up by tools/setup.sh?)");
    }
    line.append(buffer, static_cast<size_t>(n));
  }
  close(out_pipe[0]);  // the fake prints nothing after the ready line
  const nlohmann::json ready =
      nlohmann::json::parse(line.substr(0, line.find('\n')), nullptr, false);
  if (!ready.is_object() || !ready.value("ready", false)) {
    return absl::InternalError("bad ready line from the fake");
  }
  fake->port_ = ready.at("port").get<int>();
  fake->base_url_ = ready.at("base_url").get<std::string>();
  fake->graphql_url_ = ready.at("graphql_url").get<std::string>();
  fake->ca_file_ = ready.at("ca_file").get<std::string>();
  fake->control_token_ = ready.at("control_token").get<std::string>();
  return fake;
}

FakeLayer::~FakeLayer() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (pid_ > 0) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  if (!tls_dir_.empty()) {
    nftw(tls_dir_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
  }
}

absl::StatusOr<nlohmann::json> FakeLayer::ControlRequest(
    absl::string_view method, absl::string_view path, const std::string* body) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init");
  const std::string url = absl::StrCat("https://127.0.0.1:", port_, path);
  const std::string method_text(method);
  const std::string token_header =
      absl::StrCat("X-Fake-Control-Token: ", control_token_);
  curl_slist* headers = curl_slist_append(nullptr, token_header.c_str());
  headers = curl_slist_append(headers, "Content-Type: application/json");
  std::string answer;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body->size()));
  }
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(
        "control request to the fake failed: ", curl_easy_strerror(code)));
  }
  if (status != 200) {
    return absl::InternalError(
        absl::StrCat("the fake answered ", path, " with HTTP ", status, ": ",
                     answer.substr(0, 500)));
  }
  nlohmann::json parsed = nlohmann::json::parse(answer, nullptr, false);
  if (parsed.is_discarded()) {
    return absl::InternalError("the fake's control answer is not JSON");
  }
  return parsed;
}

absl::StatusOr<nlohmann::json> FakeLayer::Control(
    const nlohmann::json& command) {
  const std::string body = command.dump();
  return ControlRequest("POST", "/__control", &body);
}

absl::Status FakeLayer::InjectFault(nlohmann::json fault) {
  fault["action"] = "inject_fault";
  return Control(fault).status();
}

absl::StatusOr<nlohmann::json> FakeLayer::Requests() {
  return ControlRequest("GET", "/__requests", nullptr);
}

absl::Status FakeLayer::Reset() {
  const std::string body = "{}";
  return ControlRequest("POST", "/__reset", &body).status();
}

}  // namespace layer_vault::tests::relay
