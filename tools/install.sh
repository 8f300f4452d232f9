#!/bin/sh
# tools/install.sh: install layer-vault (vaultd, vaultctl, mcp_frontend, the
# systemd units, sysusers.d/tmpfiles.d files, the relay operation registry, an
# example config and policy, and the docs), or remove exactly what an earlier
# run installed.
#
#   tools/install.sh [--prefix P] [--destdir D] [options]
#   tools/install.sh --uninstall [--prefix P] [--destdir D]
#
# Run `tools/install.sh --help` for the options. Set-up after installing:
# docs/DEPLOYMENT.md.
#
# Every file and directory it creates is listed, with the file's SHA-256, in
# a manifest (P/share/vaultd/install-manifest). --uninstall removes those
# files that are unchanged, then the directories it created if they are
# empty. Files in /etc are never overwritten; an edited one is kept on
# uninstall. Users, groups, the store (/var/lib/vaultd), the audit log
# (/var/log/vaultd) and /etc/vaultd/store-key.cred are never touched: they
# are not created by this script.
set -eu

PROG=install.sh
usage() {
  cat <<'EOF'
usage: tools/install.sh [--prefix P] [--destdir D] [options]
       tools/install.sh --uninstall [--prefix P] [--destdir D]

  --prefix P          installation prefix (default /usr/local); binaries go
                      to P/bin, the operation registry to P/share/vaultd,
                      docs to P/share/doc/layer-vault
  --destdir D         stage everything under D (packaging, tests); nothing
                      on the running system is changed
  --uninstall         remove what an earlier install with the same --prefix
                      and --destdir installed (its manifest)
  --vaultd FILE       the vaultd binary (default: bazel-bin/vaultd/vaultd;
                      also $VAULTD_BIN)
  --vaultctl FILE     the vaultctl binary (default: bazel-bin/client/vaultctl;
                      also $VAULTCTL_BIN)
  --mcp-frontend FILE the mcp_frontend binary (default:
                      bazel-bin/mcp_frontend/mcp_frontend if it was built;
                      also $MCP_FRONTEND_BIN)
  --clients-gid GID   gid of the vaultd-clients group for the example policy
                      (default: looked up after creating the group, or in
                      D/etc/group)
  --no-system-setup   without --destdir: do not run systemd-sysusers,
                      systemd-tmpfiles and systemctl daemon-reload
  --source-dir DIR    the layer-vault source tree to install from (default:
                      the checkout this script is in)
  -h, --help          this help

Unit files go to P/lib/systemd/system (sysusers.d, tmpfiles.d likewise) when
P is /usr or /usr/local, where systemd looks for them; for any other prefix
they go to /etc/systemd/system, /etc/sysusers.d and /etc/tmpfiles.d.
Build first: bazel build //vaultd:vaultd //client:vaultctl
EOF
}

die() {
  echo "$PROG: $*" >&2
  exit 1
}
say() { echo "$*"; }

# --- arguments ---------------------------------------------------------------

prefix=/usr/local
destdir=
uninstall=0
system_setup=1
clients_gid=
vaultd_bin=${VAULTD_BIN:-}
vaultctl_bin=${VAULTCTL_BIN:-}
frontend_bin=${MCP_FRONTEND_BIN:-}
frontend_given=0
[ -n "$frontend_bin" ] && frontend_given=1
src=

need_arg() { [ "$#" -ge 2 ] || die "$1 needs a value (see --help)"; }
while [ "$#" -gt 0 ]; do
  case "$1" in
    --prefix) need_arg "$@"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --destdir) need_arg "$@"; destdir=$2; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    --uninstall) uninstall=1; shift ;;
    --vaultd) need_arg "$@"; vaultd_bin=$2; shift 2 ;;
    --vaultctl) need_arg "$@"; vaultctl_bin=$2; shift 2 ;;
    --mcp-frontend) need_arg "$@"; frontend_bin=$2; frontend_given=1; shift 2 ;;
    --clients-gid) need_arg "$@"; clients_gid=$2; shift 2 ;;
    --no-system-setup) system_setup=0; shift ;;
    --source-dir) need_arg "$@"; src=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

nl='
'
case "$prefix$destdir" in *"$nl"*) die "paths must not contain a newline" ;; esac
case "$prefix" in
  /*) ;;
  *) die "--prefix must be an absolute path, not '$prefix'" ;;
esac
prefix=$(printf '%s' "$prefix" | sed 's#/*$##')
[ -n "$prefix" ] || die "--prefix / is not supported (use /usr)"
if [ -n "$destdir" ]; then
  case "$destdir" in /*) ;; *) destdir=$(pwd)/$destdir ;; esac
  destdir=$(printf '%s' "$destdir" | sed 's#/*$##')
fi
if [ -n "$clients_gid" ]; then
  case "$clients_gid" in
    *[!0-9]*) die "--clients-gid must be a number" ;;
  esac
fi

# Where things go (target paths; $destdir is prepended when writing).
case "$prefix" in
  /usr|/usr/local)
    unitdir=$prefix/lib/systemd/system
    sysusersdir=$prefix/lib/sysusers.d
    tmpfilesdir=$prefix/lib/tmpfiles.d
    ;;
  *)
    unitdir=/etc/systemd/system
    sysusersdir=/etc/sysusers.d
    tmpfilesdir=/etc/tmpfiles.d
    ;;
esac
bindir=$prefix/bin
datadir=$prefix/share/vaultd
docdir=$prefix/share/doc/layer-vault
confdir=/etc/vaultd
manifest=$datadir/install-manifest

# The source tree: by default the checkout this script lives in
# (<root>/tools/install.sh).
if [ -z "$src" ]; then
  src=$(cd "$(dirname "$0")/.." && pwd)
else
  src=$(cd "$src" && pwd) || die "--source-dir: no directory $src"
fi

# --- manifest helpers ----------------------------------------------------------

# Manifest lines: "f <sha256> <path>" or "d - <path>" (target paths).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lv-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
: >"$tmp/new"

sha() { sha256sum "$1" | cut -d' ' -f1; }
record_file() { printf 'f %s %s\n' "$(sha "$destdir$1")" "$1" >>"$tmp/new"; }
record_dir() { printf 'd - %s\n' "$1" >>"$tmp/new"; }

# make_dir TARGET MODE: mkdir -p that records every directory it creates
# (positional parameters only: sh has no local variables).
make_dir() {
  [ -d "$destdir$1" ] && return 0
  if [ "$(dirname "$1")" != / ]; then
    make_dir "$(dirname "$1")" 0755
  fi
  mkdir -m "$2" "$destdir$1"
  record_dir "$1"
}

# install_file SRC TARGET MODE: copy (replacing an earlier copy).
install_file() {
  make_dir "$(dirname "$2")" 0755
  rm -f "$destdir$2.lv-new"
  cp "$1" "$destdir$2.lv-new"
  chmod "$3" "$destdir$2.lv-new"
  mv -f "$destdir$2.lv-new" "$destdir$2"
  record_file "$2"
  say "installed $2"
}

# Rewrites the default /usr/local paths of the shipped files for $prefix.
for_prefix() {
  if [ "$prefix" = /usr/local ]; then
    cat "$1"
  else
    sed -e "s#/usr/local/bin/#$prefix/bin/#g" \
      -e "s#/usr/local/share/#$prefix/share/#g" "$1"
  fi
}

# install_config SRC TARGET MODE: like install_file, but never replaces an
# existing file.
install_config() {
  if [ -e "$destdir$2" ] || [ -L "$destdir$2" ]; then
    say "kept     $2 (exists; not overwritten)"
    return 0
  fi
  install_file "$1" "$2" "$3"
}

# --- uninstall -------------------------------------------------------------------

if [ "$uninstall" = 1 ]; then
  [ -f "$destdir$manifest" ] ||
    die "no manifest at $destdir$manifest: nothing installed with --prefix $prefix${destdir:+ --destdir $destdir}"
  if [ -z "$destdir" ] && [ -d /run/systemd/system ] &&
    command -v systemctl >/dev/null 2>&1 &&
    grep -q " $unitdir/vaultd.service\$" "$destdir$manifest"; then
    say "stopping and disabling vaultd.service, vaultd.socket, vaultd-admin.socket"
    systemctl disable --now vaultd.service vaultd.socket vaultd-admin.socket ||
      say "warning: systemctl disable --now failed; continuing"
  fi
  cp "$destdir$manifest" "$tmp/manifest"
  kept=0
  while IFS= read -r line; do
    kind=${line%% *}
    rest=${line#* }
    sum=${rest%% *}
    path=${rest#* }
    [ "$kind" = f ] || continue
    if [ ! -e "$destdir$path" ] && [ ! -L "$destdir$path" ]; then
      say "gone     $path"
    elif [ -f "$destdir$path" ] && [ ! -L "$destdir$path" ] &&
      [ "$(sha "$destdir$path")" = "$sum" ]; then
      rm -f "$destdir$path"
      say "removed  $path"
    else
      say "kept     $path (changed since it was installed)"
      kept=$((kept + 1))
    fi
  done <"$tmp/manifest"
  rm -f "$destdir$manifest"
  # The directories it created, deepest first; only empty ones go.
  sed -n 's/^d - //p' "$tmp/manifest" |
    awk '{ n = gsub("/", "/"); print n "\t" $0 }' | sort -rn | cut -f2- |
    while IFS= read -r dir; do
      if rmdir "$destdir$dir" 2>/dev/null; then
        say "removed  $dir/"
      elif [ -d "$destdir$dir" ]; then
        say "kept     $dir/ (not empty)"
      fi
    done
  if [ -z "$destdir" ] && [ -d /run/systemd/system ] &&
    command -v systemctl >/dev/null 2>&1; then
    systemctl daemon-reload || true
  fi
  echo
  say "layer-vault is uninstalled${destdir:+ from $destdir}."
  [ "$kept" = 0 ] || say "$kept changed file(s) kept (listed above)."
  cat <<EOF
Not touched (never installed by this script): the vaultd and vaultd-clients
users and groups, /var/lib/vaultd (the encrypted store), /var/log/vaultd (the
audit log) and /etc/vaultd/store-key.cred. Remove them by hand if you mean
to; keep the key as long as you keep the store.
EOF
  exit 0
fi

# --- install ---------------------------------------------------------------------

[ -n "$vaultd_bin" ] || vaultd_bin=$src/bazel-bin/vaultd/vaultd
[ -n "$vaultctl_bin" ] || vaultctl_bin=$src/bazel-bin/client/vaultctl
if [ -z "$frontend_bin" ] && [ -x "$src/bazel-bin/mcp_frontend/mcp_frontend" ]; then
  frontend_bin=$src/bazel-bin/mcp_frontend/mcp_frontend
fi
is_program() { [ -f "$1" ] && [ -x "$1" ]; }
for b in "$vaultd_bin" "$vaultctl_bin"; do
  if ! is_program "$b"; then
    die "$b is not an executable file: bazel build //vaultd:vaultd //client:vaultctl (or pass --vaultd/--vaultctl)"
  fi
done
if [ "$frontend_given" = 1 ] && ! is_program "$frontend_bin"; then
  die "$frontend_bin is not an executable file"
fi
for f in vaultd/systemd/vaultd.service vaultd/systemd/vaultd.socket \
  vaultd/systemd/vaultd-admin.socket vaultd/systemd/sysusers.d/vaultd.conf \
  vaultd/systemd/tmpfiles.d/vaultd.conf vaultd/systemd/config.json \
  vaultd/systemd/policy.json.in vaultd/relay/operations/rest_operations.json \
  vaultd/relay/operations/graphql_operations.json; do
  [ -f "$src/$f" ] || die "missing source file $src/$f"
done
if [ -n "$destdir" ]; then
  mkdir -p "$destdir"
fi

# Entries of an earlier install stay in the manifest (e.g. a config file it
# created that is now kept), unless reinstalled below.
old_manifest=$tmp/old
if [ -f "$destdir$manifest" ]; then
  cp "$destdir$manifest" "$old_manifest"
else
  : >"$old_manifest"
fi

# Binaries.
install_file "$vaultd_bin" "$bindir/vaultd" 0755
install_file "$vaultctl_bin" "$bindir/vaultctl" 0755
if [ -n "$frontend_bin" ]; then
  install_file "$frontend_bin" "$bindir/mcp_frontend" 0755
else
  say "skipped  $bindir/mcp_frontend (not built: bazel build //mcp_frontend)"
fi

# systemd units, users, directories.
for u in vaultd.service vaultd.socket vaultd-admin.socket; do
  for_prefix "$src/vaultd/systemd/$u" >"$tmp/$u"
  install_file "$tmp/$u" "$unitdir/$u" 0644
done
install_file "$src/vaultd/systemd/sysusers.d/vaultd.conf" "$sysusersdir/vaultd.conf" 0644
install_file "$src/vaultd/systemd/tmpfiles.d/vaultd.conf" "$tmpfilesdir/vaultd.conf" 0644

# The relay's operation registry (what vaultd may ask Layer.ai).
install_file "$src/vaultd/relay/operations/rest_operations.json" \
  "$datadir/operations/rest_operations.json" 0644
install_file "$src/vaultd/relay/operations/graphql_operations.json" \
  "$datadir/operations/graphql_operations.json" 0644
for g in "$src"/vaultd/relay/operations/graphql/*.graphql; do
  [ -f "$g" ] || continue
  install_file "$g" "$datadir/operations/graphql/$(basename "$g")" 0644
done

# Docs and examples (optional in a partial source tree).
for d in SECURITY.md docs/DEPLOYMENT.md docs/MIGRATION.md \
  vaultd/policy/POLICY.md vaultd/store/FORMAT.md; do
  if [ -f "$src/$d" ]; then install_file "$src/$d" "$docdir/$(basename "$d")" 0644; fi
done
for_prefix "$src/vaultd/systemd/config.json" >"$tmp/config.json"
install_file "$tmp/config.json" "$docdir/examples/config.json" 0644
install_file "$src/vaultd/systemd/policy.json.in" "$docdir/examples/policy.json.in" 0644
for e in "$src"/examples/mcp-hosts/* "$src"/examples/gitignore-for-game-projects; do
  [ -f "$e" ] || continue
  for_prefix "$e" >"$tmp/example"
  case "$e" in
    */mcp-hosts/*) install_file "$tmp/example" "$docdir/examples/mcp-hosts/$(basename "$e")" 0644 ;;
    *) install_file "$tmp/example" "$docdir/examples/$(basename "$e")" 0644 ;;
  esac
done

# On the running system: the users and directories, so that the policy can
# name the group and vaultctl init can run as vaultd.
if [ -z "$destdir" ] && [ "$system_setup" = 1 ]; then
  [ "$(id -u)" = 0 ] || die "installing into / needs root (or use --destdir)"
  say "running  systemd-sysusers $sysusersdir/vaultd.conf"
  systemd-sysusers "$sysusersdir/vaultd.conf"
  say "running  systemd-tmpfiles --create $tmpfilesdir/vaultd.conf"
  systemd-tmpfiles --create "$tmpfilesdir/vaultd.conf"
fi

# /etc/vaultd: config and policy, never overwritten.
make_dir "$confdir" 0755
install_config "$tmp/config.json" "$confdir/config.json" 0644
if [ -z "$clients_gid" ]; then
  if [ -z "$destdir" ]; then
    clients_gid=$(getent group vaultd-clients 2>/dev/null | cut -d: -f3) || true
  elif [ -f "$destdir/etc/group" ]; then
    clients_gid=$(awk -F: '$1 == "vaultd-clients" { print $3 }' "$destdir/etc/group")
  fi
fi
policy_note=
if [ -n "$clients_gid" ]; then
  sed "s/@VAULTD_CLIENTS_GID@/$clients_gid/" "$src/vaultd/systemd/policy.json.in" >"$tmp/policy.json"
  install_config "$tmp/policy.json" "$confdir/policy.json" 0644
elif [ ! -e "$destdir$confdir/policy.json" ]; then
  policy_note=1
  say "skipped  $confdir/policy.json (the vaultd-clients group does not exist yet)"
fi

# The manifest: this run's entries, plus the earlier ones not redone.
cut -d' ' -f3- "$tmp/new" | sort -u >"$tmp/new-paths"
while IFS= read -r line; do
  path=${line#* }
  path=${path#* }
  grep -Fxq -- "$path" "$tmp/new-paths" || printf '%s\n' "$line" >>"$tmp/new"
done <"$old_manifest"
make_dir "$datadir" 0755
cp "$tmp/new" "$destdir$manifest.lv-new"
chmod 0644 "$destdir$manifest.lv-new"
mv -f "$destdir$manifest.lv-new" "$destdir$manifest"

if [ -z "$destdir" ] && [ "$system_setup" = 1 ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi

# --- next steps ----------------------------------------------------------------

vaultctl=$bindir/vaultctl
cat <<EOF

layer-vault is installed${destdir:+ under $destdir} (manifest: $manifest).
Next steps (details: $docdir/DEPLOYMENT.md):
EOF
if [ -n "$destdir" ]; then
  cat <<EOF
  0. on the target: systemd-sysusers $sysusersdir/vaultd.conf &&
     systemd-tmpfiles --create $tmpfilesdir/vaultd.conf && systemctl daemon-reload
EOF
fi
if [ -n "$policy_note" ]; then
  cat <<EOF
  0. write the policy once the group exists:
     sed "s/@VAULTD_CLIENTS_GID@/\$(getent group vaultd-clients | cut -d: -f3)/" \\
       $docdir/examples/policy.json.in > $confdir/policy.json
EOF
fi
cat <<EOF
  1. seal a store key (TPM2 and/or host key):
     head -c 32 /dev/urandom | systemd-creds encrypt --name=vaultd-store-key - $confdir/store-key.cred
  2. create the store as the vaultd user ("3. Create the store" in DEPLOYMENT.md):
     runuser -u vaultd -- $vaultctl init --key-source systemd-credential:vaultd-store-key \\
         --credentials-directory DIR-WITH-THE-DECRYPTED-KEY
  3. systemctl enable --now vaultd.socket vaultd-admin.socket vaultd.service
  4. $vaultctl set-token          (as root; vaultd checks the PAT with Layer.ai)
  5. usermod -aG vaultd-clients USER, and review $confdir/policy.json
  6. configure the MCP host: $docdir/examples/mcp-hosts/
  7. check: $vaultctl status; $vaultctl doctor --project YOUR-GAME-DIR
EOF
