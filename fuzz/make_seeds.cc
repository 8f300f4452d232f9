// Writes the seeds of fuzz/corpus/ that need the fixed keys of fixtures.h:
// signed tokens (paseto) and encrypted stores (store). The other seeds are
// hand-written text. Run from the repository root after changing a format or
// a fixture:
//   bazel run //fuzz:make_seeds -- "$PWD/fuzz/corpus"
// Tokens carry a random jti, so each run writes different (equally valid)
// files.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "fuzz/fixtures.h"
#include "vaultd/crypto/aead.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/format.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"
#include "vaultd/token/claims.h"
#include "vaultd/token/paseto.h"
#include "vaultd/token/token_service.h"

namespace layer_vault::fuzz {
namespace {

template <typename T>
T OrDie(absl::StatusOr<T> value, const char* what) {
  if (!value.ok()) {
    std::fprintf(stderr, "make_seeds: %s: %s\n", what,
                 std::string(value.status().message()).c_str());
    std::exit(1);
  }
  return *std::move(value);
}

void Write(const std::string& dir, const std::string& name,
           absl::string_view bytes) {
  const std::string path = absl::StrCat(dir, "/", name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "make_seeds: cannot write %s\n", path.c_str());
    std::exit(1);
  }
  std::printf("%s\n", path.c_str());
}

void PasetoSeeds(const std::string& dir) {
  std::unique_ptr<token::TokenService> service = FixedTokenService();
  const token::CallerIdentity caller = FixedCaller();
  token::IssueRequest request;
  request.scopes = {"layer:generate", "layer:read"};
  const token::IssuedToken issued =
      OrDie(service->Issue(caller, request, FixedNow()), "issue");
  Write(dir, "token_valid", absl::StrCat("0", issued.token));

  token::CallerIdentity other = caller;
  other.uid = 1001;
  request.scopes = {"layer:upload"};
  const token::IssuedToken foreign =
      OrDie(service->Issue(other, request, FixedNow() - absl::Seconds(600)),
            "issue");
  Write(dir, "token_other_caller", absl::StrCat("0", foreign.token));

  // The payload of a valid token, for the sign-then-verify modes.
  const std::string payload = OrDie(
      token::VerifyV4Public(service->keyring().CurrentSigner().key->public_key(),
                            issued.token, token::CallerBinding(caller)),
      "verify");
  Write(dir, "payload_valid", absl::StrCat("1", payload));
  Write(dir, "footer_and_payload",
        absl::StrCat("2", OrDie(token::SerializeFooter(issued.kid), "footer"),
                     "\n", payload));
  Write(dir, "claims_text", absl::StrCat("3", payload));
}

void StoreSeeds(const std::string& dir) {
  store::Record record;
  record.created_at = FixedNow() - absl::Hours(24 * 30);
  if (absl::Status s = store::SetToken(
          record,
          crypto::SecretBytes::CopyFrom(
              "pat_FAKE0123456789abcdefghijklmnopqrstuvwxyzAB"),
          FixedNow() - absl::Hours(24));
      !s.ok()) {
    std::fprintf(stderr, "make_seeds: SetToken failed\n");
    std::exit(1);
  }
  record.workspace_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  record.labels = {{"env", "dev"}, {"owner", "fuzz"}};
  record.signing_keys = FixedKeyringExport();
  const crypto::SecretBytes plaintext =
      OrDie(store::SerializeRecord(record), "serialize");

  store::Header header;
  header.key_source = OrDie(
      store::KeySource::FromParts(store::KeySourceKind::kKeyFile,
                                  "/etc/layer-vault/store.key"),
      "key source");
  header.kdf = store::KdfId::kNone;
  header.iterations = 0;
  header.salt = std::string(store::kSaltSize, 'S');
  header.store_id = std::string(store::kStoreIdSize, 'I');
  const size_t ciphertext_size =
      plaintext.size() + crypto::Aead::kOverhead;
  const std::string ad = store::EncodeHeader(header, ciphertext_size);
  std::unique_ptr<crypto::Aead> aead =
      OrDie(crypto::Aead::New(FixedStoreKey()), "aead");
  const std::string ciphertext =
      OrDie(aead->Encrypt(plaintext.UnsafeView(), ad), "encrypt");
  Write(dir, "file_key_file", absl::StrCat("0", ad, ciphertext));

  // A passphrase store: parses, and fails to decrypt under the fixed key.
  store::Header pass;
  pass.iterations = store::kDefaultPbkdf2Iterations;
  pass.salt = header.salt;
  pass.store_id = header.store_id;
  const std::string pass_ad = store::EncodeHeader(pass, ciphertext_size);
  Write(dir, "file_passphrase",
        absl::StrCat("0", pass_ad,
                     OrDie(aead->Encrypt(plaintext.UnsafeView(), pass_ad),
                           "encrypt")));

  Write(dir, "record_full", absl::StrCat("1", plaintext.UnsafeView()));
  store::Record minimal;
  minimal.created_at = FixedNow();
  Write(dir, "record_minimal",
        absl::StrCat("2", OrDie(store::SerializeRecord(minimal), "serialize")
                              .UnsafeView()));
  Write(dir, "keyring", absl::StrCat("3", FixedKeyringExport().UnsafeView()));
}

}  // namespace
}  // namespace layer_vault::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_ROOT (e.g. $PWD/fuzz/corpus)\n",
                 argv[0]);
    return 2;
  }
  const std::string root = argv[1];
  layer_vault::fuzz::PasetoSeeds(root + "/paseto");
  layer_vault::fuzz::StoreSeeds(root + "/store");
  return 0;
}
