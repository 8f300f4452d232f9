#!/usr/bin/env bash
# `bazel run //tools:demo`: runs tools/e2e_demo/demo.js with the binaries built
# by Bazel (runfiles). Node modules come from tests/node_modules
# (tools/setup.sh runs `npm ci` there).
set -euo pipefail

runfiles="${RUNFILES_DIR:-$0.runfiles}/layer_vault"
[ -d "$runfiles" ] || runfiles="$PWD"
runfiles="$(cd "$runfiles" && pwd)"
demo_js="$(readlink -f "$runfiles/tools/e2e_demo/demo.js")"
repo="$(cd "$(dirname "$demo_js")/../.." && pwd)"
if [ ! -d "$repo/tests/node_modules/@modelcontextprotocol/sdk" ]; then
  echo "demo: tests/node_modules is missing: run tools/setup.sh first" >&2
  exit 1
fi
node_bin="$(command -v node || echo /usr/bin/node)"

export VAULTD_BIN="$runfiles/vaultd/vaultd"
export VAULTCTL_BIN="$runfiles/client/vaultctl"
export MCP_FRONTEND_BIN="$runfiles/mcp_frontend/mcp_frontend"
export OPERATIONS_DIR="$runfiles/vaultd/relay/operations"
export FAKE_LAYER_JS="$(readlink -f "$runfiles/tests/fake_layer/server.js")"
export NODE_PATH="$repo/tests/node_modules"
exec "$node_bin" "$demo_js"
