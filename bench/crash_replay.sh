#!/usr/bin/env bash
# Does every crash input replay, every time, in every build? Each CRASH file is run RUNS
# times, each run a fresh process, by `slabtorture --target T run --binary` of each preset
# (gcc Debug, clang ASan+UBSan, the libFuzzer build by default), and also by the fuzz
# target itself in the first libFuzzer preset (the engine's own path). The seeded bug comes
# from the file name, <bug>.seed<N>[...] (what bench/fuzz_ttd.sh --crashes writes), or
# --bug. A row says how many runs gave the signature of the first run of the first build.
# Writes bench/results/crash_replay.<target>.md (or --out FILE); exit 1 if any run differs.
#
# usage: bench/crash_replay.sh [--target T] [--runs N] [--presets "P..."] [--bug B]
#                              [--out FILE] CRASH...
#   default: --target fuzz_ops --runs 10 --presets "default asan fuzz-seeded"
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

target=fuzz_ops runs=10 presets="default asan fuzz-seeded" bug= out=
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=$(opt_value crash_replay "$1" "${2:-}"); shift 2 ;;
    --runs) runs=$(opt_value crash_replay "$1" "${2:-}"); shift 2 ;;
    --presets) presets=$(opt_value crash_replay "$1" "${2:-}"); shift 2 ;;
    --bug) bug=$(opt_value crash_replay "$1" "${2:-}"); shift 2 ;;
    --out) out=$(opt_value crash_replay "$1" "${2:-}"); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "crash_replay: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
positive_int crash_replay --runs "$runs"
case "$target" in
  fuzz_ops|fuzz_sched) ;;
  *) echo "crash_replay: --target: unknown fuzz target '$target' (fuzz_ops, fuzz_sched)" >&2; exit 2 ;;
esac
[ ${#files[@]} -gt 0 ] || { echo "crash_replay: no CRASH file (see --help)" >&2; exit 2; }
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "crash_replay: $f: no such file" >&2; exit 2; }
done
out=${out:-$root/bench/results/crash_replay.$target.md}

declare -A tool
engine=
for p in $presets; do
  want=slabtorture
  case "$p" in fuzz*) want="slabtorture $target" ;; esac
  # shellcheck disable=SC2086
  d=$(build_preset "$p" $want)
  tool[$p]=$d/bin/slabtorture
  [ -n "$engine" ] || case "$p" in fuzz*) engine=$d/bin/$target ;; esac
done

# A run's outcome: "op I: KIND in function" for a report, the sanitizer's error kind for a
# sanitizer crash, "clean" otherwise.
outcome() {
  local o=$1 sig
  sig=$(sed -n 's/^.*: FAILED at op \([0-9-]*\): /op \1: /p' <<<"$o" | head -1)
  [ -n "$sig" ] || sig=$(grep -aom1 '^==slabtorture== [A-Z_]* in [A-Za-z0-9_]*' <<<"$o" | cut -d' ' -f2-)
  [ -n "$sig" ] || sig=$(grep -aom1 'ERROR: [A-Za-z]*Sanitizer: [a-z-]*' <<<"$o" | sed 's/ERROR: //')
  echo "${sig:-clean}"
}
signature() {	# one run of FILE with BUG by TOOL
  outcome "$("$1" --target "$target" --bug "$3" run --quiet --binary "$2" 2>&1 || true)"
}
engine_signature() {	# the same through the fuzz target (libFuzzer runs the one input)
  outcome "$(SLAB_BUGS=$2 "$engine" "$1" 2>&1 || true)"
}

mkdir -p "$(dirname "$out")"
{
  echo "# Crash replays ($target, $runs fresh processes per build)"
  echo
  echo "| crash | bug | signature | $(for p in $presets; do printf '%s | ' "$p"; done)$([ -n "$engine" ] && echo "$target (libFuzzer) |")"
  echo "|---|---|---|$(for p in $presets; do printf -- '---:|'; done)$([ -n "$engine" ] && echo '---:|')"
} >"$out"
status=0
for f in "${files[@]}"; do
  b=${bug:-$(basename "$f" | cut -d. -f1)}
  first=$(signature "${tool[${presets%% *}]}" "$f" "$b")
  [ "$first" != clean ] || status=1	# a crash file that runs clean does not replay
  row="| $(basename "$f") | $b | $first |"
  for p in $presets; do
    same=0
    for _ in $(seq 1 "$runs"); do
      [ "$(signature "${tool[$p]}" "$f" "$b")" = "$first" ] && same=$((same + 1))
    done
    [ "$same" = "$runs" ] || status=1
    row+=" $same/$runs |"
  done
  if [ -n "$engine" ]; then
    same=0 want=${first#op *: }
    for _ in $(seq 1 "$runs"); do
      [ "$(engine_signature "$f" "$b")" = "$want" ] && same=$((same + 1))
    done
    [ "$same" = "$runs" ] || status=1
    row+=" $same/$runs |"
  fi
  echo "$row" >>"$out"
  echo "crash_replay: $row"
done
cat "$out"
exit $status
