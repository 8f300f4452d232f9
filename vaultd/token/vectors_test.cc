#include "vaultd/token/vectors.h"

#include <sstream>
#include <string>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace layer_vault::token {
namespace {

using ::testing::HasSubstr;

constexpr char kPublic[] =
    "1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2";
constexpr char kSecret[] =
    "b4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774"
    "1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2";
constexpr char kToken[] =
    "v4.public.eyJkYXRhIjoidGhpcyBpcyBhIHNpZ25lZCBtZXNzYWdlIiwiZXhwIjoiMjAyMi0"
    "wMS0wMVQwMDowMDowMCswMDowMCJ9bg_XBBzds8lTZShVlwwKSgeKpLT3yukTw6JUz3W4h_E"
    "xsQV-P0V54zemZDcAxFaSeef1QlXEFtkqxT1ciiQEDA";
constexpr char kPayload[] =
    R"({\"data\":\"this is a signed message\",\"exp\":\"2022-01-01T00:00:00+00:00\"})";

std::string SuccessVector(std::string name = "4-S-1") {
  return std::string(R"({"name":")") + name +
         R"(","expect-fail":false,"public-key":")" + kPublic +
         R"(","secret-key":")" + kSecret + R"(","token":")" + kToken +
         R"(","payload":")" + kPayload +
         R"(","footer":"","implicit-assertion":""})";
}

std::string File(const std::string& vectors) {
  return R"({"name":"t","tests":[)" + vectors + "]}";
}

struct RunResult {
  VectorSummary summary;
  std::string out;
};

RunResult RunOk(const std::string& text) {
  std::ostringstream out;
  absl::StatusOr<VectorSummary> summary = RunVectors(text, out);
  EXPECT_TRUE(summary.ok()) << summary.status();
  return {summary.value_or(VectorSummary{}), out.str()};
}

TEST(VectorsTest, SuccessVectorPasses) {
  RunResult run = RunOk(File(SuccessVector()));
  EXPECT_EQ(run.summary.passed, 1);
  EXPECT_EQ(run.summary.failed, 0);
  EXPECT_EQ(run.out, "PASS 4-S-1\n");
}

TEST(VectorsTest, ChangedPayloadFails) {
  RunResult run = RunOk(File(absl::StrReplaceAll(
      SuccessVector(), {{"signed message", "signed messagE"}})));
  EXPECT_EQ(run.summary.failed, 1);
  EXPECT_THAT(run.out, HasSubstr("FAIL 4-S-1: verified payload differs"));
}

TEST(VectorsTest, TamperedTokenFails) {
  RunResult run = RunOk(
      File(absl::StrReplaceAll(SuccessVector(), {{"ciiQEDA", "ciiQEDB"}})));
  EXPECT_EQ(run.summary.failed, 1);
  EXPECT_THAT(run.out, HasSubstr("FAIL 4-S-1: verification failed"));
}

TEST(VectorsTest, SecretKeyMustBeSeedThenPublicKey) {
  // Public key in the seed half: the 64-byte blob is not seed || public.
  const std::string swapped =
      std::string(kPublic) + std::string(kSecret).substr(0, 64);
  RunResult run =
      RunOk(File(absl::StrReplaceAll(SuccessVector(), {{kSecret, swapped}})));
  EXPECT_EQ(run.summary.failed, 1);
  EXPECT_THAT(run.out, HasSubstr("second half of secret-key"));

  // A 32-byte "secret key" (e.g. the seed or a public key alone) is refused.
  run = RunOk(File(absl::StrReplaceAll(SuccessVector(), {{kSecret, kPublic}})));
  EXPECT_THAT(run.out, HasSubstr("secret-key must be 64 bytes"));

  // A seed field that disagrees with the secret key.
  std::string with_seed = SuccessVector();
  with_seed.insert(with_seed.size() - 1,
                   std::string(R"(,"secret-key-seed":")") + kPublic + "\"");
  run = RunOk(File(with_seed));
  EXPECT_THAT(run.out, HasSubstr("secret-key-seed is not the first half"));
}

TEST(VectorsTest, ResigningMustReproduceTheToken) {
  // Same public key half, but a seed whose key differs: caught.
  const std::string other_seed =
      std::string(64, '1') + std::string(kSecret).substr(64);
  RunResult run = RunOk(
      File(absl::StrReplaceAll(SuccessVector(), {{kSecret, other_seed}})));
  EXPECT_EQ(run.summary.failed, 1);
  EXPECT_THAT(run.out, HasSubstr("seed's public key is not public-key"));
}

TEST(VectorsTest, FailureVectors) {
  const std::string must_fail = absl::StrReplaceAll(
      SuccessVector("F-valid"),
      {{R"("expect-fail":false)", R"("expect-fail":true)"}});
  const std::string local_header = absl::StrReplaceAll(
      must_fail, {{"v4.public.", "v4.local."}, {"F-valid", "F-local"}});
  const std::string symmetric =
      R"({"name":"F-sym","expect-fail":true,"key":"707172","token":")" +
      std::string(kToken) +
      R"(","payload":null,"footer":"",)"
      R"("implicit-assertion":""})";
  const std::string bad_key = absl::StrReplaceAll(
      must_fail, {{kPublic, "00"}, {"F-valid", "F-badkey"}});
  RunResult run = RunOk(
      File(must_fail + "," + local_header + "," + symmetric + "," + bad_key));
  EXPECT_EQ(run.summary.failed, 1);
  EXPECT_EQ(run.summary.passed, 3);
  EXPECT_THAT(run.out, HasSubstr("FAIL F-valid: token verified but"));
  EXPECT_THAT(run.out, HasSubstr("PASS F-local\n"));
  EXPECT_THAT(run.out, HasSubstr("PASS F-sym\n"));
  EXPECT_THAT(run.out, HasSubstr("PASS F-badkey\n"));
}

TEST(VectorsTest, NonPublicVectorsAreSkipped) {
  RunResult run = RunOk(
      File(R"({"name":"4-E-1","expect-fail":false,"key":"00","nonce":"00",)"
           R"("token":"v4.local.AAAA","payload":"{}","footer":"",)"
           R"("implicit-assertion":""},)" +
           SuccessVector()));
  EXPECT_EQ(run.summary.skipped, 1);
  EXPECT_EQ(run.summary.passed, 1);
  EXPECT_THAT(run.out, HasSubstr("SKIP 4-E-1: not a v4.public vector\n"));
}

TEST(VectorsTest, MalformedVectorFails) {
  RunResult run = RunOk(File(absl::StrReplaceAll(
      SuccessVector(), {{R"("expect-fail":false)", R"("expect-fail":"no")"}})));
  EXPECT_EQ(run.summary.failed, 1);
  run = RunOk(File(absl::StrReplaceAll(
      SuccessVector(), {{R"("payload":")", R"("payload":null,"x":")"}})));
  EXPECT_THAT(run.out, HasSubstr("\"payload\" must be a string"));
}

TEST(VectorsTest, MalformedFileIsAnError) {
  std::ostringstream out;
  EXPECT_FALSE(RunVectors("", out).ok());
  EXPECT_FALSE(RunVectors("{", out).ok());
  EXPECT_FALSE(RunVectors(R"({"tests":{}})", out).ok());
  EXPECT_FALSE(RunVectors(R"({"tests":[1]})", out).ok());
  EXPECT_FALSE(RunVectors(R"({"tests":[{"name":1}]})", out).ok());
}

TEST(VectorsCliTest, ExitCodesAndSummary) {
  std::ostringstream out, err;
  const char* no_args[] = {"paseto_vectors"};
  EXPECT_EQ(RunVectorsCli(1, no_args, out, err), 2);
  const char* missing[] = {"paseto_vectors", "/nonexistent/vectors.json"};
  EXPECT_EQ(RunVectorsCli(2, missing, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("cannot open"));
}

}  // namespace
}  // namespace layer_vault::token
