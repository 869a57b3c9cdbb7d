#!/usr/bin/env bash
# make repro CRASH=file: replay a crash input (binary or text), print the program and the
# report. Exit 0 if it runs clean, 1 if it reproduces a report, 2 on errors.
# SLAB_BUGS=name[,name] selects seeded bugs, as for the fuzzer; SLABTORTURE=path a binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || { echo "usage: scripts/repro.sh CRASH_FILE" >&2; exit 2; }
crash=$1
[ -f "$crash" ] || { echo "repro: $crash: no such file" >&2; exit 2; }
tool=$(find_slabtorture)
echo "== program ($crash)"
if head -c 4096 "$crash" | LC_ALL=C grep -q '[^[:print:][:space:]]' || ! head -c 64 "$crash" | grep -qE '^(#|machine|cpu|[[:space:]])'; then
  "$tool" decode "$crash"
else
  cat "$crash"
fi
echo "== run${SLAB_BUGS:+ (SLAB_BUGS=$SLAB_BUGS)}"
set +e
"$tool" --trace run "$crash"
rc=$?
set -e
echo "== replay it: ${SLAB_BUGS:+SLAB_BUGS=$SLAB_BUGS }$tool run $crash"
exit $rc
