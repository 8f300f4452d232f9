#include "vaultd/token/keyring.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vaultd/crypto/ed25519.h"
#include "vaultd/crypto/hash.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/token/base64url.h"

namespace layer_vault::token {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixSeconds(1796396400);  // 2026-12-04

std::unique_ptr<Keyring> NewKeyring(absl::Time now = kT0) {
  absl::StatusOr<std::unique_ptr<Keyring>> keyring = Keyring::Create(now);
  EXPECT_TRUE(keyring.ok()) << keyring.status();
  return *std::move(keyring);
}

crypto::SecretBytes Secret(absl::string_view text) {
  return crypto::SecretBytes::CopyFrom(text);
}

TEST(KeyIdTest, IsBase64UrlOfTruncatedSha256) {
  std::unique_ptr<crypto::Ed25519PrivateKey> key =
      crypto::Ed25519PrivateKey::Generate();
  const std::string kid = KeyIdFor(key->public_key());
  EXPECT_EQ(kid.size(), 22u);
  EXPECT_EQ(*Base64UrlDecode(kid),
            crypto::Sha256(key->public_key().bytes()).substr(0, 16));
}

TEST(KeyringTest, CreateHasOneCurrentKeyThatSignsAndVerifies) {
  std::unique_ptr<Keyring> keyring = NewKeyring();
  const Signer signer = keyring->CurrentSigner();
  ASSERT_NE(signer.key, nullptr);
  EXPECT_EQ(signer.kid, KeyIdFor(signer.key->public_key()));
  EXPECT_EQ(signer.created, kT0);

  absl::StatusOr<VerificationKeyInfo> info =
      keyring->FindVerificationKey(signer.kid, kT0);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->current);
  EXPECT_FALSE(info->retired.has_value());
  EXPECT_EQ(info->not_before, kT0);
  EXPECT_EQ(info->not_after, kT0 + absl::Hours(24) + absl::Seconds(930));
  absl::StatusOr<std::string> sig = signer.key->Sign("message");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(info->public_key.Verify("message", *sig).ok());

  const std::vector<VerificationKeyInfo> keys = keyring->VerificationKeys(kT0);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].kid, signer.kid);
}

TEST(KeyringTest, UnknownKidIsNotFound) {
  std::unique_ptr<Keyring> keyring = NewKeyring();
  EXPECT_EQ(keyring->FindVerificationKey("AAAAAAAAAAAAAAAAAAAAAA", kT0)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(keyring->FindVerificationKey("", kT0).ok());
}

TEST(KeyringTest, RotationKeepsTheOldKeyVerifyingUntilItsTokensExpire) {
  std::unique_ptr<Keyring> keyring = NewKeyring();
  const Signer old_signer = keyring->CurrentSigner();
  const absl::Time rotated_at = kT0 + absl::Hours(1);

  const Rotation rotation = keyring->Rotate(rotated_at);
  EXPECT_EQ(rotation.previous_kid, old_signer.kid);
  EXPECT_NE(rotation.new_kid, old_signer.kid);
  EXPECT_EQ(keyring->CurrentSigner().kid, rotation.new_kid);

  // A signer taken before the rotation still works (in-flight Issue).
  EXPECT_TRUE(old_signer.key->Sign("in flight").ok());

  absl::StatusOr<VerificationKeyInfo> old_info =
      keyring->FindVerificationKey(old_signer.kid, rotated_at);
  ASSERT_TRUE(old_info.ok());
  EXPECT_FALSE(old_info->current);
  ASSERT_TRUE(old_info->retired.has_value());
  EXPECT_EQ(*old_info->retired, rotated_at);
  const absl::Time last = rotated_at + absl::Seconds(900 + 30);
  EXPECT_EQ(old_info->not_after, last);

  std::vector<VerificationKeyInfo> keys = keyring->VerificationKeys(rotated_at);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].kid, rotation.new_kid);
  EXPECT_TRUE(keys[0].current);
  EXPECT_EQ(keys[1].kid, old_signer.kid);

  EXPECT_TRUE(keyring->FindVerificationKey(old_signer.kid, last).ok());
  EXPECT_EQ(
      keyring->FindVerificationKey(old_signer.kid, last + absl::Seconds(1))
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(keyring->VerificationKeys(last + absl::Seconds(1)).size(), 1u);

  keyring->Prune(last + absl::Seconds(1));
  // Pruned for good: even an earlier clock does not bring it back.
  EXPECT_FALSE(keyring->FindVerificationKey(old_signer.kid, rotated_at).ok());
}

TEST(KeyringTest, MaybeRotateRotatesDaily) {
  std::unique_ptr<Keyring> keyring = NewKeyring();
  const std::string first = keyring->CurrentSigner().kid;
  EXPECT_FALSE(keyring->MaybeRotate(kT0 + absl::Hours(23)).has_value());
  EXPECT_EQ(keyring->CurrentSigner().kid, first);

  const absl::Time day1 = kT0 + absl::Hours(24);
  std::optional<Rotation> rotation = keyring->MaybeRotate(day1);
  ASSERT_TRUE(rotation.has_value());
  EXPECT_EQ(rotation->previous_kid, first);
  EXPECT_FALSE(keyring->MaybeRotate(day1 + absl::Minutes(1)).has_value());

  // The retired key is pruned by a later MaybeRotate once its window ends.
  EXPECT_EQ(keyring->VerificationKeys(day1).size(), 2u);
  EXPECT_FALSE(keyring->MaybeRotate(day1 + absl::Minutes(16)).has_value());
  EXPECT_EQ(keyring->VerificationKeys(day1).size(), 1u);

  ASSERT_TRUE(keyring->MaybeRotate(day1 + absl::Hours(24)).has_value());
}

TEST(KeyringTest, OptionsAreValidated) {
  KeyringOptions bad;
  bad.rotation_period = absl::ZeroDuration();
  EXPECT_EQ(Keyring::Create(kT0, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = KeyringOptions();
  bad.leeway = -absl::Seconds(1);
  EXPECT_FALSE(Keyring::Create(kT0, bad).ok());
  bad = KeyringOptions();
  bad.max_token_ttl = absl::ZeroDuration();
  EXPECT_FALSE(Keyring::Import(Secret("{}"), kT0, bad).ok());
}

TEST(KeyringExportTest, RoundTripsTheKeySet) {
  std::unique_ptr<Keyring> keyring = NewKeyring();
  const std::string first = keyring->CurrentSigner().kid;
  keyring->Rotate(kT0 + absl::Minutes(10));
  keyring->Rotate(kT0 + absl::Minutes(20));
  const Signer current = keyring->CurrentSigner();

  const crypto::SecretBytes exported = keyring->Export();
  const absl::string_view text = exported.UnsafeView();
  EXPECT_TRUE(absl::StartsWith(
      text, R"({"format":"layer-vault.token-keyring.v1","keys":[)"));
  // Only the current key's seed is exported.
  const std::string seed_b64 =
      Base64UrlEncode(current.key->UnsafeSeed().UnsafeView());
  EXPECT_THAT(std::string(text), HasSubstr(seed_b64));
  EXPECT_EQ(std::string(text).find("\"seed\""),
            std::string(text).rfind("\"seed\""));

  const absl::Time later = kT0 + absl::Minutes(21);
  absl::StatusOr<std::unique_ptr<Keyring>> imported =
      Keyring::Import(exported, later);
  ASSERT_TRUE(imported.ok()) << imported.status();
  const Signer restored = (*imported)->CurrentSigner();
  EXPECT_EQ(restored.kid, current.kid);
  EXPECT_EQ(restored.created, current.created);
  // Same seed: Ed25519 is deterministic.
  EXPECT_EQ(*restored.key->Sign("m"), *current.key->Sign("m"));

  const std::vector<VerificationKeyInfo> before =
      keyring->VerificationKeys(later);
  const std::vector<VerificationKeyInfo> after =
      (*imported)->VerificationKeys(later);
  ASSERT_EQ(after.size(), 3u);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].kid, before[i].kid);
    EXPECT_EQ(after[i].public_key.bytes(), before[i].public_key.bytes());
    EXPECT_EQ(after[i].created, before[i].created);
    EXPECT_EQ(after[i].retired, before[i].retired);
    EXPECT_EQ(after[i].not_after, before[i].not_after);
    EXPECT_EQ(after[i].current, before[i].current);
  }
  EXPECT_EQ(after[2].kid, first);

  // The re-export is identical.
  EXPECT_EQ((*imported)->Export().UnsafeView(), text);
}

TEST(KeyringExportTest, ImportDropsRetiredKeysPastTheirWindow) {
  std::unique_ptr<Keyring> keyring = NewKeyring();
  keyring->Rotate(kT0 + absl::Minutes(1));
  absl::StatusOr<std::unique_ptr<Keyring>> imported =
      Keyring::Import(keyring->Export(), kT0 + absl::Hours(2));
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ((*imported)->VerificationKeys(kT0 + absl::Hours(2)).size(), 1u);
}

// Builds an export from parts so that single fields can be corrupted.
struct ExportParts {
  std::string current_kid, current_pub, current_seed, retired_kid, retired_pub;
};

ExportParts Parts() {
  std::unique_ptr<crypto::Ed25519PrivateKey> a =
      crypto::Ed25519PrivateKey::Generate();
  std::unique_ptr<crypto::Ed25519PrivateKey> b =
      crypto::Ed25519PrivateKey::Generate();
  return {KeyIdFor(a->public_key()), Base64UrlEncode(a->public_key().bytes()),
          Base64UrlEncode(a->UnsafeSeed().UnsafeView()),
          KeyIdFor(b->public_key()), Base64UrlEncode(b->public_key().bytes())};
}

std::string Render(const ExportParts& p) {
  return absl::StrCat(
      R"({"format":"layer-vault.token-keyring.v1","keys":[{"kid":")",
      p.current_kid, R"(","public_key":")", p.current_pub,
      R"(","created":1796396400,"seed":")", p.current_seed, R"("},{"kid":")",
      p.retired_kid, R"(","public_key":")", p.retired_pub,
      R"(","created":1796390000,"retired":1796396400}]})");
}

TEST(KeyringExportTest, ImportAcceptsAHandWrittenExport) {
  const ExportParts parts = Parts();
  absl::StatusOr<std::unique_ptr<Keyring>> imported =
      Keyring::Import(Secret(Render(parts)), kT0);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ((*imported)->CurrentSigner().kid, parts.current_kid);
  EXPECT_TRUE((*imported)->FindVerificationKey(parts.retired_kid, kT0).ok());
}

TEST(KeyringExportTest, ImportRejectsCorruptExports) {
  const ExportParts p = Parts();
  const std::string good = Render(p);
  ExportParts swapped_seed = p;
  swapped_seed.current_seed = Base64UrlEncode(std::string(32, 'x'));
  ExportParts wrong_kid = p;
  wrong_kid.current_kid = p.retired_kid;
  ExportParts bad_pub = p;
  bad_pub.retired_pub = Base64UrlEncode("short");
  ExportParts short_seed = p;
  short_seed.current_seed = Base64UrlEncode(std::string(31, 'x'));

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"not json", "seed"},
      {"trailing", good + "x"},
      {"format", absl::StrReplaceAll(good, {{".v1", ".v2"}})},
      {"seed for another key", Render(swapped_seed)},
      {"short seed", Render(short_seed)},
      {"kid mismatch", Render(wrong_kid)},
      {"bad public key", Render(bad_pub)},
      {"no current",
       absl::StrReplaceAll(good, {{R"(,"seed":")" + p.current_seed + "\"",
                                   R"(,"retired":1796396400)"}})},
      {"two current",
       absl::StrReplaceAll(good, {{R"(,"retired":1796396400)",
                                   R"(,"seed":")" + p.current_seed + "\""}})},
      {"retired before created",
       absl::StrReplaceAll(
           good, {{R"("retired":1796396400)", R"("retired":1796380000)"}})},
      {"retired with seed",
       absl::StrReplaceAll(good, {{R"(,"retired":1796396400)",
                                   R"(,"retired":1796396400,"seed":"AA")"}})},
      {"unknown field",
       absl::StrReplaceAll(good, {{R"("created":1796390000)",
                                   R"("created":1796390000,"x":1)"}})},
      {"duplicate field",
       absl::StrReplaceAll(good, {{R"("created":1796390000)",
                                   R"("created":1796390000,"created":1)"}})},
      {"negative time", absl::StrReplaceAll(good, {{R"("created":1796390000)",
                                                    R"("created":-1)"}})},
      {"escaped string",
       absl::StrReplaceAll(good, {{R"("kid":")", R"("kid":"\u0041)"}})},
      {"padded seed",
       absl::StrReplaceAll(good, {{p.current_seed, p.current_seed + "="}})},
      {"duplicate kid",
       absl::StrReplaceAll(good, {{p.retired_kid, p.current_kid},
                                  {p.retired_pub, p.current_pub}})},
      {"nested", R"({"format":[[[[[]]]]],"keys":[]})"},
  };
  for (const auto& [name, text] : cases) {
    SCOPED_TRACE(name);
    absl::StatusOr<std::unique_ptr<Keyring>> imported =
        Keyring::Import(Secret(text), kT0);
    ASSERT_FALSE(imported.ok());
    EXPECT_EQ(imported.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(imported.status().message(), Not(HasSubstr(p.current_seed)));
  }
}

TEST(KeyringTest, ConcurrentUseWhileRotating) {
  std::unique_ptr<Keyring> keyring = NewKeyring();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const Signer signer = keyring->CurrentSigner();
        absl::StatusOr<std::string> sig = signer.key->Sign("m");
        absl::StatusOr<VerificationKeyInfo> info =
            keyring->FindVerificationKey(signer.kid, kT0 + absl::Hours(1));
        if (!sig.ok() || !info.ok() ||
            !info->public_key.Verify("m", *sig).ok()) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    keyring->Rotate(kT0 + absl::Hours(1));
    (void)keyring->Export();
  }
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace layer_vault::token
