#include "client/vaultctl/offline_commands.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/vaultctl/doctor.h"
#include "client/vaultctl/exit_codes.h"
#include "client/vaultctl/secret_input.h"
#include "nlohmann/json.hpp"
#include "vaultd/crypto/hash.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/format.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/permissions.h"
#include "vaultd/store/record.h"
#include "vaultd/store/store.h"

extern char** environ;

namespace layer_vault::vaultctl {
namespace {

using crypto::SecretBytes;
using store::KeyMaterial;
using store::KeySource;
using store::KeySourceKind;
using store::Record;
using store::Store;

constexpr size_t kMaxPatInput = 4096;
constexpr size_t kMaxPassphraseInput = store::kMaxPassphraseSize;
constexpr int kDefaultRotationDays = 90;

const FlagSpec kStateDirFlag{"state-dir", "DIR",
                             "state directory (default /var/lib/vaultd)"};
const FlagSpec kKeySourceOverrideFlag{
    "key-source", "SOURCE",
    "where the key is, if not where init recorded it (same kind)"};
const FlagSpec kPassphraseFileFlag{
    "passphrase-file", "FILE",
    "read the passphrase from FILE ('-': stdin), not the terminal"};
const FlagSpec kCredentialsDirFlag{
    "credentials-directory", "DIR",
    "systemd credentials directory (default $CREDENTIALS_DIRECTORY)"};
const FlagSpec kJsonFlag{"json", "", "print the result as JSON on stdout"};
const FlagSpec kIterationsFlag{
    "iterations", "N",
    "PBKDF2 iterations for a passphrase (default 600000, minimum 100000)"};

std::string StateDir(const Flags& flags) {
  return flags.Get("state-dir", kDefaultStateDir);
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string Days(absl::Duration d) {
  int64_t days = absl::ToInt64Hours(d) / 24;
  return absl::StrCat(days, days == 1 ? " day" : " days");
}

void PrintJson(Context& ctx, const nlohmann::json& j) {
  ctx.Out(j.dump(2) + "\n");
}

nlohmann::json FingerprintJson(const SecretBytes& pat) {
  if (pat.empty()) return nullptr;
  store::TokenFingerprint fp = store::FingerprintOf(pat);
  return {{"prefix", fp.prefix}, {"sha256", fp.sha256}};
}

void ApplyCredentialsDirectory(const Flags& flags, Context& ctx) {
  if (flags.Has("credentials-directory")) {
    ctx.set_key_env({flags.Get("credentials-directory")});
  }
}

absl::StatusOr<uint32_t> Iterations(const Flags& flags) {
  uint32_t n = store::kDefaultPbkdf2Iterations;
  if (flags.Has("iterations") &&
      !absl::SimpleAtoi(flags.Get("iterations"), &n)) {
    return absl::InvalidArgumentError("--iterations needs a number");
  }
  return n;
}

// A passphrase from --<flag> FILE, or from the terminal.
absl::StatusOr<SecretBytes> ReadPassphrase(const Flags& flags,
                                           absl::string_view flag,
                                           absl::string_view prompt,
                                           Context& ctx) {
  if (flags.Has(flag)) {
    std::string warning;
    absl::StatusOr<SecretBytes> p = ReadSecretFromFile(
        flags.Get(flag), ctx.stdin_fd(), kMaxPassphraseInput, &warning);
    if (!warning.empty()) ctx.Err(warning + "\n");
    return p;
  }
  return ReadSecretFromTerminal(ctx.tty_path(), prompt, kMaxPassphraseInput);
}

// A new passphrase: from the file once, or typed twice on the terminal.
absl::StatusOr<SecretBytes> ReadNewPassphrase(const Flags& flags,
                                              absl::string_view flag,
                                              Context& ctx) {
  absl::StatusOr<SecretBytes> first =
      ReadPassphrase(flags, flag, "New passphrase (input hidden): ", ctx);
  if (!first.ok() || flags.Has(flag)) return first;
  if (absl::Status s = store::ValidateNewPassphrase(*first); !s.ok()) return s;
  absl::StatusOr<SecretBytes> second = ReadSecretFromTerminal(
      ctx.tty_path(), "Repeat the new passphrase: ", kMaxPassphraseInput);
  if (!second.ok()) return second.status();
  if (!crypto::ConstantTimeEquals(first->UnsafeView(), second->UnsafeView())) {
    return absl::InvalidArgumentError("the passphrases differ");
  }
  return first;
}

// The key for a store whose header names `recorded`; --key-source may
// override where it is, not its kind.
absl::StatusOr<KeyMaterial> ObtainKey(const KeySource& recorded,
                                      const Flags& flags, Context& ctx) {
  KeySource source = recorded;
  if (flags.Has("key-source")) {
    absl::StatusOr<KeySource> given = KeySource::Parse(flags.Get("key-source"));
    if (!given.ok()) return given.status();
    if (given->kind() != recorded.kind()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--key-source is a ", given->kind_name(), ", but this store is "
          "unlocked by its ", recorded.kind_name()));
    }
    source = *std::move(given);
  }
  if (source.kind() == KeySourceKind::kPassphrase) {
    absl::StatusOr<SecretBytes> p = ReadPassphrase(
        flags, "passphrase-file", "Store passphrase (input hidden): ", ctx);
    if (!p.ok()) return p.status();
    return KeyMaterial::FromPassphrase(*std::move(p));
  }
  return KeyMaterial::Read(source, ctx.key_env());
}

// The progress line of a PBKDF2 derivation (seconds on a slow machine).
std::string DerivingKey(uint32_t iterations) {
  return absl::StrCat("deriving the store key (PBKDF2-HMAC-SHA256, ",
                      GroupDigits(iterations), " iterations)");
}

// Starts `progress` for unlocking a store with `key`, if it is a passphrase
// (the other sources are raw keys: nothing slow).
void StartKeyProgress(std::optional<Progress>& progress, Context& ctx,
                      const KeyMaterial& key, uint32_t iterations) {
  if (key.source().kind() == KeySourceKind::kPassphrase) {
    progress.emplace(ctx, DerivingKey(iterations));
  }
}

struct Unlocked {
  std::unique_ptr<Store> store;
  Record record;
};

absl::StatusOr<Unlocked> OpenAndUnlock(const Flags& flags, Context& ctx) {
  ApplyCredentialsDirectory(flags, ctx);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(StateDir(flags));
  if (!store.ok()) return store.status();
  absl::StatusOr<KeyMaterial> key =
      ObtainKey((*store)->header().key_source, flags, ctx);
  if (!key.ok()) return key.status();
  std::optional<Progress> progress;
  StartKeyProgress(progress, ctx, *key, (*store)->header().iterations);
  absl::StatusOr<Record> record = (*store)->Load(*key);
  progress.reset();
  if (!record.ok()) return record.status();
  return Unlocked{*std::move(store), *std::move(record)};
}

// The PAT from stdin when it is a pipe or file, else from the terminal.
absl::StatusOr<SecretBytes> ReadPat(Context& ctx) {
  if (!IsTerminal(ctx.stdin_fd())) {
    return ReadSecretFromFd(ctx.stdin_fd(), kMaxPatInput, "stdin");
  }
  return ReadSecretFromTerminal(
      ctx.tty_path(), "Layer.ai personal access token (input hidden): ",
      kMaxPatInput);
}

absl::StatusOr<absl::Duration> RotationPeriod(const Flags& flags) {
  int days = kDefaultRotationDays;
  if (flags.Has("rotation-days") &&
      (!absl::SimpleAtoi(flags.Get("rotation-days"), &days) || days < 1 ||
       days > 365)) {
    return absl::InvalidArgumentError("--rotation-days must be 1 to 365");
  }
  return absl::Hours(24 * days);
}

std::string TokenSummary(const Record& r) {
  std::string out = absl::StrCat(store::FingerprintOf(r.pat).ToString());
  if (!r.workspace_id.empty()) absl::StrAppend(&out, ", workspace ", r.workspace_id);
  if (r.rotation_due) {
    absl::StrAppend(&out, ", rotation due ", Rfc3339(*r.rotation_due));
  }
  return out;
}

nlohmann::json TokenJson(const Record& r) {
  nlohmann::json j = {{"token", FingerprintJson(r.pat)},
                      {"workspace_id", r.workspace_id.empty()
                                           ? nlohmann::json(nullptr)
                                           : nlohmann::json(r.workspace_id)}};
  if (r.rotated_at) j["rotated_at"] = Rfc3339(*r.rotated_at);
  if (r.rotation_due) j["rotation_due"] = Rfc3339(*r.rotation_due);
  return j;
}

// --- init --------------------------------------------------------------------

int Init(const Flags& flags, Context& ctx) {
  if (!flags.Has("key-source")) {
    return ctx.Usage("init",
                     "--key-source is required (passphrase, "
                     "systemd-credential:NAME or key-file:PATH)");
  }
  ApplyCredentialsDirectory(flags, ctx);
  absl::StatusOr<KeySource> source = KeySource::Parse(flags.Get("key-source"));
  if (!source.ok()) return ctx.Fail(source.status());
  absl::StatusOr<uint32_t> iterations = Iterations(flags);
  if (!iterations.ok()) return ctx.Fail(iterations.status());
  const std::string state_dir = StateDir(flags);

  bool created_key_file = false;
  std::optional<KeyMaterial> key;
  if (source->kind() == KeySourceKind::kPassphrase) {
    absl::StatusOr<SecretBytes> p =
        ReadNewPassphrase(flags, "passphrase-file", ctx);
    if (!p.ok()) return ctx.Fail(p.status());
    key.emplace(KeyMaterial::FromPassphrase(*std::move(p)));
  } else {
    if (source->kind() == KeySourceKind::kKeyFile &&
        access(source->parameter().c_str(), F_OK) != 0) {
      if (absl::Status s = store::WriteNewKeyFile(source->parameter());
          !s.ok()) {
        return ctx.Fail(s);
      }
      created_key_file = true;
    }
    absl::StatusOr<KeyMaterial> read = KeyMaterial::Read(*source, ctx.key_env());
    if (!read.ok()) return ctx.Fail(read.status());
    key.emplace(*std::move(read));
  }

  store::StoreOptions options;
  options.pbkdf2_iterations = *iterations;
  Record record;
  record.created_at = ctx.Now();
  std::optional<Progress> progress;
  StartKeyProgress(progress, ctx, *key, *iterations);
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Create(state_dir, *key, record, options);
  progress.reset();
  if (!store.ok()) {
    if (created_key_file) unlink(source->parameter().c_str());
    return ctx.Fail(store.status());
  }
  const store::Header& h = (*store)->header();
  const std::string kdf = h.kdf == store::KdfId::kPbkdf2HmacSha256
                              ? "PBKDF2-HMAC-SHA256"
                              : "none (32-byte random key)";
  if (flags.Has("json")) {
    PrintJson(ctx, {{"path", (*store)->path()},
                    {"store_id", crypto::HexEncode(h.store_id)},
                    {"format_version", h.version},
                    {"key_source", h.key_source.ToString()},
                    {"kdf", kdf},
                    {"iterations", h.iterations},
                    {"created_key_file", created_key_file}});
    return kExitOk;
  }
  if (created_key_file) {
    ctx.Out(absl::StrCat("created key file ",
                         store::ShellQuote(source->parameter()),
                         " (32 random bytes, mode 0600): back it up, keep it "
                         "away from the state directory\n"));
  }
  ctx.Out(absl::StrCat(
      "initialised ", (*store)->path(), "\n  key source: ",
      h.key_source.ToString(), "\n  kdf: ", kdf,
      h.iterations ? absl::StrCat(", ", h.iterations, " iterations") : "",
      "\n  store id: ", crypto::HexEncode(h.store_id),
      "\nnext: vaultctl set-token --state-dir ", store::ShellQuote(state_dir),
      "\n"));
  return kExitOk;
}

// --- set-token ---------------------------------------------------------------

int SetTokenCommand(const Flags& flags, Context& ctx) {
  if (flags.Get("passphrase-file") == "-" && !IsTerminal(ctx.stdin_fd())) {
    return ctx.Usage("set-token",
                     "stdin carries the token; give the passphrase in a "
                     "file or on the terminal");
  }
  std::string workspace = flags.Get("workspace");
  if (flags.Has("workspace")) {
    if (absl::Status s = store::ValidateWorkspaceId(workspace); !s.ok()) {
      return ctx.Fail(s);
    }
  }
  absl::StatusOr<absl::Duration> period = RotationPeriod(flags);
  if (!period.ok()) return ctx.Fail(period.status());
  // Read and check the token before asking for the passphrase.
  absl::StatusOr<SecretBytes> pat = ReadPat(ctx);
  if (!pat.ok()) return ctx.Fail(pat.status());
  if (absl::Status s = store::ValidatePat(pat->UnsafeView()); !s.ok()) {
    return ctx.Fail(s);
  }
  absl::StatusOr<Unlocked> u = OpenAndUnlock(flags, ctx);
  if (!u.ok()) return ctx.Fail(u.status());
  const bool replaced = !u->record.pat.empty();
  if (absl::Status s =
          store::SetToken(u->record, *std::move(pat), ctx.Now(), *period);
      !s.ok()) {
    return ctx.Fail(s);
  }
  if (flags.Has("workspace")) u->record.workspace_id = workspace;
  if (absl::Status s = u->store->Save(u->record); !s.ok()) return ctx.Fail(s);
  if (flags.Has("json")) {
    nlohmann::json j = TokenJson(u->record);
    j["replaced"] = replaced;
    PrintJson(ctx, j);
    return kExitOk;
  }
  ctx.Out(absl::StrCat(replaced ? "token replaced: " : "token set: ",
                       TokenSummary(u->record), "\n"));
  return kExitOk;
}

// --- import-env ----------------------------------------------------------------

// Copies a variable into locked memory, then wipes the process's copy and
// unsets it.
std::optional<SecretBytes> TakeEnv(const char* name) {
  char* value = getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  SecretBytes out = SecretBytes::CopyFrom(value);
  explicit_bzero(value, strlen(value));
  unsetenv(name);
  return out;
}

int ImportEnv(const Flags& flags, Context& ctx) {
  std::optional<SecretBytes> pat = TakeEnv("LAYER_API_TOKEN");
  std::optional<SecretBytes> workspace = TakeEnv("LAYER_WORKSPACE_ID");
  if (!pat.has_value()) {
    return ctx.Fail(absl::NotFoundError(
        "LAYER_API_TOKEN is not set: nothing to import (use vaultctl "
        "set-token to type or pipe the token)"));
  }
  if (absl::Status s = store::ValidatePat(pat->UnsafeView()); !s.ok()) {
    return ctx.Fail(s);
  }
  std::string workspace_id;
  if (workspace.has_value()) {
    workspace_id = std::string(workspace->UnsafeView());
    if (absl::Status s = store::ValidateWorkspaceId(workspace_id); !s.ok()) {
      return ctx.Fail(absl::InvalidArgumentError(
          absl::StrCat("LAYER_WORKSPACE_ID: ", s.message())));
    }
  }
  absl::StatusOr<absl::Duration> period = RotationPeriod(flags);
  if (!period.ok()) return ctx.Fail(period.status());
  absl::StatusOr<Unlocked> u = OpenAndUnlock(flags, ctx);
  if (!u.ok()) return ctx.Fail(u.status());
  if (absl::Status s =
          store::SetToken(u->record, *std::move(pat), ctx.Now(), *period);
      !s.ok()) {
    return ctx.Fail(s);
  }
  std::vector<std::string> imported = {"LAYER_API_TOKEN"};
  if (workspace.has_value()) {
    u->record.workspace_id = workspace_id;
    imported.push_back("LAYER_WORKSPACE_ID");
  }
  if (absl::Status s = u->store->Save(u->record); !s.ok()) return ctx.Fail(s);

  const std::string vars = absl::StrJoin(imported, " ");
  const std::vector<std::string> next = {
      absl::StrCat("unset ", vars, " in every shell that has them"),
      absl::StrCat("remove ", vars,
                   " from ~/.bashrc, ~/.zshrc, ~/.profile, .env files and "
                   "MCP host configs (vaultctl doctor --project DIR finds "
                   "them)"),
      "rotate the token in Layer.ai if it was ever committed, shared or "
      "logged, then vaultctl set-token"};
  if (flags.Has("json")) {
    nlohmann::json j = TokenJson(u->record);
    j["imported"] = imported;
    j["next_steps"] = next;
    PrintJson(ctx, j);
    return kExitOk;
  }
  ctx.Out(absl::StrCat("imported ", vars, ": ", TokenSummary(u->record),
                       "\nthe token is now only in the encrypted store; "
                       "remove the plaintext copies:\n"));
  for (const std::string& step : next) ctx.Out(absl::StrCat("  - ", step, "\n"));
  return kExitOk;
}

// --- show ----------------------------------------------------------------------

int Show(const Flags& flags, Context& ctx) {
  absl::StatusOr<Unlocked> u = OpenAndUnlock(flags, ctx);
  if (!u.ok()) return ctx.Fail(u.status());
  const store::Header& h = u->store->header();
  const Record& r = u->record;
  const absl::Time now = ctx.Now();
  const std::string kdf = h.kdf == store::KdfId::kPbkdf2HmacSha256
                              ? absl::StrCat("PBKDF2-HMAC-SHA256, ",
                                             h.iterations, " iterations")
                              : "none (32-byte random key)";
  const bool overdue = r.rotation_due.has_value() && now >= *r.rotation_due;
  if (flags.Has("json")) {
    nlohmann::json j = TokenJson(r);
    j["path"] = u->store->path();
    j["format_version"] = h.version;
    j["store_id"] = crypto::HexEncode(h.store_id);
    j["key_source"] = h.key_source.ToString();
    j["kdf"] = h.kdf == store::KdfId::kPbkdf2HmacSha256 ? "PBKDF2-HMAC-SHA256"
                                                        : "none";
    j["iterations"] = h.iterations;
    j["created_at"] = Rfc3339(r.created_at);
    if (r.rotated_at) {
      j["token_age_days"] = absl::ToInt64Hours(now - *r.rotated_at) / 24;
    }
    j["rotation_overdue"] = overdue;
    j["labels"] = r.labels;
    j["signing_keys_bytes"] = r.signing_keys.size();
    PrintJson(ctx, j);
    return kExitOk;
  }
  std::string out = absl::StrCat(
      "store:        ", u->store->path(), " (format ", h.version, ", id ",
      crypto::HexEncode(h.store_id), ")\n", "key source:   ",
      h.key_source.ToString(), " (", kdf, ")\n", "created:      ",
      Rfc3339(r.created_at), "\n");
  if (r.pat.empty()) {
    absl::StrAppend(&out, "token:        none (vaultctl set-token)\n");
  } else {
    absl::StrAppend(&out, "token:        ",
                    store::FingerprintOf(r.pat).ToString(), "\n");
    if (r.rotated_at) {
      absl::StrAppend(&out, "token age:    ", Days(now - *r.rotated_at),
                      " (set ", Rfc3339(*r.rotated_at), ")\n");
    }
    if (r.rotation_due) {
      absl::StrAppend(&out, "rotation due: ", Rfc3339(*r.rotation_due),
                      overdue ? absl::StrCat(" (OVERDUE by ",
                                             Days(now - *r.rotation_due), ")")
                              : absl::StrCat(" (in ",
                                             Days(*r.rotation_due - now), ")"),
                      "\n");
    }
  }
  absl::StrAppend(&out, "workspace:    ",
                  r.workspace_id.empty() ? "none" : r.workspace_id, "\n");
  for (const auto& [k, v] : r.labels) {
    absl::StrAppend(&out, "label:        ", k, "=", v, "\n");
  }
  absl::StrAppend(&out, "signing keys: ",
                  r.signing_keys.empty()
                      ? std::string("none")
                      : absl::StrCat("present (", r.signing_keys.size(),
                                     " bytes)"),
                  "\n");
  ctx.Out(out);
  return kExitOk;
}

// --- change-passphrase -------------------------------------------------------

int ChangePassphrase(const Flags& flags, Context& ctx) {
  if (flags.Get("passphrase-file") == "-" &&
      flags.Get("new-passphrase-file") == "-") {
    return ctx.Usage("change-passphrase",
                     "only one of --passphrase-file and --new-passphrase-file "
                     "can be stdin");
  }
  absl::StatusOr<uint32_t> iterations = Iterations(flags);
  if (!iterations.ok()) return ctx.Fail(iterations.status());
  store::StoreOptions options;
  options.pbkdf2_iterations = *iterations;
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(StateDir(flags), options);
  if (!store.ok()) return ctx.Fail(store.status());
  if ((*store)->header().key_source.kind() != KeySourceKind::kPassphrase) {
    return ctx.Fail(absl::InvalidArgumentError(absl::StrCat(
        "this store is unlocked by its ",
        (*store)->header().key_source.ToString(), ", not a passphrase")));
  }
  absl::StatusOr<SecretBytes> current = ReadPassphrase(
      flags, "passphrase-file", "Current passphrase (input hidden): ", ctx);
  if (!current.ok()) return ctx.Fail(current.status());
  absl::StatusOr<SecretBytes> next =
      ReadNewPassphrase(flags, "new-passphrase-file", ctx);
  if (!next.ok()) return ctx.Fail(next.status());
  std::optional<Progress> progress;
  progress.emplace(ctx, absl::StrCat("deriving the current and new store keys "
                                     "(PBKDF2-HMAC-SHA256, ",
                                     GroupDigits((*store)->header().iterations),
                                     " and ", GroupDigits(*iterations),
                                     " iterations)"));
  absl::Status changed = (*store)->ChangePassphrase(
      KeyMaterial::FromPassphrase(*std::move(current)), *std::move(next));
  progress.reset();
  if (!changed.ok()) return ctx.Fail(changed);
  const store::Header& h = (*store)->header();
  if (flags.Has("json")) {
    PrintJson(ctx, {{"path", (*store)->path()}, {"iterations", h.iterations}});
    return kExitOk;
  }
  ctx.Out(absl::StrCat("passphrase changed: new salt, PBKDF2-HMAC-SHA256 ",
                       h.iterations, " iterations\n"));
  return kExitOk;
}

// --- doctor --------------------------------------------------------------------

int Doctor(const Flags& flags, Context& ctx) {
  ApplyCredentialsDirectory(flags, ctx);
  std::string project = flags.Get("project");
  if (project.empty()) {
    char cwd[4096];
    project = getcwd(cwd, sizeof(cwd)) != nullptr ? cwd : ".";
  }
  const std::string state_dir = StateDir(flags);
  // CheckStore unlocks the store right after it gets the key and then
  // returns: the progress line starts here and ends after CheckStore.
  std::optional<Progress> progress;
  KeyProvider key_provider =
      [&](const store::Header& header) -> absl::StatusOr<KeyMaterial> {
    absl::StatusOr<KeyMaterial> key =
        ObtainKey(header.key_source, flags, ctx);
    if (key.ok()) StartKeyProgress(progress, ctx, *key, header.iterations);
    return key;
  };
  std::vector<std::pair<std::string, std::string>> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    absl::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == absl::string_view::npos) continue;
    env.emplace_back(std::string(entry.substr(0, eq)),
                     std::string(entry.substr(eq + 1)));
  }
  std::vector<Finding> findings =
      CheckStore(state_dir, geteuid(), key_provider, ctx.Now());
  progress.reset();
  findings.push_back(CheckEnvironment(env));
  for (auto& [name, value] : env) explicit_bzero(value.data(), value.size());
  findings.push_back(ScanProject(project));
  findings.push_back(CheckGitignore(project, state_dir));
  findings.push_back(CheckCoreDumps(CoreDumpInputs::FromSystem()));

  const int code = DoctorExitCode(findings);
  if (flags.Has("json")) {
    nlohmann::json list = nlohmann::json::array();
    for (const Finding& f : findings) {
      list.push_back({{"check", f.check},
                      {"verdict", VerdictName(f.verdict)},
                      {"detail", f.detail},
                      {"fix", f.fix}});
    }
    PrintJson(ctx, {{"findings", list}, {"exit_code", code}});
    return code;
  }
  const Style style = ctx.OutStyle();
  for (const Finding& f : findings) {
    const Style::Color color =
        f.verdict == Verdict::kPass   ? Style::Color::kGreen
        : f.verdict == Verdict::kWarn ? Style::Color::kYellow
                                      : Style::Color::kRed;
    std::string line = absl::StrCat(style.Paint(color, VerdictName(f.verdict)),
                                    "  ", f.check,
                                    ": ", f.detail);
    if (!f.fix.empty()) absl::StrAppend(&line, "  -> fix: ", f.fix);
    ctx.Out(line + "\n");
  }
  return code;
}

}  // namespace

void AddOfflineCommands(CommandTable& table) {
  table.Add(
      {"init", "create a new encrypted credential store",
       "vaultctl init --state-dir DIR --key-source SOURCE [flags]",
       "Creates DIR (mode 0700) and an empty encrypted store in it. Refuses to\n"
       "overwrite an existing store. SOURCE is one of:\n"
       "  passphrase               asked twice on the terminal with echo off\n"
       "                           (or --passphrase-file); PBKDF2-HMAC-SHA256\n"
       "  systemd-credential:NAME  32-byte key in $CREDENTIALS_DIRECTORY/NAME\n"
       "                           (LoadCredentialEncrypted=NAME:...), for\n"
       "                           unattended boot\n"
       "  key-file:PATH            32-byte key file, mode 0400/0600, outside\n"
       "                           DIR; created if missing (development)",
       {kStateDirFlag,
        {"key-source", "SOURCE", "passphrase | systemd-credential:NAME | "
                                 "key-file:PATH (required)"},
        kPassphraseFileFlag, kIterationsFlag, kCredentialsDirFlag, kJsonFlag},
       "",
       Init});
  table.Add(
      {"set-token", "store or replace the Layer.ai token",
       "vaultctl set-token [--state-dir DIR] [--workspace UUID] [flags]",
       "Reads the Layer.ai personal access token from stdin when it is a pipe\n"
       "or a file, else from the terminal with echo off; never from the\n"
       "command line or the environment. Checks it (pat_, 32 to 512\n"
       "characters of [A-Za-z0-9_-]) before asking for the store passphrase,\n"
       "then stores it with the rotation date.",
       {kStateDirFlag,
        {"workspace", "UUID", "Layer.ai workspace id to store with it"},
        {"rotation-days", "N", "days until rotation is due (default 90)"},
        kPassphraseFileFlag, kKeySourceOverrideFlag, kCredentialsDirFlag,
        kJsonFlag},
       "",
       SetTokenCommand});
  table.Add(
      {"import-env", "move LAYER_API_TOKEN/LAYER_WORKSPACE_ID into the store",
       "vaultctl import-env [--state-dir DIR] [flags]",
       "Imports the variables the Python Layer.ai MCP servers read\n"
       "(LAYER_API_TOKEN, LAYER_WORKSPACE_ID) into the store, then tells you\n"
       "to unset them and remove them from shell rc and .env files.",
       {kStateDirFlag,
        {"rotation-days", "N", "days until rotation is due (default 90)"},
        kPassphraseFileFlag, kKeySourceOverrideFlag, kCredentialsDirFlag,
        kJsonFlag},
       "",
       ImportEnv});
  table.Add(
      {"show", "print store and token metadata (never the token)",
       "vaultctl show [--state-dir DIR] [--json] [flags]",
       "Prints the token fingerprint (its first 8 characters and a short\n"
       "SHA-256), workspace, token age, rotation due date, key source and\n"
       "KDF. Never the token.",
       {kStateDirFlag, kPassphraseFileFlag, kKeySourceOverrideFlag,
        kCredentialsDirFlag, kJsonFlag},
       "",
       Show});
  table.Add(
      {"change-passphrase", "re-encrypt the store under a new passphrase",
       "vaultctl change-passphrase [--state-dir DIR] [flags]",
       "Asks for the current passphrase and the new one (twice), then\n"
       "re-encrypts the store with a new random salt.",
       {kStateDirFlag, kPassphraseFileFlag,
        {"new-passphrase-file", "FILE",
         "read the new passphrase from FILE ('-': stdin)"},
        kIterationsFlag, kJsonFlag},
       "",
       ChangePassphrase});
  table.Add(
      {"doctor", "audit the store, environment and a project directory",
       "vaultctl doctor [--state-dir DIR] [--project DIR] [flags]",
       "One PASS/WARN/FAIL line per check, with the fix: store encrypted and\n"
       "loadable, permissions 0700/0600, ownership, KDF strength, token age\n"
       "against the 90-day rotation, no plaintext pat_ token in the\n"
       "environment or in .env*, *.token, *.credentials and MCP host config\n"
       "files under the project directory, .gitignore coverage, core dumps\n"
       "disabled. Run it as the vaultd user. Unlocking the store needs its\n"
       "key; without one that check is a warning.",
       {kStateDirFlag,
        {"project", "DIR", "project directory to audit (default: current)"},
        kPassphraseFileFlag, kKeySourceOverrideFlag, kCredentialsDirFlag,
        kJsonFlag},
       "doctor exits 0 if every check passes, 1 on warnings, 2 on failures\n"
       "(or one of the codes above if it cannot run).",
       Doctor});
}

}  // namespace layer_vault::vaultctl
