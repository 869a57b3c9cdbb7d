#!/usr/bin/env bash
# make minimize CRASH=file [OUT=file]: shrink a failing input to the smallest text program
# with the same report signature, print it, and write it to OUT (default CRASH.min.trace).
# Exit status (scripts/lib.sh): 0 the input runs clean (nothing to minimise, OUT is not
# written), 1 it reproduces a report and OUT holds the minimised program, 2 bad usage, an
# unknown bug name, a file that does not parse or an OUT that cannot be written, 3 the
# build failed or the minimiser could not keep the failure (e.g. a sanitizer crash, which
# the in-process minimiser cannot survive: replay it with scripts/repro.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: scripts/minimize.sh CRASH_FILE [OUT]" >&2; exit $EXIT_USAGE; }
crash=$1
out=${2:-${OUT:-${crash%.trace}.min.trace}}
[ -f "$crash" ] || { echo "minimize: $crash: no such file" >&2; exit $EXIT_USAGE; }
tool=$(find_slabtorture) || die_error minimize "could not build slabtorture"

# First: does it fail at all? (`slabtorture minimize` says 1 both for "runs clean" and for
# "could not minimise", so the run decides.)
rc=0
"$tool" run --quiet "$crash" >/dev/null 2>&1 || rc=$?
case "$(run_status "$rc")" in
  "$EXIT_CLEAN") echo "minimize: $crash runs clean: nothing to minimise"; exit $EXIT_CLEAN ;;
  "$EXIT_USAGE") "$tool" run --quiet "$crash" || true; exit $EXIT_USAGE ;;
esac
rc=0
"$tool" minimize "$crash" -o "$out" || rc=$?
case "$rc" in
  0) ;;
  2) exit $EXIT_USAGE ;;
  *) die_error minimize "$crash fails (run exit status $rc) but could not be minimised; replay it with scripts/repro.sh" ;;
esac
cat "$out"
echo "== written to $out; replay: $tool run $out"
exit $EXIT_FOUND
