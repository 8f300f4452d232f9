#include "client/vaultctl/doctor.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <fnmatch.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "vaultd/store/format.h"
#include "vaultd/store/permissions.h"
#include "vaultd/store/record.h"
#include "vaultd/store/store.h"

namespace layer_vault::vaultctl {
namespace {

constexpr size_t kMinPatTail = 28;  // "pat_" + 28 = the 32-character minimum
constexpr size_t kMaxScannedFile = 1 << 20;
constexpr int kMaxDepth = 12;
constexpr size_t kMaxEntries = 100'000;
constexpr size_t kMaxReported = 10;

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

Finding Pass(std::string check, std::string detail) {
  return {std::move(check), Verdict::kPass, std::move(detail), ""};
}
Finding Warn(std::string check, std::string detail, std::string fix) {
  return {std::move(check), Verdict::kWarn, std::move(detail), std::move(fix)};
}
Finding Fail(std::string check, std::string detail, std::string fix) {
  return {std::move(check), Verdict::kFail, std::move(detail), std::move(fix)};
}

// Splits a permissions.h message "...; fix with: CMD" into detail and fix.
std::pair<std::string, std::string> SplitFix(const absl::Status& s) {
  std::string message(s.message());
  size_t at = message.find("; fix with: ");
  if (at == std::string::npos) return {message, ""};
  return {message.substr(0, at), message.substr(at + 12)};
}

std::string ReadSmallFile(const std::string& path, size_t max = 1 << 16) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0) return "";
  std::string out(max, '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = read(fd, out.data() + got, out.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  out.resize(got);
  return out;
}

std::string Days(absl::Duration d) {
  int64_t days = absl::ToInt64Hours(d) / 24;
  return absl::StrCat(days, days == 1 ? " day" : " days");
}

std::string Date(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone());
}

// --- store -----------------------------------------------------------------

Finding KdfStrength(const store::Header& header) {
  const std::string check = "kdf-strength";
  switch (header.key_source.kind()) {
    case store::KeySourceKind::kSystemdCredential:
      return Pass(check, absl::StrCat("systemd credential '",
                                      header.key_source.parameter(),
                                      "' (32-byte random key)"));
    case store::KeySourceKind::kKeyFile:
      return Warn(check,
                  "key file: meant for development and tests",
                  "in production use a systemd credential "
                  "(LoadCredentialEncrypted=, TPM2 or host-key sealed)");
    case store::KeySourceKind::kPassphrase:
      break;
  }
  const std::string detail =
      absl::StrCat("PBKDF2-HMAC-SHA256, ", header.iterations, " iterations");
  if (header.iterations >= store::kDefaultPbkdf2Iterations) {
    return Pass(check, detail);
  }
  const std::string fix = "vaultctl change-passphrase --iterations 600000";
  if (header.iterations >= store::kMinPbkdf2Iterations) {
    return Warn(check, absl::StrCat(detail, " (< 600000)"), fix);
  }
  return Fail(check, absl::StrCat(detail, " (< 100000: refused on load)"),
              fix);
}

Finding TokenAge(const store::Record& record, absl::Time now) {
  const std::string check = "token-age";
  if (record.pat.empty() || !record.rotated_at || !record.rotation_due) {
    return Warn(check, "no token set", "vaultctl set-token");
  }
  const std::string age = Days(now - *record.rotated_at);
  const std::string fix =
      "create a new PAT in Layer.ai, run vaultctl set-token, then revoke the "
      "old one";
  if (now >= *record.rotation_due) {
    return Warn(check,
                absl::StrCat("token is ", age, " old; rotation was due ",
                             Date(*record.rotation_due)),
                fix);
  }
  if (now - *record.rotated_at > store::kDefaultRotationPeriod) {
    return Warn(check,
                absl::StrCat("token is ", age,
                             " old, past the 90-day rotation"),
                fix);
  }
  return Pass(check, absl::StrCat("token is ", age, " old; rotation due ",
                                  Date(*record.rotation_due), " (in ",
                                  Days(*record.rotation_due - now), ")"));
}

// --- project -----------------------------------------------------------------

bool IsCandidate(const std::string& rel, const std::string& base) {
  static const std::set<std::string> kMcpNames = {
      ".mcp.json",        "mcp.json",
      "mcp_config.json",  "mcp_settings.json",
      "cline_mcp_settings.json", "claude_desktop_config.json",
      ".claude.json"};
  static const std::vector<std::string> kMcpPaths = {
      ".vscode/settings.json",  ".claude/settings.json",
      ".claude/settings.local.json", ".gemini/settings.json",
      ".zed/settings.json",     ".codex/config.toml",
      ".continue/config.json",  ".continue/config.yaml"};
  if (absl::StartsWith(base, ".env")) return true;
  if (absl::EndsWith(base, ".token") || absl::EndsWith(base, ".credentials")) {
    return true;
  }
  if (kMcpNames.count(base) > 0) return true;
  for (const std::string& p : kMcpPaths) {
    if (rel == p || absl::EndsWith(rel, "/" + p)) return true;
  }
  return false;
}

bool SkipDirectory(const std::string& name) {
  return name == ".git" || name == "node_modules" ||
         absl::StartsWith(name, "bazel-");
}

struct Scan {
  size_t entries = 0;
  size_t candidates = 0;
  std::vector<std::string> hits;  // "rel:line"
};

void ScanFile(const std::string& path, const std::string& rel, Scan& scan) {
  ++scan.candidates;
  std::string text = ReadSmallFile(path, kMaxScannedFile);
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      if (ContainsPlaintextPat(
              absl::string_view(text).substr(line_start, i - line_start))) {
        scan.hits.push_back(absl::StrCat(rel, ":", line));
      }
      ++line;
      line_start = i + 1;
    }
  }
  if (ContainsPlaintextPat(absl::string_view(text).substr(line_start))) {
    scan.hits.push_back(absl::StrCat(rel, ":", line));
  }
}

void Walk(const std::string& dir, const std::string& rel, int depth,
          Scan& scan) {
  if (depth > kMaxDepth) return;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (++scan.entries > kMaxEntries) return;
    const std::string path = absl::StrCat(dir, "/", name);
    const std::string child_rel = rel.empty() ? name : absl::StrCat(rel, "/", name);
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (!SkipDirectory(name)) Walk(path, child_rel, depth + 1, scan);
    } else if (S_ISREG(st.st_mode) && IsCandidate(child_rel, name)) {
      ScanFile(path, child_rel, scan);
    }
  }
}

// --- .gitignore ----------------------------------------------------------------

struct IgnoreRule {
  std::string pattern;
  bool negated;
  bool anchored;  // contains a '/' before its end: relative to the root
  bool directory_only;
};

std::vector<IgnoreRule> ParseGitignore(absl::string_view text) {
  std::vector<IgnoreRule> rules;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::string p(absl::StripTrailingAsciiWhitespace(line));
    if (p.empty() || p[0] == '#') continue;
    IgnoreRule r{"", false, false, false};
    if (p[0] == '!') {
      r.negated = true;
      p.erase(0, 1);
    }
    if (absl::StartsWith(p, "**/")) p.erase(0, 3);
    if (!p.empty() && p.back() == '/') {
      r.directory_only = true;
      p.pop_back();
    }
    if (!p.empty() && p[0] == '/') {
      r.anchored = true;
      p.erase(0, 1);
    }
    if (p.find('/') != std::string::npos) r.anchored = true;
    if (absl::EndsWith(p, "/**")) p.resize(p.size() - 3);
    if (p.empty()) continue;
    r.pattern = std::move(p);
    rules.push_back(std::move(r));
  }
  return rules;
}

// Whether `rel` (a file, or a directory if `is_dir`) is ignored: a path is
// ignored if it or any of its parent directories matches, last rule wins.
bool IsIgnored(const std::vector<IgnoreRule>& rules, const std::string& rel,
               bool is_dir) {
  std::vector<std::string> parts = absl::StrSplit(rel, '/');
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    prefix = i == 0 ? parts[0] : absl::StrCat(prefix, "/", parts[i]);
    const bool dir = i + 1 < parts.size() || is_dir;
    bool ignored = false;
    for (const IgnoreRule& r : rules) {
      if (r.directory_only && !dir) continue;
      bool match =
          r.anchored
              ? fnmatch(r.pattern.c_str(), prefix.c_str(), FNM_PATHNAME) == 0
              : fnmatch(r.pattern.c_str(), parts[i].c_str(), 0) == 0;
      if (match) ignored = !r.negated;
    }
    if (ignored) return true;
  }
  return false;
}

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) return path;
  return buf;
}

}  // namespace

absl::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kWarn:
      return "WARN";
    case Verdict::kFail:
      return "FAIL";
  }
  return "FAIL";
}

int DoctorExitCode(const std::vector<Finding>& findings) {
  int code = 0;
  for (const Finding& f : findings) {
    if (f.verdict == Verdict::kFail) code = 2;
    if (f.verdict == Verdict::kWarn && code == 0) code = 1;
  }
  return code;
}

bool ContainsPlaintextPat(absl::string_view text) {
  for (size_t at = text.find("pat_"); at != absl::string_view::npos;
       at = text.find("pat_", at + 1)) {
    if (at > 0 && IsTokenChar(text[at - 1])) continue;
    size_t n = 0;
    while (at + 4 + n < text.size() && IsTokenChar(text[at + 4 + n])) ++n;
    if (n >= kMinPatTail) return true;
  }
  return false;
}

std::vector<Finding> CheckStore(const std::string& state_dir, uid_t uid,
                                const KeyProvider& key_provider,
                                absl::Time now) {
  std::vector<Finding> out;
  const std::string file = absl::StrCat(state_dir, "/", store::Store::kFileName);
  const std::string init_fix = absl::StrCat(
      "vaultctl init --state-dir ", store::ShellQuote(state_dir),
      " --key-source systemd-credential:NAME|passphrase");
  struct stat dst, fst;
  if (stat(state_dir.c_str(), &dst) != 0) {
    out.push_back(Fail("store-encrypted",
                       absl::StrCat("no state directory ",
                                    store::ShellQuote(state_dir)),
                       init_fix));
    return out;
  }
  if (lstat(file.c_str(), &fst) != 0) {
    out.push_back(Fail("store-encrypted",
                       absl::StrCat("no credential store in ",
                                    store::ShellQuote(state_dir)),
                       init_fix));
    return out;
  }

  // Permissions and ownership, reported with the exact fix.
  std::vector<std::string> details, fixes;
  for (const auto& [path, st] :
       {std::pair<std::string, struct stat>{state_dir, dst}, {file, fst}}) {
    absl::Status s = store::CheckNoGroupOrOtherAccess(st, path);
    if (!s.ok()) {
      auto [detail, fix] = SplitFix(s);
      details.push_back(std::move(detail));
      fixes.push_back(std::move(fix));
    }
  }
  if (!S_ISREG(fst.st_mode)) {
    details.push_back(absl::StrCat(store::ShellQuote(file),
                                   " is not a regular file"));
    fixes.push_back("restore the store file from a backup");
  }
  if (details.empty()) {
    out.push_back(Pass("store-permissions",
                       absl::StrFormat("directory %04o, file %04o",
                                       dst.st_mode & 07777,
                                       fst.st_mode & 07777)));
  } else {
    out.push_back(Fail("store-permissions", absl::StrJoin(details, "; "),
                       absl::StrJoin(fixes, " && ")));
  }
  details.clear();
  fixes.clear();
  for (const auto& [path, st] :
       {std::pair<std::string, struct stat>{state_dir, dst}, {file, fst}}) {
    absl::Status s = store::CheckOwner(st, path, uid);
    if (!s.ok()) {
      auto [detail, fix] = SplitFix(s);
      details.push_back(std::move(detail));
      fixes.push_back(std::move(fix));
    }
  }
  if (details.empty()) {
    out.push_back(Pass("store-ownership",
                       absl::StrCat("owned by uid ", uid, " (this user)")));
  } else {
    out.push_back(Fail("store-ownership", absl::StrJoin(details, "; "),
                       absl::StrJoin(fixes, " && ")));
  }

  // Encrypted: a well-formed header, and no plaintext token anywhere.
  std::string bytes = S_ISREG(fst.st_mode)
                          ? ReadSmallFile(file, store::kMaxCiphertextSize + 4096)
                          : "";
  absl::StatusOr<store::ParsedFile> parsed =
      store::ParseFile(bytes, /*min_iterations=*/1);
  if (ContainsPlaintextPat(bytes)) {
    out.push_back(Fail("store-encrypted",
                       absl::StrCat(store::ShellQuote(file),
                                    " contains a plaintext pat_ token"),
                       "delete the file, rotate the token in Layer.ai, run "
                       "vaultctl init and set-token"));
    return out;
  }
  if (!parsed.ok()) {
    out.push_back(Fail("store-encrypted",
                       absl::StrCat(store::ShellQuote(file), ": ",
                                    parsed.status().message()),
                       "restore the store from a backup, or run vaultctl init "
                       "on an empty directory and set-token"));
    return out;
  }
  out.push_back(Pass(
      "store-encrypted",
      absl::StrCat("format ", parsed->header.version,
                   ", AES-256-GCM, header authenticated, key source ",
                   parsed->header.key_source.ToString())));
  out.push_back(KdfStrength(parsed->header));

  // Loadable: open with the production policy and unlock.
  absl::StatusOr<std::unique_ptr<store::Store>> opened =
      store::Store::Open(state_dir);
  if (!opened.ok()) {
    if (opened.status().code() == absl::StatusCode::kUnavailable) {
      out.push_back(Warn("store-loadable",
                         "not checked: the store is in use (vaultd running?)",
                         "run doctor while vaultd is stopped, or use "
                         "vaultctl status"));
    } else {
      auto [detail, fix] = SplitFix(opened.status());
      out.push_back(Fail("store-loadable", detail,
                         fix.empty() ? "see the message" : fix));
    }
    out.push_back(Warn("token-age", "not checked (store not unlocked)",
                       "make the store loadable"));
    return out;
  }
  absl::StatusOr<store::KeyMaterial> key =
      key_provider((*opened)->header());
  if (!key.ok()) {
    out.push_back(Warn("store-loadable",
                       absl::StrCat("not checked: ", key.status().message()),
                       "give --passphrase-file, or run doctor where the key "
                       "source is available"));
    out.push_back(Warn("token-age", "not checked (store not unlocked)",
                       "give doctor the key (see store-loadable)"));
    return out;
  }
  absl::StatusOr<store::Record> record = (*opened)->Load(*key);
  if (!record.ok()) {
    out.push_back(Fail("store-loadable", std::string(record.status().message()),
                       "check the passphrase or key; if the file was "
                       "tampered with, rotate the token"));
    out.push_back(Warn("token-age", "not checked (store not unlocked)",
                       "make the store loadable"));
    return out;
  }
  out.push_back(Pass("store-loadable", "decrypted and authenticated"));
  out.push_back(TokenAge(*record, now));
  return out;
}

Finding CheckEnvironment(
    const std::vector<std::pair<std::string, std::string>>& environment) {
  std::vector<std::string> names;
  for (const auto& [name, value] : environment) {
    if (ContainsPlaintextPat(value) || ContainsPlaintextPat(name)) {
      names.push_back(name);
    }
  }
  if (names.empty()) {
    return Pass("environment", "no plaintext pat_ token in the environment");
  }
  const std::string list = absl::StrJoin(names, " ");
  return Fail("environment",
              absl::StrCat("plaintext pat_ token in: ", list),
              absl::StrCat("vaultctl import-env (if not stored yet), then "
                           "unset ",
                           list,
                           " and remove it from shell rc files "
                           "(~/.bashrc, ~/.zshrc, ~/.profile)"));
}

Finding ScanProject(const std::string& project_dir) {
  struct stat st;
  if (stat(project_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Warn("project-plaintext-tokens",
                absl::StrCat("not checked: ", store::ShellQuote(project_dir),
                             " is not a directory"),
                "give --project DIR");
  }
  Scan scan;
  Walk(project_dir, "", 0, scan);
  if (scan.hits.empty()) {
    return Pass("project-plaintext-tokens",
                absl::StrCat("no plaintext pat_ token in ", scan.candidates,
                             " .env*/*.token/*.credentials/MCP config files "
                             "under ",
                             store::ShellQuote(project_dir)));
  }
  std::vector<std::string> shown(
      scan.hits.begin(),
      scan.hits.begin() + std::min(scan.hits.size(), kMaxReported));
  std::string detail =
      absl::StrCat("plaintext pat_ token in: ", absl::StrJoin(shown, ", "));
  if (scan.hits.size() > kMaxReported) {
    absl::StrAppend(&detail, " and ", scan.hits.size() - kMaxReported,
                    " more");
  }
  return Fail("project-plaintext-tokens", detail,
              "store the token with vaultctl set-token, delete it from these "
              "files (MCP servers get it from vaultd), and rotate it in "
              "Layer.ai if the files were ever committed or shared");
}

Finding CheckGitignore(const std::string& project_dir,
                       const std::string& state_dir) {
  const std::string check = "project-gitignore";
  const std::string path = absl::StrCat(project_dir, "/.gitignore");
  struct stat st;
  std::vector<IgnoreRule> rules;
  if (stat(path.c_str(), &st) == 0) {
    rules = ParseGitignore(ReadSmallFile(path, 1 << 20));
  }
  struct Want {
    std::string sample;
    bool is_dir;
    std::string line;
  };
  std::vector<Want> wants = {{".env", false, ".env*"},
                             {".env.local", false, ".env*"},
                             {"x.token", false, "*.token"},
                             {"x.credentials", false, "*.credentials"}};
  const std::string project_real = RealPath(project_dir);
  const std::string state_real = RealPath(state_dir);
  if (absl::StartsWith(state_real, project_real + "/")) {
    const std::string rel = state_real.substr(project_real.size() + 1);
    wants.push_back({rel, true, absl::StrCat("/", rel, "/")});
  }
  std::vector<std::string> missing, quoted;
  for (const Want& w : wants) {
    if (!IsIgnored(rules, w.sample, w.is_dir) &&
        std::find(missing.begin(), missing.end(), w.line) == missing.end()) {
      missing.push_back(w.line);
      quoted.push_back(store::ShellQuote(w.line));
    }
  }
  if (missing.empty()) {
    return Pass(check, absl::StrCat(store::ShellQuote(path),
                                    " covers .env*, *.token, *.credentials",
                                    wants.size() > 4 ? " and the state dir"
                                                     : ""));
  }
  return Warn(check,
              absl::StrCat(store::ShellQuote(path), " does not ignore: ",
                           absl::StrJoin(missing, " ")),
              absl::StrCat("printf '%s\\n' ", absl::StrJoin(quoted, " "),
                           " >> ", store::ShellQuote(path)));
}

CoreDumpInputs CoreDumpInputs::FromSystem() {
  CoreDumpInputs in;
  struct rlimit rl;
  if (getrlimit(RLIMIT_CORE, &rl) == 0) {
    in.soft_limit = rl.rlim_cur;
    in.hard_limit = rl.rlim_max;
  }
  in.core_pattern = ReadSmallFile("/proc/sys/kernel/core_pattern");
  in.suid_dumpable = ReadSmallFile("/proc/sys/fs/suid_dumpable");
  in.coredump_conf = ReadSmallFile("/etc/systemd/coredump.conf");
  const std::string conf_d = "/etc/systemd/coredump.conf.d";
  if (DIR* d = opendir(conf_d.c_str())) {
    std::vector<std::string> names;
    while (struct dirent* e = readdir(d)) {
      if (absl::EndsWith(e->d_name, ".conf")) names.push_back(e->d_name);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      absl::StrAppend(&in.coredump_conf, "\n",
                      ReadSmallFile(absl::StrCat(conf_d, "/", n)));
    }
  }
  return in;
}

Finding CheckCoreDumps(const CoreDumpInputs& in) {
  auto limit = [](uint64_t v) {
    return v == static_cast<uint64_t>(RLIM_INFINITY) ? std::string("unlimited")
                                                     : absl::StrCat(v);
  };
  std::vector<std::string> problems, fixes;
  if (in.soft_limit != 0 || in.hard_limit != 0) {
    problems.push_back(absl::StrCat("RLIMIT_CORE soft ", limit(in.soft_limit),
                                    ", hard ", limit(in.hard_limit)));
    fixes.push_back("add LimitCORE=0 to the [Service] section of vaultd.service");
  }
  std::string suid(absl::StripAsciiWhitespace(in.suid_dumpable));
  if (!suid.empty() && suid != "0") {
    problems.push_back(absl::StrCat("fs.suid_dumpable=", suid));
    fixes.push_back(
        "echo fs.suid_dumpable=0 > /etc/sysctl.d/50-vaultd.conf && sysctl "
        "-w fs.suid_dumpable=0");
  }
  std::string pattern(absl::StripAsciiWhitespace(in.core_pattern));
  if (absl::StartsWith(pattern, "|") &&
      absl::StrContains(pattern, "systemd-coredump")) {
    bool storage_none = false;
    for (absl::string_view line : absl::StrSplit(in.coredump_conf, '\n')) {
      std::string l = absl::StrReplaceAll(line, {{" ", ""}, {"\t", ""}});
      if (absl::StartsWith(l, "Storage=")) storage_none = l == "Storage=none";
    }
    if (!storage_none) {
      problems.push_back("systemd-coredump stores dumps");
      fixes.push_back(
          "printf '[Coredump]\\nStorage=none\\n' > "
          "/etc/systemd/coredump.conf.d/vaultd.conf");
    }
  }
  if (problems.empty()) {
    return Pass("core-dumps", "core dumps disabled (RLIMIT_CORE 0/0)");
  }
  return Warn("core-dumps",
              absl::StrCat("core dumps possible: ", absl::StrJoin(problems, "; "),
                           " (vaultd also sets RLIMIT_CORE=0 and "
                           "PR_SET_DUMPABLE=0 itself)"),
              absl::StrJoin(fixes, "; "));
}

}  // namespace layer_vault::vaultctl
