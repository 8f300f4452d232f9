#!/usr/bin/env bash
# Runs the concurrency-bearing tests that use no gRPC under ThreadSanitizer
# (bazel --config=tsan) and checks that TSan is really watching.
#
#   tools/tsan.sh            every cc_test that does not depend on gRPC
#   tools/tsan.sh TARGET...  just those
#
# Why not everything: Debian's libgrpc++ and libabsl are not built with
# TSan. For Abseil the config wraps the absl::Mutex / absl::Notification
# entry points the project calls (tools/tsan/absl_sync_annotations.cc), but
# gRPC hands calls between its threads through its own uninstrumented
# queues, atomics and locks, so every gRPC server or client test reports
# races TSan cannot see the synchronisation of. Those code paths (vaultd's
# services, the client library) run under ASan + UBSan instead, and the
# concurrency they contain lives in the libraries tested here (spend ledger,
# rate limiter, token service, key ring, policy holder, audit log, the MCP
# server's call dispatch, the HTTP client).
#
# Not part of tools/test.sh: a third full compile would push CI past its
# time budget. Exits non-zero if a test fails or the canary is not caught.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(bazel query --noshow_progress \
    'kind(cc_test, //...) except rdeps(//..., //third_party/system:grpcpp)
     except attr(tags, manual, //...)' \
    2>/dev/null)
fi
[ ${#targets[@]} -gt 0 ] || { echo "tsan.sh: no targets" >&2; exit 2; }

status=0
# The canary: a racy counter must be reported, absl-guarded code must not.
if bazel test --config=tsan //tools/tsan:tsan_canary_test \
     --test_filter='TsanCanary.RacyCounterIsReported' >/dev/null 2>&1; then
  echo "tsan.sh: TSan did not report the planted race" >&2
  status=1
else
  echo "tsan.sh: planted race reported (TSan is active)"
fi
if ! bazel test --config=tsan //tools/tsan:tsan_canary_test \
     --test_filter='-TsanCanary.RacyCounterIsReported' 2>&1 | tail -3; then
  echo "tsan.sh: absl-guarded code reported as racy (annotations broken)" >&2
  status=1
fi
echo "tsan.sh: ${#targets[@]} targets"
log=$(mktemp)
bazel test --config=tsan "${targets[@]}" > "$log" 2>&1 || status=1
grep -E "^//|Executed|FAILED|ERROR" "$log"
rm -f "$log"
[ "$status" -eq 0 ] && echo "tsan.sh: OK" || echo "tsan.sh: FAILED" >&2
exit $status
