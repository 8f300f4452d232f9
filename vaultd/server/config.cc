#include "vaultd/server/config.h"

#include <functional>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace layer_vault::server {
namespace {

using Json = nlohmann::json;
using Setter = std::function<absl::Status(const Json&, DaemonConfig&)>;

Setter String(std::string DaemonConfig::*field) {
  return [field](const Json& v, DaemonConfig& c) -> absl::Status {
    if (!v.is_string()) return absl::InvalidArgumentError("must be a string");
    c.*field = v.get<std::string>();
    return absl::OkStatus();
  };
}

Setter Bool(bool DaemonConfig::*field) {
  return [field](const Json& v, DaemonConfig& c) -> absl::Status {
    if (!v.is_boolean()) return absl::InvalidArgumentError("must be a boolean");
    c.*field = v.get<bool>();
    return absl::OkStatus();
  };
}

Setter Seconds(absl::Duration DaemonConfig::*field) {
  return [field](const Json& v, DaemonConfig& c) -> absl::Status {
    if (!v.is_number() || v.get<double>() <= 0 || v.get<double>() > 86400 * 365) {
      return absl::InvalidArgumentError(
          "must be a positive number of seconds");
    }
    c.*field = absl::Seconds(v.get<double>());
    return absl::OkStatus();
  };
}

const std::map<std::string, Setter>& Setters() {
  static const auto* setters = new std::map<std::string, Setter>{
      {"state_dir", String(&DaemonConfig::state_dir)},
      {"key_source", String(&DaemonConfig::key_source)},
      {"workload_socket", String(&DaemonConfig::workload_socket)},
      {"workload_socket_group", String(&DaemonConfig::workload_socket_group)},
      {"admin_socket", String(&DaemonConfig::admin_socket)},
      {"policy_file", String(&DaemonConfig::policy_file)},
      {"audit_log", String(&DaemonConfig::audit_log)},
      {"audit_stderr", Bool(&DaemonConfig::audit_stderr)},
      {"operations_dir", String(&DaemonConfig::operations_dir)},
      {"layer_api_base", String(&DaemonConfig::layer_api_base)},
      {"layer_graphql_url", String(&DaemonConfig::layer_graphql_url)},
      {"ca_bundle", String(&DaemonConfig::ca_bundle)},
      {"https_proxy", String(&DaemonConfig::https_proxy)},
      {"connect_timeout_seconds", Seconds(&DaemonConfig::connect_timeout)},
      {"total_timeout_seconds", Seconds(&DaemonConfig::total_timeout)},
      {"signing_key_rotation_seconds",
       Seconds(&DaemonConfig::signing_key_rotation)},
      {"shutdown_grace_seconds", Seconds(&DaemonConfig::shutdown_grace)},
      {"max_response_bytes",
       [](const Json& v, DaemonConfig& c) -> absl::Status {
         if (!v.is_number_integer() || v.get<int64_t>() < 1024 ||
             v.get<int64_t>() > (int64_t{1} << 30)) {
           return absl::InvalidArgumentError(
               "must be an integer from 1024 to 1073741824");
         }
         c.max_response_bytes = v.get<int64_t>();
         return absl::OkStatus();
       }},
  };
  return *setters;
}

std::string Dir(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

}  // namespace

absl::StatusOr<DaemonConfig> ParseConfigJson(const std::string& text,
                                             DaemonConfig base) {
  if (text.size() > (1 << 20)) {
    return absl::InvalidArgumentError("config file is larger than 1 MiB");
  }
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("config file is not a JSON object");
  }
  for (const auto& [key, value] : doc.items()) {
    auto it = Setters().find(key);
    if (it == Setters().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config: unknown key \"", key, "\""));
    }
    if (absl::Status s = it->second(value, base); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config: \"", key, "\" ", s.message()));
    }
  }
  return base;
}

absl::Status ValidateConfig(const DaemonConfig& c) {
  for (const auto& [name, path] :
       {std::pair<const char*, const std::string*>{"state_dir", &c.state_dir},
        {"workload_socket", &c.workload_socket},
        {"admin_socket", &c.admin_socket},
        {"policy_file", &c.policy_file}}) {
    if (path->empty() || (*path)[0] != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " must be an absolute path"));
    }
  }
  if (!c.operations_dir.empty() && c.operations_dir[0] != '/') {
    return absl::InvalidArgumentError(
        "operations_dir must be an absolute path");
  }
  if (!c.audit_log.empty() && c.audit_log[0] != '/') {
    return absl::InvalidArgumentError("audit_log must be an absolute path");
  }
  if (Dir(c.workload_socket) == Dir(c.admin_socket)) {
    return absl::InvalidArgumentError(
        "workload_socket and admin_socket must be in different directories");
  }
  for (const auto& [name, url] :
       {std::pair<const char*, const std::string*>{"layer_api_base",
                                                   &c.layer_api_base},
        {"layer_graphql_url", &c.layer_graphql_url}}) {
    if (!absl::StartsWith(*url, "https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " must be an https:// URL"));
    }
  }
  if (c.connect_timeout > c.total_timeout) {
    return absl::InvalidArgumentError(
        "connect_timeout_seconds must not exceed total_timeout_seconds");
  }
  return absl::OkStatus();
}

}  // namespace layer_vault::server
