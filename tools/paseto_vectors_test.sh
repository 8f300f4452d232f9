#!/bin/bash
# Runs paseto_vectors on the shipped vector files; every one must pass.
set -euo pipefail

tool="$1"
sample="$2"
upstream="$3"
out="${TEST_TMPDIR:-$(mktemp -d)}/out.txt"

fail() {
  echo "FAILED: $*" >&2
  cat "$out" >&2 || true
  exit 1
}

"$tool" "$sample" >"$out" || fail "tool exited $? on $sample"
grep -qx 'PASS 4-S-1' "$out" || fail "4-S-1 did not pass"
grep -qx 'PASS 4-F-1' "$out" || fail "4-F-1 did not pass"
grep -qx '2 passed, 0 failed, 0 skipped' "$out" || fail "sample summary"

"$tool" "$upstream" >"$out" || fail "tool exited $? on $upstream"
for name in 4-S-1 4-S-2 4-S-3 4-F-1 4-F-2; do
  grep -qx "PASS $name" "$out" || fail "$name did not pass"
done
grep -q '^SKIP 4-E-1: ' "$out" || fail "v4.local vector not skipped"
grep -qx '5 passed, 0 failed, 11 skipped' "$out" || fail "upstream summary"
cat "$out"
