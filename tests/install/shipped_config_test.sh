#!/bin/sh
# The shipped config and policy work with the real binaries: vaultd starts
# with vaultd/systemd/config.json and the policy template (gid filled in) on
# a store created the way docs/DEPLOYMENT.md says (systemd-credential key
# source, key given to vaultctl with --credentials-directory), and answers
# vaultctl status. vaultctl doctor accepts the .gitignore template and finds
# no token in the MCP host snippets. Negative controls show each check can
# fail.
set -u
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
pass() { echo "ok: $*"; }

vaultd=$PWD/vaultd/vaultd
vaultctl=$PWD/client/vaultctl
sysd=$PWD/vaultd/systemd
examples=$PWD/examples
if [ ! -x "$vaultd" ] || [ ! -x "$vaultctl" ]; then fail "binaries missing from runfiles"; fi

# Short paths: Unix socket paths are limited to 108 bytes.
t=$(mktemp -d /tmp/lvsc.XXXXXX) || fail mktemp
vaultd_pid=
cleanup() {
  [ -n "$vaultd_pid" ] && kill "$vaultd_pid" 2>/dev/null && wait "$vaultd_pid" 2>/dev/null
  rm -rf "$t"
}
trap cleanup EXIT
umask 077

sed 's/@VAULTD_CLIENTS_GID@/4242/' "$sysd/policy.json.in" >"$t/policy.json"
chmod 0644 "$t/policy.json"

# run_vaultd CONFIG POLICY STATE [ENV...]: vaultd with the shipped config
# file, paths overridden for the test; stderr in $t/err.
run_vaultd_fg() {
  env CREDENTIALS_DIRECTORY="$t/creds" "$vaultd" --config "$1" --policy_file "$2" \
    --state_dir "$3" --audit_log "$t/audit.jsonl" \
    --workload_socket "$t/w/workload.sock" --admin_socket "$t/a/admin.sock" \
    2>"$t/err"
}

# --- the config and policy parse (vaultd gets as far as the store) ------------------
run_vaultd_fg "$sysd/config.json" "$t/policy.json" "$t/nostore"
rc=$?
if [ "$rc" != 1 ] || ! grep -q "cannot open the store in $t/nostore" "$t/err"; then
  cat "$t/err" >&2
  fail "vaultd did not accept the shipped config and policy (exit $rc)"
fi
pass "vaultd accepts config.json and policy.json.in (stops at the missing store)"

# Negative controls: a bad config key, a bad policy.
sed 's/"audit_stderr"/"audit_stdrr"/' "$sysd/config.json" >"$t/bad-config.json"
run_vaultd_fg "$t/bad-config.json" "$t/policy.json" "$t/nostore"
rc=$?
if [ "$rc" != 2 ] || ! grep -q 'unknown key' "$t/err"; then
  fail "a config with an unknown key was accepted (exit $rc)"
fi
sed 's/layer:read/layer:admin/' "$t/policy.json" >"$t/bad-policy.json"
chmod 0644 "$t/bad-policy.json"
run_vaultd_fg "$sysd/config.json" "$t/bad-policy.json" "$t/nostore"
grep -q 'cannot load the policy' "$t/err" || fail "a policy with an unknown scope was accepted"
pass "negative controls: bad config key, bad policy scope"

# --- a store made as DEPLOYMENT.md says, and vaultd serving it --------------------------
mkdir -m 0700 "$t/creds"
head -c 32 /dev/urandom >"$t/creds/vaultd-store-key"
"$vaultctl" init --state-dir "$t/state" \
  --key-source systemd-credential:vaultd-store-key \
  --credentials-directory "$t/creds" >"$t/out" 2>&1 || {
  cat "$t/out" >&2
  fail "vaultctl init with --credentials-directory"
}
env CREDENTIALS_DIRECTORY="$t/creds" "$vaultd" --config "$sysd/config.json" \
  --operations_dir "$PWD/vaultd/relay/operations" \
  --policy_file "$t/policy.json" --state_dir "$t/state" \
  --audit_log "$t/audit.jsonl" --workload_socket "$t/w/workload.sock" \
  --admin_socket "$t/a/admin.sock" 2>"$t/err" &
vaultd_pid=$!
i=0
until [ -S "$t/a/admin.sock" ] || [ $i -ge 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
[ -S "$t/a/admin.sock" ] || {
  cat "$t/err" >&2
  fail "vaultd did not start with the shipped config"
}
"$vaultctl" status --admin-socket "$t/a/admin.sock" >"$t/out" 2>&1 || {
  cat "$t/out" "$t/err" >&2
  fail "vaultctl status"
}
grep -q 'unsealed' "$t/out" || fail "vaultd is not unsealed: $(cat "$t/out")"
grep -q 'systemd-credential' "$t/out" || fail "key source: $(cat "$t/out")"
kill "$vaultd_pid"
wait "$vaultd_pid"
rc=$?
vaultd_pid=
[ "$rc" = 0 ] || fail "vaultd exited $rc on SIGTERM"
pass "vaultd serves a systemd-credential store with the shipped config; status: unsealed"

# --- the examples under vaultctl doctor ----------------------------------------------
p=$t/project
mkdir -p "$p/.vscode" "$p/.cursor"
cp "$examples/gitignore-for-game-projects" "$p/.gitignore"
cp "$examples/mcp-hosts/claude-code.mcp.json" "$p/.mcp.json"
cp "$examples/mcp-hosts/vscode.mcp.json" "$p/.vscode/mcp.json"
cp "$examples/mcp-hosts/cursor.mcp.json" "$p/.cursor/mcp.json"
cp "$examples/mcp-hosts/claude_desktop_config.json" "$p/claude_desktop_config.json"
verdict() { # CHECK: the verdict (PASS, WARN, FAIL) doctor gives CHECK on $p
  "$vaultctl" doctor --project "$p" --state-dir "$t/state" \
    --credentials-directory "$t/creds" 2>/dev/null |
    sed -n "s/^\([A-Z]*\)  $1: .*/\1/p"
}
g=$(verdict project-gitignore)
[ "$g" = PASS ] || fail "doctor project-gitignore on the template: '$g'"
tok=$(verdict project-plaintext-tokens)
[ "$tok" = PASS ] || fail "doctor project-plaintext-tokens on the MCP snippets: '$tok'"
# Negative control: a token in a .env and a .gitignore without the template.
printf 'LAYER_API_TOKEN=pat_%s\n' 0123456789abcdefghijABCDEFGHIJ0123 >"$p/.env"
: >"$p/.gitignore"
[ "$(verdict project-plaintext-tokens)" = FAIL ] || fail "doctor missed a token in .env"
[ "$(verdict project-gitignore)" = WARN ] || fail "doctor accepted an empty .gitignore"
pass "vaultctl doctor: the .gitignore template covers what it checks; the MCP snippets hold no token"

echo PASS
