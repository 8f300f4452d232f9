#include "tests/relay/relay_env.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace layer_vault::tests::relay {

const std::vector<std::string>& AllScopes() {
  static const auto* scopes = new std::vector<std::string>{
      "layer:read", "layer:generate", "layer:upload"};
  return *scopes;
}

absl::StatusOr<std::unique_ptr<RelayEnv>> RelayEnv::Start(
    RelayEnvOptions options) {
  std::unique_ptr<RelayEnv> env(new RelayEnv());
  auto fake = FakeLayer::Start(options.fake);
  if (!fake.ok()) return fake.status();
  env->fake_ = *std::move(fake);
  switch (options.stored) {
    case RelayEnvOptions::Stored::kFakesPat:
      env->stored_pat_ = env->fake_->pat();
      break;
    case RelayEnvOptions::Stored::kOtherPat:
      env->stored_pat_ = FakePat();
      break;
    case RelayEnvOptions::Stored::kNone:
      break;
  }
  VaultdProcessOptions vaultd_options;
  vaultd_options.stored_pat = env->stored_pat_;
  vaultd_options.policy = options.policy.is_null()
                              ? PolicyForSelf(AllScopes(),
                                              {{"budget",
                                                {{"creative_units_per_period", 0},
                                                 {"max_creative_units_per_run", 0}}}})
                              : options.policy;
  vaultd_options.layer_api_base = env->fake_->base_url();
  vaultd_options.layer_graphql_url = env->fake_->graphql_url();
  vaultd_options.ca_bundle = env->fake_->ca_file();
  vaultd_options.extra_config = options.extra_config;
  auto vaultd = VaultdProcess::Create(std::move(vaultd_options));
  if (!vaultd.ok()) return vaultd.status();
  env->vaultd_ = *std::move(vaultd);
  if (absl::Status s = env->vaultd_->Start(); !s.ok()) return s;
  return env;
}

absl::StatusOr<std::unique_ptr<client::VaultClient>> RelayEnv::Client(
    std::vector<std::string> scopes) const {
  client::VaultClientOptions options;
  options.workload_socket = vaultd_->workload_socket();
  options.scopes = std::move(scopes);
  options.call_timeout = absl::Seconds(60);
  return client::VaultClient::Create(std::move(options));
}

absl::StatusOr<std::unique_ptr<client::AdminClient>> RelayEnv::Admin() const {
  client::AdminClientOptions options;
  options.admin_socket = vaultd_->admin_socket();
  options.rpc_timeout = absl::Seconds(60);
  return client::AdminClient::Create(std::move(options));
}

std::vector<nlohmann::json> RelayEnv::Recorded(absl::string_view method,
                                               absl::string_view path) {
  std::vector<nlohmann::json> out;
  auto all = fake_->Requests();
  if (!all.ok()) return out;
  for (const nlohmann::json& r : (*all)["requests"]) {
    if (r.value("server", "") != "api") continue;
    if (!method.empty() && r.value("method", "") != method) continue;
    if (!path.empty() && r.value("path", "") != absl::StrCat("/api", path)) {
      continue;
    }
    out.push_back(r);
  }
  return out;
}

std::vector<std::string> RelayEnv::Secrets() const {
  std::vector<std::string> secrets = {fake_->pat()};
  if (!stored_pat_.empty() && stored_pat_ != fake_->pat()) {
    secrets.push_back(stored_pat_);
  }
  return secrets;
}

std::vector<std::string> RelayEnv::FindLeaks() {
  std::vector<std::string> leaks;
  const std::vector<std::string> secrets = Secrets();
  if (ContainsAnySecret(vaultd_->Stderr(), secrets)) {
    leaks.push_back("vaultd's stderr");
  }
  if (ContainsAnySecret(vaultd_->AuditLog(), secrets)) {
    leaks.push_back("vaultd's audit log");
  }
  auto requests = fake_->Requests();
  if (!requests.ok()) {
    leaks.push_back(absl::StrCat("(cannot read the fake's log: ",
                                 requests.status().message(), ")"));
    return leaks;
  }
  for (const nlohmann::json& leak : (*requests)["pat_leaks"]) {
    leaks.push_back(absl::StrCat("fake's request log: ", leak.dump()));
  }
  // The fake only knows its own PAT; look for the other one (and for
  // either outside the Authorization header) in the raw records too.
  for (nlohmann::json r : (*requests)["requests"]) {
    if (r.contains("headers") && r["headers"].contains("authorization")) {
      r["headers"].erase("authorization");
    }
    if (ContainsAnySecret(r.dump(), secrets)) {
      leaks.push_back(absl::StrCat("fake's request #", r.value("seq", 0),
                                   " outside the Authorization header"));
    }
  }
  return leaks;
}

bool ContainsAnySecret(absl::string_view text,
                       const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    if (absl::StrContains(text, secret)) return true;
    // A truncated or re-prefixed copy still leaks the random tail.
    if (secret.size() > 24 &&
        absl::StrContains(text, secret.substr(secret.size() - 20))) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> MethodsAndPaths(
    const std::vector<nlohmann::json>& requests) {
  std::vector<std::string> out;
  for (const nlohmann::json& r : requests) {
    std::string path = r.value("path", "");
    if (absl::StartsWith(path, "/api")) path = path.substr(4);
    out.push_back(absl::StrCat(r.value("method", ""), " ", path));
  }
  return out;
}

}  // namespace layer_vault::tests::relay
