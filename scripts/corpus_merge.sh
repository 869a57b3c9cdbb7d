#!/usr/bin/env bash
# make corpus-merge: keep the corpora small and covering, with libFuzzer's -merge=1.
#  1. OUT_DIR/corpus/<target> (what make fuzz grew, plus AFL++'s queues) is minimised in place:
#     the smallest set of inputs with the same coverage;
#  2. corpus/seeds/<target> gains only the inputs of that set that cover something the seeds
#     do not (named by sha1); the hand-written seeds (corpus/seed-src/) are never removed.
#   TARGETS="fuzz_ops ..." (default: every fuzz target)   OUT_DIR=dir (default fuzz-out/)
#   SEEDS_DIR=dir  merge into this instead of corpus/seeds/<target> (e.g. to try it first)
#   ENGINE=afl     step 1 with afl-cmin on the AFL++ build instead
# Exit status (scripts/lib.sh): 0 merged, 2 bad usage, 3 the build or the merge failed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
OUT_DIR=${OUT_DIR:-$root/fuzz-out}
all=$(fuzz_targets)
TARGETS=${TARGETS:-$all}
for t in $TARGETS; do grep -qx "$t" <<<"$all" || { echo "corpus-merge: '$t' is not a fuzz target" >&2; exit $EXIT_USAGE; }; done
read -ra targets <<<"${TARGETS//$'\n'/ }"	# every target, not the first line only
bdir=$(BUILD_DIR= build_preset fuzz "${targets[@]}") || die_error corpus-merge "building preset fuzz failed"
[ "${ENGINE:-libfuzzer}" = afl ] && { adir=$(BUILD_DIR= build_preset afl "${targets[@]}") || die_error corpus-merge "building preset afl failed"; }
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=0
for t in "${targets[@]}"; do
  src=$OUT_DIR/corpus/$t
  mkdir -p "$src"
  qs=(); for q in "$OUT_DIR"/afl/"$t"/*/queue; do [ -d "$q" ] && qs+=("$q"); done
  tmp=$(mktemp -d)
  before=$(find "$src" "${qs[@]}" -type f ! -name '.*' | wc -l)
  if [ "${ENGINE:-libfuzzer}" = afl ]; then
    mkdir -p "$tmp/all"; find "$src" "${qs[@]}" -type f ! -name '.*' -exec cp {} "$tmp/all/" \; 2>/dev/null || true
    AFL_NO_AFFINITY=1 afl-cmin -i "$tmp/all" -o "$tmp/min" -m none -t 10000 -- "$adir/bin/$t" >"$tmp/log" 2>&1 ||
      { tail "$tmp/log" >&2; die_error corpus-merge "$t: afl-cmin failed"; }
  else
    mkdir -p "$tmp/min"
    "$bdir/bin/$t" -merge=1 -timeout=10 -rss_limit_mb=2048 "$tmp/min" "$src" "${qs[@]}" >"$tmp/log" 2>&1 ||
      { tail "$tmp/log" >&2; die_error corpus-merge "$t: -merge=1 failed"; }
  fi
  rm -rf "$src"; mkdir -p "$src"; cp "$tmp/min"/* "$src/" 2>/dev/null || true
  after=$(ls "$src" | wc -l)
  seeds=${SEEDS_DIR:-$root/corpus/seeds/$t}
  mkdir -p "$seeds"
  s0=$(ls "$seeds" | wc -l)
  # Edges only (-use_counters=0): hit counts would let most of the corpus in.
  "$bdir/bin/$t" -merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 "$seeds" "$src" >"$tmp/log2" 2>&1 ||
    { tail "$tmp/log2" >&2; die_error corpus-merge "$t: merging into $seeds failed"; }
  s1=$(ls "$seeds" | wc -l)
  echo "corpus-merge: $t: $(_rel_path "$src") $before -> $after inputs; $(_rel_path "$seeds") $s0 -> $s1 inputs"
  rm -rf "$tmp"
done
