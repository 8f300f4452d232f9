// kdf_benchmark prints, on this machine:
//  - the unlock time of a store with the default parameters (Open + Load of
//    a passphrase store with 600,000 PBKDF2-HMAC-SHA256 iterations), and
//  - the PBKDF2-HMAC-SHA256 cost per 100,000 iterations.
// A benchmark, not a test: run it with
//   bazel run //vaultd/store:kdf_benchmark [-- RUNS]
// (.bazelrc already builds with -O2).
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "vaultd/crypto/pbkdf2.h"
#include "vaultd/crypto/random.h"
#include "vaultd/crypto/secret_bytes.h"
#include "vaultd/store/key_source.h"
#include "vaultd/store/record.h"
#include "vaultd/store/store.h"

namespace layer_vault::store {
namespace {

struct Stats {
  double min_ms;
  double median_ms;
};

Stats Summarise(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms.front(), ms[ms.size() / 2]};
}

int Run(int runs) {
  char dir_template[] = "/tmp/kdf-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string state_dir = std::string(dir_template) + "/state";
  const crypto::SecretBytes passphrase =
      crypto::SecretBytes::CopyFrom("benchmark passphrase, not a secret");

  Record record;
  record.created_at = absl::Now();
  absl::StatusOr<std::unique_ptr<Store>> created = Store::Create(
      state_dir, KeyMaterial::FromPassphrase(passphrase.Clone()), record);
  if (!created.ok()) {
    std::fprintf(stderr, "create: %s\n", created.status().ToString().c_str());
    return 1;
  }
  const uint32_t iterations = (*created)->header().iterations;
  created->reset();

  std::vector<double> unlock_ms;
  for (int i = 0; i < runs; ++i) {
    absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(state_dir);
    if (!store.ok()) {
      std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
      return 1;
    }
    absl::StatusOr<Record> loaded =
        (*store)->Load(KeyMaterial::FromPassphrase(passphrase.Clone()));
    if (!loaded.ok()) {
      std::fprintf(stderr, "load: %s\n", loaded.status().ToString().c_str());
      return 1;
    }
    unlock_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }

  const std::string salt = crypto::RandomBytes(32);
  std::vector<double> kdf_ms;
  for (int i = 0; i < runs; ++i) {
    absl::Time start = absl::Now();
    absl::StatusOr<crypto::SecretBytes> key = crypto::Pbkdf2HmacSha256(
        passphrase.UnsafeView(), salt, 100'000, 32);
    if (!key.ok()) return 1;
    kdf_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }

  unlink((state_dir + "/credentials.enc").c_str());
  rmdir(state_dir.c_str());
  rmdir(dir_template);

  Stats unlock = Summarise(unlock_ms);
  Stats kdf = Summarise(kdf_ms);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  std::printf("runs: %d (median, min), %ld online CPUs\n", runs, cpus);
  std::printf("unlock, default parameters (PBKDF2-HMAC-SHA256, %u iterations): "
              "%.1f ms median, %.1f ms min\n",
              iterations, unlock.median_ms, unlock.min_ms);
  std::printf("PBKDF2-HMAC-SHA256 per 100,000 iterations: %.1f ms median, "
              "%.1f ms min\n",
              kdf.median_ms, kdf.min_ms);
  std::printf("=> an attacker with this CPU core tests about %.1f passphrases "
              "per second against one store\n",
              1000.0 / (kdf.min_ms * iterations / 100'000.0));
  // The same figures for tools/bench/run.sh.
  std::printf("BENCH bench=kdf iterations=%u unlock_ms_median=%.1f "
              "unlock_ms_min=%.1f pbkdf2_100k_ms_median=%.1f\n",
              iterations, unlock.median_ms, unlock.min_ms, kdf.median_ms);
  return 0;
}

}  // namespace
}  // namespace layer_vault::store

int main(int argc, char** argv) {
  int runs = 7;
  if (argc > 1 && (!absl::SimpleAtoi(argv[1], &runs) || runs < 1)) {
    std::fprintf(stderr, "usage: kdf_benchmark [RUNS]\n");
    return 2;
  }
  return layer_vault::store::Run(runs);
}
