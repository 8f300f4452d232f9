#!/usr/bin/env bash
# Bazel sh_test wrapper: runs `node --test` on the test files given as
# arguments (runfiles paths). Node resolves require() from each file's real
# location, so the packages installed by `cd tests && npm ci` are found
# through the runfiles symlinks.
set -euo pipefail

node_bin="$(command -v node || true)"
[ -n "$node_bin" ] || node_bin=/usr/bin/node
if [ ! -x "$node_bin" ]; then
  echo "run_node_tests: node not found (install Node.js >= 20)" >&2
  exit 1
fi
real_dir="$(dirname "$(readlink -f "$1")")"
if [ ! -d "$real_dir/../../node_modules/graphql" ]; then
  echo "run_node_tests: tests/node_modules is missing: run tools/setup.sh (or: cd tests && npm ci)" >&2
  exit 1
fi
exec "$node_bin" --test "$@"
