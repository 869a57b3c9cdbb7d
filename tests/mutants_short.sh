#!/usr/bin/env bash
# A short check of the mutation-testing tooling (scripts/mutants.sh) and of the regression
# traces: the mutants of scripts/mutants/short.txt, each one known to be killed by
# corpus/regress/ within seconds, are built and run with CHECKS=regress; one that survives
# means the traces lost their grip on it (or the tooling broke).
#
#   OUT_DIR=build/mutants-short   the slot (source copy + build) is kept between runs, so a
#                                 rerun rebuilds only what changed; results.tsv is not
#   IDS=scripts/mutants/short.txt the mutants (generate.py --help: ids files)
#   MUTANT_TIMEOUT=10             seconds the regress run of one mutant may take
#   BUILD_JOBS=n                  ninja -j of the build (default: all cores)
#
# Exit status: 0 every mutant killed by regress within 15 s of checks, 1 one survived, did
# not compile, was equivalent or took longer, 2 bad usage, 3 could not run (a build of the
# unmutated tree or a tool failed: scripts/mutants.sh's status).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
  "") ;;
  *) echo "mutants_short: no arguments (see --help), not '$1'" >&2; exit 2 ;;
esac
OUT_DIR=${OUT_DIR:-$root/build/mutants-short}
IDS=${IDS:-$root/scripts/mutants/short.txt}
MUTANT_TIMEOUT=${MUTANT_TIMEOUT:-10}
limit=15

mkdir -p "$OUT_DIR" && rm -f "$OUT_DIR/results.tsv"
start=$(date +%s)
CHECKS=regress MUTANT_TIME=2 MUTANT_TIMEOUT=$MUTANT_TIMEOUT IDS=$IDS JOBS=1 OUT_DIR=$OUT_DIR \
  "$root/scripts/mutants.sh"
rc=$?
[ "$rc" -eq 0 ] || { echo "mutants_short: scripts/mutants.sh failed (status $rc)" >&2; exit "$rc"; }

bad=$(awk -F'\t' -v limit="$limit" '!/^#/ {
  n++
  if ($7 != "killed") print "  " $1 ": " $7 " (want killed by regress)"
  else if ($10 + 0 > limit) print "  " $1 ": killed after " $10 "s (want at most " limit "s)"
} END { if (n == 0) print "  no results" }' "$OUT_DIR/results.tsv")
if [ -n "$bad" ]; then
  echo "mutants_short: FAILED:"
  echo "$bad"
  exit 1
fi
echo "mutants_short: every mutant of $(basename "$IDS") killed by regress ($(( $(date +%s) - start ))s in all)"
exit 0
