#!/usr/bin/env bash
# Installs everything layer-vault needs on Debian 12 and builds it.
# Idempotent: safe to run again. Reaches only Debian's repositories and the
# npm registry. Usage: tools/setup.sh [--no-build]
set -euo pipefail

cd "$(dirname "$0")/.."

PACKAGES=(
  bazel-bootstrap
  g++
  protobuf-compiler
  protobuf-compiler-grpc
  libgrpc++-dev
  libprotobuf-dev
  libabsl-dev
  nlohmann-json3-dev
  libgtest-dev
  libgmock-dev
  libssl-dev
  openssl
  libcurl4-openssl-dev
  libsystemd-dev
  systemd
  android-libboringssl-dev
  ca-certificates
  clang-14
  libfuzzer-14-dev
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm: use what the machine has (NodeSource's nodejs bundles npm
# and conflicts with Debian's npm package); otherwise install Debian's.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

# Test-only JavaScript: the fake Layer.ai, graphql-js, the MCP SDK client.
if [ -f tests/package-lock.json ]; then
  if [ ! -d tests/node_modules ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
    echo "setup: npm ci in tests/"
    (cd tests && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

if [ "${1:-}" != "--no-build" ]; then
  echo "setup: building"
  bazel build //...
fi
echo "setup: done"
