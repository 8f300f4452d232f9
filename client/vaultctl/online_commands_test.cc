// vaultctl's online commands: the real vaultctl binary against the real
// vaultd (client/testing/vaultd_fixture). Every run asserts that no PAT or
// passphrase the test knows appears on vaultctl's stdout or stderr.

#include "client/vaultctl/online_commands.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/admin_client.h"
#include "client/testing/vaultd_fixture.h"
#include "client/vault_client.h"
#include "client/vaultctl/exit_codes.h"
#include "vaultd/crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace layer_vault::vaultctl {
namespace {

using client::testing::FakePat;
using client::testing::VaultdFixture;
using client::testing::VaultdFixtureOptions;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string VaultctlBinary() {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                      workspace != nullptr ? workspace : "layer_vault",
                      "/client/vaultctl");
}

int WaitStatus(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class VaultctlOnlineTest : public ::testing::Test {
 protected:
  void StartVaultd(VaultdFixtureOptions options = {}, bool start = true) {
    auto fixture = VaultdFixture::Create(options);
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    vaultd_ = *std::move(fixture);
    if (!vaultd_->pat().empty()) secrets_.push_back(vaultd_->pat());
    if (!vaultd_->passphrase().empty()) secrets_.push_back(vaultd_->passphrase());
    if (start) {
      absl::Status s = vaultd_->Start();
      ASSERT_TRUE(s.ok()) << s;
    }
  }

  void TearDown() override {
    if (vaultd_ == nullptr) return;
    std::string logs = vaultd_->Logs();
    for (const std::string& secret : secrets_) {
      EXPECT_FALSE(absl::StrContains(logs, secret))
          << "a secret reached vaultd's log";
    }
    if (vaultd_->running()) {
      absl::Status s = vaultd_->Stop();
      EXPECT_TRUE(s.ok()) << s;
    }
  }

  void ExpectNoSecrets(const std::string& text) {
    for (const std::string& secret : secrets_) {
      EXPECT_FALSE(absl::StrContains(text, secret))
          << "a secret reached vaultctl's output:\n"
          << text;
    }
    EXPECT_FALSE(absl::StrContains(text, "v4.public.")) << text;
  }

  // Runs vaultctl with `args` and `stdin_data` on stdin (a file).
  Result Run(std::vector<std::string> args, const std::string& stdin_data = "",
             bool with_admin_socket = true) {
    if (with_admin_socket) {
      args.push_back("--admin-socket=" + vaultd_->admin_socket());
    }
    const std::string base = absl::StrCat(vaultd_->dir(), "/run", ++runs_);
    {
      std::ofstream in(base + ".in", std::ios::binary);
      in << stdin_data;
    }
    std::vector<std::string> argv_s = {VaultctlBinary()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, (base + ".in").c_str(),
                                     O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, (base + ".out").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, (base + ".err").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(),
                         environ);
    posix_spawn_file_actions_destroy(&actions);
    Result r;
    if (rc != 0) {
      ADD_FAILURE() << "cannot spawn " << argv[0] << ": " << strerror(rc);
      return r;
    }
    r.exit_code = WaitStatus(pid);
    r.out = ReadAll(base + ".out");
    r.err = ReadAll(base + ".err");
    ExpectNoSecrets(r.out);
    ExpectNoSecrets(r.err);
    return r;
  }

  std::unique_ptr<client::AdminClient> Admin() {
    client::AdminClientOptions options;
    options.admin_socket = vaultd_->admin_socket();
    auto admin = client::AdminClient::Create(options);
    EXPECT_TRUE(admin.ok()) << admin.status();
    return admin.ok() ? *std::move(admin) : nullptr;
  }

  std::unique_ptr<VaultdFixture> vaultd_;
  std::vector<std::string> secrets_;
  int runs_ = 0;
};

TEST(ChooseSetTokenModeTest, FollowsTheDocumentedRule) {
  auto listening = [](const std::string& path) {
    EXPECT_EQ(path, kDefaultAdminSocket);
    return true;
  };
  auto silent = [](const std::string&) { return false; };
  Flags none;
  EXPECT_EQ(*ChooseSetTokenMode(none, listening), SetTokenMode::kOnline);
  EXPECT_EQ(*ChooseSetTokenMode(none, silent), SetTokenMode::kOffline);

  Flags online;
  online.Set("admin-socket", "/tmp/a.sock");
  EXPECT_EQ(*ChooseSetTokenMode(online, silent), SetTokenMode::kOnline);

  for (const char* flag : {"state-dir", "passphrase-file", "key-source",
                           "credentials-directory", "rotation-days"}) {
    Flags offline;
    offline.Set(flag, "x");
    EXPECT_EQ(*ChooseSetTokenMode(offline, listening), SetTokenMode::kOffline)
        << flag;
    offline.Set("admin-socket", "/tmp/a.sock");
    absl::StatusOr<SetTokenMode> both = ChooseSetTokenMode(offline, listening);
    EXPECT_EQ(both.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(both.status().message()), HasSubstr(flag));
  }
}

TEST(AdminSocketListensTest, FalseWithoutASocket) {
  EXPECT_FALSE(AdminSocketListens("/nonexistent-dir/admin.sock"));
  EXPECT_FALSE(AdminSocketListens(""));
}

TEST_F(VaultctlOnlineTest, StatusJsonDescribesVaultd) {
  StartVaultd();
  Result r = Run({"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["running"], true);
  EXPECT_EQ(j["sealed"], false);
  EXPECT_EQ(j["key_source"], "key-file");
  EXPECT_THAT(j["credential"]["fingerprint"].get<std::string>(),
              StartsWith(vaultd_->pat().substr(0, 8)));
  EXPECT_FALSE(j["signing_key_ids"].empty());
  EXPECT_TRUE(AdminSocketListens(vaultd_->admin_socket()));
}

TEST_F(VaultctlOnlineTest, StatusTextOfASealedVaultdSaysUnlock) {
  VaultdFixtureOptions options;
  options.passphrase_store = true;
  StartVaultd(options);
  Result r = Run({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("SEALED (run vaultctl unlock)"));
  EXPECT_THAT(r.out, HasSubstr("key source:   passphrase"));
}

TEST_F(VaultctlOnlineTest, NotRunningExitsTwelve) {
  StartVaultd({}, /*start=*/false);
  for (const char* command : {"status", "lock", "revoke-all",
                              "rotate-signing-key"}) {
    Result r = Run({command});
    EXPECT_EQ(r.exit_code, kExitVaultdUnavailable) << command;
    EXPECT_THAT(r.err, StartsWith("vaultctl: vaultd is not running at " +
                                  vaultd_->admin_socket()))
        << command;
  }
  // set-token fails before it asks for the token.
  Result r = Run({"set-token", "--no-verify"}, FakePat());
  EXPECT_EQ(r.exit_code, kExitVaultdUnavailable) << r.err;
}

TEST_F(VaultctlOnlineTest, UnlockFromStdinThenAlreadyUnlocked) {
  VaultdFixtureOptions options;
  options.passphrase_store = true;
  StartVaultd(options);
  const std::string wrong = "TESTONLY-wrong-" + FakePat(32);
  secrets_.push_back(wrong);

  Result bad = Run({"unlock", "--passphrase-file", "-"}, wrong + "\n");
  EXPECT_EQ(bad.exit_code, kExitWrongKeyOrTampered) << bad.err;

  Result ok = Run({"unlock", "--passphrase-file", "-"},
                  vaultd_->passphrase() + "\n");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "vaultd unlocked\n");
  EXPECT_FALSE(Admin()->Status()->sealed());

  Result again = Run({"unlock", "--passphrase-file", "-"}, "");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "vaultd is already unlocked\n");
}

TEST_F(VaultctlOnlineTest, UnlockOfAKeyFileStoreRereadsTheKeyWithoutAsking) {
  StartVaultd();
  ASSERT_TRUE(Admin()->Lock().ok());
  auto sealed = Admin()->Status();
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  ASSERT_TRUE(sealed->sealed());
  // No terminal and no passphrase file: it must not ask for one.
  Result r = Run({"unlock"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("unlocked from its key-file"));
  auto status = Admin()->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->sealed());
}

TEST_F(VaultctlOnlineTest, UnlockReadsTheTerminalWithEchoOff) {
  VaultdFixtureOptions options;
  options.passphrase_store = true;
  StartVaultd(options);

  int master = -1, slave = -1;
  char slave_name[256];
  ASSERT_EQ(openpty(&master, &slave, slave_name, nullptr, nullptr), 0);
  close(slave);
  const std::string base = vaultd_->dir() + "/tty";
  std::vector<std::string> argv_s = {VaultctlBinary(), "unlock",
                                     "--admin-socket=" +
                                         vaultd_->admin_socket()};
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // A new session whose first opened terminal becomes its /dev/tty.
  posix_spawn_file_actions_addopen(&actions, 0, slave_name, O_RDWR, 0);
  posix_spawn_file_actions_addopen(&actions, 1, (base + ".out").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, (base + ".err").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addclose(&actions, master);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ),
            0);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);

  // Read the terminal until the prompt, answer, then read the rest.
  std::string screen;
  bool answered = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buf[512];
      ssize_t n = read(master, buf, sizeof(buf));
      if (n <= 0) break;  // EIO: the child closed the terminal.
      screen.append(buf, n);
    }
    if (!answered && absl::StrContains(screen, "(input hidden): ")) {
      std::string line = vaultd_->passphrase() + "\n";
      ASSERT_EQ(write(master, line.data(), line.size()),
                static_cast<ssize_t>(line.size()));
      answered = true;
    }
  }
  // The child has exited, closed the terminal, or the deadline passed.
  int status = -1;
  while (absl::Now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (pid > 0) {
    kill(pid, SIGKILL);
    WaitStatus(pid);
    ADD_FAILURE() << "vaultctl unlock did not finish; terminal:\n" << screen;
  } else {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << status << " " << ReadAll(base + ".err");
  }
  close(master);
  EXPECT_TRUE(answered) << screen;
  EXPECT_THAT(screen, HasSubstr("vaultd store passphrase (input hidden): "));
  EXPECT_FALSE(absl::StrContains(screen, vaultd_->passphrase()))
      << "the passphrase was echoed";
  ExpectNoSecrets(ReadAll(base + ".out"));
  ExpectNoSecrets(ReadAll(base + ".err"));
  EXPECT_EQ(ReadAll(base + ".out"), "vaultd unlocked\n");
  EXPECT_FALSE(Admin()->Status()->sealed());
}

TEST_F(VaultctlOnlineTest, LockedVaultdRefusesWithTheUnlockHint) {
  VaultdFixtureOptions options;
  options.passphrase_store = true;
  StartVaultd(options);
  ASSERT_TRUE(Admin()
                  ->Unlock(crypto::SecretBytes::CopyFrom(vaultd_->passphrase()))
                  .ok());
  Result lock = Run({"lock"});
  ASSERT_EQ(lock.exit_code, 0) << lock.err;
  EXPECT_TRUE(Admin()->Status()->sealed());
  for (const char* command : {"revoke-all", "rotate-signing-key"}) {
    Result r = Run({command});
    EXPECT_EQ(r.exit_code, kExitVaultdState) << command;
    EXPECT_EQ(r.err, "vaultctl: vaultd is sealed: run vaultctl unlock\n");
  }
  const std::string pat = FakePat();
  secrets_.push_back(pat);
  Result set = Run({"set-token", "--no-verify"}, pat);
  EXPECT_EQ(set.exit_code, kExitVaultdState);
  EXPECT_EQ(set.err, "vaultctl: vaultd is sealed: run vaultctl unlock\n");
}

TEST_F(VaultctlOnlineTest, SetTokenOnlineStoresItInVaultd) {
  StartVaultd();
  const std::string pat = FakePat(64);
  secrets_.push_back(pat);
  Result r = Run({"set-token", "--no-verify", "--json", "--workspace",
                  "0b5e3a52-8c4f-4d7e-9a61-2f3c4d5e6f70"},
                 pat + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_THAT(j["fingerprint"].get<std::string>(), StartsWith(pat.substr(0, 8)));
  EXPECT_EQ(j["workspace_id"], "0b5e3a52-8c4f-4d7e-9a61-2f3c4d5e6f70");
  EXPECT_EQ(j["verified"], false);
  auto status = Admin()->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->credential().fingerprint(), j["fingerprint"]);
}

TEST_F(VaultctlOnlineTest, SetTokenVerifiesByDefault) {
  StartVaultd();
  const std::string pat = FakePat();
  secrets_.push_back(pat);
  const std::string before = Admin()->Status()->credential().fingerprint();
  Result r = Run({"set-token"}, pat);
  // This vaultd has no route to Layer.ai: verification cannot succeed, and
  // nothing is stored.
  EXPECT_TRUE(r.exit_code == kExitVaultdState ||
              r.exit_code == kExitVaultdUnavailable)
      << r.exit_code << " " << r.err;
  EXPECT_EQ(Admin()->Status()->credential().fingerprint(), before);
}

TEST_F(VaultctlOnlineTest, SetTokenRefusesMixedOnlineAndOfflineFlags) {
  StartVaultd();
  Result r = Run({"set-token", "--state-dir", vaultd_->state_dir()},
                 FakePat());
  EXPECT_EQ(r.exit_code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--state-dir"));
}

TEST_F(VaultctlOnlineTest, RotateReplacesTheToken) {
  StartVaultd();
  const std::string pat = FakePat(80);
  secrets_.push_back(pat);
  const std::string before = Admin()->Status()->credential().fingerprint();
  Result r = Run({"rotate", "--no-verify"}, pat);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("token rotated in vaultd: " + pat.substr(0, 8)));
  const std::string after = Admin()->Status()->credential().fingerprint();
  EXPECT_NE(after, before);
  EXPECT_THAT(after, StartsWith(pat.substr(0, 8)));
}

TEST_F(VaultctlOnlineTest, InvalidTokenIsRejectedLocallyWithoutEcho) {
  StartVaultd();
  const std::string bad = "pat_TESTONLY/not/valid/" + FakePat(40);
  secrets_.push_back(bad);
  Result r = Run({"rotate", "--no-verify"}, bad);
  EXPECT_EQ(r.exit_code, kExitInvalidInput) << r.err;
}

TEST_F(VaultctlOnlineTest, RevokeTakesTheJtiAsAnArgument) {
  StartVaultd();
  client::VaultClientOptions options;
  options.workload_socket = vaultd_->workload_socket();
  options.scopes = {"layer:read"};
  auto client = client::VaultClient::Create(options);
  ASSERT_TRUE(client.ok());
  auto token = (*client)->IssueToken();
  ASSERT_TRUE(token.ok());

  Result r = Run({"revoke", token->jti});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "revoked token " + token->jti + "\n");
  EXPECT_EQ(Admin()->Status()->tokens_revoked(), 1u);
  // The client notices and recovers with a fresh token.
  EXPECT_TRUE((*client)->GetSpend().ok());
  EXPECT_NE((*client)->IssueToken()->jti, token->jti);

  EXPECT_EQ(Run({"revoke", "not-a-jti"}).exit_code, kExitInvalidInput);
  Result missing = Run({"revoke"});
  EXPECT_EQ(missing.exit_code, kExitUsage);
  EXPECT_THAT(missing.err, HasSubstr("missing JTI"));
}

TEST_F(VaultctlOnlineTest, RevokeAllPrintsTheEpoch) {
  StartVaultd();
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  Result r = Run({"revoke-all", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_GE(j["revoked_before_unix"].get<int64_t>(), now);
  EXPECT_THAT(j["revoked_before"].get<std::string>(), HasSubstr("T"));
}

TEST_F(VaultctlOnlineTest, RotateSigningKeyReportsBothKeys) {
  StartVaultd();
  const std::string current = Admin()->Status()->signing_key_ids(0);
  Result r = Run({"rotate-signing-key", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["previous_key_id"], current);
  EXPECT_NE(j["new_key_id"], current);
  EXPECT_EQ(Admin()->Status()->signing_key_ids(0), j["new_key_id"]);
}

TEST_F(VaultctlOnlineTest, HelpDocumentsTheAdminSocketAndExitCodes) {
  StartVaultd({}, /*start=*/false);
  Result global = Run({"--help"}, "", /*with_admin_socket=*/false);
  ASSERT_EQ(global.exit_code, 0);
  for (const char* command : {"status", "unlock", "lock", "rotate", "revoke",
                              "revoke-all", "rotate-signing-key"}) {
    EXPECT_THAT(global.out, HasSubstr(std::string("  ") + command + " "));
    Result help = Run({command, "--help"}, "", /*with_admin_socket=*/false);
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.out, HasSubstr("--admin-socket PATH")) << command;
  }
  EXPECT_THAT(global.out, HasSubstr("14  vaultd refused this process"));
  Result set = Run({"set-token", "--help"}, "", /*with_admin_socket=*/false);
  EXPECT_THAT(set.out, HasSubstr("Online or offline:"));
  EXPECT_THAT(set.out, HasSubstr("--no-verify"));
}

TEST_F(VaultctlOnlineTest, AStrayArgumentIsNeverEchoed) {
  StartVaultd();
  const std::string pat = FakePat();
  secrets_.push_back(pat);
  Result r = Run({"rotate", pat});
  EXPECT_EQ(r.exit_code, kExitUsage);
}

}  // namespace
}  // namespace layer_vault::vaultctl
