#!/usr/bin/env bash
# Did a change to the checks lose or move a report? Runs every regression trace (with its
# seeded bug on, when it names one, and off) and every input of bench/corpus/fuzz_ops
# through two slabtorture binaries and compares what each says: the first report's
# signature and op index, or clean. Prints each difference; exit 1 if there is one.
#
#   bench/oracle_parity.sh OLD_SLABTORTURE NEW_SLABTORTURE
#
# Build both in a preset with the seeded bugs compiled in (asan, default), e.g. the old one
# from a worktree of the commit before the change.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] && [ "$1" != --help ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; [ "${1:-}" = --help ] && exit 0; exit 2; }
old=$1 new=$2
for b in "$old" "$new"; do [ -x "$b" ] || { echo "oracle_parity: $b is not an executable" >&2; exit 2; }; done

# What one run says, without addresses: "FAILED at op N: SIGNATURE", "clean" (exit 0), or
# the exit status of anything else (a run that could not start is no verdict to agree on).
verdict() {
  local bin=$1; shift
  local out rc
  out=$("$bin" "$@" run --quiet "$file" 2>&1); rc=$?
  grep -a -m1 -o 'FAILED at op [0-9-]*: [A-Z_]* in [A-Za-z0-9_]*' <<<"$out" && return
  [ "$rc" -eq 0 ] && echo clean || echo "exit $rc: $(head -c 120 <<<"$out" | head -1)"
}
diffs=0 runs=0
check() {  # label args...
  local label=$1; shift
  local a b
  a=$(verdict "$old" "$@") b=$(verdict "$new" "$@")
  runs=$((runs + 1))
  if [ "$a" != "$b" ]; then
    echo "oracle_parity: $label: old: $a; new: $b"
    diffs=$((diffs + 1))
  fi
}
for file in corpus/regress/*.trace; do
  check "$file"
  bug=$(sed -n 's/^# bug: *//p' "$file" | head -1)
  [ -n "$bug" ] && check "$file --bug $bug" --bug "$bug"
done
for file in bench/corpus/fuzz_ops/*; do
  check "$file"
done
echo "oracle_parity: $runs runs, $diffs with a different verdict"
[ "$diffs" -eq 0 ]
