// Fuzz target: loading credentials.enc (vaultd/store), the way Store::Open
// and Store::Unlock do, at parse level: ParseFile, AES-256-GCM decryption
// with a fixed key, ParseRecord, and the signing keyring the record carries
// (token::Keyring::Import). No KDF runs: PBKDF2 would make every input take
// a second.
//
// Input: a mode digit, then
//   '0': a whole file: ParseFile, decrypt with FixedStoreKey(), ParseRecord;
//   '1': a record plaintext for ParseRecord;
//   '2': a record plaintext that the target encrypts under a fixed header
//        (key file, fixed key and nonce) and then loads as in '0', so that
//        fuzzed plaintexts cross the real decrypt path;
//   '3': a keyring export for Keyring::Import.
// Properties: see the FUZZ_CHECKs.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "fuzz/fixtures.h"
#include "fuzz/fuzz_util.h"
#include "vaultd/crypto/aead.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/format.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"
#include "vaultd/token/keyring.h"

namespace layer_vault::fuzz {
namespace {

struct State {
  std::unique_ptr<crypto::Aead> aead =
      *crypto::Aead::New(FixedStoreKey());
  store::Header header = [] {
    store::Header h;
    h.key_source =
        *store::KeySource::FromParts(store::KeySourceKind::kKeyFile,
                                     "/etc/layer-vault/store.key");
    h.kdf = store::KdfId::kNone;
    h.iterations = 0;
    h.salt = std::string(store::kSaltSize, 's');
    h.store_id = std::string(store::kStoreIdSize, 'i');
    return h;
  }();
};

const State& GetState() {
  static const State* state = new State();
  return *state;
}

void CheckKeyring(absl::string_view exported) {
  absl::StatusOr<std::unique_ptr<token::Keyring>> keyring =
      token::Keyring::Import(crypto::SecretBytes::CopyFrom(exported),
                             FixedNow());
  if (!keyring.ok()) return;
  // What Import accepts, Export writes back in a form Import accepts, and
  // the export is then stable.
  crypto::SecretBytes first = (*keyring)->Export();
  absl::StatusOr<std::unique_ptr<token::Keyring>> again =
      token::Keyring::Import(first, FixedNow());
  FUZZ_CHECK(again.ok(), "an exported keyring does not import");
  crypto::SecretBytes second = (*again)->Export();
  FUZZ_CHECK(first.UnsafeView() == second.UnsafeView(),
             "keyring export is not stable");
  FUZZ_CHECK(!(*keyring)->CurrentSigner().kid.empty(), "no current key");
}

// Checks one parsed record and what the daemon derives from it.
void CheckRecord(absl::string_view plaintext) {
  absl::StatusOr<store::Record> record = store::ParseRecord(plaintext);
  if (!record.ok()) {
    FUZZ_CHECK(record.status().code() == absl::StatusCode::kDataLoss,
               "ParseRecord failed with a code other than DATA_LOSS");
    return;
  }
  FUZZ_CHECK(store::ValidateRecord(*record).ok(),
             "ParseRecord returned a record ValidateRecord refuses");
  // A loaded record must save again, byte for byte: otherwise the next
  // SetCredential would fail, or silently rewrite what was stored.
  absl::StatusOr<crypto::SecretBytes> saved = store::SerializeRecord(*record);
  FUZZ_CHECK(saved.ok(), "a parsed record does not serialize");
  FUZZ_CHECK(saved->UnsafeView() == plaintext,
             "record does not round-trip byte for byte");
  store::Record copy = record->Clone();
  FUZZ_CHECK(copy.labels == record->labels &&
                 copy.pat.UnsafeView() == record->pat.UnsafeView(),
             "Record::Clone differs");
  if (!record->pat.empty()) {
    FUZZ_CHECK(store::ValidatePat(record->pat.UnsafeView()).ok(),
               "record holds an invalid PAT");
    const std::string shown = store::FingerprintOf(record->pat).ToString();
    FUZZ_CHECK(shown.find(std::string(record->pat.UnsafeView())) ==
                   std::string::npos,
               "fingerprint shows the PAT");
  }
  if (!record->signing_keys.empty()) {
    CheckKeyring(record->signing_keys.UnsafeView());
  }
}

void CheckFile(const State& s, absl::string_view file) {
  absl::StatusOr<store::ParsedFile> parsed =
      store::ParseFile(file, store::kMinPbkdf2Iterations);
  if (!parsed.ok()) {
    const absl::StatusCode code = parsed.status().code();
    FUZZ_CHECK(code == absl::StatusCode::kOutOfRange ||
                   code == absl::StatusCode::kUnimplemented ||
                   code == absl::StatusCode::kDataLoss,
               "ParseFile failed with an undocumented code");
    return;
  }
  // The associated data is the header exactly as EncodeHeader writes it,
  // and the file is nothing but header and ciphertext.
  FUZZ_CHECK(store::EncodeHeader(parsed->header, parsed->ciphertext.size()) ==
                 parsed->associated_data,
             "parsed header does not re-encode to the associated data");
  FUZZ_CHECK(absl::StrCat(parsed->associated_data, parsed->ciphertext) == file,
             "header and ciphertext are not the whole file");
  absl::StatusOr<crypto::SecretBytes> plaintext =
      s.aead->Decrypt(parsed->ciphertext, parsed->associated_data);
  if (!plaintext.ok()) return;
  CheckRecord(plaintext->UnsafeView());
}

}  // namespace
}  // namespace layer_vault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace layer_vault;
  using namespace layer_vault::fuzz;
  const State& s = GetState();
  FuzzInput in(data, size);
  switch (in.TakeByte() % 4) {
    case 0:
      CheckFile(s, in.Rest());
      break;
    case 1:
      CheckRecord(in.Rest());
      break;
    case 2: {
      const absl::string_view plaintext = in.Rest();
      const size_t ciphertext_size =
          plaintext.size() + crypto::Aead::kOverhead;
      if (ciphertext_size > store::kMaxCiphertextSize) break;
      const std::string header = store::EncodeHeader(s.header, ciphertext_size);
      absl::StatusOr<std::string> ciphertext = s.aead->EncryptWithNonceForTesting(
          std::string(crypto::Aead::kNonceSize, 'n'), plaintext, header);
      FUZZ_CHECK(ciphertext.ok() && ciphertext->size() == ciphertext_size,
                 "encryption failed");
      const std::string file = absl::StrCat(header, *ciphertext);
      absl::StatusOr<store::ParsedFile> parsed =
          store::ParseFile(file, store::kMinPbkdf2Iterations);
      FUZZ_CHECK(parsed.ok(), "a written file does not parse");
      absl::StatusOr<crypto::SecretBytes> decrypted =
          s.aead->Decrypt(parsed->ciphertext, parsed->associated_data);
      FUZZ_CHECK(decrypted.ok() && decrypted->UnsafeView() == plaintext,
                 "a written file does not decrypt to its plaintext");
      CheckFile(s, file);
      break;
    }
    case 3:
      CheckKeyring(in.Rest());
      break;
  }
  return 0;
}
