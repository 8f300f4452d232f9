// Hostile tokens presented to the real vaultd's CallLayer and GetSpend.
// Extends tests/vaultd/token_test.cc (flipped bytes, half a token, another
// vaultd's token, revocation, a helper process), which this does not
// repeat: here every row is one attack with the refusal it must get, and
// each refusal is checked to have changed nothing (no request reached the
// fake Layer.ai, the caller's spend is the same).
//
// To reach the checks behind the signature (expiry, issuer, subject,
// lifetime, binding), the suite installs a signing key it knows into
// vaultd's store before the tests (InstallKeyring): its rows are tokens
// signed with vaultd's real key and wrong in exactly one way, next to
// control rows that the same forge makes valid, so a refusal cannot come
// from a broken forge.

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/hostile/forged_tokens.h"
#include "tests/hostile/hostile_env.h"
#include "tests/relay/relay_test_base.h"
#include "vaultd/crypto/ed25519.h"
#include "vaultd/token/base64url.h"
#include "vaultd/token/paseto.h"

namespace layer_vault::tests::hostile {
namespace {

using ::grpc::StatusCode;
using ::testing::HasSubstr;
using relay::kStudio;

// One row: a token and what vaultd must answer to it.
struct TokenAttack {
  std::string name;
  std::string token;
  StatusCode code;       // for both RPCs unless call_only
  std::string message;   // a substring of vaultd's message ("" for OK)
  bool call_only = false;  // GetSpend (any scope) accepts it: CallLayer only
};

class TokenAttackTest : public relay::SharedRelayTest<TokenAttackTest> {
 public:
  static void SetUpTestSuite() {
    SharedRelayTest::SetUpTestSuite();
    if (env_ == nullptr) return;
    // A key vaultd will take for its own, an hour old.
    auto keyring = InstallKeyring(env_->vaultd(), absl::Now() - absl::Hours(1));
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
  }
  static void TearDownTestSuite() {
    keyring_.reset();
    SharedRelayTest::TearDownTestSuite();
  }

 protected:
  void SetUp() override {
    SharedRelayTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_NE(keyring_, nullptr);
    raw_ = std::make_unique<RawWorkload>(env().vaultd().workload_socket());
    auto me = ThisProcess();
    ASSERT_TRUE(me.ok()) << me.status();
    me_ = *me;
    auto issued = raw_->IssueToken(relay::AllScopes());
    ASSERT_TRUE(issued.ok()) << issued.status();
    issued_ = *issued;
  }

  void TearDown() override {
    SharedRelayTest::TearDown();
    if (env_ == nullptr || issued_.empty()) return;
    // Neither the token vaultd issued nor any forged one is ever logged.
    const std::string signature_tail = SplitToken(issued_).body.substr(
        SplitToken(issued_).body.size() - 40);
    EXPECT_FALSE(absl::StrContains(env().vaultd().Stderr(), signature_tail));
    EXPECT_FALSE(absl::StrContains(env().vaultd().AuditLog(), signature_tail));
  }

  std::string Mint(const token::Claims& claims) { return Mint(claims, me_); }
  std::string Mint(const token::Claims& claims,
                   const token::CallerIdentity& bound_to) {
    auto t = MintClaims(*keyring_, claims, bound_to);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : "";
  }
  std::string MintRaw(absl::string_view payload) {
    auto footer = token::SerializeFooter(keyring_->CurrentSigner().kid);
    EXPECT_TRUE(footer.ok());
    auto t = MintToken(*keyring_, payload, footer.ok() ? *footer : "", me_);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : "";
  }
  token::Claims Valid() const { return ValidClaims(me_, absl::Now()); }

  // Presents `row` to CallLayer (workspaces.get) and GetSpend and checks
  // the answer, and that a refused row changed nothing.
  void Check(const TokenAttack& row) {
    SCOPED_TRACE(row.name);
    auto before = Observe(env(), client());
    ASSERT_TRUE(before.ok()) << before.status();
    grpc::Status call = raw_->CallLayer(
        row.token, "workspaces.get", absl::StrCat(R"({"workspace_id":")", kStudio, "\"}"));
    EXPECT_EQ(call.error_code(), row.code) << call.error_message();
    EXPECT_THAT(call.error_message(), HasSubstr(row.message));
    if (!row.call_only) {
      grpc::Status spend = raw_->GetSpend(row.token);
      EXPECT_EQ(spend.error_code(), row.code) << spend.error_message();
      EXPECT_THAT(spend.error_message(), HasSubstr(row.message));
    }
    auto after = Observe(env(), client());
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_EQ(after->api_requests,
              before->api_requests + (row.code == StatusCode::OK ? 1 : 0));
    EXPECT_EQ(after->period_spent, before->period_spent);
    EXPECT_EQ(after->fake_spent, before->fake_spent);
  }

  static inline std::unique_ptr<token::Keyring> keyring_;
  std::unique_ptr<RawWorkload> raw_;
  token::CallerIdentity me_;
  std::string issued_;
};

constexpr StatusCode kOk = StatusCode::OK;
constexpr StatusCode kUnauth = StatusCode::UNAUTHENTICATED;
constexpr char kWrongHeader[] = "not a v4.public token";
constexpr char kBadSignature[] = "issued to another caller";

TEST_F(TokenAttackTest, MalformedAndForgedTokensAreRefused) {
  const TokenParts p = SplitToken(issued_);
  const std::string body = p.body, footer = p.footer;
  auto decoded = token::Base64UrlDecode(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const std::string payload_and_sig = *decoded;
  auto with_header = [&](absl::string_view header) {
    return absl::StrCat(header, body, ".", footer);
  };
  auto with_body = [&](absl::string_view raw_body) {
    return JoinToken({p.header, token::Base64UrlEncode(raw_body), footer});
  };
  auto with_footer = [&](absl::string_view raw_footer) {
    return JoinToken({p.header, body, token::Base64UrlEncode(raw_footer)});
  };
  const std::string kid = keyring_->CurrentSigner().kid;
  ASSERT_FALSE(NonCanonical(footer).empty());  // {"kid":<22>} is 32 bytes

  // The standard base64 alphabet instead of base64url: a token whose body
  // has a '-' or '_' (a jti away).
  std::string std_alphabet;
  for (int i = 0; i < 64 && std_alphabet.empty(); ++i) {
    token::Claims c = Valid();
    // 22 characters; a final 'A' keeps the unused bits zero (canonical).
    c.jti = absl::StrCat("HOSTILEtestJTI", absl::Dec(i, absl::kZeroPad7), "A");
    const std::string t = Mint(c);
    const std::string b = SplitToken(t).body;
    if (b.find_first_of("-_") == std::string::npos) continue;
    std_alphabet = JoinToken({SplitToken(t).header,
                              absl::StrReplaceAll(b, {{"-", "+"}, {"_", "/"}}),
                              SplitToken(t).footer});
  }
  ASSERT_FALSE(std_alphabet.empty());

  // A signer whose "seed" is vaultd's public key (key confusion).
  auto keys = raw_->VerificationKeys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_FALSE(keys->empty());
  auto confused = crypto::Ed25519PrivateKey::FromSeed(
      crypto::SecretBytes::CopyFrom((*keys)[0].public_key()));
  ASSERT_TRUE(confused.ok()) << confused.status();
  auto confused_token = token::SignV4Public(
      **confused, *token::SerializeClaims(Valid()),
      *token::SerializeFooter(kid), token::CallerBinding(me_));
  ASSERT_TRUE(confused_token.ok());

  const std::vector<TokenAttack> rows = {
      // Controls: what vaultd issued, and the forge's own valid token.
      {"issued by vaultd", issued_, kOk, ""},
      {"minted with the installed key", Mint(Valid()), kOk, ""},
      // Other versions and purposes, none-style and empty headers.
      {"v1.local", with_header("v1.local."), kUnauth, kWrongHeader},
      {"v1.public", with_header("v1.public."), kUnauth, kWrongHeader},
      {"v2.local", with_header("v2.local."), kUnauth, kWrongHeader},
      {"v2.public", with_header("v2.public."), kUnauth, kWrongHeader},
      {"v3.local", with_header("v3.local."), kUnauth, kWrongHeader},
      {"v3.public", with_header("v3.public."), kUnauth, kWrongHeader},
      {"v4.local", with_header("v4.local."), kUnauth, kWrongHeader},
      {"v5.public", with_header("v5.public."), kUnauth, kWrongHeader},
      {"upper case header", with_header("V4.PUBLIC."), kUnauth, kWrongHeader},
      {"none purpose", with_header("v4.none."), kUnauth, kWrongHeader},
      {"none header", with_header("none."), kUnauth, kWrongHeader},
      {"empty header", with_header("."), kUnauth, kWrongHeader},
      {"empty version", with_header(".public."), kUnauth, kWrongHeader},
      {"empty purpose", with_header("v4.."), kUnauth, kWrongHeader},
      {"header without dot", with_header("v4.public"), kUnauth, kWrongHeader},
      {"leading space", " " + issued_, kUnauth, kWrongHeader},
      {"empty body", absl::StrCat(p.header, ".", footer), kUnauth, "64-byte"},
      {"empty footer segment", absl::StrCat(p.header, body, "."), kUnauth,
       "empty footer"},
      // Encodings a lenient decoder would take.
      {"padded body", JoinToken({p.header, body + "=", footer}), kUnauth,
       "padding"},
      {"padded footer", JoinToken({p.header, body, footer + "="}), kUnauth,
       "padding"},
      {"padded body, 2", JoinToken({p.header, body + "==", footer}), kUnauth,
       "padding"},
      {"standard alphabet", std_alphabet, kUnauth, "alphabet"},
      {"non-canonical footer", JoinToken({p.header, body, NonCanonical(footer)}),
       kUnauth, "non-canonical"},
      {"trailing newline", issued_ + "\n", kUnauth, "alphabet"},
      {"embedded NUL", issued_.substr(0, 20) + std::string(1, '\0') +
                           issued_.substr(20), kUnauth, "alphabet"},
      {"over 12 KiB", issued_ + "." + std::string(13 * 1024, 'A'), kUnauth,
       "too large"},
      // Footers: swapped, extra, forged.
      {"footer and body swapped", JoinToken({p.header, footer, body}), kUnauth,
       "footer"},
      {"extra segment", issued_ + "." + footer, kUnauth, "more than two"},
      {"footer with an extra key",
       with_footer(absl::StrCat(R"({"kid":")", kid, R"(","admin":true})")),
       kUnauth, "malformed token footer"},
      {"footer with a duplicate kid",
       with_footer(absl::StrCat(R"({"kid":"AAAA","kid":")", kid, R"("})")),
       kUnauth, "malformed token footer"},
      {"footer respaced",
       with_footer(absl::StrCat(R"({ "kid" : ")", kid, R"(" })")), kUnauth,
       "footer does not match"},
      {"footer of an unknown key",
       with_footer(R"({"kid":"AAAAAAAAAAAAAAAAAAAAAA"})"), kUnauth,
       "unknown or expired key"},
      {"footer not JSON", with_footer("kid"), kUnauth, "malformed token footer"},
      // Signatures.
      {"signature short by a byte",
       with_body(payload_and_sig.substr(0, payload_and_sig.size() - 1)), kUnauth,
       kBadSignature},
      {"signature removed",
       with_body(payload_and_sig.substr(0, payload_and_sig.size() - 64)), kUnauth,
       kBadSignature},
      {"63-byte body", with_body(payload_and_sig.substr(0, 63)), kUnauth,
       "64-byte"},
      {"signature zeroed",
       with_body(absl::StrCat(payload_and_sig.substr(0, payload_and_sig.size() - 64),
                              std::string(64, '\0'))),
       kUnauth, kBadSignature},
      {"seed is the public key", *confused_token, kUnauth, kBadSignature},
  };
  for (const TokenAttack& row : rows) Check(row);

  // The token vaultd issued still works.
  EXPECT_TRUE(raw_->GetSpend(issued_).ok());
}

TEST_F(TokenAttackTest, ValidlySignedTokensWithAWrongClaimAreRefused) {
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  auto claims = [&](auto change) {
    token::Claims c = Valid();
    change(c);
    return c;
  };
  // A token issued (iat = nbf) at now + `issued` that expires at now +
  // `expires`: the rows about time.
  auto issued_at = [&](absl::Duration issued, absl::Duration expires) {
    return Mint(claims([&](token::Claims& c) {
      c.iat = c.nbf = now + issued;
      c.exp = now + expires;
    }));
  };
  token::CallerIdentity other_pid = me_, other_start = me_, other_boot = me_,
                        other_uid = me_;
  other_pid.pid += 1;
  other_start.process_start_time += 1;
  other_boot.boot_id = "00000000-0000-4000-8000-000000000000";
  other_uid.uid = me_.uid == 65534 ? 65533 : 65534;
  const std::string valid_json = *token::SerializeClaims(Valid());

  const std::vector<TokenAttack> rows = {
      // Controls at the edges the refusals below cross.
      {"expired within the 30 s leeway",
       issued_at(-absl::Seconds(320), -absl::Seconds(20)), kOk, ""},
      {"lifetime of exactly 900 s", Mint(claims([&](token::Claims& c) {
         c.exp = now + absl::Seconds(900);
       })),
       kOk, ""},
      // Time.
      {"expired", issued_at(-absl::Minutes(40), -absl::Minutes(35)),
       kUnauth, "token expired"},
      {"expired just past the leeway",
       issued_at(-absl::Seconds(340), -absl::Seconds(40)), kUnauth,
       "token expired"},
      {"not yet valid", Mint(claims([&](token::Claims& c) {
         c.nbf = now + absl::Minutes(2);
       })),
       kUnauth, "not yet valid"},
      {"issued in the future", issued_at(absl::Minutes(5), absl::Minutes(10)),
       kUnauth, "not yet valid"},
      {"lifetime over 900 s", Mint(claims([&](token::Claims& c) {
         c.exp = now + absl::Seconds(901);
       })),
       kUnauth, "lifetime exceeds"},
      {"lifetime of a year", Mint(claims([&](token::Claims& c) {
         c.exp = now + absl::Hours(24 * 365);
       })),
       kUnauth, "lifetime exceeds"},
      {"issued before its key existed",
       issued_at(-absl::Hours(3), -absl::Hours(3) + absl::Seconds(300)),
       kUnauth, "outside its signing key's lifetime"},
      // Who.
      {"another issuer", Mint(claims([](token::Claims& c) { c.iss = "vaultd2"; })),
       kUnauth, "issuer is wrong"},
      {"another audience",
       Mint(claims([](token::Claims& c) { c.aud = "layer-admin"; })), kUnauth,
       "audience is wrong"},
      {"another subject", Mint(claims([&](token::Claims& c) {
         c.sub = absl::StrCat(other_uid.uid);
       })),
       kUnauth, "subject is not the calling uid"},
      {"scope without layer:read", Mint(claims([](token::Claims& c) {
         c.scope = {"layer:upload"};
       })),
       StatusCode::PERMISSION_DENIED, "lacks the required scope", true},
      // Bound to another process: the signed binding differs.
      {"bound to another pid", Mint(Valid(), other_pid), kUnauth, kBadSignature},
      {"bound to another start time", Mint(Valid(), other_start), kUnauth,
       kBadSignature},
      {"bound to another boot", Mint(Valid(), other_boot), kUnauth, kBadSignature},
      {"bound to another uid", Mint(claims([&](token::Claims& c) {
         c.sub = absl::StrCat(other_uid.uid);
       }), other_uid),
       kUnauth, kBadSignature},
      // Claims vaultd never writes, signed anyway.
      {"extra claim",
       MintRaw(absl::StrCat(valid_json.substr(0, valid_json.size() - 1),
                            R"(,"admin":true})")),
       kUnauth, "malformed token claims"},
      {"duplicate subject",
       MintRaw(absl::StrCat(R"({"sub":"0",)", valid_json.substr(1))), kUnauth,
       "malformed token claims"},
      {"claims not JSON", MintRaw("not json at all"), kUnauth,
       "malformed token claims"},
      {"claims an array", MintRaw("[]"), kUnauth, "malformed token claims"},
      {"empty claims", MintRaw(""), kUnauth, "malformed token claims"},
  };
  for (const TokenAttack& row : rows) Check(row);
}

TEST_F(TokenAttackTest, ATokenReplayedByAForkedChildIsRefused) {
  const std::string socket = "--socket=" + env().vaultd().workload_socket();
  const std::string workspace = absl::StrCat("--workspace=", kStudio);
  auto before = Observe(env(), client());
  ASSERT_TRUE(before.ok()) << before.status();

  // Control: the child may use vaultd with a token of its own.
  auto own = RunPeer({socket, "--rpc=issue_and_spend"}, "");
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->code, 0) << own->message;

  for (const char* rpc : {"--rpc=spend", "--rpc=call"}) {
    SCOPED_TRACE(rpc);
    auto replayed = RunPeer({socket, rpc, workspace}, issued_);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(replayed->code, static_cast<int>(kUnauth)) << replayed->message;
    EXPECT_THAT(replayed->message, HasSubstr(kBadSignature));
  }
  auto after = Observe(env(), client());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->api_requests, before->api_requests);
  // The parent still may.
  EXPECT_TRUE(raw_->GetSpend(issued_).ok());
}

}  // namespace
}  // namespace layer_vault::tests::hostile
