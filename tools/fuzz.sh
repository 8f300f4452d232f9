#!/usr/bin/env bash
# Builds a libFuzzer target (fuzz/<target>_fuzzer.cc) with clang-14, ASan and
# UBSan, outside Bazel, and runs it for a bounded time on a fresh copy of its
# seed corpus.
#
#   tools/fuzz.sh TARGET SECONDS     one target
#   tools/fuzz.sh all SECONDS        every target, one after the other
#   tools/fuzz.sh list               the target names
#   tools/fuzz.sh build TARGET|all   build only
#
# Output goes to fuzz/out/ (not committed): fuzz/out/<target>/fuzzer, its
# working corpus (corpus/, kept for inspection), crash inputs (crashes/) and
# the log (fuzz.log). Exits non-zero if a target crashed, timed out, ran out
# of memory or failed to build, after printing the input's path. Reproduce a
# crash with: fuzz/out/<target>/fuzzer <crash file>. A fixed crash input goes
# to fuzz/regressions/<target>/, which `bazel test //fuzz/...` replays.
#
# Environment: FUZZ_JOBS (parallel compile jobs, default 2), FUZZ_ARGS (extra
# libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT="$ROOT/fuzz/out"

CXX=${CXX_FUZZ:-clang++-14}
SANITIZERS=address,undefined
CXXFLAGS=(-std=c++17 -O1 -g -fno-omit-frame-pointer -I"$ROOT"
          -fsanitize=fuzzer-no-link,$SANITIZERS -fno-sanitize-recover=all
          -Wall -Wextra -Wno-unknown-warning-option)
# Warnings are fatal in fuzz/ only: project code is held to -Werror by its
# gcc build, and clang warns differently (e.g. about gcc-only pragmas).
FUZZ_WERROR=-Werror

# Project sources each target links besides fuzz/<target>_fuzzer.cc. Keep in
# step with the deps of the target's cc_test in fuzz/BUILD.bazel.
TOKEN_SRCS="fuzz/fixtures.cc vaultd/token/base64url.cc vaultd/token/claims.cc
  vaultd/token/keyring.cc vaultd/token/pae.cc vaultd/token/paseto.cc
  vaultd/token/token_service.cc vaultd/crypto/secret_bytes.cc
  vaultd/crypto/random.cc vaultd/crypto/ed25519.cc vaultd/crypto/hash.cc"
TARGETS=(paseto store json_schema redact policy registry jsonrpc mcp_server)
sources_of() {
  case "$1" in
    paseto) echo "$TOKEN_SRCS" ;;
    store) echo "$TOKEN_SRCS vaultd/crypto/aead.cc vaultd/store/format.cc
      vaultd/store/key_source.cc vaultd/store/permissions.cc
      vaultd/store/record.cc" ;;
    json_schema) echo "common/json_schema.cc common/json_parse.cc" ;;
    redact) echo "common/redact.cc common/json_parse.cc" ;;
    policy) echo "vaultd/policy/policy.cc vaultd/peer/peer_identity.cc
      vaultd/peer/exe_digest_cache.cc vaultd/peer/proc_parse.cc
      vaultd/store/permissions.cc" ;;
    registry) echo "vaultd/relay/registry.cc vaultd/relay/graphql_document.cc
      common/json_schema.cc common/json_parse.cc" ;;
    jsonrpc) echo "mcp_frontend/jsonrpc/message.cc
      mcp_frontend/jsonrpc/line_reader.cc mcp_frontend/jsonrpc/writer.cc
      common/redact.cc common/json_parse.cc" ;;
    mcp_server) echo "mcp_frontend/server/server.cc
      mcp_frontend/tool_registry/cancellation.cc
      mcp_frontend/tool_registry/log_level.cc mcp_frontend/tool_registry/tool.cc
      mcp_frontend/tool_registry/tool_registry.cc
      mcp_frontend/jsonrpc/message.cc mcp_frontend/jsonrpc/line_reader.cc
      mcp_frontend/jsonrpc/writer.cc common/redact.cc common/json_parse.cc
      common/json_schema.cc" ;;
    *) return 1 ;;
  esac
}
# Largest input libFuzzer generates, per target (bytes).
max_len_of() {
  case "$1" in
    paseto) echo 16384 ;;
    store) echo 8192 ;;
    policy) echo 16384 ;;
    *) echo 8192 ;;
  esac
}

# System libraries: Abseil's list comes from the Bazel wrapper target, so
# the two builds link the same set.
ABSL_LIBS=$(sed -n '/^ABSL_LIBS = \[/,/^\]/p' third_party/system/BUILD.bazel |
  grep -o '"[a-z0-9_]*"' | tr -d '"' | sed 's/^/-labsl_/' | tr '\n' ' ')
# shellcheck disable=SC2206
LDLIBS=($ABSL_LIBS -lcrypto -lrt -pthread)

die() { echo "fuzz.sh: $*" >&2; exit 2; }

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Compiles through a generated Makefile so that unchanged objects (shared by
# targets) are reused and header changes are tracked (-MMD).
build() {
  local target=$1 srcs
  srcs=$(sources_of "$target") || die "unknown target '$target' (try: list)"
  local dir="$OUT/$target"
  mkdir -p "$dir" "$OUT/obj"
  local mk="$dir/Makefile" objs=() src obj
  # Objects depend on the flags they were built with.
  local flags="$OUT/obj/flags"
  if [ "$(cat "$flags" 2>/dev/null)" != "$CXX ${CXXFLAGS[*]}" ]; then
    echo "$CXX ${CXXFLAGS[*]}" > "$flags"
  fi
  {
    echo "CXX := $CXX"
    echo "CXXFLAGS := ${CXXFLAGS[*]}"
    for src in fuzz/${target}_fuzzer.cc $srcs; do
      obj="$OUT/obj/${src%.cc}.o"
      objs+=("$obj")
      local werror=""
      [[ "$src" == fuzz/* ]] && werror=$FUZZ_WERROR
      echo "$obj: $ROOT/$src $flags"
      printf '\t@mkdir -p $(@D)\n\t@echo "  CXX $<"\n'
      printf '\t@$(CXX) $(CXXFLAGS) %s -MMD -MP -c $< -o $@\n' "$werror"
      echo "-include ${obj%.o}.d"
    done
    echo "$dir/fuzzer: ${objs[*]}"
    printf '\t@echo "  LINK $@"\n'
    printf '\t@$(CXX) $(CXXFLAGS) -fsanitize=fuzzer -o $@ $^ %s\n' \
      "${LDLIBS[*]}"
  } > "$mk"
  if ! make -s --no-print-directory -j"${FUZZ_JOBS:-2}" -f "$mk" "$dir/fuzzer"; then
    echo "fuzz.sh: $target: build failed" >&2
    return 1
  fi
}

# Runs one built target; prints a summary line; returns non-zero on a crash.
run() {
  local target=$1 seconds=$2
  local dir="$OUT/$target"
  rm -rf "$dir/corpus" "$dir/crashes"
  mkdir -p "$dir/corpus" "$dir/crashes"
  cp -r "fuzz/corpus/$target/." "$dir/corpus/"
  local args=(-max_total_time="$seconds" -max_len="$(max_len_of "$target")"
              -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$dir/crashes/")
  echo "== $target: ${seconds}s"
  local rc=0
  # shellcheck disable=SC2086
  "$dir/fuzzer" "${args[@]}" ${FUZZ_ARGS:-} "$dir/corpus" \
    > "$dir/fuzz.log" 2>&1 || rc=$?
  local cov execs runs
  # The last status line: "#N <event> cov: C ft: F corp: K/Sb ...".
  cov=$(grep -E '^#[0-9]+.* cov: ' "$dir/fuzz.log" | tail -1 |
    sed -E 's/^#[0-9]+[[:space:]]+[A-Z]+[[:space:]]+(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1/' || true)
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz.log")
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log")
  local crash
  crash=$(find "$dir/crashes" -type f | head -1)
  if [ "$rc" -ne 0 ] || [ -n "$crash" ]; then
    grep -E 'ERROR|SUMMARY|property violated|==[0-9]+==' "$dir/fuzz.log" |
      head -20 >&2 || true
    echo "$target: FAILED (exit $rc); log: $dir/fuzz.log" >&2
    [ -n "$crash" ] && echo "$target: crash input: $crash" >&2
    return 1
  fi
  echo "$target: OK ${runs:-?} runs, ${execs:-?} exec/s, ${cov:-no coverage line}"
}

[ $# -ge 1 ] || usage
case "$1" in
  list) printf '%s\n' "${TARGETS[@]}"; exit 0 ;;
  build)
    [ $# -eq 2 ] || usage
    if [ "$2" = all ]; then
      for t in "${TARGETS[@]}"; do build "$t"; done
    else
      build "$2"
    fi
    exit 0 ;;
esac
[ $# -eq 2 ] || usage
[[ "$2" =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a positive integer"
command -v "$CXX" > /dev/null || die "$CXX not found (apt-get install clang-14 libfuzzer-14-dev)"

if [ "$1" = all ]; then
  failed=()
  for t in "${TARGETS[@]}"; do
    if ! build "$t" || ! run "$t" "$2"; then failed+=("$t"); fi
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: failed: ${failed[*]}" >&2
    exit 1
  fi
  echo "fuzz.sh: all ${#TARGETS[@]} targets OK"
else
  build "$1"
  run "$1" "$2"
fi
