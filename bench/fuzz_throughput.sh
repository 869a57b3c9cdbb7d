#!/usr/bin/env bash
# Fuzzing throughput of this tree beside another commit's, side by side in one run:
#   - in-process exec/s and ops/s of fuzz_ops (bench_fuzz_exec) on the seeds and on
#     bench/corpus/fuzz_ops, in the fuzz preset (clang, ASan+UBSan, coverage) and the release
#     preset (no sanitizers: the sanitizer factor), base and this tree alternating;
#   - libFuzzer's own exec/s over LF_TIME seconds from the seeds (fuzz_ops -seed=1, one
#     process, a fresh corpus directory each);
#   - the ceiling: as many ASan malloc/free pairs as the programs have ops (--malloc-loop).
# One core each measurement, one at a time; the machine is noisy, so compare the ratios.
#
#   bench/fuzz_throughput.sh [--base COMMIT] [--runs N] [--lf-time S] [--out FILE]
#     --base     the commit to compare with (default 2bfcff5: main before the throughput work)
#     --runs     runs per input of bench_fuzz_exec (default 200; the seeds get 10x)
#     --lf-time  seconds of libFuzzer per build (default 60)
#     --out      the table (default bench/results/fuzz_throughput.md)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
base=2bfcff5 runs=200 lf_time=60 out=bench/results/fuzz_throughput.md
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --base) [ $# -ge 2 ] || { echo "fuzz_throughput: --base needs a commit" >&2; exit 2; }; base=$2; shift 2 ;;
    --runs) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz_throughput: --runs needs a positive number" >&2; exit 2; }; runs=$2; shift 2 ;;
    --lf-time) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz_throughput: --lf-time needs a positive number of seconds" >&2; exit 2; }; lf_time=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || { echo "fuzz_throughput: --out needs a file" >&2; exit 2; }; out=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "fuzz_throughput: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
base_sha=$(git rev-parse --short "$base^{commit}" 2>/dev/null) || { echo "fuzz_throughput: --base $base is not a commit" >&2; exit 2; }
head_sha=$(git rev-parse --short HEAD)
dirty=; git diff --quiet HEAD -- allocator model fuzz bench || dirty=" (with uncommitted changes)"

work=$root/build/throughput
mkdir -p "$work"
# The base tree: its own checkout and builds, kept between runs of this script.
if [ ! -d "$work/base-$base_sha" ]; then
  git worktree add --detach "$work/base-$base_sha" "$base_sha" >/dev/null
fi
build() {  # tree preset -> prints the bin dir
  local tree=$1 preset=$2 dir
  dir=$work/$(basename "$tree")-$preset
  [ "$tree" = "$root" ] && dir=$work/head-$preset
  (cd "$tree" && cmake --preset "$preset" -B "$dir" >/dev/null) || { echo "fuzz_throughput: configuring $preset of $tree failed" >&2; exit 3; }
  local targets=(bench_fuzz_exec); [ "$preset" = fuzz ] && targets+=(fuzz_ops)  # libFuzzer only there
  cmake --build "$dir" --target "${targets[@]}" >/dev/null || { echo "fuzz_throughput: building $preset of $tree failed" >&2; exit 3; }
  echo "$dir/bin"
}
echo "fuzz_throughput: building $base_sha and $head_sha (fuzz and release presets)" >&2
for t in base head; do
  tree=$root; [ $t = base ] && tree=$work/base-$base_sha
  for p in fuzz release; do
    declare "bin_${t}_$p=$(build "$tree" "$p")"
  done
done

seeds=("$root"/corpus/seeds/fuzz_ops/*)
corpus=("$root"/bench/corpus/fuzz_ops/*)
# exec/s of bench_fuzz_exec's "all inputs" row
inproc() {  # bin runs [--malloc-loop] files...
  local bin=$1 n=$2; shift 2
  "$bin/bench_fuzz_exec" --runs "$n" "$@" | awk -F'|' '/all inputs/ { gsub(/[* ]/, "", $5); print $5 }'
}
mean_ops() {
  "$bin_head_release/bench_fuzz_exec" --runs 1 "$@" | awk -F'|' '$2 !~ /input|empty|all inputs|---/ && NF > 5 { s += $4; n++ } END { printf "%.1f", s / n }'
}
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1
declare -A r
seed_ops=$(mean_ops "${seeds[@]}") corpus_ops=$(mean_ops "${corpus[@]}")
for p in fuzz release; do
  for set in seeds corpus; do
    files=("${seeds[@]}") n=$((runs * 10))
    [ $set = corpus ] && files=("${corpus[@]}") n=$runs
    for t in base head; do
      b=bin_${t}_$p
      echo "fuzz_throughput: in process, $p, $set, $t" >&2
      r[$p/$set/$t]=$(inproc "${!b}" "$n" "${files[@]}")
    done
  done
done
echo "fuzz_throughput: ceiling (ASan malloc/free loop)" >&2
r[ceiling/seeds]=$(inproc "$bin_head_fuzz" $((runs * 10)) --malloc-loop "${seeds[@]}")
r[ceiling/corpus]=$(inproc "$bin_head_fuzz" "$runs" --malloc-loop "${corpus[@]}")
for t in base head; do
  b=bin_${t}_fuzz
  d=$work/lf-$t; rm -rf "$d"; mkdir -p "$d/corpus"
  echo "fuzz_throughput: libFuzzer ${lf_time}s from the seeds, $t" >&2
  "${!b}/fuzz_ops" -seed=1 -max_total_time="$lf_time" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -dict="$root/fuzz/fuzz_ops.dict" -artifact_prefix="$d/" "$d/corpus" "$root/corpus/seeds/fuzz_ops" >"$d/log" 2>&1 || true
  units=$(grep -a -o -E 'stat::number_of_executed_units: *[0-9]+' "$d/log" | awk '{print $2}')
  eps=$(grep -a -o -E 'stat::average_exec_per_sec: *[0-9]+' "$d/log" | awk '{print $2}')
  r[lf/$t]=${eps:-?}
  r[lf_units/$t]=${units:-?}
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && a > 0) printf "%.2f", b / a; else print "-" }'; }
ops() { awk -v e="$1" -v m="$2" 'BEGIN { printf "%.0f", e * m }'; }
{
  echo "# Fuzzing throughput: $head_sha$dirty beside $base_sha"
  echo
  echo "\`bench/fuzz_throughput.sh --base $base_sha --runs $runs --lf-time $lf_time\` on $(nproc) cores ($(date -u +%Y-%m-%d)); one process at a time, base and this tree alternating."
  echo "Seeds: corpus/seeds/fuzz_ops (${#seeds[@]} inputs, mean $seed_ops ops); bench corpus: bench/corpus/fuzz_ops (${#corpus[@]} inputs, mean $corpus_ops ops). ops/s = exec/s x mean ops."
  echo
  echo "| measurement | $base_sha exec/s | $head_sha exec/s | ratio | $base_sha ops/s | $head_sha ops/s |"
  echo "|---|---:|---:|---:|---:|---:|"
  for p in fuzz release; do
    for set in seeds corpus; do
      m=$seed_ops; [ $set = corpus ] && m=$corpus_ops
      name="in process, $p preset, $set"; [ $set = corpus ] && name="in process, $p preset, bench corpus"
      echo "| $name | ${r[$p/$set/base]} | ${r[$p/$set/head]} | $(ratio "${r[$p/$set/base]}" "${r[$p/$set/head]}") | $(ops "${r[$p/$set/base]}" "$m") | $(ops "${r[$p/$set/head]}" "$m") |"
    done
  done
  echo "| libFuzzer's own average exec/s, ${lf_time}s from the seeds (fuzz preset) | ${r[lf/base]} | ${r[lf/head]} | $(ratio "${r[lf/base]}" "${r[lf/head]}") | | |"
  echo
  echo "Sanitizer factor (release / fuzz preset, bench corpus): $base_sha $(ratio "${r[fuzz/corpus/base]}" "${r[release/corpus/base]}"), $head_sha $(ratio "${r[fuzz/corpus/head]}" "${r[release/corpus/head]}")."
  echo "Ceiling (fuzz preset, as many malloc/free pairs as ops): seeds ${r[ceiling/seeds]} exec/s, bench corpus ${r[ceiling/corpus]} exec/s, $(ratio "${r[fuzz/corpus/head]}" "${r[ceiling/corpus]}") times $head_sha on the bench corpus."
  echo "libFuzzer executed ${r[lf_units/base]} ($base_sha) and ${r[lf_units/head]} ($head_sha) inputs."
} >"$out"
cat "$out"
