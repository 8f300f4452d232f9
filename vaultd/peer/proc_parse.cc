#include "vaultd/peer/proc_parse.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace layer_vault::peer {
namespace {

// Fields of /proc/<pid>/stat, 1-based as in proc(5).
constexpr int kStateField = 3;
constexpr int kStartTimeField = 22;

// Strict decimal: digits only (no sign, no spaces), fits in uint64_t.
bool ParseDecimal(absl::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(s, out);
}

}  // namespace

absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text) {
  absl::ConsumeSuffix(&text, "\n");
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == absl::string_view::npos || close == absl::string_view::npos ||
      close < open) {
    return absl::InvalidArgumentError(
        "proc stat: no '(comm)' field delimited by '(' and ')'");
  }
  ProcStat stat;
  uint64_t pid = 0;
  if (open < 2 || text[open - 1] != ' ' ||
      !ParseDecimal(text.substr(0, open - 1), &pid) || pid == 0 ||
      pid > static_cast<uint64_t>(std::numeric_limits<pid_t>::max())) {
    return absl::InvalidArgumentError("proc stat: field 1 (pid) is malformed");
  }
  stat.pid = static_cast<pid_t>(pid);
  stat.comm = std::string(text.substr(open + 1, close - open - 1));

  absl::string_view rest = text.substr(close + 1);
  if (!absl::ConsumePrefix(&rest, " ")) {
    return absl::InvalidArgumentError(
        "proc stat: expected a space after the comm field");
  }
  // rest starts with field 3.
  const std::vector<absl::string_view> fields = absl::StrSplit(rest, ' ');
  if (static_cast<int>(fields.size()) < kStartTimeField - kStateField + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "proc stat: ", fields.size() + 2, " fields, need at least ",
        kStartTimeField));
  }
  const absl::string_view state = fields[0];
  if (state.size() != 1 || !absl::ascii_isalpha(
                               static_cast<unsigned char>(state[0]))) {
    return absl::InvalidArgumentError("proc stat: field 3 (state) is malformed");
  }
  stat.state = state[0];
  if (!ParseDecimal(fields[kStartTimeField - kStateField],
                    &stat.start_time_ticks)) {
    return absl::InvalidArgumentError(
        "proc stat: field 22 (starttime) is not a decimal number");
  }
  return stat;
}

absl::StatusOr<std::vector<gid_t>> ParseStatusGroups(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, "Groups:")) continue;
    std::vector<gid_t> groups;
    for (absl::string_view item :
         absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
      uint64_t gid = 0;
      if (!ParseDecimal(item, &gid) ||
          gid >= std::numeric_limits<uint32_t>::max()) {
        return absl::InvalidArgumentError(
            absl::StrCat("proc status: bad gid in Groups line: '",
                         absl::CEscape(item.substr(0, 32)), "'"));
      }
      groups.push_back(static_cast<gid_t>(gid));
    }
    std::sort(groups.begin(), groups.end());
    groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
    return groups;
  }
  return absl::InvalidArgumentError("proc status: no Groups line");
}

}  // namespace layer_vault::peer
