#!/usr/bin/env bash
# tools/bench/run.sh: builds the benchmarks, runs them one after the other
# and prints one table of the headline figures, in Markdown, beside the
# targets (docs/BENCHMARKS.md), then the machine it ran on.
#
#   tools/bench/run.sh [--logs DIR]
#
# Each benchmark prints its own full table (kept in DIR, default a fresh
# /tmp/lvbench-run.XXXXXX, whose path is printed) and its figures once more
# on "BENCH bench=<name> key=value ..." lines; the table here is built from
# those lines only. Build: the repository's default configuration, which
# already compiles with -O2 (.bazelrc) and is what tools/install.sh ships,
# so no second (-c opt) build of the tree is needed. About 1.5 minutes on 2
# cores once built. Exit status 1 if any benchmark failed (its figures then
# read "n/a").
set -euo pipefail
cd "$(dirname "$0")/../.."

logs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --logs) logs="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$logs" ]; then logs="$(mktemp -d /tmp/lvbench-run.XXXXXX)"; fi
mkdir -p "$logs"

targets=(//tools/bench:vaultd_bench //tools/bench:relay_bench
         //tools/bench:frontend_bench //vaultd/store:kdf_benchmark)
echo "== bazel build ${targets[*]}"
bazel build "${targets[@]}" 2>&1 | grep -E "^(ERROR|FAILED)|Build completed|up-to-date" || true
bin="$(bazel info bazel-bin 2>/dev/null)"
for t in tools/bench/vaultd_bench tools/bench/relay_bench \
         tools/bench/frontend_bench vaultd/store/kdf_benchmark; do
  [ -x "$bin/$t" ] || { echo "run.sh: $bin/$t was not built" >&2; exit 1; }
done
# The binaries find their runfiles beside themselves.
unset RUNFILES_DIR RUNFILES_MANIFEST_FILE TEST_SRCDIR

failed=0
run() {
  local name="$1"; shift
  local start=$SECONDS
  echo "== $name: $*"
  if ! "$@" >"$logs/$name.log" 2>&1; then
    echo "   FAILED (see $logs/$name.log)"
    failed=1
  fi
  echo "   $((SECONDS - start)) s, $(grep -c '^BENCH ' "$logs/$name.log" || true) BENCH lines"
}

run kdf "$bin/vaultd/store/kdf_benchmark" 7
run vaultd "$bin/tools/bench/vaultd_bench" --seconds=2 --clients=1,16 --starts=10
run relay "$bin/tools/bench/relay_bench" --requests=3000 --seconds=3
run frontend "$bin/tools/bench/frontend_bench"

results="$logs/BENCH.txt"
cat "$logs"/*.log | grep '^BENCH ' >"$results" || true

# value BENCH KEY [FIELD=VALUE ...]: KEY of the last "BENCH bench=BENCH"
# line that has every FIELD=VALUE; "n/a" if none.
value() {
  local name="$1" key="$2"; shift 2
  awk -v name="$name" -v key="$key" -v want="$*" '
    $1 == "BENCH" {
      split("", f)
      for (i = 2; i <= NF; i++) {
        eq = index($i, "="); f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
      }
      if (f["bench"] != name) next
      n = split(want, w, " "); ok = 1
      for (j = 1; j <= n; j++) {
        eq = index(w[j], "=")
        if (f[substr(w[j], 1, eq - 1)] != substr(w[j], eq + 1)) ok = 0
      }
      if (ok && (key in f)) v = f[key]
    }
    END { print (v == "" ? "n/a" : v) }' "$results"
}

# calc EXPR with $1.. as numbers: prints the result, or "n/a" if any is.
calc() {
  local fmt="$1" expr="$2"; shift 2
  for a in "$@"; do [ "$a" = "n/a" ] && { echo "n/a"; return; }; done
  awk -v fmt="$fmt" "BEGIN { \$0 = \"$*\"; printf fmt, $expr }"
}
# verdict CONDITION-EXPR with $1..: "met", "MISSED" or "n/a".
verdict() {
  local expr="$1"; shift
  for a in "$@"; do [ "$a" = "n/a" ] && { echo "n/a"; return; }; done
  awk "BEGIN { \$0 = \"$*\"; print (($expr) ? \"met\" : \"MISSED\") }"
}

v() { value vaultd "$@"; }
ping1=$(v calls_per_s rpc=Ping clients=1);        ping16=$(v calls_per_s rpc=Ping clients=16)
ping1_99=$(v p99_us rpc=Ping clients=1);          ping16_99=$(v p99_us rpc=Ping clients=16)
iss1=$(v calls_per_s rpc=IssueToken clients=1);   iss16=$(v calls_per_s rpc=IssueToken clients=16)
iss1_50=$(v p50_us rpc=IssueToken clients=1);     iss16_50=$(v p50_us rpc=IssueToken clients=16)
iss1_99=$(v p99_us rpc=IssueToken clients=1);     iss16_99=$(v p99_us rpc=IssueToken clients=16)
iss1_x=$(v cost_vs_ping rpc=IssueToken clients=1); iss16_x=$(v cost_vs_ping rpc=IssueToken clients=16)
ver1=$(v calls_per_s rpc=GetSpend clients=1);     ver16=$(v calls_per_s rpc=GetSpend clients=16)
ver16_99=$(v p99_us rpc=GetSpend clients=16)
ready=$(value vaultd_start ready_ms_median); ready_min=$(value vaultd_start ready_ms_min)
ready_max=$(value vaultd_start ready_ms_max)
vaultd_rss=$(value vaultd_idle rss_kib)
unlock=$(value kdf unlock_ms_median); iterations=$(value kdf iterations)
d50=$(value relay direct_p50_us); d99=$(value relay direct_p99_us)
r50=$(value relay relay_p50_us);  r99=$(value relay relay_p99_us)
a50=$(value relay added_p50_us);  a99=$(value relay added_p99_us)
call50=$(value frontend call_ms_p50); call99=$(value frontend call_ms_p99)
use50=$(value frontend usage_ms_p50); use99=$(value frontend usage_ms_p99)
init50=$(value frontend init_ms_p50)
fe_rss=$(value frontend idle_rss_kib)

echo
echo "| figure | value | target |"
echo "|---|---|---|"
echo "| Ping (echo floor), 1 / 16 clients | $(calc '%.0f' '$1' "$ping1") / $(calc '%.0f' '$1' "$ping16") calls/s, p99 $(calc '%.0f' '$1' "$ping1_99") / $(calc '%.0f' '$1' "$ping16_99") µs | |"
echo "| IssueToken, 1 client | $(calc '%.0f' '$1' "$iss1")/s, p50 $(calc '%.0f' '$1' "$iss1_50") µs, p99 $(calc '%.0f' '$1' "$iss1_99") µs, ${iss1_x}× Ping | ≤ 1.5× Ping: $(verdict '$1 <= 1.5' "$iss1_x") |"
echo "| IssueToken, 16 clients | $(calc '%.0f' '$1' "$iss16")/s, p50 $(calc '%.2f' '$1/1000' "$iss16_50") ms, p99 $(calc '%.2f' '$1/1000' "$iss16_99") ms, ${iss16_x}× Ping | ≤ 1.5× Ping: $(verdict '$1 <= 1.5' "$iss16_x"); p99 < 2 ms: $(verdict '$1 < 2000' "$iss16_99") |"
echo "| token verifications (GetSpend), 1 / 16 clients | $(calc '%.0f' '$1' "$ver1") / $(calc '%.0f' '$1' "$ver16")/s, p99 at 16 $(calc '%.2f' '$1/1000' "$ver16_99") ms | p99 < 2 ms at 16: $(verdict '$1 < 2000' "$ver16_99") |"
echo "| relay added latency (workspaces.get, via vaultd − direct) | p50 $(calc '%.0f' '$1' "$a50") µs ($(calc '%.0f' '$1' "$r50") − $(calc '%.0f' '$1' "$d50")), p99 $(calc '%.0f' '$1' "$a99") µs ($(calc '%.0f' '$1' "$r99") − $(calc '%.0f' '$1' "$d99")) | p50 < 1 ms: $(verdict '$1 < 1000' "$a50"); p99 < 3 ms: $(verdict '$1 < 3000' "$a99") |"
echo "| frontend tools/call round trip, no I/O | p50 $(calc '%.2f' '$1' "$call50") ms, p99 $(calc '%.2f' '$1' "$call99") ms | p50 < 1 ms: $(verdict '$1 < 1' "$call50") |"
echo "| frontend get_usage round trip (→ vaultd → fake Layer.ai) | p50 $(calc '%.2f' '$1' "$use50") ms, p99 $(calc '%.2f' '$1' "$use99") ms | |"
echo "| frontend spawn → initialize answer | p50 $(calc '%.1f' '$1' "$init50") ms | < 50 ms: $(verdict '$1 < 50' "$init50") |"
echo "| vaultd spawn → READY=1 (key-file store) | median $(calc '%.1f' '$1' "$ready") ms (min $(calc '%.1f' '$1' "$ready_min"), max $(calc '%.1f' '$1' "$ready_max")) | |"
echo "| unlock, default KDF (PBKDF2-HMAC-SHA256, $iterations iterations) | median $(calc '%.1f' '$1' "$unlock") ms | |"
echo "| vaultd idle RSS (after the load) | $(calc '%.1f' '$1/1024' "$vaultd_rss") MiB | < 30 MiB: $(verdict '$1 < 30*1024' "$vaultd_rss") |"
echo "| mcp_frontend idle RSS | $(calc '%.1f' '$1/1024' "$fe_rss") MiB | < 20 MiB: $(verdict '$1 < 20*1024' "$fe_rss") |"

echo
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1)," \
  "$(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)," \
  "kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo '?')," \
  "$(gcc --version | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "logs: $logs"
exit "$failed"
