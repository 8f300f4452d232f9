#!/usr/bin/env bash
# `bazel run //tools/bench:frontend_bench`: runs frontend_bench.js with the
# binaries built by Bazel; node modules from tests/node_modules.
set -euo pipefail
runfiles="${RUNFILES_DIR:-$0.runfiles}/layer_vault"
runfiles="$(cd "$runfiles" && pwd)"
js="$(readlink -f "$runfiles/tools/bench/frontend/frontend_bench.js")"
repo="$(cd "$(dirname "$js")/../../.." && pwd)"
export VAULTD_BIN="$runfiles/vaultd/vaultd"
export VAULTCTL_BIN="$runfiles/client/vaultctl"
export MCP_FRONTEND_BIN="$runfiles/mcp_frontend/mcp_frontend"
export OPERATIONS_DIR="$runfiles/vaultd/relay/operations"
export FAKE_LAYER_JS="$(readlink -f "$runfiles/tests/fake_layer/server.js")"
export NODE_PATH="$repo/tests/node_modules"
exec "$(command -v node || echo /usr/bin/node)" "$js"
