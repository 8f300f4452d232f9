#ifndef LAYER_VAULT_VAULTD_STORE_TEST_UTIL_H_
#define LAYER_VAULT_VAULTD_STORE_TEST_UTIL_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "vaultd/crypto/secret_bytes.h"

namespace layer_vault::store::testing {

// A fresh 0700 directory under $TEST_TMPDIR (or /tmp). Fails the test on
// error. Removed by RemoveTree or by Bazel.
std::string MakeTempDir();

// Removes `path` recursively; ignores errors.
void RemoveTree(const std::string& path);

// A visibly fake PAT made at run time: "pat_TESTONLY" + random [A-Za-z0-9]
// characters, `size` characters in total (>= 16).
std::string FakePat(size_t size = 48);

// FakePat in SecretBytes.
crypto::SecretBytes FakePatSecret(size_t size = 48);

crypto::SecretBytes Secret(absl::string_view s);

// Whole-file helpers; fail the test on error.
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, absl::string_view data,
               mode_t mode = 0600);

// The names in directory `dir` (not "." and ".."), sorted; empty if it
// cannot be opened.
std::vector<std::string> ListDir(const std::string& dir);

}  // namespace layer_vault::store::testing

#endif  // LAYER_VAULT_VAULTD_STORE_TEST_UTIL_H_
