#!/usr/bin/env bash
# Runs the README's main job and checks its promises: exit 0, a PNG kept,
# every PAT check answered "no", no temporary directory left behind.
set -euo pipefail
out="$TEST_TMPDIR/demo-output"
before=$( (ls -d /tmp/lvdemo-* 2>/dev/null || true) | wc -l)
DEMO_KEEP_ASSETS="$out" tools/demo >"$TEST_TMPDIR/demo.log" 2>&1 || {
  cat "$TEST_TMPDIR/demo.log"
  echo "FAIL: the demo exited non-zero"
  exit 1
}
cat "$TEST_TMPDIR/demo.log"
png=$(ls "$out"/*.png | head -1)
[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "FAIL: $png is not a PNG"; exit 1; }
for check in "environment" "memory" "any MCP message or log" "Authorization header"; do
  grep -E "PAT (in the frontend's|in|sent to Layer.ai outside the) .*${check}.*:[[:space:]]+no$" "$TEST_TMPDIR/demo.log" >/dev/null ||
    { echo "FAIL: the '$check' PAT check did not answer no"; exit 1; }
done
after=$( (ls -d /tmp/lvdemo-* 2>/dev/null || true) | wc -l)
[ "$after" -le "$before" ] || { echo "FAIL: the demo left a temporary directory"; exit 1; }
echo "PASS: demo"
