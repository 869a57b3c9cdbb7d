#!/usr/bin/env bash
# make repro CRASH=file: replay a crash input (binary or text), print the program and the
# report. SLAB_BUGS=name[,name] selects seeded bugs, as for the fuzzer; SLABTORTURE=path a
# binary.
# Exit status (scripts/lib.sh): 0 it runs clean, 1 it reproduces a report (or a sanitizer
# error or crash), 2 bad usage, an unknown bug name or a file that does not parse, 3 the
# slabtorture binary could not be built.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || { echo "usage: scripts/repro.sh CRASH_FILE" >&2; exit $EXIT_USAGE; }
crash=$1
[ -f "$crash" ] || { echo "repro: $crash: no such file" >&2; exit $EXIT_USAGE; }
tool=$(find_slabtorture) || die_error repro "could not build slabtorture"
echo "== program ($crash)"
if head -c 4096 "$crash" | LC_ALL=C grep -q '[^[:print:][:space:]]' || ! head -c 64 "$crash" | grep -qE '^(#|machine|cpu|[[:space:]])'; then
  "$tool" decode "$crash" || echo "repro: decode failed (exit $?); running it anyway" >&2
else
  cat "$crash"
fi
echo "== run${SLAB_BUGS:+ (SLAB_BUGS=$SLAB_BUGS)}"
rc=0
"$tool" --trace run "$crash" || rc=$?
status=$(run_status "$rc")
case "$status" in
  "$EXIT_CLEAN") echo "== runs clean" ;;
  "$EXIT_FOUND") echo "== reproduced (slabtorture exit $rc)" ;;
  *) echo "== slabtorture refused the input or the settings (exit $rc)" ;;
esac
echo "== replay it: ${SLAB_BUGS:+SLAB_BUGS=$SLAB_BUGS }$tool run $crash"
exit "$status"
