#!/usr/bin/env bash
# Detection rate of the seeded bugs that need real concurrency: slab-stress --bug BUG for
# seeds 1..N, S seconds each, in each of the given presets (default: asan tsan). Writes
# bench/results/stress_detect.md: detected runs out of N per bug and preset.
#
# usage: bench/stress_detect_rate.sh [--runs N] [--seconds S] [--preset P]... [--out FILE]
#                                    [--pressure-ms T] [--bug B]... | [--all]
#   --pressure-ms T: memory pressure as make stress has it (default 0: off)
#   default bugs: destroy_no_rcu_barrier and flush_rcu_no_cpus_lock, each detected by the
#   report that names it; --bug B (or --all, every seeded bug): B, detected by any report
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

runs=10 secs=60 out=$root/bench/results/stress_detect.md pressure=0
presets=() bugs=() all=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$(opt_value stress_detect_rate "$1" "${2:-}"); shift 2 ;;
    --seconds) secs=$(opt_value stress_detect_rate "$1" "${2:-}"); shift 2 ;;
    --preset) presets+=("$(opt_value stress_detect_rate "$1" "${2:-}")"); shift 2 ;;
    --out) out=$(opt_value stress_detect_rate "$1" "${2:-}"); shift 2 ;;
    --pressure-ms) pressure=$(opt_value stress_detect_rate "$1" "${2:-}"); shift 2 ;;
    --bug) bugs+=("$(opt_value stress_detect_rate "$1" "${2:-}")"); shift 2 ;;
    --all) all=1; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "stress_detect_rate: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
positive_int stress_detect_rate --runs "$runs"
positive_int stress_detect_rate --seconds "$secs"
case "$pressure" in ''|*[!0-9]*) echo "stress_detect_rate: --pressure-ms takes a whole number, not '$pressure'" >&2; exit 2 ;; esac
[ ${#presets[@]} -gt 0 ] || presets=(asan tsan)
# bug and the report signature that names it (tests/stress.cmake uses the same pairs)
checks=("destroy_no_rcu_barrier|SLAB_LEAK in kmem_cache_destroy"
        "flush_rcu_no_cpus_lock|LOCK_NOT_HELD in lockdep_assert_cpus_held")
[ $all = 0 ] || [ ${#bugs[@]} = 0 ] || { echo "stress_detect_rate: --all or --bug, not both" >&2; exit 2; }

"$root/scripts/deps.sh" --check 2>/dev/null || "$root/scripts/deps.sh"
mkdir -p "$(dirname "$out")"
{
  echo "# slab-stress detection rate: seeds 1..$runs, ${secs}s each, 4 threads, 4 CPUs, hotplug every 10 ms$([ "$pressure" = 0 ] || echo ", memory pressure every $pressure ms")$([ $all = 1 ] || [ ${#bugs[@]} -gt 0 ] && echo ", detected by any report")"
  echo
  echo "| bug | preset | detected | seconds to the report, per run |"
  echo "|---|---|---:|---|"
} >"$out"
for p in "${presets[@]}"; do
  dir=$(build_preset "$p" slab-stress slabtorture)
  known=$("$dir/bin/slabtorture" bugs | awk '/^  [a-z]/ {print $1}')
  [ $all = 0 ] || mapfile -t bugs <<<"$known"
  if [ ${#bugs[@]} -gt 0 ]; then
    checks=()
    for b in "${bugs[@]}"; do
      grep -qx "$b" <<<"$known" || { echo "stress_detect_rate: unknown seeded bug '$b' (slabtorture bugs lists them)" >&2; exit 2; }
      checks+=("$b|")	# an empty signature: any report
    done
  fi
  for c in "${checks[@]}"; do
    bug=${c%%|*} sig=${c#*|}
    log=$("$root/tests/stress_detect.sh" --rate --pressure-ms "$pressure" "$dir/bin/slab-stress" "$bug" "$sig" \
          "$runs" "$secs" || true)
    echo "$log"
    det=$(grep -oE 'detected [0-9]+/[0-9]+' <<<"$log" | tail -1 | cut -d' ' -f2)
    times=$(grep -oE 'after [0-9.]+s' <<<"$log" | awk '{ printf "%s%s", sep, $2; sep = " " }')
    echo "| $bug | $p | ${det:-failed} | $times |" >>"$out"
  done
done
cat "$out"
