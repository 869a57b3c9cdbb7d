#!/usr/bin/env bash
# make minimize CRASH=file [OUT=file]: shrink a failing input to the smallest text program
# with the same report signature, print it, and write it to OUT (default CRASH.min.trace).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: scripts/minimize.sh CRASH_FILE [OUT]" >&2; exit 2; }
crash=$1
out=${2:-${OUT:-${crash%.trace}.min.trace}}
[ -f "$crash" ] || { echo "minimize: $crash: no such file" >&2; exit 2; }
tool=$(find_slabtorture)
"$tool" minimize "$crash" -o "$out"
cat "$out"
echo "== written to $out; replay: $tool run $out"
