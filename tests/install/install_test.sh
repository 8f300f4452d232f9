#!/bin/sh
# tools/install.sh into temporary DESTDIRs with stand-in binaries (the real
# build is not needed): the installed tree and its modes, the prefix
# rewriting, /etc files never overwritten, reinstalling, and --uninstall
# removing exactly what was installed.
set -u
# shellcheck source=tests/install/lib.sh
. tests/install/lib.sh

src=$PWD
# A symlink to tools/install.sh (see BUILD.bazel); installs from the runfiles.
install_sh=$src/tests/install/install.sh
work=$(new_tmp)

mkdir "$work/bin"
for b in vaultd vaultctl mcp_frontend; do
  printf '#!/bin/sh\necho stand-in %s\n' "$b" >"$work/bin/$b"
  chmod 0755 "$work/bin/$b"
done

# run_install ARGS...: runs install.sh, output in $work/log; fails the test
# if it fails.
run_install() {
    "$install_sh" --source-dir "$src" "$@" >"$work/log" 2>&1 || {
    cat "$work/log" >&2
    fail "install.sh $* exited $?"
  }
}

# Files under D, relative, sorted (the manifest excluded).
tree_of() { (cd "$1" && find . -mindepth 1 \( -type f -o -type l \) | sed 's#^\./#/#' | sort); }

expect_empty() {
  left=$(cd "$1" && find . -mindepth 1)
  [ -z "$left" ] || fail "$2: left behind: $left"
}

ops_files() {
  echo "$1/share/vaultd/operations/graphql_operations.json"
  echo "$1/share/vaultd/operations/rest_operations.json"
  for g in "$src"/vaultd/relay/operations/graphql/*.graphql; do
    echo "$1/share/vaultd/operations/graphql/$(basename "$g")"
  done
}

docs_files() {
  d=$1/share/doc/layer-vault
  # Optional for install.sh: expected when the source tree has them.
  for f in SECURITY.md docs/DEPLOYMENT.md docs/MIGRATION.md \
    vaultd/policy/POLICY.md vaultd/store/FORMAT.md; do
    if [ -f "$src/$f" ]; then echo "$d/$(basename "$f")"; fi
  done
  for f in examples/config.json examples/policy.json.in \
    examples/gitignore-for-game-projects examples/mcp-hosts/README.md \
    examples/mcp-hosts/claude-code.mcp.json \
    examples/mcp-hosts/claude_desktop_config.json \
    examples/mcp-hosts/cursor.mcp.json examples/mcp-hosts/vscode.mcp.json; do
    echo "$d/$f"
  done
}

# --- A: default prefix, every binary, a known group ---------------------------------
D=$work/a
run_install --destdir "$D" --vaultd "$work/bin/vaultd" --vaultctl "$work/bin/vaultctl" --mcp-frontend "$work/bin/mcp_frontend" --clients-gid 4242
P=/usr/local
{
  echo "$P/bin/mcp_frontend"
  echo "$P/bin/vaultctl"
  echo "$P/bin/vaultd"
  echo "$P/lib/systemd/system/vaultd-admin.socket"
  echo "$P/lib/systemd/system/vaultd.service"
  echo "$P/lib/systemd/system/vaultd.socket"
  echo "$P/lib/sysusers.d/vaultd.conf"
  echo "$P/lib/tmpfiles.d/vaultd.conf"
  echo "$P/share/vaultd/install-manifest"
  ops_files "$P"
  docs_files "$P"
  echo /etc/vaultd/config.json
  echo /etc/vaultd/policy.json
} | sort >"$work/want"
tree_of "$D" >"$work/got"
diff -u "$work/want" "$work/got" || fail "A: the installed tree differs (- wanted, + got)"
pass "A: installed tree ($(wc -l <"$work/got") files)"

# Modes: programs 0755, everything else 0644, directories 0755.
bad_modes=$(cd "$D" && find . -mindepth 1 \( \
  \( -type d ! -perm 0755 \) -o \
  \( -type f -path './usr/local/bin/*' ! -perm 0755 \) -o \
  \( -type f ! -path './usr/local/bin/*' ! -perm 0644 \) \) -printf '%m %p\n')
[ -z "$bad_modes" ] || fail "A: wrong modes: $bad_modes"
pass "A: modes (programs 0755, files 0644, directories 0755)"

for b in vaultd vaultctl mcp_frontend; do
  cmp -s "$work/bin/$b" "$D$P/bin/$b" || fail "A: $P/bin/$b is not the given binary"
done
for u in vaultd.service vaultd.socket vaultd-admin.socket; do
  cmp -s "$src/vaultd/systemd/$u" "$D$P/lib/systemd/system/$u" ||
    fail "A: $u differs from vaultd/systemd/$u (nothing to rewrite for /usr/local)"
done
for f in rest_operations.json graphql_operations.json; do
  cmp -s "$src/vaultd/relay/operations/$f" "$D$P/share/vaultd/operations/$f" ||
    fail "A: operation registry file $f differs"
done
for g in "$src"/vaultd/relay/operations/graphql/*.graphql; do
  cmp -s "$g" "$D$P/share/vaultd/operations/graphql/$(basename "$g")" ||
    fail "A: $(basename "$g") differs"
done
cmp -s "$src/vaultd/systemd/config.json" "$D/etc/vaultd/config.json" ||
  fail "A: /etc/vaultd/config.json differs from vaultd/systemd/config.json"
grep -q '"gids": \[4242\]' "$D/etc/vaultd/policy.json" || fail "A: policy.json lacks gid 4242"
if grep -q '@' "$D/etc/vaultd/policy.json"; then fail "A: policy.json has a placeholder left"; fi
grep -qx 'ExecStart=/usr/local/bin/vaultd --config /etc/vaultd/config.json' \
  "$D$P/lib/systemd/system/vaultd.service" || fail "A: ExecStart"
pass "A: contents (binaries, units, registry, config, policy with the group's gid)"

out=$(verify_units "$D$P/lib/systemd/system") || fail "A: installed units do not verify: $out"
score=$(exposure_score "$D$P/lib/systemd/system/vaultd.service") || fail "A: no exposure score"
score_ok "$score" || fail "A: installed vaultd.service scores $score > $MAX_EXPOSURE"
pass "A: installed units verify; exposure score $score"

# No token in any shipped example; no token variable or env block in the
# MCP host snippets.
ex=$D$P/share/doc/layer-vault/examples
if grep -rlE 'pat_[A-Za-z0-9_-]{8,}' "$ex"; then fail "A: an example carries a token"; fi
if grep -lE 'LAYER_API_TOKEN|LAYER_WORKSPACE_ID|"env"' "$ex"/mcp-hosts/*.json; then
  fail "A: an MCP host snippet carries a token variable or an env block"
fi
grep -q 'next steps\|Next steps' "$work/log" || fail "A: no next steps printed"
pass "A: examples carry no token; next steps printed"

run_install --destdir "$D" --uninstall
expect_empty "$D" "A: uninstall"
pass "A: --uninstall leaves nothing"

# --- B: another prefix, no mcp_frontend, group unknown --------------------------------
D=$work/b
P=/opt/layer-vault
run_install --destdir "$D" --prefix "$P/" --vaultd "$work/bin/vaultd" --vaultctl "$work/bin/vaultctl"
[ -f "$D/etc/systemd/system/vaultd.service" ] || fail "B: units not in /etc/systemd/system"
[ -f "$D/etc/sysusers.d/vaultd.conf" ] || fail "B: sysusers.d not in /etc"
[ -f "$D/etc/tmpfiles.d/vaultd.conf" ] || fail "B: tmpfiles.d not in /etc"
[ ! -e "$D$P/bin/mcp_frontend" ] || fail "B: mcp_frontend installed although not given or built"
grep -q 'skipped.*mcp_frontend' "$work/log" || fail "B: no note about mcp_frontend"
[ ! -e "$D/etc/vaultd/policy.json" ] || fail "B: policy.json installed without a gid"
grep -q 'VAULTD_CLIENTS_GID' "$work/log" || fail "B: no instructions for the policy"
grep -qx "ExecStart=$P/bin/vaultd --config /etc/vaultd/config.json" \
  "$D/etc/systemd/system/vaultd.service" || fail "B: ExecStart not rewritten"
if grep -rq '/usr/local' "$D/etc/systemd/system" "$D/etc/vaultd" "$D$P/share/doc/layer-vault/examples"; then
  fail "B: /usr/local left in: $(grep -rl /usr/local "$D/etc" "$D$P/share/doc/layer-vault/examples")"
fi
grep -q "\"operations_dir\": \"$P/share/vaultd/operations\"" "$D/etc/vaultd/config.json" ||
  fail "B: operations_dir not rewritten"
grep -q "\"$P/bin/mcp_frontend\"" "$D$P/share/doc/layer-vault/examples/mcp-hosts/vscode.mcp.json" ||
  fail "B: MCP host snippet not rewritten"
out=$(verify_units "$D/etc/systemd/system") || fail "B: installed units do not verify: $out"
run_install --destdir "$D" --prefix "$P" --uninstall
expect_empty "$D" "B: uninstall"
pass "B: prefix $P: units in /etc, paths rewritten, optional parts skipped, uninstall leaves nothing"

# --- C: an existing /etc config is never overwritten, nor removed -------------------
D=$work/c
mkdir -p "$D/etc/vaultd"
echo '{"state_dir": "/srv/vaultd"}' >"$D/etc/vaultd/config.json"
chmod 0640 "$D/etc/vaultd/config.json"
before=$(cat "$D/etc/vaultd/config.json")
run_install --destdir "$D" --vaultd "$work/bin/vaultd" --vaultctl "$work/bin/vaultctl" --clients-gid 4242
[ "$(cat "$D/etc/vaultd/config.json")" = "$before" ] || fail "C: config.json overwritten"
[ "$(stat -c %a "$D/etc/vaultd/config.json")" = 640 ] || fail "C: config.json mode changed"
grep -q 'kept.*/etc/vaultd/config.json' "$work/log" || fail "C: no 'kept' note"
[ -f "$D/etc/vaultd/policy.json" ] || fail "C: policy.json not installed"
run_install --destdir "$D" --uninstall
[ "$(tree_of "$D")" = /etc/vaultd/config.json ] ||
  fail "C: after uninstall, want only /etc/vaultd/config.json, got: $(tree_of "$D")"
[ "$(cat "$D/etc/vaultd/config.json")" = "$before" ] || fail "C: config.json changed by uninstall"
pass "C: a pre-existing config.json is kept by install and by uninstall"

# --- D: installing twice, then one uninstall ---------------------------------------
D=$work/d
run_install --destdir "$D" --vaultd "$work/bin/vaultd" --vaultctl "$work/bin/vaultctl" --clients-gid 4242
run_install --destdir "$D" --vaultd "$work/bin/vaultd" --vaultctl "$work/bin/vaultctl" --mcp-frontend "$work/bin/mcp_frontend" --clients-gid 5555
grep -q 'kept.*/etc/vaultd/policy.json' "$work/log" || fail "D: policy.json replaced on reinstall"
grep -q '"gids": \[4242\]' "$D/etc/vaultd/policy.json" || fail "D: policy.json changed on reinstall"
run_install --destdir "$D" --uninstall
expect_empty "$D" "D: uninstall after two installs"
pass "D: reinstall keeps /etc files; one uninstall removes both installs"

# --- E: a file changed after install is kept ----------------------------------------
D=$work/e
run_install --destdir "$D" --vaultd "$work/bin/vaultd" --vaultctl "$work/bin/vaultctl" --clients-gid 4242
sed -i 's/"burst": 20/"burst": 30/' "$D/etc/vaultd/policy.json"
run_install --destdir "$D" --uninstall
grep -q 'kept.*/etc/vaultd/policy.json (changed' "$work/log" || fail "E: no 'kept (changed)' note"
[ "$(tree_of "$D")" = /etc/vaultd/policy.json ] ||
  fail "E: after uninstall, want only the edited policy, got: $(tree_of "$D")"
pass "E: an edited policy.json survives uninstall"

# --- F: usage errors ------------------------------------------------------------------
D=$work/f
if "$install_sh" --source-dir "$src" --destdir "$D" --vaultd "$work/nope" --vaultctl "$work/bin/vaultctl" >"$work/log" 2>&1; then
  fail "F: accepted a missing vaultd binary"
fi
grep -q 'bazel build' "$work/log" || fail "F: no build hint for a missing binary"
if "$install_sh" --source-dir "$src" --destdir "$D" --prefix relative --vaultd "$work/bin/vaultd" --vaultctl "$work/bin/vaultctl" >"$work/log" 2>&1; then
  fail "F: accepted a relative prefix"
fi
if "$install_sh" --source-dir "$src" --destdir "$D" --uninstall >"$work/log" 2>&1; then
  fail "F: uninstall without a manifest succeeded"
fi
if "$install_sh" --bogus >"$work/log" 2>&1; then fail "F: accepted --bogus"; fi
"$install_sh" --help | grep -q -- '--uninstall' || fail "F: --help"
if [ -e "$D$P" ] || [ -e "$D/usr" ]; then fail "F: a failed run installed something"; fi
pass "F: usage errors"

echo PASS
