#!/usr/bin/env bash
# Every seeded bug's time to detect by every driver, for the table scripts/seeded_table.py
# puts into README.md: bench/fuzz_ttd.sh for fuzz_ops and fuzz_sched, from an empty corpus
# and from the committed seeds (the first report counts: --want any), then
# bench/stress_detect_rate.sh --all in the asan preset with memory pressure as make stress
# has it (--pressure-ms 5), then seeded_table.py --write. The
# two fuzz targets run side by side, one core each (JOBS=1: one after the other).
#
# usage: bench/seeded_ttd.sh [--seeds N] [--max-time S] [--stress-runs N] [--stress-seconds S]
#   defaults: --seeds 1 --max-time 60 --stress-runs 3 --stress-seconds 20
# Writes bench/results/fuzz_ttd.<target>.all[.from-seeds].md, stress_detect.all.md,
# seeded_bugs.md and README.md's table.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

seeds=1 max=60 sruns=3 ssecs=20
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=$(opt_value seeded_ttd "$1" "${2:-}"); shift 2 ;;
    --max-time) max=$(opt_value seeded_ttd "$1" "${2:-}"); shift 2 ;;
    --stress-runs) sruns=$(opt_value seeded_ttd "$1" "${2:-}"); shift 2 ;;
    --stress-seconds) ssecs=$(opt_value seeded_ttd "$1" "${2:-}"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "seeded_ttd: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for v in "--seeds $seeds" "--max-time $max" "--stress-runs $sruns" "--stress-seconds $ssecs"; do
  positive_int seeded_ttd ${v% *} "${v#* }"
done

"$root/scripts/deps.sh" --check 2>/dev/null || "$root/scripts/deps.sh"
dir=$(build_preset fuzz-seeded fuzz_ops fuzz_sched slabtorture)
mapfile -t bugs < <("$dir/bin/slabtorture" bugs | awk '/^  [a-z]/ {print $1}')
echo "seeded_ttd: ${#bugs[@]} seeded bugs, libFuzzer seeds 1..$seeds, at most ${max}s each"

ttd() {	# target, then --from-seeds or nothing
  local t=$1 from=${2:-}
  "$root/bench/fuzz_ttd.sh" --target "$t" --seeds "$seeds" --max-time "$max" --want any $from \
    --out "$root/bench/results/fuzz_ttd.$t.all${from:+.from-seeds}.md" "${bugs[@]}"
}
one_target() { ttd "$1" && ttd "$1" --from-seeds; }
if [ "${JOBS:-2}" -gt 1 ]; then
  one_target fuzz_ops >"$root/bench/results/.seeded_ttd.fuzz_ops.log" 2>&1 &
  ops=$!
  one_target fuzz_sched
  wait "$ops" || { cat "$root/bench/results/.seeded_ttd.fuzz_ops.log"; exit 1; }
  rm -f "$root/bench/results/.seeded_ttd.fuzz_ops.log"
else
  one_target fuzz_ops
  one_target fuzz_sched
fi
"$root/bench/stress_detect_rate.sh" --all --preset asan --runs "$sruns" --seconds "$ssecs" \
  --pressure-ms 5 --out "$root/bench/results/stress_detect.all.md"
"$root/scripts/seeded_table.py" --write
echo "seeded_ttd: README.md's seeded-bug table and bench/results/seeded_bugs.md updated"
