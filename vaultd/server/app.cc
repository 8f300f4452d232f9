#include "vaultd/server/app.h"

#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/redact.h"
#include "nlohmann/json.hpp"
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

// Audit events as JSON lines on stderr (journald under systemd).
class StderrEvents final : public EventSink {
 public:
  void Record(const Event& e) override {
    nlohmann::json j;
    j["time"] = absl::FormatTime(absl::RFC3339_sec, absl::Now(),
                                 absl::UTCTimeZone());
    j["event"] = e.name;
    j["decision"] = e.decision;
    if (e.caller != nullptr) {
      j["pid"] = e.caller->pid;
      j["uid"] = e.caller->uid;
      j["exe"] = e.caller->exe_path;
    }
    if (!e.jti.empty()) j["jti"] = e.jti;
    if (!e.scope.empty()) j["scope"] = e.scope;
    if (!e.operation.empty()) j["operation"] = e.operation;
    if (e.http_status != 0) j["http_status"] = e.http_status;
    if (e.latency > absl::ZeroDuration()) {
      j["latency_ms"] = absl::ToDoubleMilliseconds(e.latency);
    }
    if (!e.reason.empty()) j["reason"] = e.reason;
    common::RedactJsonInPlace(j);
    std::string line =
        j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
        "\n";
    absl::MutexLock lock(&mu_);
    ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
  }

 private:
  absl::Mutex mu_;
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

  StderrEvents events;
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
  parts.admin.admin_uids = holder->Get()->admin_uids();
  parts.reload = [holder] { return holder->Reload(); };

  if (absl::Status s = RunDaemon(config, std::move(parts)); !s.ok()) {
    Fail("cannot serve", s);
    return 1;
  }
  (*core)->Lock();
  return 0;
}

}  // namespace layer_vault::server
