#!/usr/bin/env bash
# Time to detect each seeded bug from an empty corpus: a fuzz target (fuzz_ops by default) of
# a seeded build (the fuzz-seeded preset by default) with SLAB_BUGS=<bug>, libFuzzer
# -seed=1..N, one process at a time on one core, until the first report or MAX seconds. A
# bug can show first under another rule than the one its regression trace names
# (corpus/regress/<bug>.trace, "# expect-with-bug:", or --want SIG); then a second run in
# fork mode (-ignore_crashes) goes on past other reports until that signature. Writes
# bench/results/fuzz_ttd.<target>[.<preset>].md: each run's times and signatures, and the
# medians per bug (a run that found nothing counts as MAX, so such a median is a bound).
#
# usage: bench/fuzz_ttd.sh [--target T] [--preset P] [--seeds N] [--max-time S]
#                          [--want SIG] [--out FILE] [--crashes DIR] [--from-seeds] [BUG...]
#   default: --target fuzz_ops --preset fuzz-seeded --seeds 5 --max-time 180, bugs
#   destroy_no_rcu_barrier memoryless_node_barn nolock_alloc_sheaf
#   fuzz-seeded-nolockdep: no lockdep-lite, so a bug shows by its effect or not at all
#   --want any: the first report counts, whatever its signature (a bug with several effects)
#   --crashes DIR: keep each run's crash input as DIR/<bug>.seed<N> (for replay checks)
#   --from-seeds: start from a copy of corpus/seeds/<target> instead of an empty corpus
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

seeds=5 max=180 out= target=fuzz_ops preset=fuzz-seeded want_opt= crashes= from_seeds=0
bugs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=$(opt_value fuzz_ttd "$1" "${2:-}"); shift 2 ;;
    --max-time) max=$(opt_value fuzz_ttd "$1" "${2:-}"); shift 2 ;;
    --out) out=$(opt_value fuzz_ttd "$1" "${2:-}"); shift 2 ;;
    --target) target=$(opt_value fuzz_ttd "$1" "${2:-}"); shift 2 ;;
    --preset) preset=$(opt_value fuzz_ttd "$1" "${2:-}"); shift 2 ;;
    --want) want_opt=$(opt_value fuzz_ttd "$1" "${2:-}"); shift 2 ;;
    --crashes) crashes=$(opt_value fuzz_ttd "$1" "${2:-}"); shift 2 ;;
    --from-seeds) from_seeds=1; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz_ttd: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) bugs+=("$1"); shift ;;
  esac
done
positive_int fuzz_ttd --seeds "$seeds"
positive_int fuzz_ttd --max-time "$max"
[ ${#bugs[@]} -gt 0 ] || bugs=(destroy_no_rcu_barrier memoryless_node_barn nolock_alloc_sheaf)
case "$target" in
  fuzz_ops|fuzz_sched) ;;
  *) echo "fuzz_ttd: --target: unknown fuzz target '$target' (fuzz_ops, fuzz_sched)" >&2; exit 2 ;;
esac
case "$preset" in
  *seeded*) ;;
  *) echo "fuzz_ttd: --preset: '$preset' has no seeded bugs (use a *-seeded preset)" >&2; exit 2 ;;
esac
if [ -z "$out" ]; then
  out=$root/bench/results/fuzz_ttd.$target.md
  [ "$preset" = fuzz-seeded ] || out=$root/bench/results/fuzz_ttd.$target.$preset.md
  [ "$from_seeds" = 0 ] || out=${out%.md}.from-seeds.md
fi

"$root/scripts/deps.sh" --check 2>/dev/null || "$root/scripts/deps.sh"
dir=$(build_preset "$preset" "$target" slabtorture)
known=$("$dir/bin/slabtorture" bugs | awk '/^  [a-z]/ {print $1}')
for b in "${bugs[@]}"; do
  grep -qx "$b" <<<"$known" || { echo "fuzz_ttd: unknown seeded bug '$b' (slabtorture bugs lists them)" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")"
{
  echo "# Time to detect from $([ "$from_seeds" = 1 ] && echo "the committed seeds" || echo "an empty corpus") ($target, $preset, one core, libFuzzer -seed=1..$seeds, at most ${max}s)"
  echo
  echo "| bug | seed | seconds to the first report | first report | seconds to the regression trace's report |"
  echo "|---|---:|---:|---|---:|"
} >"$out"

# The run's corpus: empty, or a copy of the committed seeds (--from-seeds).
fresh_corpus() {
  rm -rf "$work/corpus" "$work/art"; mkdir -p "$work/corpus" "$work/art"
  [ "$from_seeds" = 0 ] || cp "$root/corpus/seeds/$target"/* "$work/corpus/"
}

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Fork mode from an empty corpus until an input replays to signature $want: its seconds.
until_signature() {
  local b=$1 s=$2 want=$3 t0 pid f sig
  local SLAB_BUGS=$b
  export SLAB_BUGS
  fresh_corpus
  : >"$work/seen"
  t0=$(date +%s.%N)
  "$dir/bin/$target" -fork=1 -ignore_crashes=1 -seed="$s" -max_len=2048 \
    -dict="$root/fuzz/$target.dict" -max_total_time="$max" -artifact_prefix="$work/art/" \
    "$work/corpus" >"$work/fork.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for f in "$work"/art/crash-*; do
      [ -e "$f" ] && ! grep -qxF "$f" "$work/seen" || continue
      echo "$f" >>"$work/seen"
      sig=$(crash_signature "$dir/bin/slabtorture" "$f" "$target")
      if [ "$sig" = "$want" ]; then
        elapsed "$t0"
        [ -z "$crashes" ] || { mkdir -p "$crashes"; cp "$f" "$crashes/$b.seed$s.regress"; }
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
        return
      fi
    done
    sleep 0.2
  done
  wait "$pid" 2>/dev/null || true
  echo "$max"
}

summary=""
for b in "${bugs[@]}"; do
  want=$want_opt
  [ -n "$want" ] || want=$(sed -n 's/^# expect-with-bug: //p' "$root/corpus/regress/$b.trace" 2>/dev/null | head -1)
  [ "$want" != any ] || want=""
  times=() wtimes=()
  for s in $(seq 1 "$seeds"); do
    fresh_corpus
    t0=$(date +%s.%N)
    rc=0
    SLAB_BUGS=$b "$dir/bin/$target" -seed="$s" -max_len=2048 -dict="$root/fuzz/$target.dict" \
      -max_total_time="$max" -artifact_prefix="$work/art/" "$work/corpus" >"$work/log" 2>&1 || rc=$?
    t=$(elapsed "$t0")
    if [ "$rc" -ne 0 ] && [ -z "$(ls "$work/art" 2>/dev/null)" ]; then
      # no crash input: the target did not fuzz (a bad option, an unknown bug), no result
      tail -5 "$work/log" >&2
      echo "fuzz_ttd: $target exited $rc without a crash input for $b seed $s" >&2
      exit 3
    fi
    sig=$(grep -a -m1 -oE '^==slabtorture== [A-Z_]+ in [A-Za-z0-9_]+' "$work/log" | cut -d' ' -f2- || true)
    if [ -z "$(ls "$work/art" 2>/dev/null)" ]; then
      sig="not found"; t=$max
    elif [ -n "$crashes" ]; then
      mkdir -p "$crashes"
      cp "$(ls "$work"/art/* | head -1)" "$crashes/$b.seed$s"
    fi
    wt=$t
    if [ -n "$want" ] && [ "$sig" != "$want" ] && [ "$sig" != "not found" ]; then
      echo "fuzz_ttd: $b seed $s: ${t}s $sig; going on in fork mode until $want"
      wt=$(until_signature "$b" "$s" "$want")
    fi
    times+=("$t") wtimes+=("$wt")
    echo "| $b | $s | $t | ${sig:-sanitizer report} | $wt |" >>"$out"
    echo "fuzz_ttd: $b seed $s: ${t}s ${sig:-sanitizer report}; ${want:-(no regression trace)} after ${wt}s"
  done
  summary+="| $b | ${times[*]} | $(median "${times[@]}") | ${want:--} | ${wtimes[*]} | $(median "${wtimes[@]}") |"$'\n'
done
{
  echo
  echo "| bug | seconds to the first report | median | regression trace's report | seconds to it | median |"
  echo "|---|---|---:|---|---|---:|"
  printf '%s' "$summary"
} >>"$out"
cat "$out"
