#include "vaultd/peer/proc_parse.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::peer {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Fields 4..21 and 23..52 of a real stat line; field 22 is spliced in.
constexpr char kMid[] = "1 1234 1234 0 -1 4194560 1000 0 0 0 12 3 0 0 20 0 1 0";
constexpr char kTail[] =
    "12345678 456 18446744073709551615 1 1 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 "
    "0 0 0 0 0";

std::string StatLine(absl::string_view head, absl::string_view state,
                     absl::string_view start) {
  return absl::StrCat(head, " ", state, " ", kMid, " ", start, " ", kTail,
                      "\n");
}

struct StatCase {
  std::string name;
  std::string text;
  bool ok;
  pid_t pid = 0;
  std::string comm;
  char state = '?';
  uint64_t start = 0;
};

StatCase Good(std::string name, std::string text, pid_t pid, std::string comm,
              char state, uint64_t start) {
  return StatCase{std::move(name), std::move(text), true, pid, std::move(comm),
                  state, start};
}
StatCase Bad(std::string name, std::string text) {
  return StatCase{std::move(name), std::move(text), false, 0, "", '?', 0};
}

class ParseProcStatTest : public ::testing::TestWithParam<StatCase> {};

TEST_P(ParseProcStatTest, Parses) {
  const StatCase& c = GetParam();
  absl::StatusOr<ProcStat> got = ParseProcStat(c.text);
  if (!c.ok) {
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument)
        << got.status();
    return;
  }
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->pid, c.pid);
  EXPECT_EQ(got->comm, c.comm);
  EXPECT_EQ(got->state, c.state);
  EXPECT_EQ(got->start_time_ticks, c.start);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseProcStatTest,
    ::testing::Values(
        Good("plain", StatLine("42 (bash)", "S", "987654"), 42, "bash", 'S',
             987654),
        Good("no_trailing_newline", "42 (bash) S " + std::string(kMid) +
                                        " 7 " + kTail,
             42, "bash", 'S', 7),
        Good("comm_with_spaces", StatLine("7 (Web Content)", "R", "55"), 7,
             "Web Content", 'R', 55),
        // The attack: a name that imitates the fields that follow it.
        Good("comm_imitates_fields",
             StatLine("9 (x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1)", "S",
                      "31337"),
             9, "x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1", 'S', 31337),
        Good("comm_with_parens", StatLine("10 ((sd-pam))", "S", "12"), 10,
             "(sd-pam)", 'S', 12),
        Good("comm_unbalanced", StatLine("11 (a) b (c)", "Z", "13"), 11,
             "a) b (c", 'Z', 13),
        Good("comm_with_newline", StatLine("12 (evil\n1 (x)", "S", "14"), 12,
             "evil\n1 (x", 'S', 14),
        Good("comm_empty", StatLine("13 ()", "I", "15"), 13, "", 'I', 15),
        Good("max_start_time", StatLine("14 (a)", "S", "18446744073709551615"),
             14, "a", 'S', 18446744073709551615u),
        Bad("empty", ""),
        Bad("no_parens", "42 bash S 1 2 3\n"),
        Bad("no_close_paren", "42 (bash S 1 2 3\n"),
        Bad("close_before_open", "42 )bash( S 1 2 3\n"),
        Bad("pid_not_numeric", StatLine("x42 (bash)", "S", "1")),
        Bad("pid_zero", StatLine("0 (bash)", "S", "1")),
        Bad("pid_too_big", StatLine("99999999999 (bash)", "S", "1")),
        Bad("no_space_after_comm", "42 (bash)S 1 2\n"),
        Bad("too_few_fields", "42 (bash) S 1 2 3 4 5\n"),
        Bad("state_two_chars", StatLine("42 (bash)", "SS", "1")),
        Bad("state_digit", StatLine("42 (bash)", "1", "1")),
        Bad("start_negative", StatLine("42 (bash)", "S", "-5")),
        Bad("start_plus", StatLine("42 (bash)", "S", "+5")),
        Bad("start_hex", StatLine("42 (bash)", "S", "0x10")),
        Bad("start_overflow",
            StatLine("42 (bash)", "S", "18446744073709551616")),
        Bad("double_space",
            "42 (bash)  S " + std::string(kMid) + " 5 " + kTail + "\n")),
    [](const ::testing::TestParamInfo<StatCase>& info) {
      return info.param.name;
    });

struct GroupsCase {
  std::string name;
  std::string text;
  bool ok;
  std::vector<gid_t> groups;
};

class ParseStatusGroupsTest : public ::testing::TestWithParam<GroupsCase> {};

TEST_P(ParseStatusGroupsTest, Parses) {
  const GroupsCase& c = GetParam();
  absl::StatusOr<std::vector<gid_t>> got = ParseStatusGroups(c.text);
  if (!c.ok) {
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument)
        << got.status();
    return;
  }
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, c.groups);
}

constexpr char kStatusHead[] =
    "Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nPid:\t42\n"
    "Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n"
    "FDSize:\t256\n";

INSTANTIATE_TEST_SUITE_P(
    Table, ParseStatusGroupsTest,
    ::testing::Values(
        GroupsCase{"kernel_format",
                   std::string(kStatusHead) +
                       "Groups:\t4 24 27 1000 \nNStgid:\t42\n",
                   true,
                   {4, 24, 27, 1000}},
        GroupsCase{"none",
                   std::string(kStatusHead) + "Groups:\t\nNStgid:\t1\n",
                   true,
                   {}},
        GroupsCase{"unsorted_duplicates", "Groups:\t27 4 27\n", true, {4, 27}},
        GroupsCase{"last_line_no_newline", "Pid:\t1\nGroups:\t5", true, {5}},
        // A "Groups:" lookalike inside another line does not count.
        GroupsCase{"prefix_only_at_line_start",
                   "Name:\tGroups:\t0\nGroups:\t7\n",
                   true,
                   {7}},
        GroupsCase{"missing", kStatusHead, false, {}},
        GroupsCase{"not_numeric", "Groups:\t4 abc\n", false, {}},
        GroupsCase{"negative", "Groups:\t-1\n", false, {}},
        GroupsCase{"invalid_gid", "Groups:\t4294967295\n", false, {}},
        GroupsCase{"overflow", "Groups:\t4294967296\n", false, {}}),
    [](const ::testing::TestParamInfo<GroupsCase>& info) {
      return info.param.name;
    });

TEST(ParseStatusGroupsTest, EmptyListIsEmpty) {
  absl::StatusOr<std::vector<gid_t>> got = ParseStatusGroups("Groups:\n");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, IsEmpty());
}

TEST(ParseProcStatTest, ParsesOwnStatLine) {
  // Sanity against the running kernel's format (layout of the fields).
  FILE* f = fopen("/proc/self/stat", "r");
  ASSERT_NE(f, nullptr);
  char buf[4096];
  const size_t n = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  absl::StatusOr<ProcStat> got = ParseProcStat(std::string(buf, n));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->pid, getpid());
  EXPECT_GT(got->start_time_ticks, 0u);
  EXPECT_THAT(std::vector<char>{got->state}, ElementsAre('R'));
}

}  // namespace
}  // namespace layer_vault::peer
