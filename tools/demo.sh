#!/usr/bin/env bash
# The README's main job: set-up (idempotent), then the end-to-end demo.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --no-build
bazel run //tools:demo
