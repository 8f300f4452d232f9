#include "client/vaultctl/command.h"

#include <sstream>

#include "absl/strings/match.h"
#include "client/vaultctl/exit_codes.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"

namespace layer_vault::vaultctl {
namespace {

class FixedClock : public common::Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1); }
};

class CommandTest : public ::testing::Test {
 protected:
  CommandTest() : ctx_(out_, err_, -1, "/nonexistent-tty", clock_, {}) {
    table_.Add({"echo", "prints its flags", "vaultctl echo [flags]",
                "Prints flags.",
                {{"name", "NAME", "a name"}, {"json", "", "JSON output"}},
                "",
                [](const Flags& flags, Context& ctx) {
                  ctx.Out("name=" + flags.Get("name", "none") +
                          (flags.Has("json") ? " json" : "") + "\n");
                  return 0;
                }});
  }
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunCommandLine(table_, args, ctx_);
  }

  std::ostringstream out_, err_;
  FixedClock clock_;
  Context ctx_;
  CommandTable table_;
};

TEST_F(CommandTest, ParsesFlagForms) {
  EXPECT_EQ(Run({"echo", "--name", "a"}), 0);
  EXPECT_EQ(out_.str(), "name=a\n");
  EXPECT_EQ(Run({"echo", "--name=b", "--json"}), 0);
  EXPECT_EQ(out_.str(), "name=b json\n");
  EXPECT_EQ(Run({"echo"}), 0);
  EXPECT_EQ(out_.str(), "name=none\n");
}

TEST_F(CommandTest, UsageErrors) {
  EXPECT_EQ(Run({}), kExitUsage);
  EXPECT_EQ(Run({"nope"}), kExitUsage);
  EXPECT_TRUE(absl::StrContains(err_.str(), "unknown command"));
  EXPECT_EQ(Run({"echo", "--bogus"}), kExitUsage);
  EXPECT_TRUE(absl::StrContains(err_.str(), "unknown flag --bogus"));
  EXPECT_EQ(Run({"echo", "--name"}), kExitUsage);
  EXPECT_EQ(Run({"echo", "--name", "a", "--name", "b"}), kExitUsage);
  EXPECT_EQ(Run({"echo", "--json=1"}), kExitUsage);
}

TEST_F(CommandTest, PositionalArgumentsAreNeverEchoed) {
  EXPECT_EQ(Run({"echo", "my secret passphrase"}), kExitUsage);
  EXPECT_FALSE(absl::StrContains(err_.str(), "my secret"));
  EXPECT_FALSE(absl::StrContains(out_.str(), "my secret"));
}

TEST_F(CommandTest, HelpEverywhereWithExitCodes) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"help"}, {"-h"}}) {
    EXPECT_EQ(Run(args), 0);
    EXPECT_TRUE(absl::StrContains(out_.str(), "echo")) << out_.str();
    EXPECT_TRUE(absl::StrContains(out_.str(), "exit codes:"));
  }
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"echo", "--help"}, {"help", "echo"}, {"echo", "--name", "x", "-h"}}) {
    EXPECT_EQ(Run(args), 0);
    EXPECT_TRUE(absl::StrContains(out_.str(), "usage: vaultctl echo"));
    EXPECT_TRUE(absl::StrContains(out_.str(), "--name NAME"));
    EXPECT_TRUE(absl::StrContains(out_.str(), "--help"));
    EXPECT_TRUE(absl::StrContains(out_.str(), "10  insecure permissions"));
  }
}

TEST_F(CommandTest, OutputIsRedacted) {
  const std::string token = "pat_" + std::string(40, 'Q');
  EXPECT_EQ(Run({"echo", "--name", token}), 0);
  EXPECT_FALSE(absl::StrContains(out_.str(), token));
  EXPECT_TRUE(absl::StrContains(out_.str(), "[REDACTED]"));
}

TEST(ExitCodeTest, MapsStoreErrors) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("")),
            kExitWrongKeyOrTampered);
  EXPECT_EQ(ExitCodeFor(absl::OutOfRangeError("")), kExitDamaged);
  EXPECT_EQ(ExitCodeFor(absl::DataLossError("")), kExitDamaged);
  EXPECT_EQ(ExitCodeFor(absl::UnimplementedError("")), kExitDamaged);
  EXPECT_EQ(ExitCodeFor(absl::FailedPreconditionError("")), kExitInsecure);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("")), kExitNotFound);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("")), kExitInvalidInput);
  EXPECT_EQ(ExitCodeFor(absl::AlreadyExistsError("")), kExitAlreadyExists);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("")), kExitBusy);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("")), kExitError);
}

TEST_F(CommandTest, PositionalArgumentsFillDeclaredSlots) {
  table_.Add({"revoke", "revokes", "vaultctl revoke JTI", "Revokes.",
              {{"", "JTI", "the id"}, {"json", "", "JSON output"}},
              "",
              [](const Flags& flags, Context& ctx) {
                ctx.Out("jti=" + flags.Get("JTI") + "\n");
                return 0;
              }});
  EXPECT_EQ(Run({"revoke", "abc", "--json"}), 0);
  EXPECT_EQ(out_.str(), "jti=abc\n");
  EXPECT_EQ(Run({"revoke", "--", "--starts-with-dashes"}), 0);
  EXPECT_EQ(out_.str(), "jti=--starts-with-dashes\n");
  EXPECT_EQ(Run({"revoke"}), kExitUsage);
  EXPECT_TRUE(absl::StrContains(err_.str(), "missing JTI"));
  // A second stray argument is refused and not echoed.
  EXPECT_EQ(Run({"revoke", "abc", "my secret"}), kExitUsage);
  EXPECT_FALSE(absl::StrContains(err_.str(), "my secret"));
  EXPECT_EQ(Run({"revoke", "--help"}), 0);
  EXPECT_TRUE(absl::StrContains(out_.str(), "  JTI "));
}

TEST_F(CommandTest, ReplaceSwapsACommandOfTheSameName) {
  Command echo = *table_.Find("echo");
  echo.run = [](const Flags&, Context& ctx) {
    ctx.Out("replaced\n");
    return 0;
  };
  table_.Replace(echo);
  EXPECT_EQ(table_.commands().size(), 1u);
  EXPECT_EQ(Run({"echo"}), 0);
  EXPECT_EQ(out_.str(), "replaced\n");
}

TEST(ExitCodeTest, MapsVaultdErrors) {
  EXPECT_EQ(OnlineExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(OnlineExitCodeFor(absl::UnavailableError("")),
            kExitVaultdUnavailable);
  EXPECT_EQ(OnlineExitCodeFor(absl::DeadlineExceededError("")),
            kExitVaultdUnavailable);
  EXPECT_EQ(OnlineExitCodeFor(absl::FailedPreconditionError("")),
            kExitVaultdState);
  EXPECT_EQ(OnlineExitCodeFor(absl::PermissionDeniedError("")),
            kExitVaultdRefused);
  EXPECT_EQ(OnlineExitCodeFor(absl::UnauthenticatedError("")),
            kExitWrongKeyOrTampered);
  EXPECT_EQ(OnlineExitCodeFor(absl::InvalidArgumentError("")),
            kExitInvalidInput);
  EXPECT_EQ(OnlineExitCodeFor(absl::DataLossError("")), kExitDamaged);
  EXPECT_EQ(OnlineExitCodeFor(absl::InternalError("")), kExitError);
}

// --- terminal styling and progress -------------------------------------------

TEST(StyleTest, ColourOnlyOnATerminalWithoutNoColorOrJson) {
  EXPECT_TRUE(Style::For(/*is_tty=*/true, false, false).color());
  EXPECT_FALSE(Style::For(/*is_tty=*/false, false, false).color());
  EXPECT_FALSE(Style::For(true, /*no_color=*/true, false).color());
  EXPECT_FALSE(Style::For(true, false, /*machine_readable=*/true).color());
  EXPECT_EQ(Style(true).Paint(Style::Color::kGreen, "PASS"),
            "\x1b[32mPASS\x1b[0m");
  EXPECT_EQ(Style(true).Paint(Style::Color::kYellow, "WARN"),
            "\x1b[33mWARN\x1b[0m");
  EXPECT_EQ(Style(true).Paint(Style::Color::kRed, "FAIL"),
            "\x1b[31mFAIL\x1b[0m");
  EXPECT_EQ(Style(false).Paint(Style::Color::kRed, "FAIL"), "FAIL");
}

TEST(StyleTest, GroupDigits) {
  EXPECT_EQ(GroupDigits(0), "0");
  EXPECT_EQ(GroupDigits(999), "999");
  EXPECT_EQ(GroupDigits(100000), "100,000");
  EXPECT_EQ(GroupDigits(600000), "600,000");
  EXPECT_EQ(GroupDigits(1234567), "1,234,567");
}

// A context on fake streams with a chosen terminal, running a command that
// fails and one that shows progress over 135 ms of fake time.
class TerminalTest : public ::testing::Test {
 protected:
  int Run(Terminal terminal, std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    Context ctx(out_, err_, -1, "/nonexistent-tty", clock_, {}, terminal);
    CommandTable table;
    const std::vector<FlagSpec> flags = {{"json", "", "JSON output"}};
    table.Add({"fail", "fails", "vaultctl fail", "Fails.", flags, "",
               [](const Flags&, Context& c) {
                 return c.Fail(absl::InvalidArgumentError("bad input"));
               }});
    table.Add({"slow", "derives", "vaultctl slow", "Slow.", flags, "",
               [this](const Flags&, Context& c) {
                 Progress p(c, "deriving the store key");
                 clock_.Advance(absl::Milliseconds(135));
                 return 0;
               }});
    return RunCommandLine(table, args, ctx);
  }

  std::ostringstream out_, err_;
  common::FakeClock clock_;
};

constexpr Terminal kTty{true, true, false};
constexpr Terminal kPipes{false, false, false};
constexpr Terminal kTtyNoColor{true, true, true};

TEST_F(TerminalTest, ErrorPrefixIsRedOnlyOnATerminal) {
  EXPECT_EQ(Run(kTty, {"fail"}), kExitInvalidInput);
  EXPECT_EQ(err_.str(), "\x1b[31mvaultctl:\x1b[0m bad input\n");
  Run(kPipes, {"fail"});
  EXPECT_EQ(err_.str(), "vaultctl: bad input\n");
  Run(kTtyNoColor, {"fail"});
  EXPECT_EQ(err_.str(), "vaultctl: bad input\n");
  Run(kTty, {"fail", "--json"});
  EXPECT_EQ(err_.str(), "vaultctl: bad input\n");
  Run(kTty, {"nope"});
  EXPECT_TRUE(absl::StartsWith(err_.str(), "\x1b[31mvaultctl:\x1b[0m unknown"))
      << err_.str();
  Run(kPipes, {"nope"});
  EXPECT_TRUE(absl::StartsWith(err_.str(), "vaultctl: unknown")) << err_.str();
}

TEST_F(TerminalTest, ProgressOnlyOnATerminalAndNotWithJson) {
  EXPECT_EQ(Run(kTty, {"slow"}), 0);
  EXPECT_EQ(err_.str(), "deriving the store key... done (0.14 s)\n");
  EXPECT_EQ(out_.str(), "");
  // NO_COLOR is about colour: the (uncoloured) progress line stays.
  Run(kTtyNoColor, {"slow"});
  EXPECT_EQ(err_.str(), "deriving the store key... done (0.14 s)\n");
  Run(kPipes, {"slow"});
  EXPECT_EQ(err_.str(), "");
  Run(kTty, {"slow", "--json"});
  EXPECT_EQ(err_.str(), "");
  Run(Terminal{/*stdout_is_tty=*/true, /*stderr_is_tty=*/false, false},
      {"slow"});
  EXPECT_EQ(err_.str(), "");
}

TEST_F(TerminalTest, StylesFollowTheirOwnStream) {
  Context ctx(out_, err_, -1, "/nonexistent-tty", clock_, {},
              Terminal{/*stdout_is_tty=*/true, /*stderr_is_tty=*/false, false});
  EXPECT_TRUE(ctx.OutStyle().color());
  EXPECT_FALSE(ctx.ErrStyle().color());
  EXPECT_FALSE(ctx.ShowProgress());
  ctx.set_machine_readable(true);
  EXPECT_FALSE(ctx.OutStyle().color());
}

}  // namespace
}  // namespace layer_vault::vaultctl
