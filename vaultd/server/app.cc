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
#include "vaultd/server/relay_adapter.h"
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

relay::SpendPeriod SpendPeriodOf(policy::BudgetPeriod period) {
  switch (period) {
    case policy::BudgetPeriod::kHour:
      return relay::SpendPeriod::kHour;
    case policy::BudgetPeriod::kDay:
      return relay::SpendPeriod::kDay;
    case policy::BudgetPeriod::kWeek:
      return relay::SpendPeriod::kWeek;
    case policy::BudgetPeriod::kMonth:
      return relay::SpendPeriod::kMonth;
  }
  return relay::SpendPeriod::kMonth;
}

}  // namespace

// The installed registry beside the binary: <bindir>/../share/vaultd/...
std::string InstalledOperationsDir() {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return "/usr/share/vaultd/operations";
  std::string path(exe, static_cast<size_t>(n));
  std::string bindir = path.substr(0, path.rfind('/'));
  return absl::StrCat(bindir, "/../share/vaultd/operations");
}

int RunVaultd(const DaemonConfig& given) {
  DaemonConfig config = given;
  if (config.operations_dir.empty()) {
    config.operations_dir = InstalledOperationsDir();
  }
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

  // The Layer.ai relay. Limits: the policy's global defaults, and each
  // caller's own (its matching rule) on every call.
  const policy::Policy& start_policy = *holder->Get();
  relay::SpendOptions spend_options;
  spend_options.per_run_cap =
      start_policy.default_budget().max_creative_units_per_run;
  spend_options.caller_period_budget =
      start_policy.default_budget().creative_units_per_period;
  spend_options.period = SpendPeriodOf(start_policy.default_budget().period);
  relay::RateLimitOptions rate_options;
  rate_options.rate_per_second =
      start_policy.default_rate_limit().requests_per_second;
  rate_options.burst =
      static_cast<double>(start_policy.default_rate_limit().burst);
  auto relay = RelayAdapter::Create(
      config, spend_options, rate_options,
      [holder](const peer::PeerIdentity& caller) {
        policy::Decision d = holder->Decide(caller);
        relay::CallerLimits limits;
        limits.per_run_cap = d.budget.max_creative_units_per_run;
        limits.period_budget = d.budget.creative_units_per_period;
        limits.requests_per_second = d.rate_limit.requests_per_second;
        limits.burst = static_cast<double>(d.rate_limit.burst);
        return limits;
      },
      common::RealClock());
  if (!relay.ok()) {
    Fail("cannot start the Layer.ai relay", relay.status());
    return 1;
  }
  RelayAdapter* relay_ptr = relay->get();
  parts.relay = relay_ptr;
  parts.admin.pat_verifier = [relay_ptr](const crypto::SecretBytes& pat) {
    return relay_ptr->VerifyPat(pat);
  };
  parts.admin.spend_summary = [relay_ptr](layer::vault::v1::SpendSummary* out) {
    relay_ptr->TotalSpend(out);
  };

  if (absl::Status s = RunDaemon(config, std::move(parts)); !s.ok()) {
    Fail("cannot serve", s);
    return 1;
  }
  (*core)->Lock();
  return 0;
}

}  // namespace layer_vault::server
