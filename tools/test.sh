#!/usr/bin/env bash
# Runs every test: the normal build, then again under AddressSanitizer +
# UndefinedBehaviorSanitizer. Prints a summary line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

# Set-up is idempotent and quick when everything is installed.
tools/setup.sh --no-build || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
run() {
  local label="$1"; shift
  local log
  log=$(mktemp)
  echo "== bazel test $* ($label)"
  bazel test "$@" 2>&1 | tee "$log" | grep -E "^//|Executed|FAILED|ERROR" || true
  local p f
  p=$(grep -cE "^//.* (PASSED|CACHED)" "$log" || true)
  f=$(grep -cE "^//.* (FAILED|TIMEOUT|NO STATUS|INCOMPLETE)" "$log" || true)
  if grep -qE "^ERROR:|FAILED: Build did NOT complete" "$log" && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  rm -f "$log"
}

# The first run also builds every non-test target (tools, benchmarks); the
# sanitizer run builds only what the tests need.
run default //...
run asan --config=asan --build_tests_only //...

echo
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
