#include "client/vaultctl/online_commands.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/admin_client.h"
#include "client/vaultctl/exit_codes.h"
#include "client/vaultctl/secret_input.h"
#include "nlohmann/json.hpp"
#include "proto/vault.pb.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"

namespace layer_vault::vaultctl {
namespace {

namespace v1 = layer::vault::v1;
using crypto::SecretBytes;

constexpr size_t kMaxPatInput = 4096;

const FlagSpec kAdminSocketFlag{
    "admin-socket", "PATH",
    "vaultd's admin socket (default /run/vaultd-admin/admin.sock)"};
const FlagSpec kJsonFlag{"json", "", "print the result as JSON on stdout"};
const FlagSpec kWorkspaceFlag{"workspace", "UUID",
                              "Layer.ai workspace id to store with it"};
const FlagSpec kNoVerifyFlag{
    "no-verify", "",
    "store without first checking the token with Layer.ai (online only)"};

// Flags that only make sense on the store file (offline set-token).
constexpr const char* kOfflineOnlyFlags[] = {
    "state-dir", "passphrase-file", "key-source", "credentials-directory",
    "rotation-days"};

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

int Fail(Context& ctx, const absl::Status& status) {
  ctx.Err(absl::StrCat("vaultctl: ", status.message(), "\n"));
  return OnlineExitCodeFor(status);
}

void PrintJson(Context& ctx, const nlohmann::json& j) {
  ctx.Out(j.dump(2) + "\n");
}

absl::StatusOr<std::unique_ptr<client::AdminClient>> Connect(
    const Flags& flags) {
  client::AdminClientOptions options;
  options.admin_socket = flags.Get("admin-socket", kDefaultAdminSocket);
  return client::AdminClient::Create(options);
}

nlohmann::json CredentialJson(const v1::CredentialMetadata& c) {
  if (!c.present()) return nullptr;
  nlohmann::json j = {{"fingerprint", c.fingerprint()},
                      {"workspace_id", c.workspace_id().empty()
                                           ? nlohmann::json(nullptr)
                                           : nlohmann::json(c.workspace_id())}};
  if (c.created_at_unix() != 0) {
    j["created_at"] = Rfc3339(absl::FromUnixSeconds(c.created_at_unix()));
  }
  if (c.rotated_at_unix() != 0) {
    j["rotated_at"] = Rfc3339(absl::FromUnixSeconds(c.rotated_at_unix()));
  }
  if (c.rotation_due_unix() != 0) {
    j["rotation_due"] = Rfc3339(absl::FromUnixSeconds(c.rotation_due_unix()));
  }
  return j;
}

std::string CredentialSummary(const v1::CredentialMetadata& c) {
  std::string out = c.fingerprint();
  if (!c.workspace_id().empty()) {
    absl::StrAppend(&out, ", workspace ", c.workspace_id());
  }
  if (c.rotation_due_unix() != 0) {
    absl::StrAppend(&out, ", rotation due ",
                    Rfc3339(absl::FromUnixSeconds(c.rotation_due_unix())));
  }
  return out;
}

// The PAT from stdin when it is a pipe or file, else from the terminal with
// echo off; checked locally before it is sent.
absl::StatusOr<SecretBytes> ReadPat(Context& ctx) {
  absl::StatusOr<SecretBytes> pat =
      IsTerminal(ctx.stdin_fd())
          ? ReadSecretFromTerminal(
                ctx.tty_path(),
                "Layer.ai personal access token (input hidden): ",
                kMaxPatInput)
          : ReadSecretFromFd(ctx.stdin_fd(), kMaxPatInput, "stdin");
  if (!pat.ok()) return pat.status();
  if (absl::Status s = store::ValidatePat(pat->UnsafeView()); !s.ok()) return s;
  return pat;
}

// --- status --------------------------------------------------------------

int Status(const Flags& flags, Context& ctx) {
  auto admin = Connect(flags);
  if (!admin.ok()) return Fail(ctx, admin.status());
  auto status = (*admin)->Status();
  if (!status.ok()) return Fail(ctx, status.status());
  const v1::StatusResponse& s = *status;
  const absl::Time now = ctx.Now();
  std::vector<std::string> kids(s.signing_key_ids().begin(),
                                s.signing_key_ids().end());
  if (flags.Has("json")) {
    nlohmann::json j = {
        {"running", true},
        {"sealed", s.sealed()},
        {"version", s.version()},
        {"uptime_seconds", s.uptime_seconds()},
        {"key_source", s.key_source()},
        {"credential", s.sealed() ? nlohmann::json(nullptr)
                                  : CredentialJson(s.credential())},
        {"tokens_issued", s.tokens_issued()},
        {"tokens_revoked", s.tokens_revoked()},
        {"signing_key_ids", kids},
    };
    if (s.has_spend()) {
      j["spend"] = {{"period_budget", s.spend().period_budget()},
                    {"period_spent", s.spend().period_spent()},
                    {"per_run_cap", s.spend().per_run_cap()},
                    {"period_start_unix", s.spend().period_start_unix()},
                    {"period_end_unix", s.spend().period_end_unix()}};
    }
    PrintJson(ctx, j);
    return kExitOk;
  }
  std::string out = absl::StrCat(
      "vaultd:       running, ",
      s.sealed() ? "SEALED (run vaultctl unlock)" : "unsealed", "\n",
      "version:      ", s.version().empty() ? "unknown" : s.version(), "\n",
      "uptime:       ",
      absl::FormatDuration(absl::Seconds(s.uptime_seconds())), "\n",
      "key source:   ", s.key_source(), "\n");
  if (s.sealed()) {
    absl::StrAppend(&out, "token:        unknown while sealed\n");
  } else if (!s.credential().present()) {
    absl::StrAppend(&out, "token:        none (vaultctl set-token)\n");
  } else {
    const v1::CredentialMetadata& c = s.credential();
    absl::StrAppend(&out, "token:        ", c.fingerprint(), "\n");
    absl::StrAppend(&out, "workspace:    ",
                    c.workspace_id().empty() ? "none" : c.workspace_id(),
                    "\n");
    if (c.rotated_at_unix() != 0) {
      absl::StrAppend(&out, "token set:    ",
                      Rfc3339(absl::FromUnixSeconds(c.rotated_at_unix())),
                      "\n");
    }
    if (c.rotation_due_unix() != 0) {
      const absl::Time due = absl::FromUnixSeconds(c.rotation_due_unix());
      absl::StrAppend(&out, "rotation due: ", Rfc3339(due),
                      now >= due ? " (OVERDUE: vaultctl rotate)" : "", "\n");
    }
  }
  absl::StrAppend(&out, "tokens:       ", s.tokens_issued(), " issued, ",
                  s.tokens_revoked(), " revoked\n");
  absl::StrAppend(&out, "signing keys: ",
                  kids.empty() ? "none" : absl::StrJoin(kids, ", "),
                  kids.empty() ? "" : " (first is current)", "\n");
  if (s.has_spend()) {
    const v1::SpendSummary& sp = s.spend();
    absl::StrAppend(
        &out, "spend:        ", sp.period_spent(), " Creative Units this period",
        sp.period_budget() > 0 ? absl::StrCat(" of ", sp.period_budget())
                               : std::string(" (no budget)"),
        sp.per_run_cap() > 0
            ? absl::StrCat(", per-run cap ", sp.per_run_cap())
            : std::string(", no per-run cap"),
        "\n");
  }
  ctx.Out(out);
  return kExitOk;
}

// --- unlock / lock -------------------------------------------------------

int Unlock(const Flags& flags, Context& ctx) {
  auto admin = Connect(flags);
  if (!admin.ok()) return Fail(ctx, admin.status());
  // Ask for the passphrase only if it can be used.
  auto status = (*admin)->Status();
  if (!status.ok()) return Fail(ctx, status.status());
  if (!status->sealed()) {
    ctx.Out("vaultd is already unlocked\n");
    return kExitOk;
  }
  if (status->key_source() != "passphrase") {
    // vaultd re-reads its own key source; no passphrase is needed.
    absl::Status unlocked = (*admin)->Unlock(SecretBytes());
    if (!unlocked.ok()) return Fail(ctx, unlocked);
    ctx.Out(absl::StrCat("vaultd unlocked from its ", status->key_source(),
                         "\n"));
    return kExitOk;
  }
  absl::StatusOr<SecretBytes> passphrase;
  if (flags.Has("passphrase-file")) {
    std::string warning;
    passphrase =
        ReadSecretFromFile(flags.Get("passphrase-file"), ctx.stdin_fd(),
                           store::kMaxPassphraseSize, &warning);
    if (!warning.empty()) ctx.Err(warning + "\n");
  } else {
    passphrase = ReadSecretFromTerminal(ctx.tty_path(),
                                        "vaultd store passphrase (input "
                                        "hidden): ",
                                        store::kMaxPassphraseSize);
  }
  if (!passphrase.ok()) return Fail(ctx, passphrase.status());
  absl::Status unlocked = (*admin)->Unlock(*passphrase);
  if (!unlocked.ok()) return Fail(ctx, unlocked);
  ctx.Out("vaultd unlocked\n");
  return kExitOk;
}

int Lock(const Flags& flags, Context& ctx) {
  auto admin = Connect(flags);
  if (!admin.ok()) return Fail(ctx, admin.status());
  if (absl::Status s = (*admin)->Lock(); !s.ok()) return Fail(ctx, s);
  ctx.Out(
      "vaultd locked: the token and signing keys are wiped from its memory; "
      "tokens stop working until vaultctl unlock\n");
  return kExitOk;
}

// --- set-token (online) / rotate -----------------------------------------

int StoreOnline(const Flags& flags, Context& ctx, bool rotate) {
  const std::string workspace = flags.Get("workspace");
  if (flags.Has("workspace")) {
    if (absl::Status s = store::ValidateWorkspaceId(workspace); !s.ok()) {
      return Fail(ctx, s);
    }
  }
  auto admin = Connect(flags);
  if (!admin.ok()) return Fail(ctx, admin.status());
  // Not running, refused or sealed: say so before asking for the token.
  auto status = (*admin)->Status();
  if (!status.ok()) return Fail(ctx, status.status());
  if (status->sealed()) {
    return Fail(ctx, absl::FailedPreconditionError(
                         "vaultd is sealed: run vaultctl unlock"));
  }
  absl::StatusOr<SecretBytes> pat = ReadPat(ctx);
  if (!pat.ok()) return Fail(ctx, pat.status());
  const bool verify = !flags.Has("no-verify");
  auto credential =
      rotate ? (*admin)->RotateCredential(*pat, workspace, verify)
             : (*admin)->SetCredential(*pat, workspace, verify);
  if (!credential.ok()) return Fail(ctx, credential.status());
  if (flags.Has("json")) {
    nlohmann::json j = CredentialJson(*credential);
    if (j.is_null()) j = nlohmann::json::object();
    j["verified"] = verify;
    PrintJson(ctx, j);
    return kExitOk;
  }
  ctx.Out(absl::StrCat(rotate ? "token rotated in vaultd: "
                              : "token stored in vaultd: ",
                       CredentialSummary(*credential),
                       verify ? "" : " (not verified with Layer.ai)", "\n"));
  return kExitOk;
}

int Rotate(const Flags& flags, Context& ctx) {
  return StoreOnline(flags, ctx, /*rotate=*/true);
}

// --- revoke / revoke-all / rotate-signing-key ----------------------------

int Revoke(const Flags& flags, Context& ctx) {
  auto admin = Connect(flags);
  if (!admin.ok()) return Fail(ctx, admin.status());
  const std::string jti = flags.Get("JTI");
  if (absl::Status s = (*admin)->RevokeToken(jti); !s.ok()) {
    return Fail(ctx, s);
  }
  ctx.Out(absl::StrCat("revoked token ", jti, "\n"));
  return kExitOk;
}

int RevokeAll(const Flags& flags, Context& ctx) {
  auto admin = Connect(flags);
  if (!admin.ok()) return Fail(ctx, admin.status());
  auto epoch = (*admin)->RevokeAll();
  if (!epoch.ok()) return Fail(ctx, epoch.status());
  if (flags.Has("json")) {
    PrintJson(ctx, {{"revoked_before", Rfc3339(*epoch)},
                    {"revoked_before_unix", absl::ToUnixSeconds(*epoch)}});
    return kExitOk;
  }
  ctx.Out(absl::StrCat("revoked every token issued before ", Rfc3339(*epoch),
                       "; callers get new tokens on their next call\n"));
  return kExitOk;
}

int RotateSigningKey(const Flags& flags, Context& ctx) {
  auto admin = Connect(flags);
  if (!admin.ok()) return Fail(ctx, admin.status());
  auto rotation = (*admin)->RotateSigningKey();
  if (!rotation.ok()) return Fail(ctx, rotation.status());
  if (flags.Has("json")) {
    PrintJson(ctx, {{"new_key_id", rotation->new_key_id()},
                    {"previous_key_id", rotation->previous_key_id()}});
    return kExitOk;
  }
  ctx.Out(absl::StrCat("signing key rotated: new ", rotation->new_key_id(),
                       "; ", rotation->previous_key_id(),
                       " keeps verifying its tokens until they expire\n"));
  return kExitOk;
}

}  // namespace

bool AdminSocketListens(const std::string& path) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return false;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  close(fd);
  return rc == 0 || err == EACCES || err == EPERM;
}

absl::StatusOr<SetTokenMode> ChooseSetTokenMode(
    const Flags& flags,
    const std::function<bool(const std::string&)>& daemon_listens) {
  const char* offline_flag = nullptr;
  for (const char* name : kOfflineOnlyFlags) {
    if (flags.Has(name)) {
      offline_flag = name;
      break;
    }
  }
  if (flags.Has("admin-socket")) {
    if (offline_flag != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--admin-socket (vaultd stores the token) and --", offline_flag,
          " (vaultctl writes the store file) exclude each other"));
    }
    return SetTokenMode::kOnline;
  }
  if (offline_flag != nullptr) return SetTokenMode::kOffline;
  return daemon_listens(kDefaultAdminSocket) ? SetTokenMode::kOnline
                                             : SetTokenMode::kOffline;
}

void AddOnlineCommands(CommandTable& table) {
  table.Add(
      {"status", "show the state of the running vaultd",
       "vaultctl status [--admin-socket PATH] [--json]",
       "Asks vaultd over its admin socket: sealed or not, uptime, key source,\n"
       "the stored token's fingerprint, workspace and rotation date (never\n"
       "the token), tokens issued and revoked, signing key ids, spend.",
       {kAdminSocketFlag, kJsonFlag},
       "",
       Status});
  table.Add(
      {"unlock", "unseal a vaultd whose store is protected by a passphrase",
       "vaultctl unlock [--admin-socket PATH] [--passphrase-file FILE]",
       "Reads the store passphrase from the terminal with echo off (or from\n"
       "FILE, '-' for stdin) and sends it to vaultd over the admin socket.\n"
       "With a key-file or systemd-credential store vaultd re-reads its key\n"
       "and no passphrase is asked. Does nothing if vaultd is already\n"
       "unlocked.",
       {kAdminSocketFlag,
        {"passphrase-file", "FILE",
         "read the passphrase from FILE ('-': stdin), not the terminal"}},
       "",
       Unlock});
  table.Add(
      {"lock", "seal vaultd: wipe the token and signing keys from its memory",
       "vaultctl lock [--admin-socket PATH]",
       "Seals vaultd. Tokens stop working until vaultctl unlock.",
       {kAdminSocketFlag},
       "",
       Lock});
  table.Add(
      {"rotate", "replace the token held by the running vaultd",
       "vaultctl rotate [--admin-socket PATH] [--workspace UUID] [flags]",
       "Reads the new Layer.ai token from stdin when it is a pipe or a file,\n"
       "else from the terminal with echo off; vaultd checks it with Layer.ai\n"
       "(unless --no-verify), stores it atomically and uses it for new calls;\n"
       "calls in flight finish on the old one. Fails if no token is stored\n"
       "yet (use set-token).",
       {kAdminSocketFlag, kWorkspaceFlag, kNoVerifyFlag, kJsonFlag},
       "",
       Rotate});
  table.Add(
      {"revoke", "revoke one token by its id (jti)",
       "vaultctl revoke [--admin-socket PATH] [--] JTI",
       "Revokes the token whose id is JTI (22 characters, from the audit log)\n"
       "until it would have expired. Use '--' before a JTI that starts with\n"
       "'--'.",
       {{"", "JTI", "the token id"}, kAdminSocketFlag},
       "",
       Revoke});
  table.Add(
      {"revoke-all", "revoke every token issued so far",
       "vaultctl revoke-all [--admin-socket PATH] [--json]",
       "Refuses every token issued before now (whole seconds, rounded up).\n"
       "Callers obtain new tokens on their next call.",
       {kAdminSocketFlag, kJsonFlag},
       "",
       RevokeAll});
  table.Add(
      {"rotate-signing-key", "start signing tokens with a new key",
       "vaultctl rotate-signing-key [--admin-socket PATH] [--json]",
       "Generates a new Ed25519 signing key; the previous key keeps verifying\n"
       "its outstanding tokens until they expire.",
       {kAdminSocketFlag, kJsonFlag},
       "",
       RotateSigningKey});

  // set-token: offline (the store file) or online (vaultd) by one rule.
  const Command* offline = table.Find("set-token");
  if (offline == nullptr) std::abort();  // AddOfflineCommands first
  Command set_token = *offline;
  auto offline_run = set_token.run;
  set_token.usage =
      "vaultctl set-token [--admin-socket PATH | --state-dir DIR] "
      "[--workspace UUID] [flags]";
  absl::StrAppend(
      &set_token.description,
      "\n\nOnline or offline:\n"
      "  --admin-socket given        online: vaultd checks the token with\n"
      "                              Layer.ai (unless --no-verify) and stores\n"
      "                              it; no passphrase needed\n"
      "  --state-dir, --passphrase-file, --key-source, --credentials-directory\n"
      "  or --rotation-days given    offline: the store file, vaultd stopped\n"
      "  neither                     online if vaultd listens on\n"
      "                              /run/vaultd-admin/admin.sock, else\n"
      "                              offline on /var/lib/vaultd\n"
      "Giving flags of both kinds is a usage error. Offline never verifies.");
  set_token.flags.push_back(kAdminSocketFlag);
  set_token.flags.push_back(kNoVerifyFlag);
  set_token.run = [offline_run](const Flags& flags, Context& ctx) {
    absl::StatusOr<SetTokenMode> mode =
        ChooseSetTokenMode(flags, AdminSocketListens);
    if (!mode.ok()) return ctx.Usage("set-token", mode.status().message());
    if (*mode == SetTokenMode::kOffline) return offline_run(flags, ctx);
    return StoreOnline(flags, ctx, /*rotate=*/false);
  };
  table.Replace(std::move(set_token));
}

}  // namespace layer_vault::vaultctl
