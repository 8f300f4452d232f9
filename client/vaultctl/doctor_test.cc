#include "client/vaultctl/doctor.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"
#include "vaultd/store/store.h"
#include "vaultd/store/test_util.h"

namespace layer_vault::vaultctl {
namespace {

using store::testing::FakePat;
using store::testing::MakeTempDir;
using store::testing::RemoveTree;
using store::testing::WriteFile;

const Finding* Find(const std::vector<Finding>& findings,
                    const std::string& check) {
  for (const Finding& f : findings) {
    if (f.check == check) return &f;
  }
  return nullptr;
}

TEST(ContainsPlaintextPatTest, MatchesTokensNotLookalikes) {
  const std::string pat = FakePat(40);
  EXPECT_TRUE(ContainsPlaintextPat(pat));
  EXPECT_TRUE(ContainsPlaintextPat("LAYER_API_TOKEN=" + pat));
  EXPECT_TRUE(ContainsPlaintextPat("\"token\": \"" + pat + "\""));
  EXPECT_TRUE(ContainsPlaintextPat("Bearer " + pat + "\n"));
  EXPECT_FALSE(ContainsPlaintextPat(pat.substr(0, 31)));
  EXPECT_FALSE(ContainsPlaintextPat("compat_" + std::string(40, 'a')));
  EXPECT_FALSE(ContainsPlaintextPat("pat_"));
  EXPECT_FALSE(ContainsPlaintextPat("LAYER_API_TOKEN=${LAYER_API_TOKEN}"));
}

TEST(DoctorExitCodeTest, WorstVerdictWins) {
  EXPECT_EQ(DoctorExitCode({}), 0);
  EXPECT_EQ(DoctorExitCode({{"a", Verdict::kPass, "", ""}}), 0);
  EXPECT_EQ(DoctorExitCode({{"a", Verdict::kPass, "", ""},
                            {"b", Verdict::kWarn, "", ""}}),
            1);
  EXPECT_EQ(DoctorExitCode({{"a", Verdict::kFail, "", ""},
                            {"b", Verdict::kWarn, "", ""}}),
            2);
}

TEST(CheckEnvironmentTest, NamesTheVariableNeverTheValue) {
  const std::string pat = FakePat();
  Finding f = CheckEnvironment({{"HOME", "/root"}, {"LAYER_API_TOKEN", pat}});
  EXPECT_EQ(f.verdict, Verdict::kFail);
  EXPECT_TRUE(absl::StrContains(f.detail, "LAYER_API_TOKEN"));
  EXPECT_TRUE(absl::StrContains(f.fix, "unset LAYER_API_TOKEN"));
  EXPECT_FALSE(absl::StrContains(f.detail + f.fix, pat.substr(8)));
  EXPECT_EQ(CheckEnvironment({{"HOME", "/root"}}).verdict, Verdict::kPass);
}

class ProjectTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { RemoveTree(dir_); }
  void Put(const std::string& rel, const std::string& text) {
    std::string path = dir_;
    size_t start = 0;
    for (size_t slash; (slash = rel.find('/', start)) != std::string::npos;
         start = slash + 1) {
      path = dir_ + "/" + rel.substr(0, slash);
      mkdir(path.c_str(), 0700);
    }
    WriteFile(dir_ + "/" + rel, text, 0600);
  }
  std::string dir_;
};

TEST_F(ProjectTest, FindsPlaintextTokensInCandidateFiles) {
  const std::string pat = FakePat();
  Put("README.md", "example: " + pat + "\n");  // not a candidate file
  Put("node_modules/pkg/.env", "LAYER_API_TOKEN=" + pat + "\n");  // skipped
  EXPECT_EQ(ScanProject(dir_).verdict, Verdict::kPass);

  Put(".env.local", "# comment\nLAYER_API_TOKEN=" + pat + "\n");
  Put("secrets/layer.token", pat);
  Put("app/.mcp.json",
      "{\"mcpServers\":{\"layer\":{\"env\":{\"LAYER_API_TOKEN\":\"" + pat +
          "\"}}}}");
  Put(".vscode/settings.json", "{\"layer.token\": \"" + pat + "\"}\n");
  Put("ok.credentials", "nothing here\n");
  Finding f = ScanProject(dir_);
  EXPECT_EQ(f.verdict, Verdict::kFail);
  EXPECT_TRUE(absl::StrContains(f.detail, ".env.local:2")) << f.detail;
  EXPECT_TRUE(absl::StrContains(f.detail, "secrets/layer.token:1"));
  EXPECT_TRUE(absl::StrContains(f.detail, "app/.mcp.json:1"));
  EXPECT_TRUE(absl::StrContains(f.detail, ".vscode/settings.json:1"));
  EXPECT_FALSE(absl::StrContains(f.detail, "README"));
  EXPECT_FALSE(absl::StrContains(f.detail, "node_modules"));
  EXPECT_FALSE(absl::StrContains(f.detail, "ok.credentials"));
  EXPECT_FALSE(absl::StrContains(f.detail + f.fix, pat.substr(8)));
}

TEST_F(ProjectTest, Gitignore) {
  const std::string state = dir_ + "/var/vault";
  Finding none = CheckGitignore(dir_, state);
  EXPECT_EQ(none.verdict, Verdict::kWarn);
  EXPECT_TRUE(absl::StrContains(none.fix, "'.env*'")) << none.fix;

  Put(".gitignore", ".env*\n*.token\n");
  Finding partial = CheckGitignore(dir_, "/elsewhere");
  EXPECT_EQ(partial.verdict, Verdict::kWarn);
  EXPECT_TRUE(absl::StrContains(partial.detail, "*.credentials"));
  EXPECT_FALSE(absl::StrContains(partial.detail, ".env*"));

  Put(".gitignore", "# secrets\n/.env*\n**/*.token\n*.credentials\n");
  EXPECT_EQ(CheckGitignore(dir_, "/elsewhere").verdict, Verdict::kPass);

  // A state directory inside the project must be ignored too.
  mkdir((dir_ + "/var").c_str(), 0700);
  mkdir(state.c_str(), 0700);
  Finding inside = CheckGitignore(dir_, state);
  EXPECT_EQ(inside.verdict, Verdict::kWarn);
  EXPECT_TRUE(absl::StrContains(inside.detail, "/var/vault/"));
  Put(".gitignore", ".env*\n*.token\n*.credentials\nvar/\n");
  EXPECT_EQ(CheckGitignore(dir_, state).verdict, Verdict::kPass);

  // A later negation un-ignores.
  Put(".gitignore", ".env*\n!.env.local\n*.token\n*.credentials\n");
  EXPECT_EQ(CheckGitignore(dir_, "/elsewhere").verdict, Verdict::kWarn);
}

TEST(CheckCoreDumpsTest, Table) {
  CoreDumpInputs off;
  off.core_pattern = "core\n";
  off.suid_dumpable = "0\n";
  EXPECT_EQ(CheckCoreDumps(off).verdict, Verdict::kPass);

  CoreDumpInputs limit = off;
  limit.hard_limit = RLIM_INFINITY;
  Finding f = CheckCoreDumps(limit);
  EXPECT_EQ(f.verdict, Verdict::kWarn);
  EXPECT_TRUE(absl::StrContains(f.detail, "hard unlimited"));
  EXPECT_TRUE(absl::StrContains(f.fix, "LimitCORE=0"));

  CoreDumpInputs suid = off;
  suid.suid_dumpable = "2\n";
  EXPECT_TRUE(absl::StrContains(CheckCoreDumps(suid).fix, "suid_dumpable=0"));

  CoreDumpInputs coredump = off;
  coredump.core_pattern = "|/lib/systemd/systemd-coredump %P %u %g %s %t\n";
  EXPECT_EQ(CheckCoreDumps(coredump).verdict, Verdict::kWarn);
  coredump.coredump_conf = "[Coredump]\nStorage=none\n";
  EXPECT_EQ(CheckCoreDumps(coredump).verdict, Verdict::kPass);
}

class CheckStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    dir_ = root_ + "/state";
    key_path_ = root_ + "/key";
    ASSERT_TRUE(store::WriteNewKeyFile(key_path_).ok());
    store::Record record;
    record.created_at = absl::FromUnixSeconds(1700000000);
    ASSERT_TRUE(store::SetToken(record, store::testing::FakePatSecret(),
                                absl::FromUnixSeconds(1700000000))
                    .ok());
    ASSERT_TRUE(store::Store::Create(dir_, Key(), record).ok());
  }
  void TearDown() override {
    chmod(dir_.c_str(), 0700);
    RemoveTree(root_);
  }
  store::KeyMaterial Key() {
    return *store::KeyMaterial::Read(
        *store::KeySource::Parse("key-file:" + key_path_), {});
  }
  std::vector<Finding> Run(absl::Time now) {
    return CheckStore(
        dir_, geteuid(),
        [&](const store::Header& h) {
          return store::KeyMaterial::Read(h.key_source, {});
        },
        now);
  }
  std::string root_, dir_, key_path_;
};

TEST_F(CheckStoreTest, HealthyStore) {
  std::vector<Finding> f = Run(absl::FromUnixSeconds(1700000000 + 86400));
  for (const char* check : {"store-permissions", "store-ownership",
                            "store-encrypted", "store-loadable", "token-age"}) {
    ASSERT_NE(Find(f, check), nullptr) << check;
    EXPECT_EQ(Find(f, check)->verdict, Verdict::kPass)
        << check << ": " << Find(f, check)->detail;
  }
  // A key file is fine for development, not for production.
  EXPECT_EQ(Find(f, "kdf-strength")->verdict, Verdict::kWarn);
}

TEST_F(CheckStoreTest, OverdueToken) {
  std::vector<Finding> f =
      Run(absl::FromUnixSeconds(1700000000) + absl::Hours(24 * 91));
  EXPECT_EQ(Find(f, "token-age")->verdict, Verdict::kWarn);
  EXPECT_TRUE(absl::StrContains(Find(f, "token-age")->detail, "91 days"));
  EXPECT_TRUE(absl::StrContains(Find(f, "token-age")->fix, "set-token"));
}

TEST_F(CheckStoreTest, OpenPermissionsFailWithFix) {
  chmod(dir_.c_str(), 0755);
  chmod((dir_ + "/credentials.enc").c_str(), 0644);
  std::vector<Finding> f = Run(absl::FromUnixSeconds(1700000000));
  const Finding* perms = Find(f, "store-permissions");
  EXPECT_EQ(perms->verdict, Verdict::kFail);
  EXPECT_TRUE(absl::StrContains(perms->fix, "chmod 0700 '" + dir_ + "'"));
  EXPECT_TRUE(absl::StrContains(
      perms->fix, "chmod 0600 '" + dir_ + "/credentials.enc'"));
  EXPECT_EQ(Find(f, "store-loadable")->verdict, Verdict::kFail);
}

TEST_F(CheckStoreTest, NoKeyIsAWarningNotAFailure) {
  std::vector<Finding> f = CheckStore(
      dir_, geteuid(),
      [](const store::Header&) -> absl::StatusOr<store::KeyMaterial> {
        return absl::InvalidArgumentError("no terminal");
      },
      absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(Find(f, "store-loadable")->verdict, Verdict::kWarn);
  EXPECT_EQ(Find(f, "store-encrypted")->verdict, Verdict::kPass);
}

TEST_F(CheckStoreTest, MissingAndCorruptStore) {
  std::vector<Finding> missing = CheckStore(
      root_ + "/none", geteuid(),
      [](const store::Header&) -> absl::StatusOr<store::KeyMaterial> {
        return absl::NotFoundError("x");
      },
      absl::Now());
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].verdict, Verdict::kFail);
  EXPECT_TRUE(absl::StrContains(missing[0].fix, "vaultctl init"));

  const std::string file = dir_ + "/credentials.enc";
  std::string bytes = store::testing::ReadFile(file);
  WriteFile(file, bytes.substr(0, bytes.size() / 2), 0600);
  std::vector<Finding> f = Run(absl::Now());
  EXPECT_EQ(Find(f, "store-encrypted")->verdict, Verdict::kFail);
  EXPECT_TRUE(absl::StrContains(Find(f, "store-encrypted")->detail,
                                "truncated"));
}

}  // namespace
}  // namespace layer_vault::vaultctl
