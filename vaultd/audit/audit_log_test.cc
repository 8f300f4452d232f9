#include "vaultd/audit/audit_log.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "vaultd/crypto/hash.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Credential-shaped test values, assembled at run time so the source holds
// no token-like literal.
std::string FakePat() { return "pat_" + std::string(40, 'F') + "test"; }
std::string FakePaseto(absl::string_view purpose) {
  return absl::StrCat("v4.", purpose, ".", std::string(60, 'Q'), ".",
                      "eyJraWQiOiJmYWtlIn0");
}

// An event with the given name and optional fields (designated initializers
// would trip -Wmissing-field-initializers).
Event Ev(std::string name, std::string decision = "", std::string reason = "",
         std::vector<std::pair<std::string, std::string>> ids = {}) {
  Event e;
  e.name = std::move(name);
  e.decision = std::move(decision);
  e.reason = std::move(reason);
  e.identifiers = std::move(ids);
  return e;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = tmp != nullptr ? tmp : "/tmp";
    // Parameterized test names contain '/'.
    path_ = dir_ + "/" +
            absl::StrReplaceAll(
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                {{"/", "_"}}) +
            ".jsonl";
    unlink(path_.c_str());
  }

  AuditOptions FileOptions() {
    AuditOptions o;
    o.path = path_;
    o.clock = &clock_;
    return o;
  }

  std::unique_ptr<AuditLog> MustCreate(AuditOptions o) {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Create(std::move(o));
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  std::string Contents() {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::vector<nlohmann::json> Lines() {
    std::vector<nlohmann::json> out;
    const std::string text = Contents();
    EXPECT_TRUE(text.empty() || text.back() == '\n');
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      out.push_back(nlohmann::json::parse(line, nullptr, false));
      EXPECT_FALSE(out.back().is_discarded()) << "not JSON: " << line;
    }
    return out;
  }

  void MakeFile(mode_t mode) {
    std::ofstream(path_) << "";
    ASSERT_EQ(chmod(path_.c_str(), mode), 0);
  }

  std::string dir_;
  std::string path_;
  common::FakeClock clock_{absl::FromUnixMillis(1767225600123)};
};

TEST_F(AuditLogTest, CreatesThe0600FileWhateverTheUmask) {
  const mode_t old = umask(0);
  std::unique_ptr<AuditLog> log = MustCreate(FileOptions());
  umask(old);
  ASSERT_NE(log, nullptr);
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(AuditLogTest, AppendsToAnExistingSafeFile) {
  MakeFile(0600);
  std::ofstream(path_) << "{\"earlier\":true}\n";
  std::unique_ptr<AuditLog> log = MustCreate(FileOptions());
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Record(Ev("auth")).ok());
  std::vector<nlohmann::json> lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0]["earlier"].get<bool>());
  EXPECT_EQ(lines[1]["event"], "auth");
}

class UnsafeModeTest : public AuditLogTest,
                       public ::testing::WithParamInterface<mode_t> {};

TEST_P(UnsafeModeTest, RefusesFilesOthersCanAccess) {
  MakeFile(GetParam());
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Create(FileOptions());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(log.status().message()),
              HasSubstr("chmod 0600 '" + path_ + "'"));
}

INSTANTIATE_TEST_SUITE_P(Modes, UnsafeModeTest,
                         ::testing::Values(0644, 0640, 0604, 0620, 0602, 0610,
                                           0601));

TEST_F(AuditLogTest, RefusesSymlinksDirectoriesAndFifos) {
  const std::string target = dir_ + "/target.jsonl";
  std::ofstream(target) << "";
  chmod(target.c_str(), 0600);
  ASSERT_EQ(symlink(target.c_str(), path_.c_str()), 0);
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Create(FileOptions());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("symlink"));

  AuditOptions dir_options = FileOptions();
  dir_options.path = dir_;
  EXPECT_FALSE(AuditLog::Create(std::move(dir_options)).ok());

  const std::string fifo = dir_ + "/fifo.jsonl";
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  AuditOptions fifo_options = FileOptions();
  fifo_options.path = fifo;
  // Must fail at once, not wait for a reader.
  EXPECT_EQ(AuditLog::Create(std::move(fifo_options)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AuditLogTest, RefusesUselessOrWeakOptions) {
  AuditOptions nowhere;
  EXPECT_EQ(AuditLog::Create(std::move(nowhere)).status().code(),
            absl::StatusCode::kInvalidArgument);
  AuditOptions weak_key = FileOptions();
  weak_key.hmac_key = crypto::SecretBytes::CopyFrom("short");
  EXPECT_EQ(AuditLog::Create(std::move(weak_key)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditLogTest, LinesAreJsonWithTheEventFields) {
  std::unique_ptr<AuditLog> log = MustCreate(FileOptions());
  ASSERT_NE(log, nullptr);
  Event e;
  e.name = std::string(kEventRelayCall);
  e.decision = "allow";
  e.caller = Caller{4242, 1000, "/usr/lib/layer-vault/mcp_frontend"};
  e.rule = "ide";
  e.jti = "0123456789abcdef0123456789abcdef";
  e.scope = "layer:generate";
  e.operation = "inferences.execute";
  e.http_status = 200;
  e.latency = absl::Microseconds(12500);
  e.reason = "ok";
  ASSERT_TRUE(log->Record(e).ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(log->Record(Ev("token.deny", "deny")).ok());

  const std::string text = Contents();
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "{\"time\":\"2026-01-01T00:00:00.123Z\",\"event\":\"relay.call\","
            "\"decision\":\"allow\",\"pid\":4242,\"uid\":1000,"
            "\"exe\":\"/usr/lib/layer-vault/mcp_frontend\",\"rule\":\"ide\","
            "\"jti\":\"0123456789abcdef0123456789abcdef\","
            "\"scope\":\"layer:generate\",\"operation\":\"inferences.execute\","
            "\"http_status\":200,\"latency_ms\":12.5,\"reason\":\"ok\"}");
  std::vector<nlohmann::json> lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["time"], "2026-01-01T00:00:01.123Z");
  EXPECT_EQ(lines[1]["event"], "token.deny");
  // Absent fields are left out.
  EXPECT_FALSE(lines[1].contains("pid"));
  EXPECT_FALSE(lines[1].contains("jti"));
  EXPECT_FALSE(lines[1].contains("http_status"));
  EXPECT_FALSE(lines[1].contains("latency_ms"));
}

struct SecretCase {
  std::string name;
  std::string secret;
};

class RedactionTest : public AuditLogTest,
                      public ::testing::WithParamInterface<SecretCase> {};

TEST_P(RedactionTest, NoCredentialReachesTheFile) {
  std::unique_ptr<AuditLog> log = MustCreate(FileOptions());
  ASSERT_NE(log, nullptr);
  const std::string& secret = GetParam().secret;
  Event e;
  e.name = "token.deny";
  e.decision = "deny";
  e.caller = Caller{1, 2, "/tmp/" + secret};
  e.jti = secret;
  e.scope = secret;
  e.operation = "op " + secret;
  e.reason = "upstream said: Authorization: Bearer " + secret + " is bad";
  e.rule = secret;
  e.identifiers = {{"workspace", secret}};
  ASSERT_TRUE(log->Record(e).ok());
  const std::string text = Contents();
  EXPECT_THAT(text, Not(HasSubstr(secret)));
  // Nor a long piece of it.
  EXPECT_THAT(text, Not(HasSubstr(secret.substr(0, 16))));
  EXPECT_THAT(text, HasSubstr("[REDACTED]"));
  std::vector<nlohmann::json> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0]["reason"].get<std::string>(),
              HasSubstr("upstream said: Authorization: Bearer [REDACTED]"));
}

INSTANTIATE_TEST_SUITE_P(
    Secrets, RedactionTest,
    ::testing::Values(SecretCase{"pat", FakePat()},
                      SecretCase{"pat_upper", "PAT_" + std::string(32, 'z')},
                      SecretCase{"paseto_public", FakePaseto("public")},
                      SecretCase{"paseto_local", FakePaseto("local")}),
    [](const ::testing::TestParamInfo<SecretCase>& info) {
      return info.param.name;
    });

TEST_F(AuditLogTest, IdentifiersAreHmacedWithAKey) {
  const std::string key(32, 'k');
  AuditOptions o = FileOptions();
  o.hmac_key = crypto::SecretBytes::CopyFrom(key);
  std::unique_ptr<AuditLog> log = MustCreate(std::move(o));
  ASSERT_NE(log, nullptr);
  const std::string workspace = "2f9c1a7e-5b7d-4a8e-9a51-6d0c1f3b2e44";
  ASSERT_TRUE(log->Record(Ev("relay.call", "", "", {{"workspace", workspace}}))
                  .ok());
  const std::string want =
      "hmac-sha256:" +
      crypto::HexEncode(crypto::HmacSha256(crypto::SecretBytes::CopyFrom(key),
                                           workspace));
  std::vector<nlohmann::json> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["ids"]["workspace"], want);
  EXPECT_THAT(Contents(), Not(HasSubstr(workspace)));
}

TEST_F(AuditLogTest, IdentifiersArePlainWithoutAKey) {
  std::unique_ptr<AuditLog> log = MustCreate(FileOptions());
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Record(Ev("relay.call", "", "", {{"asset_id", "a-1"}}))
                  .ok());
  std::vector<nlohmann::json> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["ids"]["asset_id"], "a-1");
}

struct BadEventCase {
  std::string name;
  Event event;
};

class BadEventTest : public AuditLogTest,
                     public ::testing::WithParamInterface<BadEventCase> {};

TEST_P(BadEventTest, IsRejectedAndNotWritten) {
  std::unique_ptr<AuditLog> log = MustCreate(FileOptions());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->Record(GetParam().event).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Contents(), "");
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadEventTest,
    ::testing::Values(
        BadEventCase{"empty_name", Ev("")},
        BadEventCase{"upper_case", Ev("Token.Issue")},
        BadEventCase{"newline", Ev("auth\n{\"event\":\"x\"}")},
        BadEventCase{"too_long", Ev(std::string(65, 'a'))},
        BadEventCase{"bad_identifier",
                     Ev("auth", "", "", {{"Work Space", "x"}})},
        BadEventCase{"empty_identifier",
                     Ev("auth", "", "", {{"", "x"}})}),
    [](const ::testing::TestParamInfo<BadEventCase>& info) {
      return info.param.name;
    });

TEST_F(AuditLogTest, HostileBytesStayOneValidLine) {
  std::unique_ptr<AuditLog> log = MustCreate(FileOptions());
  ASSERT_NE(log, nullptr);
  Event e;
  e.name = "auth";
  e.caller = Caller{1, 2, std::string("/tmp/\xff\xfe\nx\"}{\0y", 15)};
  e.reason = "line1\nline2\r\n{\"event\":\"forged\"}";
  ASSERT_TRUE(log->Record(e).ok());
  std::vector<nlohmann::json> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["event"], "auth");
  EXPECT_EQ(lines[0]["reason"], e.reason);
  EXPECT_THAT(lines[0]["exe"].get<std::string>(), HasSubstr("\xEF\xBF\xBD"));
}

TEST_F(AuditLogTest, LongFieldsAreCapped) {
  std::unique_ptr<AuditLog> log = MustCreate(FileOptions());
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(
      log->Record(Ev("error", "", std::string(100000, 'r')))
          .ok());
  std::vector<nlohmann::json> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  const std::string reason = lines[0]["reason"];
  EXPECT_EQ(reason.size(), 1024u);
  EXPECT_TRUE(absl::EndsWith(reason, "...[truncated]"));
}

TEST_F(AuditLogTest, AlsoStderrGetsTheSameLine) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  AuditOptions o = FileOptions();
  o.also_stderr = true;
  o.stderr_fd = p[1];
  std::unique_ptr<AuditLog> log = MustCreate(std::move(o));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Record(Ev("admin.unlock", "allow")).ok());
  char buf[4096];
  const ssize_t n = read(p[0], buf, sizeof(buf));
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), Contents());
  close(p[0]);
  close(p[1]);
}

TEST_F(AuditLogTest, ConcurrentWritersProduceWholeLines) {
  // Two logs on one file stand for two processes; four threads each.
  std::unique_ptr<AuditLog> a = MustCreate(FileOptions());
  std::unique_ptr<AuditLog> b = MustCreate(FileOptions());
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      AuditLog& log = t % 2 == 0 ? *a : *b;
      for (int i = 0; i < kPerThread; ++i) {
        Event e;
        e.name = "relay.call";
        e.operation = absl::StrCat(t, ":", i);
        e.reason = std::string(700 + (i % 300), static_cast<char>('a' + t));
        ASSERT_TRUE(log.Record(e).ok());
      }
    });
  }
  for (auto& th : threads) th.join();

  std::vector<nlohmann::json> lines = Lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<std::string> seen;
  for (const nlohmann::json& line : lines) {
    ASSERT_FALSE(line.is_discarded());
    const std::string op = line["operation"];
    const int t = std::stoi(op.substr(0, op.find(':')));
    const std::string reason = line["reason"];
    EXPECT_EQ(reason.find_first_not_of(static_cast<char>('a' + t)),
              std::string::npos);
    EXPECT_TRUE(seen.insert(op).second) << "duplicate " << op;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
}

// Writes fail once the file reaches RLIMIT_FSIZE (SIGXFSZ ignored).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old_);
    struct rlimit lim = old_;
    lim.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    signal(SIGXFSZ, old_handler_);
  }

 private:
  struct rlimit old_;
  sighandler_t old_handler_;
};

TEST_F(AuditLogTest, FailClosedReportsAFailedWrite) {
  AuditOptions o = FileOptions();
  o.fail_closed = true;
  std::unique_ptr<AuditLog> log = MustCreate(std::move(o));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Record(Ev("auth")).ok());
  const size_t first = Contents().size();
  absl::Status partial;
  absl::Status full;
  {
    FileSizeLimit limit(first + 20);
    partial = log->Record(Ev("auth", "", std::string(200, 'x')));
    full = log->Record(Ev("auth"));
  }
  EXPECT_EQ(partial.code(), absl::StatusCode::kUnavailable) << partial;
  EXPECT_THAT(std::string(partial.message()), HasSubstr("short write"));
  EXPECT_EQ(full.code(), absl::StatusCode::kUnavailable) << full;
  EXPECT_EQ(log->dropped(), 0u);
}

TEST_F(AuditLogTest, FailOpenCountsDroppedEvents) {
  std::unique_ptr<AuditLog> log = MustCreate(FileOptions());
  ASSERT_NE(log, nullptr);
  absl::Status s;
  {
    FileSizeLimit limit(0);
    s = log->Record(Ev("auth"));
  }
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(log->dropped(), 1u);
  EXPECT_TRUE(log->Record(Ev("auth")).ok());
  EXPECT_EQ(Lines().size(), 1u);
}

TEST_F(AuditLogTest, StderrOnlyFailClosed) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  close(p[0]);  // no reader: EPIPE
  const sighandler_t old = signal(SIGPIPE, SIG_IGN);
  AuditOptions o;
  o.also_stderr = true;
  o.stderr_fd = p[1];
  o.fail_closed = true;
  std::unique_ptr<AuditLog> log = MustCreate(std::move(o));
  ASSERT_NE(log, nullptr);
  absl::Status s = log->Record(Ev("auth"));
  signal(SIGPIPE, old);
  close(p[1]);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
}

}  // namespace
}  // namespace layer_vault::audit
