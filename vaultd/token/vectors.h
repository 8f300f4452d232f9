#ifndef LAYER_VAULT_VAULTD_TOKEN_VECTORS_H_
#define LAYER_VAULT_VAULTD_TOKEN_VECTORS_H_

#include <ostream>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace layer_vault::token {

// PASETO v4.public conformance checking against test-vector files in the
// format of the upstream test-vectors repository (v4.json):
//   {"name": ..., "tests": [{"name", "expect-fail", "public-key",
//    "secret-key", "secret-key-seed"?, "token", "payload", "footer",
//    "implicit-assertion", ...}]}
// with keys in hex and payload a string (null for failure vectors).

struct VectorSummary {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

// RunVectors checks every vector of `json_text` and writes one line per
// vector to `out`:
//   PASS <name>
//   FAIL <name>: <reason>
//   SKIP <name>: <reason>
// A vector is a v4.public vector if it has "public-key" or its token starts
// with "v4.public."; others (v4.local, v3, ...) are skipped.
//   expect-fail false: the secret key must be seed || public key (and equal
//     "secret-key-seed" if given); the seed's public key must equal
//     "public-key"; VerifyV4Public(public key, token, implicit assertion,
//     footer) must return exactly "payload"; SignV4Public(seed key, payload,
//     footer, implicit assertion) must reproduce "token" exactly.
//   expect-fail true: verification must fail. A vector whose key is not an
//     Ed25519 public key (e.g. a symmetric "key") passes, since the v4.public
//     API accepts nothing but crypto::Ed25519PublicKey.
// INVALID_ARGUMENT if `json_text` is not such a file at all (not JSON, no
// "tests" array, a test without a string "name").
absl::StatusOr<VectorSummary> RunVectors(absl::string_view json_text,
                                         std::ostream& out);

// RunVectorsCli is the paseto_vectors tool: `paseto_vectors FILE`. Prints the
// vector lines and then "N passed, N failed, N skipped" to `out`; problems
// with the file itself go to `err`. Returns the exit code: 0 if no vector
// failed and at least one was checked, 1 if a vector failed or none was
// checked, 2 for usage errors and unreadable or malformed files.
int RunVectorsCli(int argc, const char* const* argv, std::ostream& out,
                  std::ostream& err);

}  // namespace layer_vault::token

#endif  // LAYER_VAULT_VAULTD_TOKEN_VECTORS_H_
