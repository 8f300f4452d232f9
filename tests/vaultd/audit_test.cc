// The audit trail on vaultd's stderr: JSON lines that record token issues
// by jti, denials and admin actions, and never a token, a PAT or a key.
// (Every test's TearDown also scans stderr for secrets.)

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "proto/vault.grpc.pb.h"
#include "tests/vaultd/vaultd_harness.h"
#include "tests/vaultd/vaultd_test_base.h"
#include "vaultd/store/test_util.h"

namespace layer_vault::tests::vaultd {
namespace {

namespace v1 = layer::vault::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using grpc::StatusCode;

std::vector<nlohmann::json> AuditEvents(const std::string& log) {
  std::vector<nlohmann::json> events;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(line, "{")) continue;
    nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
    if (event.is_object()) events.push_back(std::move(event));
  }
  return events;
}

// The events named `name`.
std::vector<nlohmann::json> Named(const std::vector<nlohmann::json>& events,
                                  const std::string& name) {
  std::vector<nlohmann::json> out;
  for (const auto& e : events) {
    if (e.value("event", "") == name) out.push_back(e);
  }
  return out;
}

class AuditTest : public VaultdTest {
 protected:
  void SetUp() override {
    vaultd_ = StartVaultd();
    ASSERT_NE(vaultd_, nullptr);
  }
  Vaultd* vaultd_ = nullptr;
};

TEST_F(AuditTest, RecordsIssuesDenialsAndAdminActionsWithoutSecrets) {
  // A visibly fake PAT, made at run time.
  const std::string pat = store::testing::FakePat(48);
  ASSERT_THAT(pat, StartsWith("pat_TESTONLY"));
  vaultd_->AddSecret(pat);
  v1::SetCredentialRequest set;
  set.set_pat(pat);
  set.set_verify(false);
  v1::SetCredentialResponse stored;
  grpc::Status s =
      Call(&v1::Admin::Stub::SetCredential, vaultd_->admin(), set, &stored);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(stored.credential().present());
  EXPECT_THAT(stored.credential().fingerprint(), Not(HasSubstr(pat)));

  // Errors about a PAT do not echo it either, to the caller or the log.
  const std::string bad_pat = pat + "!";
  vaultd_->AddSecret(bad_pat);
  set.set_pat(bad_pat);
  s = Call(&v1::Admin::Stub::SetCredential, vaultd_->admin(), set, &stored);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), Not(HasSubstr("TESTONLY")));

  const std::string rotated = store::testing::FakePat(64);
  vaultd_->AddSecret(rotated);
  v1::RotateCredentialRequest rotate;
  rotate.set_pat(rotated);
  v1::RotateCredentialResponse rotate_resp;
  ASSERT_TRUE(Call(&v1::Admin::Stub::RotateCredential, vaultd_->admin(), rotate,
                   &rotate_resp)
                  .ok());

  v1::IssueTokenResponse issued, denied;
  ASSERT_TRUE(Issue(*vaultd_, {"layer:read"}, &issued).ok());
  ASSERT_EQ(Issue(*vaultd_, {"layer:generate"}, &denied).error_code(),
            StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Spend(vaultd_->workload(), issued.token()).ok());
  ASSERT_EQ(Spend(vaultd_->workload(), issued.token() + "x").error_code(),
            StatusCode::UNAUTHENTICATED);
  vaultd_->AddSecret(issued.token() + "x");
  v1::RevokeTokenRequest revoke;
  revoke.set_jti(issued.jti());
  v1::RevokeTokenResponse revoke_resp;
  ASSERT_TRUE(Call(&v1::Admin::Stub::RevokeToken, vaultd_->admin(), revoke,
                   &revoke_resp)
                  .ok());

  const std::string log = vaultd_->ReadStderr();
  const std::vector<nlohmann::json> events = AuditEvents(log);

  const auto issues = Named(events, "token.issue");
  ASSERT_EQ(issues.size(), 1u) << log;
  EXPECT_EQ(issues[0].value("jti", ""), issued.jti());
  EXPECT_EQ(issues[0].value("decision", ""), "allow");
  EXPECT_EQ(issues[0].value("scope", ""), "layer:read");
  EXPECT_EQ(issues[0].value("uid", -1), static_cast<int>(getuid()));
  EXPECT_EQ(issues[0].value("pid", -1), static_cast<int>(getpid()));
  absl::Time when;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full,
                              issues[0].value("time", ""), &when, &error))
      << error;

  const auto token_denials = Named(events, "token.deny");
  ASSERT_EQ(token_denials.size(), 1u);
  EXPECT_EQ(token_denials[0].value("decision", ""), "deny");
  EXPECT_EQ(token_denials[0].value("scope", ""), "layer:generate");

  const auto spends = Named(events, "spend.get");
  ASSERT_EQ(spends.size(), 1u) << "only the refused GetSpend is audited";
  EXPECT_EQ(spends[0].value("decision", ""), "deny");
  EXPECT_FALSE(spends[0].value("reason", "").empty());

  const auto set_events = Named(events, "admin.set_credential");
  ASSERT_EQ(set_events.size(), 2u);
  EXPECT_EQ(set_events[0].value("decision", ""), "allow");
  EXPECT_EQ(set_events[1].value("decision", ""), "error");
  EXPECT_EQ(Named(events, "admin.rotate_credential").size(), 1u);
  const auto revokes = Named(events, "admin.revoke_token");
  ASSERT_EQ(revokes.size(), 1u);
  EXPECT_EQ(revokes[0].value("jti", ""), issued.jti());

  // No audit field carries a secret (TearDown scans the whole log too).
  for (const auto& e : events) {
    const std::string text = e.dump();
    EXPECT_THAT(text, Not(HasSubstr(issued.token())));
    EXPECT_THAT(text, Not(HasSubstr("TESTONLY")));
  }
}

}  // namespace
}  // namespace layer_vault::tests::vaultd
