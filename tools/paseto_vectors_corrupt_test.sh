#!/bin/bash
# paseto_vectors must fail (non-zero exit, FAIL line) on corrupted vectors
# and on files it cannot use.
set -uo pipefail

tool="$1"
sample="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
out="$tmp/out.txt"

fail() {
  echo "FAILED: $*" >&2
  cat "$out" >&2 2>/dev/null || true
  exit 1
}

# expect_exit CODE FILE: runs the tool on FILE and checks its exit status.
expect_exit() {
  local want="$1" file="$2" got=0
  "$tool" "$file" >"$out" 2>&1 || got=$?
  [[ "$got" == "$want" ]] || fail "exit $got (want $want) for $file"
}

# Sanity: the pristine sample passes, so the failures below come from the
# corruption alone.
expect_exit 0 "$sample"

# 1. A success vector whose expected payload has one byte changed.
sed 's/this is a signed message/this is a signed messagE/' "$sample" \
  >"$tmp/payload.json"
cmp -s "$sample" "$tmp/payload.json" && fail "payload corruption did nothing"
expect_exit 1 "$tmp/payload.json"
grep -q '^FAIL 4-S-1: verified payload differs' "$out" || fail "payload FAIL"
grep -qx '1 passed, 1 failed, 0 skipped' "$out" || fail "payload summary"

# 2. A valid token marked as one that must fail.
sed '0,/"expect-fail": false/s//"expect-fail": true/' "$sample" \
  >"$tmp/expect.json"
expect_exit 1 "$tmp/expect.json"
grep -q '^FAIL 4-S-1: token verified but' "$out" || fail "expect-fail FAIL"

# 3. A secret key whose second half is not the public key (a 64-byte blob
#    must not be taken for a seed).
sed 's/1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2"/1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a3"/' \
  "$sample" >"$tmp/secret.json"
# (that also changes public-key; restore it so only secret-key differs)
sed -i 's/"public-key": "1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a3"/"public-key": "1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2"/' \
  "$tmp/secret.json"
expect_exit 1 "$tmp/secret.json"
grep -q '^FAIL 4-S-1: second half of secret-key' "$out" || fail "secret FAIL"

# 4. Files the tool cannot use.
expect_exit 2 "$tmp/does-not-exist.json"
echo '{"tests": [' >"$tmp/truncated.json"
expect_exit 2 "$tmp/truncated.json"
echo '{"name": "no tests"}' >"$tmp/notests.json"
expect_exit 2 "$tmp/notests.json"
echo '{"tests": []}' >"$tmp/empty.json"
expect_exit 1 "$tmp/empty.json"

echo "all corruption checks failed as required"
