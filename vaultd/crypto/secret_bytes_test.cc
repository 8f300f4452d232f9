#include "vaultd/crypto/secret_bytes.h"

#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace layer_vault::crypto {
namespace {

using ::testing::ExitedWithCode;

// The VmFlags tokens of the /proc/self/smaps mapping containing `addr`;
// empty if no mapping contains it.
std::vector<std::string> VmFlagsOf(const void* addr) {
  const uintptr_t target = reinterpret_cast<uintptr_t>(addr);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    const size_t dash = line.find('-');
    const size_t space = line.find(' ');
    if (dash != std::string::npos && space != std::string::npos &&
        dash < space && line.find(':') > space) {
      // A mapping header: "start-end perms offset dev inode [path]".
      const uintptr_t start = std::strtoull(line.c_str(), nullptr, 16);
      const uintptr_t end = std::strtoull(line.c_str() + dash + 1, nullptr, 16);
      inside = start <= target && target < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return absl::StrSplit(line.substr(8), ' ', absl::SkipEmpty());
    }
  }
  return {};
}

bool HasFlag(const std::vector<std::string>& flags, absl::string_view flag) {
  for (const std::string& f : flags) {
    if (f == flag) return true;
  }
  return false;
}

// VmLck of this process in kB, or -1 if unknown.
long LockedKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmLck:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

TEST(SecretBytesTest, DefaultIsEmpty) {
  SecretBytes s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(s.locked());
  EXPECT_EQ(s.UnsafeData(), nullptr);
  EXPECT_TRUE(s.UnsafeView().empty());
}

TEST(SecretBytesTest, ZeroSizeIsEmpty) {
  SecretBytes s(0);
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.locked());
}

TEST(SecretBytesTest, SizedIsZeroedAndWritable) {
  SecretBytes s(5000);
  ASSERT_EQ(s.size(), 5000u);
  EXPECT_TRUE(AllZero(s.UnsafeData(), s.size()));
  s.UnsafeMutableData()[4999] = 7;
  EXPECT_EQ(s.UnsafeData()[4999], 7);
}

TEST(SecretBytesTest, MemoryIsPageAligned) {
  SecretBytes s = SecretBytes::CopyFrom("x");
  const uintptr_t addr = reinterpret_cast<uintptr_t>(s.UnsafeData());
  EXPECT_EQ(addr % static_cast<uintptr_t>(sysconf(_SC_PAGESIZE)), 0u);
}

TEST(SecretBytesTest, CopyFromCopiesBytesIncludingNul) {
  const std::string data("se\0cret", 7);
  SecretBytes s = SecretBytes::CopyFrom(data);
  EXPECT_EQ(s.size(), 7u);
  EXPECT_EQ(s.UnsafeView(), data);
  EXPECT_NE(reinterpret_cast<const char*>(s.UnsafeData()), data.data());
  EXPECT_TRUE(SecretBytes::CopyFrom("").empty());
}

TEST(SecretBytesTest, MoveConstructionTransfersAndEmptiesSource) {
  SecretBytes a = SecretBytes::CopyFrom("key material");
  const uint8_t* bytes = a.UnsafeData();
  SecretBytes b(std::move(a));
  EXPECT_EQ(b.UnsafeData(), bytes);
  EXPECT_EQ(b.UnsafeView(), "key material");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.UnsafeData(), nullptr);
  EXPECT_TRUE(a.locked());
}

TEST(SecretBytesTest, MoveAssignmentReplacesAndEmptiesSource) {
  SecretBytes a = SecretBytes::CopyFrom("new");
  SecretBytes b = SecretBytes::CopyFrom("old secret");
  b = std::move(a);
  EXPECT_EQ(b.UnsafeView(), "new");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  b = SecretBytes();
  EXPECT_TRUE(b.empty());
}

TEST(SecretBytesTest, SelfMoveAssignmentKeepsValue) {
  SecretBytes a = SecretBytes::CopyFrom("same");
  SecretBytes& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.UnsafeView(), "same");
}

TEST(SecretBytesTest, CloneIsAnIndependentDeepCopy) {
  SecretBytes a = SecretBytes::CopyFrom("abc");
  SecretBytes b = a.Clone();
  EXPECT_EQ(b.UnsafeView(), "abc");
  EXPECT_NE(b.UnsafeData(), a.UnsafeData());
  b.UnsafeMutableData()[0] = 'x';
  EXPECT_EQ(a.UnsafeView(), "abc");
  EXPECT_EQ(b.UnsafeView(), "xbc");
  EXPECT_TRUE(SecretBytes().Clone().empty());
}

TEST(SecretBytesTest, TruncateShrinksAndWipesTail) {
  SecretBytes s = SecretBytes::CopyFrom("0123456789abcdef");
  const uint8_t* bytes = s.UnsafeData();
  s.Truncate(4);
  EXPECT_EQ(s.size(), 4u);
  EXPECT_EQ(s.UnsafeView(), "0123");
  // Same mapping, so the old tail is still readable: it must be wiped.
  ASSERT_EQ(s.UnsafeData(), bytes);
  EXPECT_TRUE(AllZero(bytes + 4, 12));
  s.Truncate(4);
  EXPECT_EQ(s.UnsafeView(), "0123");
  s.Truncate(0);
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.locked());
}

TEST(SecretBytesDeathTest, TruncateBeyondSizeCrashes) {
  SecretBytes s = SecretBytes::CopyFrom("abc");
  EXPECT_DEATH(s.Truncate(4), "Truncate");
}

TEST(SecretBytesTest, MemoryIsExcludedFromCoreDumps) {
  SecretBytes s = SecretBytes::CopyFrom("pat_0123456789");
  const std::vector<std::string> flags = VmFlagsOf(s.UnsafeData());
  ASSERT_FALSE(flags.empty()) << "mapping not found in /proc/self/smaps";
  EXPECT_TRUE(HasFlag(flags, "dd"));

  // Control: an ordinary anonymous mapping does not carry the flag, so the
  // check above can fail.
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* plain = mmap(nullptr, page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(plain, MAP_FAILED);
  const std::vector<std::string> plain_flags = VmFlagsOf(plain);
  munmap(plain, page);
  ASSERT_FALSE(plain_flags.empty());
  EXPECT_FALSE(HasFlag(plain_flags, "dd"));
}

#ifdef MADV_WIPEONFORK
TEST(SecretBytesTest, ForkedChildSeesZeros) {
  SecretBytes secret = SecretBytes::CopyFrom("not for the child");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    for (size_t i = 0; i < secret.size(); ++i) {
      if (secret.UnsafeData()[i] != 0) _exit(1);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child could read the secret";
  EXPECT_EQ(secret.UnsafeView(), "not for the child");
}
#endif

TEST(SecretBytesTest, MemoryIsLockedWhenRlimitAllows) {
  constexpr size_t kSize = 64 * 1024;
  const long before_kb = LockedKb();
  ASSERT_GE(before_kb, 0);
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_MEMLOCK, &limit), 0);
  const bool rlimit_allows =
      limit.rlim_cur == RLIM_INFINITY ||
      limit.rlim_cur >= static_cast<rlim_t>(before_kb) * 1024 + kSize;
  {
    SecretBytes s(kSize);
    if (rlimit_allows) {
      EXPECT_TRUE(s.locked());
    }
    if (s.locked()) {
      EXPECT_GE(LockedKb() - before_kb, static_cast<long>(kSize / 1024));
      EXPECT_TRUE(HasFlag(VmFlagsOf(s.UnsafeData()), "lo"));
    }
  }
  EXPECT_EQ(LockedKb(), before_kb);
}

// In a child without CAP_IPC_LOCK and with RLIMIT_MEMLOCK = 0, mlock fails:
// the secret must still work, report locked() == false and stay out of dumps.
void AllocateWithoutMlockAndExit() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, caps) != 0) _exit(10);
  caps[0].effective &= ~(1u << CAP_IPC_LOCK);
  if (syscall(SYS_capset, &header, caps) != 0) _exit(11);
  rlimit none{0, 0};
  if (setrlimit(RLIMIT_MEMLOCK, &none) != 0) _exit(12);

  SecretBytes s = SecretBytes::CopyFrom("still usable");
  if (s.locked()) _exit(13);
  if (s.UnsafeView() != "still usable") _exit(14);
  if (!HasFlag(VmFlagsOf(s.UnsafeData()), "dd")) _exit(15);
  SecretBytes moved = std::move(s);
  if (moved.locked() || moved.UnsafeView() != "still usable") _exit(16);
  SecretBytes clone = moved.Clone();
  if (clone.locked()) _exit(17);
  _exit(0);
}

TEST(SecretBytesDeathTest, WorksWhenMlockFails) {
  EXPECT_EXIT(AllocateWithoutMlockAndExit(), ExitedWithCode(0), "");
}

struct EqualsCase {
  std::string a;
  std::string b;
  bool equal;
};

class ConstantTimeEqualsTest : public ::testing::TestWithParam<EqualsCase> {};

TEST_P(ConstantTimeEqualsTest, MatchesOrdinaryEquality) {
  const EqualsCase& c = GetParam();
  EXPECT_EQ(ConstantTimeEquals(c.a, c.b), c.equal);
  EXPECT_EQ(ConstantTimeEquals(c.b, c.a), c.equal);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConstantTimeEqualsTest,
    ::testing::Values(
        EqualsCase{"", "", true}, EqualsCase{"a", "a", true},
        EqualsCase{"a", "b", false}, EqualsCase{"abc", "abd", false},
        EqualsCase{"xbc", "abc", false}, EqualsCase{"abc", "ab", false},
        EqualsCase{"", "a", false},
        EqualsCase{std::string("a\0b", 3), std::string("a\0b", 3), true},
        EqualsCase{std::string("a\0b", 3), std::string("a\0c", 3), false},
        EqualsCase{std::string(1000, 'z'), std::string(1000, 'z'), true}));

}  // namespace
}  // namespace layer_vault::crypto
