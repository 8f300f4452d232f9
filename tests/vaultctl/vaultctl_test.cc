// Runs the real vaultctl binary (a Bazel data dependency) through every
// offline command and error path. Every run's stdout and stderr are checked
// for every secret the test made (PATs, passphrases): none may appear, nor
// may a PAT appear in any file of the state directory.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "vaultd/store/test_util.h"

namespace {

using ::layer_vault::store::testing::FakePat;
using ::layer_vault::store::testing::MakeTempDir;
using ::layer_vault::store::testing::ReadFile;
using ::layer_vault::store::testing::RemoveTree;
using ::layer_vault::store::testing::WriteFile;

constexpr char kWorkspace[] = "123e4567-e89b-12d3-a456-426614174000";

struct Result {
  int code = -1;
  std::string out;
  std::string err;
  std::string all() const { return out + err; }
};

std::string VaultctlPath() {
  return absl::StrCat(getenv("TEST_SRCDIR"), "/layer_vault/client/vaultctl");
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Runs vaultctl with `args`, `stdin_data` on a pipe as stdin, and exactly
// `env` as its environment, in a new session (so there is no /dev/tty).
Result RunVaultctl(std::vector<std::string> args, const std::string& stdin_data,
           std::vector<std::string> env) {
  args.insert(args.begin(), VaultctlPath());
  int in[2], out[2], err[2];
  EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  signal(SIGPIPE, SIG_IGN);
  if (!stdin_data.empty()) {
    (void)!write(in[1], stdin_data.data(), stdin_data.size());
  }
  close(in[1]);
  Result r;
  struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, 20000) <= 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        sinks[i]->append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

class VaultctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    state_ = root_ + "/state";
    project_ = root_ + "/project";
    ASSERT_EQ(mkdir(project_.c_str(), 0700), 0);
    passphrase_ = Secret("first passphrase " + FakePat(20).substr(12));
    pp_file_ = root_ + "/pp";
    WriteFile(pp_file_, passphrase_ + "\n", 0600);
  }

  void TearDown() override {
    // No secret in the store file, ever.
    const std::string file = state_ + "/credentials.enc";
    if (access(file.c_str(), F_OK) == 0) {
      chmod(file.c_str(), 0600);
      std::string store = ReadFile(file);
      for (const std::string& s : secrets_) {
        EXPECT_FALSE(absl::StrContains(store, s)) << "plaintext on disk";
      }
    }
    chmod(state_.c_str(), 0700);
    RemoveTree(root_);
  }

  // Remembers `s` as a secret that must never be printed.
  std::string Secret(std::string s) {
    secrets_.push_back(s);
    return s;
  }
  std::string NewPat() { return Secret(FakePat()); }

  Result Vaultctl(std::vector<std::string> args, const std::string& stdin_data = "",
                  std::vector<std::string> env = {"LANG=C"}) {
    Result r = RunVaultctl(std::move(args), stdin_data, std::move(env));
    for (const std::string& s : secrets_) {
      EXPECT_FALSE(absl::StrContains(r.out, s)) << "secret on stdout:\n" << r.out;
      EXPECT_FALSE(absl::StrContains(r.err, s)) << "secret on stderr:\n" << r.err;
    }
    // Pipes are not terminals: no colour, no progress line.
    EXPECT_FALSE(absl::StrContains(r.all(), "\x1b")) << "escape code:\n"
                                                      << r.all();
    EXPECT_FALSE(absl::StrContains(r.err, "deriving")) << r.err;
    return r;
  }

  Result InitPassphrase() {
    return Vaultctl({"init", "--state-dir", state_, "--key-source",
                     "passphrase", "--passphrase-file", pp_file_,
                     "--iterations", "100000"});
  }

  Result SetToken(const std::string& pat,
                  std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"set-token", "--state-dir", state_,
                                     "--passphrase-file", pp_file_};
    args.insert(args.end(), extra.begin(), extra.end());
    return Vaultctl(args, pat + "\n");
  }

  nlohmann::json ShowJson(const std::string& pp_file) {
    Result r = Vaultctl({"show", "--state-dir", state_, "--passphrase-file",
                         pp_file, "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  std::string root_, state_, project_, passphrase_, pp_file_;
  std::vector<std::string> secrets_;
};

TEST_F(VaultctlTest, PassphraseLifecycle) {
  Result init = InitPassphrase();
  ASSERT_EQ(init.code, 0) << init.err;
  EXPECT_TRUE(absl::StrContains(init.out, "PBKDF2-HMAC-SHA256, 100000"));

  const std::string pat = NewPat();
  Result set = SetToken(pat, {"--workspace", kWorkspace});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_TRUE(absl::StrContains(set.out, pat.substr(0, 8) + "..."));

  Result show = Vaultctl(
      {"show", "--state-dir", state_, "--passphrase-file", pp_file_});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_TRUE(absl::StrContains(show.out, kWorkspace));
  EXPECT_TRUE(absl::StrContains(show.out, "rotation due:"));
  EXPECT_TRUE(absl::StrContains(show.out, "(in 89 days)") ||
              absl::StrContains(show.out, "(in 90 days)"))
      << show.out;

  nlohmann::json j = ShowJson(pp_file_);
  EXPECT_EQ(j["token"]["prefix"], pat.substr(0, 8));
  EXPECT_EQ(j["token"]["sha256"].get<std::string>().size(), 16u);
  EXPECT_EQ(j["workspace_id"], kWorkspace);
  EXPECT_EQ(j["key_source"], "passphrase");
  EXPECT_EQ(j["iterations"], 100000);
  EXPECT_EQ(j["rotation_overdue"], false);

  const std::string new_pp = root_ + "/pp2";
  const std::string new_passphrase = Secret("second passphrase " + FakePat(20).substr(12));
  WriteFile(new_pp, new_passphrase, 0600);
  Result change = Vaultctl({"change-passphrase", "--state-dir", state_,
                            "--passphrase-file", pp_file_,
                            "--new-passphrase-file", new_pp, "--iterations",
                            "100000"});
  ASSERT_EQ(change.code, 0) << change.err;
  Result old = Vaultctl(
      {"show", "--state-dir", state_, "--passphrase-file", pp_file_});
  EXPECT_EQ(old.code, 8);
  EXPECT_TRUE(absl::StrContains(old.err, "wrong passphrase"));
  EXPECT_TRUE(absl::StrContains(old.err, "tampered"));
  EXPECT_EQ(ShowJson(new_pp)["token"]["prefix"], pat.substr(0, 8));

  // Replace the token from the environment, as the Python servers had it.
  const std::string env_pat = NewPat();
  Result imported = Vaultctl(
      {"import-env", "--state-dir", state_, "--passphrase-file", new_pp},
      "", {"LANG=C", "LAYER_API_TOKEN=" + env_pat,
           std::string("LAYER_WORKSPACE_ID=") + kWorkspace});
  ASSERT_EQ(imported.code, 0) << imported.err;
  EXPECT_TRUE(absl::StrContains(imported.out,
                                "unset LAYER_API_TOKEN LAYER_WORKSPACE_ID"));
  EXPECT_TRUE(absl::StrContains(imported.out, ".bashrc"));
  EXPECT_TRUE(absl::StrContains(imported.out, ".env"));
  EXPECT_EQ(ShowJson(new_pp)["token"]["prefix"], env_pat.substr(0, 8));
}

TEST_F(VaultctlTest, KeyFileLifecycle) {
  const std::string key = root_ + "/store.key";
  Result init = Vaultctl({"init", "--state-dir", state_, "--key-source",
                          "key-file:" + key, "--json"});
  ASSERT_EQ(init.code, 0) << init.err;
  nlohmann::json j = nlohmann::json::parse(init.out);
  EXPECT_EQ(j["created_key_file"], true);
  EXPECT_EQ(j["kdf"], "none (32-byte random key)");
  struct stat st;
  ASSERT_EQ(stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  const std::string pat = NewPat();
  Result set = Vaultctl({"set-token", "--state-dir", state_}, pat);
  ASSERT_EQ(set.code, 0) << set.err;
  Result show = Vaultctl({"show", "--state-dir", state_});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_TRUE(absl::StrContains(show.out, "key-file:" + key));
  EXPECT_TRUE(absl::StrContains(show.out, pat.substr(0, 8)));

  // A key file readable by others is refused with the fix.
  chmod(key.c_str(), 0644);
  Result open = Vaultctl({"show", "--state-dir", state_});
  EXPECT_EQ(open.code, 10);
  EXPECT_TRUE(absl::StrContains(open.err, "chmod 0600 '" + key + "'"));
  chmod(key.c_str(), 0600);

  // A key file inside the state directory is refused.
  RemoveTree(state_);
  Result beside = Vaultctl({"init", "--state-dir", root_, "--key-source",
                            "key-file:" + root_ + "/inside.key"});
  EXPECT_EQ(beside.code, 5);
  EXPECT_TRUE(absl::StrContains(beside.err, "beside the data"));
  EXPECT_NE(access((root_ + "/inside.key").c_str(), F_OK), 0)
      << "the key file init made is removed again";
}

TEST_F(VaultctlTest, SystemdCredential) {
  const std::string creds = root_ + "/creds";
  ASSERT_EQ(mkdir(creds.c_str(), 0700), 0);
  WriteFile(creds + "/vaultd-store-key", std::string(32, '\x42'), 0400);
  Result missing = Vaultctl({"init", "--state-dir", state_, "--key-source",
                             "systemd-credential:vaultd-store-key"});
  EXPECT_EQ(missing.code, 6);
  EXPECT_TRUE(absl::StrContains(missing.err, "CREDENTIALS_DIRECTORY"));

  Result init = Vaultctl({"init", "--state-dir", state_, "--key-source",
                          "systemd-credential:vaultd-store-key"},
                         "", {"CREDENTIALS_DIRECTORY=" + creds});
  ASSERT_EQ(init.code, 0) << init.err;
  const std::string pat = NewPat();
  Result set = Vaultctl({"set-token", "--state-dir", state_,
                         "--credentials-directory", creds},
                        pat);
  ASSERT_EQ(set.code, 0) << set.err;
  Result show = Vaultctl({"show", "--state-dir", state_, "--json"}, "",
                         {"CREDENTIALS_DIRECTORY=" + creds});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_EQ(nlohmann::json::parse(show.out)["key_source"],
            "systemd-credential:vaultd-store-key");
  unlink((creds + "/vaultd-store-key").c_str());
  Result gone = Vaultctl({"show", "--state-dir", state_}, "",
                         {"CREDENTIALS_DIRECTORY=" + creds});
  EXPECT_EQ(gone.code, 6);
  EXPECT_TRUE(absl::StrContains(gone.err, "missing key source"));
}

TEST_F(VaultctlTest, InvalidTokensAreRefusedWithoutEcho) {
  ASSERT_EQ(InitPassphrase().code, 0);
  const std::string before = ReadFile(state_ + "/credentials.enc");
  const std::string tail = FakePat(40).substr(12);
  for (const std::string& bad :
       {Secret("tok_" + tail), Secret("pat_" + tail.substr(0, 10)),
        Secret("pat_" + tail + "!x"), Secret("pat_" + tail + " " + tail)}) {
    Result r = SetToken(bad);
    EXPECT_EQ(r.code, 5) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "personal access token")) << r.err;
    EXPECT_FALSE(absl::StrContains(r.all(), tail.substr(0, 12))) << r.all();
  }
  Result no_input = Vaultctl({"set-token", "--state-dir", state_,
                              "--passphrase-file", pp_file_});
  EXPECT_EQ(no_input.code, 5);
  Result bad_ws = SetToken(NewPat(), {"--workspace", "not-a-uuid"});
  EXPECT_EQ(bad_ws.code, 5);
  EXPECT_TRUE(absl::StrContains(bad_ws.err, "UUID"));
  EXPECT_EQ(ReadFile(state_ + "/credentials.enc"), before);
}

TEST_F(VaultctlTest, ErrorsHaveDistinctExitCodesAndChangeNothing) {
  ASSERT_EQ(InitPassphrase().code, 0);
  const std::string pat = NewPat();
  ASSERT_EQ(SetToken(pat).code, 0);
  const std::string file = state_ + "/credentials.enc";
  const std::string good = ReadFile(file);
  const std::vector<std::string> show = {"show", "--state-dir", state_,
                                         "--passphrase-file", pp_file_};

  Result again = InitPassphrase();
  EXPECT_EQ(again.code, 7);
  EXPECT_TRUE(absl::StrContains(again.err, "refusing to overwrite"));

  const std::string wrong = root_ + "/wrong";
  WriteFile(wrong, Secret("not the passphrase"), 0600);
  Result wrong_set = Vaultctl({"set-token", "--state-dir", state_,
                               "--passphrase-file", wrong},
                              NewPat());
  EXPECT_EQ(wrong_set.code, 8);
  EXPECT_EQ(ReadFile(file), good);

  struct Damage {
    const char* name;
    std::string bytes;
    int code;
    const char* message;
  };
  std::string flipped = good;
  flipped[good.size() - 20] ^= 0x01;
  std::string version = good;
  version[9] = 9;
  const std::vector<Damage> damages = {
      {"truncated", good.substr(0, good.size() - 7), 9, "truncated"},
      {"empty", "", 9, "truncated"},
      {"version", version, 9, "format version 9"},
      {"garbage", std::string(200, 'z'), 9, "not a layer-vault"},
      {"tampered", flipped, 8, "tampered"},
  };
  for (const Damage& d : damages) {
    WriteFile(file, d.bytes, 0600);
    Result r = Vaultctl(show);
    EXPECT_EQ(r.code, d.code) << d.name << ": " << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, d.message)) << d.name << ": " << r.err;
    EXPECT_EQ(ReadFile(file), d.bytes) << d.name;
  }
  WriteFile(file, good, 0600);

  chmod(state_.c_str(), 0750);
  Result dir_perm = Vaultctl(show);
  EXPECT_EQ(dir_perm.code, 10);
  EXPECT_TRUE(absl::StrContains(dir_perm.err, "chmod 0700 '" + state_ + "'"));
  chmod(state_.c_str(), 0700);
  chmod(file.c_str(), 0644);
  Result file_perm = Vaultctl(show);
  EXPECT_EQ(file_perm.code, 10);
  EXPECT_TRUE(absl::StrContains(file_perm.err, "chmod 0600 '" + file + "'"));
  chmod(file.c_str(), 0600);

  // A process holding the store (as vaultd does) makes vaultctl back off.
  int dir_fd = open(state_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_EQ(flock(dir_fd, LOCK_EX), 0);
  Result busy = Vaultctl(show);
  EXPECT_EQ(busy.code, 11);
  EXPECT_TRUE(absl::StrContains(busy.err, "in use"));
  close(dir_fd);

  Result missing = Vaultctl({"show", "--state-dir", root_ + "/none",
                             "--passphrase-file", pp_file_});
  EXPECT_EQ(missing.code, 6);
  EXPECT_TRUE(absl::StrContains(missing.err, "vaultctl init"));

  Result no_tty = Vaultctl({"show", "--state-dir", state_});
  EXPECT_EQ(no_tty.code, 5);
  EXPECT_TRUE(absl::StrContains(no_tty.err, "--passphrase-file"));

  EXPECT_EQ(Vaultctl(show).code, 0);
  EXPECT_EQ(ReadFile(file), good);
}

TEST_F(VaultctlTest, UsageErrors) {
  EXPECT_EQ(Vaultctl({}).code, 4);
  EXPECT_EQ(Vaultctl({"frobnicate"}).code, 4);
  EXPECT_EQ(Vaultctl({"show", "--bogus"}).code, 4);
  EXPECT_EQ(Vaultctl({"init", "--state-dir", state_}).code, 4);
  Result unknown = Vaultctl(
      {"init", "--state-dir", state_, "--key-source", "tpm:foo"});
  EXPECT_EQ(unknown.code, 5);
  EXPECT_TRUE(absl::StrContains(unknown.err, "unknown key source"));
  // A token passed as an argument is refused and not echoed.
  const std::string pat = NewPat();
  EXPECT_EQ(Vaultctl({"set-token", pat}).code, 4);
  Result both_stdin = Vaultctl(
      {"set-token", "--state-dir", state_, "--passphrase-file", "-"}, pat);
  EXPECT_EQ(both_stdin.code, 4);
  Result import = Vaultctl({"import-env", "--state-dir", state_,
                            "--passphrase-file", pp_file_});
  EXPECT_EQ(import.code, 6);
  EXPECT_TRUE(absl::StrContains(import.err, "LAYER_API_TOKEN is not set"));
  Result bad_env = Vaultctl({"import-env", "--state-dir", state_,
                             "--passphrase-file", pp_file_},
                            "", {"LAYER_API_TOKEN=" + Secret(pat + "%")});
  EXPECT_EQ(bad_env.code, 5);
}

TEST_F(VaultctlTest, HelpForEveryCommand) {
  Result global = Vaultctl({"--help"});
  ASSERT_EQ(global.code, 0);
  EXPECT_TRUE(absl::StrContains(global.out, "exit codes:"));
  for (const char* command : {"init", "set-token", "import-env", "show",
                              "change-passphrase", "doctor"}) {
    EXPECT_TRUE(absl::StrContains(global.out, command)) << command;
    Result help = Vaultctl({command, "--help"});
    EXPECT_EQ(help.code, 0) << command;
    EXPECT_TRUE(absl::StrContains(help.out,
                                  absl::StrCat("usage: vaultctl ", command)))
        << help.out;
    EXPECT_TRUE(absl::StrContains(help.out, "exit codes:")) << command;
    if (std::string(command) != "change-passphrase") {
      EXPECT_TRUE(absl::StrContains(help.out, "--json")) << command;
    }
  }
  EXPECT_TRUE(absl::StrContains(Vaultctl({"doctor", "--help"}).out,
                                "1 on warnings, 2 on failures"));
}

TEST_F(VaultctlTest, Doctor) {
  const std::string key = root_ + "/store.key";
  ASSERT_EQ(Vaultctl({"init", "--state-dir", state_, "--key-source",
                      "key-file:" + key})
                .code,
            0);
  const std::string pat = NewPat();
  ASSERT_EQ(Vaultctl({"set-token", "--state-dir", state_}, pat).code, 0);
  const std::vector<std::string> doctor = {"doctor", "--state-dir", state_,
                                           "--project", project_};

  // Clean project: only warnings (a key file is for development; the
  // machine's core-dump settings may warn too).
  WriteFile(project_ + "/.gitignore", ".env*\n*.token\n*.credentials\n");
  Result clean = Vaultctl(doctor);
  EXPECT_EQ(clean.code, 1) << clean.out << clean.err;
  for (const char* line :
       {"PASS  store-permissions", "PASS  store-ownership",
        "PASS  store-encrypted", "PASS  store-loadable", "PASS  token-age",
        "WARN  kdf-strength", "PASS  environment",
        "PASS  project-plaintext-tokens", "PASS  project-gitignore"}) {
    EXPECT_TRUE(absl::StrContains(clean.out, line)) << line << "\n" << clean.out;
  }
  EXPECT_TRUE(absl::StrContains(clean.out, "core-dumps"));

  // Plaintext tokens in the project and the environment: failures, with the
  // places named and the token never shown.
  WriteFile(project_ + "/.env", "LAYER_API_TOKEN=" + pat + "\n");
  mkdir((project_ + "/.cursor").c_str(), 0700);
  WriteFile(project_ + "/.cursor/mcp.json",
            "{\"env\": {\"LAYER_API_TOKEN\": \"" + pat + "\"}}\n");
  WriteFile(project_ + "/.gitignore", "*.token\n");
  Result dirty = Vaultctl(doctor, "", {"LAYER_API_TOKEN=" + pat});
  EXPECT_EQ(dirty.code, 2) << dirty.out;
  EXPECT_TRUE(absl::StrContains(dirty.out, "FAIL  environment"));
  EXPECT_TRUE(absl::StrContains(dirty.out, "unset LAYER_API_TOKEN"));
  EXPECT_TRUE(absl::StrContains(dirty.out, "FAIL  project-plaintext-tokens"));
  EXPECT_TRUE(absl::StrContains(dirty.out, ".env:1"));
  EXPECT_TRUE(absl::StrContains(dirty.out, ".cursor/mcp.json:1"));
  EXPECT_TRUE(absl::StrContains(dirty.out, "WARN  project-gitignore"));

  chmod(state_.c_str(), 0755);
  std::vector<std::string> json_args = doctor;
  json_args.push_back("--json");
  Result json = Vaultctl(json_args);
  EXPECT_EQ(json.code, 2);
  nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["exit_code"], 2);
  bool saw_perm_fix = false;
  for (const auto& f : j["findings"]) {
    if (f["check"] == "store-permissions") {
      EXPECT_EQ(f["verdict"], "FAIL");
      saw_perm_fix = absl::StrContains(f["fix"].get<std::string>(),
                                       "chmod 0700 '" + state_ + "'");
    }
  }
  EXPECT_TRUE(saw_perm_fix) << json.out;
}

// The real terminal path: vaultctl runs on a pseudo-terminal, prompts, and
// neither the passphrase nor the PAT typed there is echoed.
TEST_F(VaultctlTest, TerminalInputIsNotEchoed) {
  const std::string pat = NewPat();
  struct Step {
    std::string prompt;
    std::string answer;
  };
  auto run_on_pty = [&](std::vector<std::string> args,
                        const std::vector<Step>& steps,
                        std::vector<std::string> env = {"LANG=C"}) {
    args.insert(args.begin(), VaultctlPath());
    std::vector<char*> argv = CStrings(args);
    std::vector<char*> envp = CStrings(env);
    int master = -1;
    pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
    if (pid == 0) {
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    std::string screen;
    size_t step = 0, searched = 0;
    for (;;) {
      struct pollfd p = {master, POLLIN, 0};
      if (poll(&p, 1, 20000) <= 0) break;
      char buf[1024];
      ssize_t n = read(master, buf, sizeof(buf));
      if (n <= 0) break;  // EIO once the child is gone
      screen.append(buf, static_cast<size_t>(n));
      if (step < steps.size()) {
        size_t at = screen.find(steps[step].prompt, searched);
        if (at != std::string::npos) {
          searched = at + steps[step].prompt.size();
          const std::string line = steps[step].answer + "\n";
          EXPECT_EQ(write(master, line.data(), line.size()),
                    static_cast<ssize_t>(line.size()));
          ++step;
        }
      }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    close(master);
    EXPECT_EQ(step, steps.size()) << screen;
    for (const std::string& s : secrets_) {
      EXPECT_FALSE(absl::StrContains(screen, s)) << "echoed:\n" << screen;
    }
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, screen);
  };

  auto [init_code, init_screen] = run_on_pty(
      {"init", "--state-dir", state_, "--key-source", "passphrase",
       "--iterations", "100000"},
      {{"New passphrase", passphrase_}, {"Repeat the new passphrase", passphrase_}});
  EXPECT_EQ(init_code, 0) << init_screen;
  // On a terminal the slow key derivation is announced.
  EXPECT_TRUE(absl::StrContains(
      init_screen,
      "deriving the store key (PBKDF2-HMAC-SHA256, 100,000 iterations)... "
      "done ("))
      << init_screen;
  auto [set_code, set_screen] = run_on_pty(
      {"set-token", "--state-dir", state_},
      {{"personal access token", pat}, {"Store passphrase", passphrase_}});
  EXPECT_EQ(set_code, 0) << set_screen;
  EXPECT_TRUE(absl::StrContains(set_screen, pat.substr(0, 8) + "..."));
  EXPECT_TRUE(absl::StrContains(set_screen, "deriving the store key"));

  // doctor on a terminal: coloured verdicts, unless NO_COLOR is set; never
  // with --json.
  const std::vector<std::string> doctor = {"doctor", "--state-dir", state_,
                                           "--project", project_};
  const std::vector<Step> unlock = {{"Store passphrase", passphrase_}};
  auto [doctor_code, doctor_screen] = run_on_pty(doctor, unlock);
  EXPECT_GE(doctor_code, 0) << doctor_screen;
  EXPECT_TRUE(absl::StrContains(doctor_screen,
                                "\x1b[32mPASS\x1b[0m  store-loadable"))
      << doctor_screen;
  EXPECT_TRUE(absl::StrContains(doctor_screen, "deriving the store key"));
  auto [plain_code, plain_screen] =
      run_on_pty(doctor, unlock, {"LANG=C", "NO_COLOR=1"});
  EXPECT_TRUE(absl::StrContains(plain_screen, "PASS  store-loadable"))
      << plain_screen;
  EXPECT_FALSE(absl::StrContains(plain_screen, "\x1b[")) << plain_screen;
  std::vector<std::string> doctor_json = doctor;
  doctor_json.push_back("--json");
  auto [json_code, json_screen] = run_on_pty(doctor_json, unlock);
  EXPECT_FALSE(absl::StrContains(json_screen, "\x1b[")) << json_screen;
  EXPECT_FALSE(absl::StrContains(json_screen, "deriving")) << json_screen;

  auto [mismatch_code, mismatch_screen] = run_on_pty(
      {"init", "--state-dir", root_ + "/other", "--key-source", "passphrase"},
      {{"New passphrase", passphrase_},
       {"Repeat the new passphrase", Secret("something else entirely")}});
  EXPECT_EQ(mismatch_code, 5);
  EXPECT_TRUE(absl::StrContains(
      mismatch_screen, "\x1b[31mvaultctl:\x1b[0m the passphrases differ"))
      << mismatch_screen;
}

}  // namespace
