#include "tests/load/process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace layer_vault::tests::load {

absl::StatusOr<int> OpenFds(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/fd");
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    const std::string message =
        absl::StrCat("cannot list ", path, ": ", std::strerror(errno));
    if (errno == EACCES || errno == EPERM) {
      return absl::PermissionDeniedError(message);
    }
    return absl::NotFoundError(message);
  }
  int count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

namespace {

// Inodes of the TCP sockets in `pid`'s network namespace.
std::set<std::string> TcpInodes(pid_t pid) {
  std::set<std::string> inodes;
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in(absl::StrCat("/proc/", pid, "/net/", table));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<std::string> fields =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (fields.size() > 9) inodes.insert(fields[9]);
    }
  }
  return inodes;
}

}  // namespace

std::map<std::string, int> FdKinds(pid_t pid) {
  std::map<std::string, int> kinds;
  const std::string dir_path = absl::StrCat("/proc/", pid, "/fd");
  DIR* dir = opendir(dir_path.c_str());
  if (dir == nullptr) return kinds;
  const std::set<std::string> tcp = TcpInodes(pid);
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    char target[512];
    const std::string link = absl::StrCat(dir_path, "/", entry->d_name);
    const ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    if (n < 0) continue;
    absl::string_view t(target, static_cast<size_t>(n));
    std::string kind;
    if (absl::ConsumePrefix(&t, "socket:[")) {
      absl::ConsumeSuffix(&t, "]");
      kind = tcp.count(std::string(t)) != 0 ? "tcp socket" : "other socket";
    } else if (absl::ConsumePrefix(&t, "anon_inode:")) {
      absl::ConsumePrefix(&t, "[");
      absl::ConsumeSuffix(&t, "]");
      kind = std::string(t);
    } else if (absl::StartsWith(t, "pipe:")) {
      kind = "pipe";
    } else {
      kind = "file";
    }
    ++kinds[kind];
  }
  closedir(dir);
  return kinds;
}

std::string FdKindsText(pid_t pid) {
  return absl::StrJoin(FdKinds(pid), " ", absl::PairFormatter("="));
}

absl::StatusOr<int64_t> ResidentKib(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/status");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::vector<std::string> parts =
        absl::StrSplit(line.substr(6), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int64_t kib = 0;
    if (!parts.empty() && absl::SimpleAtoi(parts[0], &kib)) return kib;
  }
  return absl::NotFoundError(absl::StrCat("no VmRSS in ", path));
}

absl::StatusOr<ProcessSample> SettleAndSample(pid_t pid, int fds_at_most,
                                              absl::Duration stable_for,
                                              absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int last = -1;
  absl::Time same_since = absl::Now();
  for (;;) {
    absl::StatusOr<int> fds = OpenFds(pid);
    if (!fds.ok()) return fds.status();
    const absl::Time now = absl::Now();
    if (*fds != last) {
      last = *fds;
      same_since = now;
    }
    const bool settled = now - same_since >= stable_for &&
                         (fds_at_most < 0 || *fds <= fds_at_most);
    if (settled || now >= deadline) {
      absl::StatusOr<int64_t> rss = ResidentKib(pid);
      if (!rss.ok()) return rss.status();
      return ProcessSample{*fds, *rss};
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace layer_vault::tests::load
