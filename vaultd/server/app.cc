#include "vaultd/server/app.h"

#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/redact.h"
#include "vaultd/audit/audit_log.h"
#include "vaultd/policy/policy_holder.h"
#include "vaultd/server/daemon.h"
#include "vaultd/server/process.h"
#include "vaultd/server/vault_core.h"

namespace layer_vault::server {
namespace {

void Fail(absl::string_view what, const absl::Status& status) {
  std::string line = absl::StrCat("vaultd: ", what, ": ",
                                   common::Redact(status.message()), "\n");
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

// Audit events go to the audit log (file and/or stderr for journald).
class AuditEvents final : public EventSink {
 public:
  explicit AuditEvents(audit::AuditLog& log) : log_(log) {}
  void Record(const audit::Event& event) override {
    // Not fail-closed: a full disk must not take the token service down;
    // dropped lines are counted by the log.
    (void)log_.Record(event);
  }

 private:
  audit::AuditLog& log_;
};

}  // namespace

int RunVaultd(const DaemonConfig& config) {
  if (absl::Status s = ValidateConfig(config); !s.ok()) {
    Fail("bad configuration", s);
    return 2;
  }
  if (absl::Status s = HardenProcess(); !s.ok()) {
    Fail("hardening failed", s);
    return 1;
  }
  auto key_source = store::KeySource::Parse(config.key_source);
  if (!key_source.ok()) {
    Fail("bad key_source", key_source.status());
    return 2;
  }
  auto policy = policy::PolicyHolder::Load(config.policy_file);
  if (!policy.ok()) {
    Fail("cannot load the policy", policy.status());
    return 1;
  }

  CoreOptions core_options;
  core_options.state_dir = config.state_dir;
  core_options.key_source = *key_source;
  core_options.key_environment = store::KeyEnvironment::FromProcess();
  core_options.keyring_options.rotation_period = config.signing_key_rotation;
  // Token lifetimes come from the policy at start (900 s is a hard cap the
  // policy cannot raise).
  const policy::TokenLimits limits = (*policy)->Get()->token_limits();
  core_options.token_options.default_ttl = limits.default_ttl;
  core_options.token_options.max_ttl = limits.max_ttl;
  core_options.keyring_options.max_token_ttl = limits.max_ttl;
  auto core = VaultCore::Open(core_options, *common::RealClock());
  if (!core.ok()) {
    Fail(absl::StrCat("cannot open the store in ", config.state_dir),
         core.status());
    return 1;
  }
  if (!(*core)->uses_passphrase()) {
    if (absl::Status s = (*core)->UnsealFromKeySource(); !s.ok()) {
      Fail("cannot unseal the store", s);
      return 1;
    }
  }

  audit::AuditOptions audit_options;
  if (!config.audit_log.empty()) audit_options.path = config.audit_log;
  audit_options.also_stderr = config.audit_stderr || config.audit_log.empty();
  auto audit_log = audit::AuditLog::Create(std::move(audit_options));
  if (!audit_log.ok()) {
    Fail("cannot open the audit log", audit_log.status());
    return 1;
  }
  AuditEvents events(**audit_log);
  DaemonParts parts;
  parts.core = core->get();
  parts.events = &events;
  policy::PolicyHolder* holder = policy->get();
  parts.policy = [holder](const peer::PeerIdentity& peer) {
    policy::Decision d = holder->Decide(peer);
    CallerGrant grant;
    grant.allowed = d.allowed;
    grant.scopes = std::move(d.scopes);
    grant.reason = d.allowed ? d.matched_rule : d.reason;
    return grant;
  };
  parts.admin.is_admin = [holder](uid_t uid) {
    return holder->Get()->IsAdmin(uid, geteuid());
  };
  parts.reload = [holder] { return holder->Reload(); };

  if (absl::Status s = RunDaemon(config, std::move(parts)); !s.ok()) {
    Fail("cannot serve", s);
    return 1;
  }
  (*core)->Lock();
  return 0;
}

}  // namespace layer_vault::server
