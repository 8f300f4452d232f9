# shellcheck shell=sh
# Shared helpers of the tests in tests/install (sourced; POSIX sh).

# The highest exposure score `systemd-analyze security` may give
# vaultd.service (0.0 best, 10.0 worst).
MAX_EXPOSURE=2.0

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pass() { echo "ok: $*"; }

# Every temporary directory of a test lives in one base directory, removed
# when the test exits, whether it passes or fails.
_lv_base=$(mktemp -d "${TEST_TMPDIR:-/tmp}/lvtest.XXXXXX") || fail "mktemp"
trap 'rm -rf "$_lv_base"' EXIT

# A fresh directory (removed on exit with the base).
new_tmp() {
  _t=$(mktemp -d "$_lv_base/t.XXXXXX") || fail "mktemp"
  echo "$_t"
}

# verify_units DIR: `systemd-analyze verify` on DIR's three units, with
# ExecStart= pointed at a stand-in executable (verify insists the program
# exists). Succeeds only if verify exits 0 and prints nothing: it reports
# unknown keys and bad values as warnings yet exits 0.
verify_units() {
  _dir=$1
  _work=$(new_tmp)
  printf '#!/bin/sh\nexit 0\n' >"$_work/vaultd-bin"
  chmod 755 "$_work/vaultd-bin"
  for _u in vaultd.service vaultd.socket vaultd-admin.socket; do
    [ -f "$_dir/$_u" ] || { echo "missing $_dir/$_u"; return 1; }
    sed "s#^ExecStart=[^ ]*#ExecStart=$_work/vaultd-bin#" "$_dir/$_u" >"$_work/$_u"
  done
  _out=$(cd / && systemd-analyze verify --man=no "$_work/vaultd.service" \
    "$_work/vaultd.socket" "$_work/vaultd-admin.socket" 2>&1)
  _rc=$?
  rm -rf "$_work"
  if [ "$_rc" != 0 ] || [ -n "$_out" ]; then
    echo "systemd-analyze verify (exit $_rc):"
    echo "$_out"
    return 1
  fi
  return 0
}

# exposure_score FILE: prints the overall exposure level that
# `systemd-analyze security --offline=yes` gives the unit file.
exposure_score() {
  case "$1" in /*) _unit=$1 ;; *) _unit=$PWD/$1 ;; esac
  _out=$(cd / && systemd-analyze security --offline=yes --no-pager "$_unit" 2>&1)
  _score=$(printf '%s\n' "$_out" |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p')
  if [ -z "$_score" ]; then
    echo "no exposure level in the output of systemd-analyze security:" >&2
    printf '%s\n' "$_out" >&2
    return 1
  fi
  echo "$_score"
}

# score_ok SCORE: true if SCORE <= MAX_EXPOSURE.
score_ok() {
  awk -v s="$1" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s + 0 <= m + 0) }'
}
