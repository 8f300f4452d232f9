#include "tests/hostile/hostile_env.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/relay/fake_layer.h"

namespace layer_vault::tests::hostile {
namespace {

namespace v1 = layer::vault::v1;

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

RawWorkload::RawWorkload(const std::string& workload_socket)
    : stub_(v1::Workload::NewStub(grpc::CreateChannel(
          "unix:" + workload_socket, grpc::InsecureChannelCredentials()))) {}

absl::StatusOr<std::string> RawWorkload::IssueToken(
    const std::vector<std::string>& scopes) {
  v1::IssueTokenRequest req;
  for (const std::string& s : scopes) req.add_scopes(s);
  v1::IssueTokenResponse resp;
  grpc::Status s = stub_->IssueToken(Context().get(), req, &resp);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        s.error_message());
  }
  return resp.token();
}

grpc::Status RawWorkload::CallLayer(const std::string& token,
                                    const std::string& operation,
                                    const std::string& params_json,
                                    v1::CallLayerResponse* resp) {
  v1::CallLayerRequest req;
  req.set_token(token);
  req.set_operation(operation);
  req.set_params_json(params_json);
  v1::CallLayerResponse ignored;
  return stub_->CallLayer(Context().get(), req, resp ? resp : &ignored);
}

grpc::Status RawWorkload::GetSpend(const std::string& token,
                                   v1::GetSpendResponse* resp) {
  v1::GetSpendRequest req;
  req.set_token(token);
  v1::GetSpendResponse ignored;
  return stub_->GetSpend(Context().get(), req, resp ? resp : &ignored);
}

grpc::Status RawWorkload::Ping(const std::string& payload) {
  v1::PingRequest req;
  req.set_payload(payload);
  v1::PingResponse resp;
  return stub_->Ping(Context().get(), req, &resp);
}

absl::StatusOr<std::vector<v1::VerificationKey>> RawWorkload::VerificationKeys() {
  v1::GetVerificationKeysResponse resp;
  grpc::Status s = stub_->GetVerificationKeys(
      Context().get(), v1::GetVerificationKeysRequest(), &resp);
  if (!s.ok()) return absl::InternalError(s.error_message());
  return std::vector<v1::VerificationKey>(resp.keys().begin(), resp.keys().end());
}

absl::StatusOr<PeerAnswer> RunPeer(const std::vector<std::string>& args,
                                   const std::string& token) {
  auto binary = relay::Runfile("tests/hostile/hostile_peer");
  if (!binary.ok()) return binary.status();
  std::vector<std::string> argv_store = {*binary};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Errno("pipe");
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return Errno("pipe");
  }
  const pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  size_t written = 0;
  while (written < token.size()) {
    const ssize_t n = write(in[1], token.data() + written, token.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  close(in[1]);
  std::string output;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(out[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::InternalError("hostile_peer did not exit within 30 s");
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("hostile_peer failed (wait status ", status, ")"));
  }
  PeerAnswer answer;
  absl::string_view text = output;
  const size_t newline = text.find('\n');
  absl::string_view first = text.substr(0, newline);
  if (!absl::ConsumePrefix(&first, "code=") ||
      !absl::SimpleAtoi(first, &answer.code)) {
    return absl::InternalError("hostile_peer printed no code line");
  }
  if (newline != absl::string_view::npos) {
    answer.message = std::string(
        absl::StripSuffix(text.substr(newline + 1), "\n"));
  }
  return answer;
}

absl::StatusOr<double> FakeSpent(relay::FakeLayer& fake) {
  auto state = fake.Control({{"action", "get_state"}});
  if (!state.ok()) return state.status();
  double spent = 0;
  for (const nlohmann::json& run : (*state)["state"]["runs"]) {
    const std::string status = run.value("status", "");
    if (status == "failed" || status == "failure" || status == "cancelled") {
      continue;
    }
    spent += run.value("price", 0.0);
  }
  return spent;
}

absl::StatusOr<WorldState> Observe(relay::RelayEnv& env,
                                   client::VaultClient& client) {
  WorldState state;
  state.api_requests = env.Recorded().size();
  auto spend = client.GetSpend();
  if (!spend.ok()) return spend.status();
  state.period_spent = spend->period_spent;
  auto fake = FakeSpent(env.fake());
  if (!fake.ok()) return fake.status();
  state.fake_spent = *fake;
  return state;
}

}  // namespace layer_vault::tests::hostile
