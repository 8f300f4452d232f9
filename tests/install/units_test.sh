#!/bin/sh
# The systemd units of vaultd: they verify cleanly, vaultd.service keeps an
# exposure score of at most 2.0 (systemd-analyze security --offline=yes), the
# deliberate hardening trade-offs stay as documented, and the sysusers.d and
# tmpfiles.d files create the users and directories with the right owners
# and modes. Negative controls prove each check can fail.
set -u
# shellcheck source=tests/install/lib.sh
. tests/install/lib.sh
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (apt-get install systemd)"

units=$PWD/vaultd/systemd
systemd-analyze --version | head -1

# --- verify -------------------------------------------------------------------
out=$(verify_units "$units") || fail "the shipped units do not verify: $out"
pass "systemd-analyze verify: vaultd.service vaultd.socket vaultd-admin.socket"

# Negative control: a typo is reported (as a warning with exit 0) and caught.
bad=$(new_tmp)
cp "$units"/vaultd.service "$units"/vaultd.socket "$units"/vaultd-admin.socket "$bad/"
sed -i 's/^SocketMode=0660/SocketMode=0660\nSockettMode=0660/' "$bad/vaultd.socket"
if verify_units "$bad" >/dev/null; then
  fail "verify_units accepted a unit with an unknown key"
fi
pass "negative control: an unknown key fails verification"

# --- exposure score -------------------------------------------------------------
score=$(exposure_score "$units/vaultd.service") || fail "cannot read the exposure score"
echo "exposure score of vaultd.service: $score (maximum $MAX_EXPOSURE)"
score_ok "$score" || {
  systemd-analyze security --offline=yes --no-pager "$units/vaultd.service" >&2
  fail "exposure score $score is above $MAX_EXPOSURE"
}
pass "exposure score $score <= $MAX_EXPOSURE"

# Negative control: without its hardening block the service scores far
# higher, and the same check rejects it.
sed '/^# Privileges and kernel access\./,/^\[Install\]/{/^\[Install\]/!d}' \
  "$units/vaultd.service" >"$bad/vaultd.service"
weak=$(exposure_score "$bad/vaultd.service") || fail "cannot score the weakened unit"
if score_ok "$weak"; then
  fail "a unit without hardening scored $weak, which the check accepts"
fi
pass "negative control: the unit without its hardening scores $weak and is rejected"
rm -rf "$bad"

# --- settings that must stay as they are ------------------------------------------
# (name=value lines of vaultd.service; see the comments in the unit for why)
svc=$units/vaultd.service
for want in \
  'Type=notify' 'User=vaultd' 'Group=vaultd' 'StateDirectory=vaultd' \
  'StateDirectoryMode=0700' 'UMask=0077' 'LimitCORE=0' 'LimitMEMLOCK=4M' \
  'WatchdogSec=30s' 'NoNewPrivileges=yes' 'CapabilityBoundingSet=' \
  'LoadCredentialEncrypted=vaultd-store-key:/etc/vaultd/store-key.cred' \
  'Sockets=vaultd.socket vaultd-admin.socket' \
  'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
  'SystemCallFilter=@system-service' 'SystemCallFilter=~@privileged @resources' \
  'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' \
  'MemoryDenyWriteExecute=yes' 'SystemCallArchitectures=native' \
  'ProtectProc=default' 'ProcSubset=all' 'PrivateUsers=no'; do
  grep -qxF -- "$want" "$svc" || fail "vaultd.service lacks the line '$want'"
done
# Attestation reads other users' /proc/<pid>: these would break it.
for forbidden in 'ProtectProc=invisible' 'ProtectProc=noaccess' \
  'ProtectProc=ptraceable' 'ProcSubset=pid' 'PrivateUsers=yes' \
  'DynamicUser=yes' 'PrivateNetwork=yes' 'RuntimeDirectory=vaultd'; do
  if grep -qxF -- "$forbidden" "$svc"; then
    fail "vaultd.service has '$forbidden' (see the comment at its top)"
  fi
done
if grep -q '^AmbientCapabilities=.' "$svc" || grep -q '^CapabilityBoundingSet=.' "$svc"; then
  fail "vaultd.service grants a capability"
fi
grep -qxF 'FileDescriptorName=workload' "$units/vaultd.socket" || fail "vaultd.socket: FileDescriptorName=workload"
grep -qxF 'SocketMode=0660' "$units/vaultd.socket" || fail "vaultd.socket: SocketMode=0660"
grep -qxF 'SocketGroup=vaultd-clients' "$units/vaultd.socket" || fail "vaultd.socket: SocketGroup=vaultd-clients"
grep -qxF 'FileDescriptorName=admin' "$units/vaultd-admin.socket" || fail "vaultd-admin.socket: FileDescriptorName=admin"
grep -qxF 'SocketMode=0600' "$units/vaultd-admin.socket" || fail "vaultd-admin.socket: SocketMode=0600"
grep -qxF 'Service=vaultd.service' "$units/vaultd-admin.socket" || fail "vaultd-admin.socket: Service=vaultd.service"
pass "required and forbidden settings"

# --- sysusers.d and tmpfiles.d, applied to an empty root ---------------------------
root=$(new_tmp)
mkdir -p "$root/etc"
systemd-sysusers --root="$root" "$units/sysusers.d/vaultd.conf" ||
  fail "systemd-sysusers rejected sysusers.d/vaultd.conf"
vaultd_uid=$(awk -F: '$1 == "vaultd" { print $3 }' "$root/etc/passwd")
vaultd_gid=$(awk -F: '$1 == "vaultd" { print $3 }' "$root/etc/group")
clients_gid=$(awk -F: '$1 == "vaultd-clients" { print $3 }' "$root/etc/group")
if [ -z "$vaultd_uid" ] || [ -z "$vaultd_gid" ] || [ -z "$clients_gid" ]; then
  fail "users/groups not created: $(cat "$root/etc/passwd" "$root/etc/group")"
fi
awk -F: '$1 == "vaultd" && $7 !~ /nologin|false/ { exit 1 }' "$root/etc/passwd" ||
  fail "the vaultd user has a login shell"
systemd-tmpfiles --root="$root" --create "$units/tmpfiles.d/vaultd.conf" ||
  fail "systemd-tmpfiles rejected tmpfiles.d/vaultd.conf"
check_dir() {
  got=$(stat -c '%a %u:%g' "$root$1") || fail "$1 was not created"
  [ "$got" = "$2" ] || fail "$1 is '$got', want '$2'"
}
check_dir /run/vaultd "750 0:$clients_gid"
check_dir /run/vaultd-admin "700 0:0"
check_dir /var/lib/vaultd "700 $vaultd_uid:$vaultd_gid"
check_dir /var/log/vaultd "700 $vaultd_uid:$vaultd_gid"
rm -rf "$root"
pass "sysusers.d and tmpfiles.d: users, groups, owners and modes"

echo "PASS"
