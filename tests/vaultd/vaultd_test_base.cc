#include "tests/vaultd/vaultd_test_base.h"

#include <iostream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/redact.h"
#include "nlohmann/json.hpp"

namespace layer_vault::tests::vaultd {
namespace {

namespace v1 = layer::vault::v1;

}  // namespace

Vaultd* VaultdTest::CreateVaultd(VaultdOptions options) {
  auto vaultd = Vaultd::Create(std::move(options));
  if (!vaultd.ok()) {
    ADD_FAILURE() << "cannot set up vaultd: " << vaultd.status();
    return nullptr;
  }
  vaultds_.push_back(*std::move(vaultd));
  return vaultds_.back().get();
}

Vaultd* VaultdTest::StartVaultd(VaultdOptions options) {
  Vaultd* vaultd = CreateVaultd(std::move(options));
  if (vaultd == nullptr) return nullptr;
  if (absl::Status s = vaultd->Start(); !s.ok()) {
    ADD_FAILURE() << "cannot start vaultd: " << s;
    return nullptr;
  }
  return vaultd;
}

void VaultdTest::TearDown() {
  for (const auto& vaultd : vaultds_) {
    if (vaultd->running()) {
      absl::Status stopped = vaultd->Stop();
      EXPECT_TRUE(stopped.ok()) << stopped;
    }
    const std::string log = vaultd->ReadStderr();
    ExpectCleanStderr(log, vaultd->secrets());
    if (HasFailure()) {
      std::cerr << "---- stderr of vaultd in " << vaultd->dir() << " ----\n"
                << common::Redact(log) << "---- end ----\n";
    }
  }
  vaultds_.clear();
}

grpc::Status Issue(Vaultd& vaultd, const std::vector<std::string>& scopes,
                   v1::IssueTokenResponse* out, const std::string& audience) {
  v1::IssueTokenRequest req;
  for (const std::string& s : scopes) req.add_scopes(s);
  req.set_audience(audience);
  grpc::Status status =
      Call(&v1::Workload::Stub::IssueToken, vaultd.workload(), req, out);
  if (!out->token().empty()) vaultd.AddSecret(out->token());
  return status;
}

grpc::Status Spend(v1::Workload::Stub& stub, const std::string& token) {
  v1::GetSpendRequest req;
  req.set_token(token);
  v1::GetSpendResponse resp;
  return Call(&v1::Workload::Stub::GetSpend, stub, req, &resp);
}

grpc::Status Ping(v1::Workload::Stub& stub, v1::PingResponse* out) {
  v1::PingRequest req;
  req.set_payload("hello");
  v1::PingResponse resp;
  grpc::Status s = Call(&v1::Workload::Stub::Ping, stub, req, &resp);
  if (s.ok() && resp.payload() != "hello") {
    return grpc::Status(grpc::StatusCode::INTERNAL, "Ping did not echo");
  }
  if (out != nullptr) *out = resp;
  return s;
}

absl::StatusOr<std::string> RunTestClient(const std::vector<std::string>& args,
                                          const std::string& input) {
  auto binary = Runfile("tests/vaultd/vaultd_test_client");
  if (!binary.ok()) return binary.status();
  std::vector<std::string> argv = {*binary};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = RunProcess(argv, input, absl::Seconds(60));
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat(
        "vaultd_test_client exited with ", result->exit_code, ": ",
        result->out));
  }
  return std::string(absl::StripAsciiWhitespace(result->out));
}

std::string CodeLine(grpc::StatusCode code) {
  return absl::StrCat("code=", static_cast<int>(code));
}

void ExpectCleanStderr(const std::string& text,
                       const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    EXPECT_FALSE(absl::StrContains(text, secret))
        << "vaultd's stderr holds a secret (" << secret.size() << " bytes)";
  }
  EXPECT_FALSE(absl::StrContains(text, "v4.public."))
      << "vaultd's stderr holds a PASETO token";
  EXPECT_FALSE(common::ContainsCredential(text))
      << "vaultd's stderr holds something credential-shaped";
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(line, "{")) continue;
    nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(event.is_object() && event.contains("time") &&
                event.contains("event") && event.contains("decision"))
        << "audit line is not a JSON event: " << common::Redact(line);
  }
}

}  // namespace layer_vault::tests::vaultd
