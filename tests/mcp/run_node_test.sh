#!/usr/bin/env bash
# Bazel sh_test wrapper: `node --test` on one test file (a runfiles path).
# The remaining arguments are NAME=PATH pairs, exported with PATH made
# absolute, for the test to find the binaries under test (node --test would
# take plain arguments as more test files). Node resolves require() from the
# file's real location, so tests/node_modules (`cd tests && npm ci`) is found
# through the runfiles symlink.
set -euo pipefail

node_bin="$(command -v node || true)"
[ -n "$node_bin" ] || node_bin=/usr/bin/node
if [ ! -x "$node_bin" ]; then
  echo "run_node_test: node not found (install Node.js >= 20)" >&2
  exit 1
fi
test_file="$1"
real_dir="$(dirname "$(readlink -f "$test_file")")"
if [ ! -d "$real_dir/../node_modules/@modelcontextprotocol/sdk" ]; then
  echo "run_node_test: tests/node_modules is missing: run tools/setup.sh (or: cd tests && npm ci)" >&2
  exit 1
fi
shift
for pair in "$@"; do
  export "${pair%%=*}=$(readlink -f "${pair#*=}")"
done
exec "$node_bin" --test --test-reporter=spec "$test_file"
