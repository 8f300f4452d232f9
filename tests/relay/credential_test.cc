// The stored credential and Layer.ai: a PAT Layer.ai rejects (401/403)
// makes every call FAILED_PRECONDITION with "rotate it with vaultctl
// rotate" and an audit event; `vaultctl set-token` and `vaultctl rotate`
// check a new PAT with Layer.ai before storing it (a rejected one is not
// stored: Admin Status keeps the old fingerprint), and `--no-verify` skips
// that check. vaultctl is the real binary, fed the PAT on stdin.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "tests/relay/relay_test_base.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/record.h"

extern char** environ;

namespace layer_vault::tests::relay {
namespace {

using ::nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct Output {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs vaultctl `args` with `input` on stdin; its exit code and output.
absl::StatusOr<Output> RunVaultctl(const std::vector<std::string>& args,
                                   const std::string& input) {
  auto binary = Runfile("client/vaultctl");
  if (!binary.ok()) return binary.status();
  signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
      pipe2(err, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe2");
  }
  std::vector<std::string> argv_strings = {*binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) return absl::InternalError("posix_spawn vaultctl");
  if (write(in[1], input.data(), input.size()) < 0) {
    // vaultctl may exit before reading; its output says why.
  }
  close(in[1]);
  Output result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (open_fds > 0 && absl::Now() < deadline) {
    if (poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  if (open_fds > 0) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string FingerprintOf(const std::string& pat) {
  return store::FingerprintOf(crypto::SecretBytes::CopyFrom(pat)).ToString();
}

class CredentialTest : public ::testing::Test {
 protected:
  void Start(RelayEnvOptions::Stored stored) {
    RelayEnvOptions options;
    options.stored = stored;
    auto env = RelayEnv::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    auto client = env_->Client();
    RELAY_ASSERT_OK(client);
    client_ = *std::move(client);
    auto admin = env_->Admin();
    RELAY_ASSERT_OK(admin);
    admin_ = *std::move(admin);
  }

  void TearDown() override {
    if (env_ == nullptr) return;
    EXPECT_THAT(env_->FindLeaks(), IsEmpty());
    std::vector<std::string> secrets = env_->Secrets();
    secrets.insert(secrets.end(), extra_secrets_.begin(), extra_secrets_.end());
    EXPECT_FALSE(ContainsAnySecret(env_->vaultd().Stderr(), secrets));
    EXPECT_FALSE(ContainsAnySecret(env_->vaultd().AuditLog(), secrets));
    for (const json& r : env_->Recorded()) {
      json copy = r;
      copy["headers"].erase("authorization");
      EXPECT_FALSE(ContainsAnySecret(copy.dump(), secrets)) << r.dump();
    }
    client_.reset();  // idle connections hold vaultd's shutdown back
    admin_.reset();
    RELAY_EXPECT_OK(env_->vaultd().Stop());
  }

  std::string StoredFingerprint() {
    auto status = admin_->Status();
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? status->credential().fingerprint() : "";
  }

  // vaultctl `command` with `pat` on stdin; checks its output for PATs.
  Output Vaultctl(std::vector<std::string> command, const std::string& pat) {
    command.push_back("--admin-socket=" + env_->vaultd().admin_socket());
    auto out = RunVaultctl(command, pat + "\n");
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return {};
    std::vector<std::string> secrets = env_->Secrets();
    secrets.push_back(pat);
    EXPECT_FALSE(ContainsAnySecret(out->out + out->err, secrets))
        << out->out << out->err;
    return *out;
  }

  std::string NewPat() {
    extra_secrets_.push_back(FakePat());
    return extra_secrets_.back();
  }

  std::unique_ptr<RelayEnv> env_;
  std::unique_ptr<client::VaultClient> client_;
  std::unique_ptr<client::AdminClient> admin_;
  std::vector<std::string> extra_secrets_;
};

TEST_F(CredentialTest, RejectedStoredPatAsksForRotationAndIsAudited) {
  Start(RelayEnvOptions::Stored::kOtherPat);
  auto rest = client_->Call("workspaces.get", {{"workspace_id", kStudio}});
  EXPECT_EQ(rest.status().code(), absl::StatusCode::kFailedPrecondition)
      << rest.status();
  EXPECT_EQ(TypeOf(rest.status()), "[layer:CREDENTIAL_REJECTED]");
  EXPECT_THAT(rest.status().message(),
              AllOf(HasSubstr("rotate it with vaultctl rotate"), HasSubstr("401")));
  // Not retried: another attempt cannot fix a rejected PAT.
  std::vector<json> sent = env_->Recorded();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0]["status"], 401);

  auto graphql =
      client_->Call("graphql.ListTranslationLanguages", {{"workspaceId", kStudio}});
  EXPECT_EQ(TypeOf(graphql.status()), "[layer:CREDENTIAL_REJECTED]")
      << graphql.status();
  EXPECT_THAT(graphql.status().message(), HasSubstr("rotate it with vaultctl rotate"));

  // An execute stops at its estimate.
  RELAY_ASSERT_OK(env_->fake().Reset());
  auto run = client_->Call(
      "inferences.execute",
      {{"workspace_id", kStudio},
       {"body", {{"model_id", kImageFast}, {"prompt", "x"}, {"batch_size", 1}}}});
  EXPECT_EQ(TypeOf(run.status()), "[layer:CREDENTIAL_REJECTED]") << run.status();
  EXPECT_THAT(env_->Recorded(), SizeIs(1));

  int audited = 0;
  for (const json& e : env_->vaultd().AuditEvents()) {
    if (e.value("event", "") == "relay.call" && e.value("decision", "") == "error" &&
        e.value("reason", "").find("rotate it with vaultctl rotate") !=
            std::string::npos) {
      ++audited;
    }
  }
  EXPECT_EQ(audited, 3) << env_->vaultd().AuditLog();
}

TEST_F(CredentialTest, ForbiddenIsTreatedAsARejectedCredential) {
  Start(RelayEnvOptions::Stored::kFakesPat);
  RELAY_ASSERT_OK(env_->fake().InjectFault(
      {{"type", "status"}, {"status", 403}, {"path_prefix", "/api/"}}));
  auto rest = client_->Call("workspaces.list", json::object());
  EXPECT_EQ(rest.status().code(), absl::StatusCode::kFailedPrecondition)
      << rest.status();
  EXPECT_EQ(TypeOf(rest.status()), "[layer:CREDENTIAL_REJECTED]");
  EXPECT_THAT(rest.status().message(),
              AllOf(HasSubstr("rotate it with vaultctl rotate"), HasSubstr("403")));
}

TEST_F(CredentialTest, RotateWithAWorkingPatRestoresService) {
  Start(RelayEnvOptions::Stored::kOtherPat);
  const std::string before = StoredFingerprint();
  EXPECT_EQ(before, FingerprintOf(env_->stored_pat()));

  Output rotated = Vaultctl({"rotate"}, env_->fake().pat());
  EXPECT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_EQ(StoredFingerprint(), FingerprintOf(env_->fake().pat()));
  // vaultd checked it with a cheap authenticated read first.
  std::vector<json> sent = env_->Recorded();
  ASSERT_THAT(MethodsAndPaths(sent), ::testing::ElementsAre("GET /v1/workspaces"));
  EXPECT_EQ(sent[0]["status"], 200);

  RELAY_ASSERT_OK(client_->Call("workspaces.get", {{"workspace_id", kStudio}}));
}

TEST_F(CredentialTest, APatLayerRejectsIsNotStored) {
  Start(RelayEnvOptions::Stored::kFakesPat);
  const std::string stored = StoredFingerprint();
  ASSERT_EQ(stored, FingerprintOf(env_->fake().pat()));

  for (const char* command : {"set-token", "rotate"}) {
    SCOPED_TRACE(command);
    RELAY_ASSERT_OK(env_->fake().Reset());
    const std::string bad = NewPat();
    Output out = Vaultctl({command}, bad);
    EXPECT_NE(out.exit_code, 0) << out.out;
    EXPECT_THAT(out.err, AllOf(HasSubstr("not stored"),
                               HasSubstr("rejected")));
    EXPECT_EQ(StoredFingerprint(), stored);
    std::vector<json> sent = env_->Recorded();
    ASSERT_THAT(sent, SizeIs(1));
    EXPECT_EQ(sent[0]["status"], 401);
    // The old PAT still works.
    RELAY_ASSERT_OK(client_->Call("workspaces.get", {{"workspace_id", kStudio}}));
  }
}

TEST_F(CredentialTest, APatIsNotStoredWhenLayerCannotCheckIt) {
  Start(RelayEnvOptions::Stored::kFakesPat);
  const std::string stored = StoredFingerprint();
  RELAY_ASSERT_OK(env_->fake().InjectFault(
      {{"type", "status"}, {"status", 503}, {"path", "/api/v1/workspaces"}, {"count", -1}}));
  Output out = Vaultctl({"set-token"}, NewPat());
  EXPECT_NE(out.exit_code, 0) << out.out;
  EXPECT_THAT(out.err, HasSubstr("not stored"));
  EXPECT_EQ(StoredFingerprint(), stored);
}

TEST_F(CredentialTest, NoVerifyStoresWithoutAskingLayer) {
  Start(RelayEnvOptions::Stored::kFakesPat);
  const std::string unchecked = NewPat();
  Output out = Vaultctl({"set-token", "--no-verify"}, unchecked);
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_THAT(out.out, HasSubstr("not verified"));
  EXPECT_EQ(StoredFingerprint(), FingerprintOf(unchecked));
  EXPECT_THAT(env_->Recorded(), IsEmpty());
  // It really is the PAT vaultd now uses (and Layer.ai rejects).
  auto call = client_->Call("workspaces.get", {{"workspace_id", kStudio}});
  EXPECT_EQ(TypeOf(call.status()), "[layer:CREDENTIAL_REJECTED]") << call.status();
  std::vector<json> sent = env_->Recorded();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0]["headers"]["authorization"], "Bearer " + unchecked);

  const std::string rotated = NewPat();
  out = Vaultctl({"rotate", "--no-verify"}, rotated);
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(StoredFingerprint(), FingerprintOf(rotated));
  EXPECT_THAT(env_->Recorded(), SizeIs(1));
}

}  // namespace
}  // namespace layer_vault::tests::relay
