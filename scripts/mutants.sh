#!/usr/bin/env bash
# make mutants: mutation testing of the reference allocator. Each mutant (one source change
# of allocator/*.c or allocator/platform/*.c, scripts/mutants/generate.py) is built in a
# private copy of the tree and run against what the suite has: the regression traces, then
# fuzz_ops and fuzz_sched from their seed corpora, then slab-stress. The first of them that
# fails kills the mutant; a mutant none of them notices survives. The unit tests (tests/test_*.c,
# a few seconds) run after the regression traces. Results go to
# OUT_DIR/results.tsv; scripts/mutants/report.py turns them into bench/results/mutants.md.
#
#   MUTANT_TIME=60      seconds of fuzzing per mutant (30s, 2m, ... too), split between
#                       fuzz_ops and fuzz_sched; at least 2
#   MUTANTS=20|all      how many mutants: a deterministic sample of the pool (SEED)
#   FILTER=regex        only mutants in functions matching regex (Python re.search)
#   SEED=1              the sample's seed (libFuzzer and slab-stress always run with seed 1)
#   JOBS=1              mutants tested at once, each in its own slot (source copy + build)
#   OUT_DIR=mutants-out results.tsv, logs/<mutant>/, slot<k>/{src,build}
#   IDS=file            test exactly these mutants instead of a sample (MUTANTS, FILTER and
#                       SEED are then not used): an ids file (generate.py --help), a line
#                       `ID [FUNCTION [ORIGINAL LINE]]` each (relocated when the source
#                       moved), # comments
#   CHECKS=regress,unit,fuzz,stress   which checks run, in this order (any non-empty subset)
#   MUTANT_TIMEOUT=10   seconds the regress run or one fuzz input may take: more is a hang,
#                       which kills the mutant; a unit-test binary may take that or 4 times
#                       what it took on the unmutated tree, whichever is more (test_ops
#                       runs for seconds, and a loaded machine must not pass for a hang)
#   BUILD_JOBS=n        ninja -j of each slot's build (default: cores / JOBS, at least 1)
#
# Per mutant: apply it to the slot's source, rebuild (slabtorture fuzz_ops fuzz_sched
# slab-stress; a build error: `uncompiled`; object code (debug info aside) identical to the
# unmutated build's: `equivalent`), then (1) `slabtorture run --quiet --expect corpus/regress/*.trace`,
# (2) every unit-test binary (tests/test_*.c, all its cases), (3) fuzz_ops and fuzz_sched
# for MUTANT_TIME/2 s each (-seed=1 -max_len=2048 -dict, from a fresh copy of
# corpus/seeds/<target>), (4) `slab-stress --seconds 5 --seed 1 --threads 2 --cpus 2`; the
# original file is copied back afterwards. Time to kill counts from the start
# of the checks (the build excluded). A line is appended to results.tsv only when a mutant
# is finished, and ids already there are skipped: an interrupted run resumes where it was.
# A resumed run must have the same MUTANT_TIME, CHECKS, MUTANT_TIMEOUT and sources (the
# allocator, and what the checks are made of: model, fuzz targets, stress, tests, corpora,
# generate.py; results.tsv's first line records their hash); MUTANTS, FILTER, SEED and JOBS
# may change (a larger MUTANTS extends the same sample).
# results.tsv columns: id file line function family operator status (killed, survived,
# uncompiled, equivalent) killer (regress, unit, fuzz, stress, -) detail (the trace, fuzz target)
# kill_s signature (the first report's `KIND in function`, or the build error) build_s checks_s.
#
# Before any mutant, each slot builds the unmutated tree and slot 0 runs the checks on it:
# the scoreboard means nothing if they fail without a mutant.
# Exit status: 0 the run completed (survivors are results, not errors), 2 bad settings,
# 3 could not run (a build or a check of the unmutated tree failed, a tool is missing).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
scripts_dir=$root/scripts
gen=$scripts_dir/mutants/generate.py

usage() { echo "mutants: $*" >&2; exit $EXIT_USAGE; }
case "${1:-}" in
  -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
  "") ;;
  *) usage "no arguments (settings come from the environment; see --help), not '$1'" ;;
esac

MUTANT_TIME=${MUTANT_TIME:-60}
MUTANTS=${MUTANTS:-20}
FILTER=${FILTER:-}
SEED=${SEED:-1}
JOBS=${JOBS:-1}
OUT_DIR=${OUT_DIR:-$root/mutants-out}
IDS=${IDS:-}
CHECKS=${CHECKS:-regress,unit,fuzz,stress}
MUTANT_TIMEOUT=${MUTANT_TIMEOUT:-10}
STRESS_SECONDS=5

mutant_secs=$(to_seconds "$MUTANT_TIME") || usage "MUTANT_TIME=$MUTANT_TIME: use seconds, 30s, 2m or 1h"
[ "$mutant_secs" -ge 2 ] || usage "MUTANT_TIME=$MUTANT_TIME: at least 2 seconds (one for each fuzz target)"
case "$MUTANTS" in all) ;; ''|*[!0-9]*|0) usage "MUTANTS takes a positive number or 'all', not '$MUTANTS'" ;; esac
case "$SEED" in ''|*[!0-9]*) usage "SEED takes a whole number, not '$SEED'" ;; esac
positive_int mutants JOBS "$JOBS"
positive_int mutants MUTANT_TIMEOUT "$MUTANT_TIMEOUT"
BUILD_JOBS=${BUILD_JOBS:-$(( $(nproc) / JOBS > 0 ? $(nproc) / JOBS : 1 ))}
positive_int mutants BUILD_JOBS "$BUILD_JOBS"
[ -z "$FILTER" ] || python3 -c 'import re,sys; re.compile(sys.argv[1])' "$FILTER" 2>/dev/null ||
  usage "FILTER=$FILTER is not a valid (Python) regular expression"
checks=()
IFS=, read -ra _checks <<<"$CHECKS"
for c in "${_checks[@]}"; do
  case "$c" in regress|unit|fuzz|stress) checks+=("$c") ;;
    *) usage "CHECKS=$CHECKS: a comma-separated list of regress, unit, fuzz, stress" ;; esac
done
[ ${#checks[@]} -gt 0 ] || usage "CHECKS is empty"
CHECKS=$(IFS=,; echo "${checks[*]}")
if [ -n "$IDS" ]; then
  [ -f "$IDS" ] || usage "IDS=$IDS: no such file"
  IDS=$(cd "$(dirname "$IDS")" && pwd)/$(basename "$IDS")
fi
has_check() { [[ ",$CHECKS," == *",$1,"* ]]; }
half_ops=$(( mutant_secs - mutant_secs / 2 ))
half_sched=$(( mutant_secs / 2 ))

"$scripts_dir/deps.sh" --check 2>/dev/null || "$scripts_dir/deps.sh" || die_error mutants "installing the dependencies failed"
for tool in cmake ninja clang python3 timeout flock cmp; do
  command -v "$tool" >/dev/null || die_error mutants "$tool is missing (make deps)"
done

mkdir -p "$OUT_DIR" || die_error mutants "cannot create OUT_DIR=$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
results=$OUT_DIR/results.tsv
lockfile=$OUT_DIR/.results.lock
targets=(slabtorture)
unit_tests=()
for t in "$root"/tests/test_*.c; do unit_tests+=("$(basename "$t" .c)"); done
has_check unit && targets+=("${unit_tests[@]}")
has_check fuzz && targets+=(fuzz_ops fuzz_sched)
has_check stress && targets+=(slab-stress)

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0:symbolize=0:hard_rss_limit_mb=2048}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:symbolize=0}

# The fuzz preset's generator and cache variables (CMakePresets.json, `inherits` resolved),
# for a build tree outside build/ (cmake --preset cannot take another binaryDir).
cmake_args=()
while IFS= read -r a; do cmake_args+=("$a"); done < <(python3 - "$root/CMakePresets.json" <<'EOF'
import json, sys
presets = {p["name"]: p for p in json.load(open(sys.argv[1]))["configurePresets"]}
def chain(name):
    p = presets[name]
    inh = p.get("inherits", [])
    for parent in ([inh] if isinstance(inh, str) else inh):
        yield from chain(parent)
    yield p
gen, cache = None, {}
for p in chain("fuzz"):
    gen = p.get("generator", gen)
    for k, v in p.get("cacheVariables", {}).items():
        cache[k] = v["value"] if isinstance(v, dict) else v
if gen:
    print("-G"); print(gen)
for k, v in cache.items():
    print("-D%s=%s" % (k, "ON" if v is True else "OFF" if v is False else v))
EOF
)
[ ${#cmake_args[@]} -gt 0 ] || die_error mutants "could not read the fuzz preset from CMakePresets.json"

now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
slug_id() { tr ':/' '__' <<<"$1"; }
one_line() { tr '\t\n' '  ' <<<"$1" | sed 's/ *$//' | cut -c1-160; }

# The tracked files of the checkout (else every file but build and output trees), copied
# into $1 where they differ: a file that did not change keeps its mtime, so the slot's
# build stays incremental, and a leftover mutant (an interrupted run) is put right.
sync_tree() {
  local dst=$1 f
  mkdir -p "$dst"
  {
    if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      git -C "$root" ls-files -z
    else
      (cd "$root" && find . -type f -not -path './.git/*' -not -path './build/*' -not -path './fuzz-out/*' \
        -not -path './mutants-out/*' -not -path './out/*' -not -path './stress-out/*' -print0)
    fi
  } | while IFS= read -r -d '' f; do
    f=${f#./}
    case "$f" in build/*|fuzz-out/*|mutants-out/*|out/*|stress-out/*) continue ;; esac
    [ -f "$root/$f" ] || continue
    case "$root/$f" in "$OUT_DIR"/*) continue ;; esac
    if ! cmp -s "$root/$f" "$dst/$f"; then
      mkdir -p "$dst/$(dirname "$f")" && cp "$root/$f" "$dst/$f" || return 1
    fi
  done
}

# The sources mutants change, and the objects the build makes of them (slab, slab_sched).
mutable_files() { python3 -B -c 'import sys; sys.path.insert(0, sys.argv[1]); import generate; print("\n".join(generate.source_files(sys.argv[2])))' "$scripts_dir/mutants" "$1"; }
objects_of() { local b=$1 rel=$2 o; for o in "$b"/CMakeFiles/*.dir/"$rel".o; do [ -f "$o" ] && echo "$o"; done; }
# An object without its debug sections: a mutant that changes no code but the debug info
# (an inlined no-op call gone, a TSan annotation in this ASan build) is still equivalent.
objcopy_bin=$(command -v llvm-objcopy || command -v objcopy || true)
code_of() {
  if [ -n "$objcopy_bin" ]; then "$objcopy_bin" --strip-debug "$1" "$2"; else cp "$1" "$2"; fi
}

# Slot k: source copy, configured build of the unmutated tree, its objects kept for the
# identical-code check, the pristine sources kept to undo a mutant.
slot_setup() {
  local k=$1 slot=$OUT_DIR/slot$1 rel o
  local src=$slot/src bld=$slot/build
  sync_tree "$src" || { echo "copying the tree into $src failed"; return 1; }
  if [ ! -f "$bld/build.ninja" ]; then
    cmake -S "$src" -B "$bld" "${cmake_args[@]}" >"$slot/configure.log" 2>&1 ||
      { echo "configuring $bld failed (see $slot/configure.log)"; return 1; }
  fi
  cmake --build "$bld" -j "$BUILD_JOBS" --target "${targets[@]}" >"$slot/build.log" 2>&1 ||
    { echo "building the unmutated tree in $bld failed (see $slot/build.log)"; return 1; }
  rm -rf "$slot/pristine" "$slot/baseline"
  while IFS= read -r rel; do
    mkdir -p "$slot/pristine/$(dirname "$rel")"
    cp -p "$src/$rel" "$slot/pristine/$rel"
    while IFS= read -r o; do
      mkdir -p "$slot/baseline/$(dirname "${o#"$bld"/}")"
      code_of "$o" "$slot/baseline/${o#"$bld"/}"
    done < <(objects_of "$bld" "$rel")
  done < <(mutable_files "$src")
}

# A report's signature in a log: the report line's `KIND in function`, slab-stress's failure,
# a sanitizer's or libFuzzer's error kind, or a UBSan runtime error.
signature() {
  local log=$1 s
  s=$(grep -a -m1 -o '==slabtorture== [A-Z_]* in [A-Za-z0-9_]*' "$log" | sed 's/^==slabtorture== //')
  [ -n "$s" ] || s=$(grep -a -m1 'slab-stress: FAILED: ' "$log" | sed 's/^.*slab-stress: FAILED: //')
  [ -n "$s" ] || s=$(grep -a -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [A-Za-z-]*' "$log" | sed 's/^ERROR: //')
  [ -n "$s" ] || s=$(grep -a -m1 -o 'ERROR: libFuzzer: [a-z -]*' "$log" | sed 's/^ERROR: //; s/ *$//')
  [ -n "$s" ] || s=$(grep -a -m1 -o 'runtime error: .*' "$log" | cut -c1-100)
  one_line "$s"
}
timed_out() { [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; }

# The checks, run in slot $slot on its build. Each sets `kill_sig` and `kill_detail` and
# returns 1 when it kills the mutant. Logs go to $logs.
check_regress() {
  local log=$logs/regress.log rc line
  # (In braces: bash's own "Aborted" line for a child killed by a signal goes to the log.)
  { (cd "$src" && exec timeout -k 2 "$MUTANT_TIMEOUT" "$bld/bin/slabtorture" run --quiet --expect corpus/regress/*.trace); } >"$log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] && return 0
  line=$(grep -a -m1 ': FAILED at op ' "$log")
  if [ -n "$line" ]; then
    kill_detail=$(basename "${line%%: FAILED at op *}")
    kill_sig="$kill_detail: $(sed 's/^.*: FAILED at op [0-9-]*: //' <<<"$line")"
  else
    line=$(grep -a -m1 ': expected ' "$log")
    if [ -n "$line" ]; then
      kill_detail=$(basename "${line%%: expected *}")
      kill_sig="$kill_detail: $(sed 's/^.*: expected /expected /' <<<"$line")"
    fi
    # A crash or a hang of the run: in the trace after the last one with a result line.
    if [ -z "$kill_sig" ]; then
      local traces=("$src"/corpus/regress/*.trace) last i
      last=$(grep -a -o '^corpus/regress/[^:]*\.trace' "$log" | tail -1)
      kill_detail=$(basename "${traces[0]}")
      for ((i = 0; i + 1 < ${#traces[@]}; i++)); do
        [ "${traces[$i]}" = "$src/$last" ] && kill_detail=$(basename "${traces[$((i + 1))]}")
      done
      kill_sig=$(signature "$log")
      [ -n "$kill_sig" ] || { timed_out "$rc" && kill_sig="timeout (${MUTANT_TIMEOUT}s)" || kill_sig="exit status $rc"; }
      kill_sig="$kill_detail: $kill_sig"
    fi
  fi
  kill_sig=$(one_line "$kill_sig")
  return 1
}

# Every unit-test binary with all its cases; the first that fails (or hangs) kills. The
# unmutated tree's run (the baseline, in the main process before the workers fork) sets
# each binary's time limit.
declare -A unit_limit=()
check_unit() {
  local t log rc t0 lim
  for t in "${unit_tests[@]}"; do
    log=$logs/$t.log
    lim=${unit_limit[$t]:-$MUTANT_TIMEOUT}
    t0=$(now)
    { (cd "$src" && exec timeout -k 2 "$lim" "$bld/bin/$t"); } >"$log" 2>&1
    rc=$?
    if [ -z "${unit_limit[$t]:-}" ]; then
      unit_limit[$t]=$(awk -v e="$(since "$t0")" -v m="$MUTANT_TIMEOUT" 'BEGIN { l = int(4 * e + 0.999); print l > m ? l : m }')
    fi
    [ "$rc" -eq 0 ] && continue
    kill_detail=$t
    kill_sig=$(grep -a -m1 -o '^FAIL *[a-z0-9_]*' "$log" | sed 's/^FAIL */FAIL /')
    [ -n "$kill_sig" ] || kill_sig=$(signature "$log")
    [ -n "$kill_sig" ] || { timed_out "$rc" && kill_sig="timeout (${lim}s)" || kill_sig="exit status $rc"; }
    kill_sig=$(one_line "$t: $kill_sig")
    return 1
  done
  return 0
}

check_fuzz_target() {
  local t=$1 secs=$2 log=$logs/$1.log w=$slot/work/$1 rc dict=()
  rm -rf "$w" && mkdir -p "$w/corpus" "$w/artifacts"
  cp "$src/corpus/seeds/$t/"* "$w/corpus/" 2>/dev/null
  [ -f "$src/fuzz/$t.dict" ] && dict=(-dict="$src/fuzz/$t.dict")
  { timeout -k 5 $(( secs + 3 * MUTANT_TIMEOUT + 30 )) "$bld/bin/$t" -seed=1 -max_len=2048 "${dict[@]}" \
    -max_total_time="$secs" -timeout="$MUTANT_TIMEOUT" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$w/artifacts/" "$w/corpus"; } >"$log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] && return 0
  kill_detail=$t
  kill_sig=$(signature "$log")
  [ -n "$kill_sig" ] || { timed_out "$rc" && kill_sig="timeout (whole run)" || kill_sig="exit status $rc"; }
  cp "$w"/artifacts/* "$logs/" 2>/dev/null
  return 1
}

check_fuzz() {
  check_fuzz_target fuzz_ops "$half_ops" && check_fuzz_target fuzz_sched "$half_sched"
}

check_stress() {
  local log=$logs/stress.log rc
  rm -rf "$slot/work/stress"
  { timeout -k 5 $(( STRESS_SECONDS + 3 * MUTANT_TIMEOUT )) "$bld/bin/slab-stress" --seconds "$STRESS_SECONDS" \
    --seed 1 --threads 2 --cpus 2 --no-replay --out "$slot/work/stress"; } >"$log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] && return 0
  kill_detail=slab-stress
  kill_sig=$(signature "$log")
  [ -n "$kill_sig" ] || { timed_out "$rc" && kill_sig="timeout" || kill_sig="exit status $rc"; }
  cp -r "$slot/work/stress" "$logs/stress-out" 2>/dev/null
  return 1
}

# Runs the checks; sets killer/kill_sig/kill_detail/kill_s/checks_s.
run_checks() {
  local c t0
  killer=- kill_sig='' kill_detail=- kill_s=-
  t0=$(now)
  for c in "${checks[@]}"; do
    if ! "check_$c"; then
      killer=$c
      kill_s=$(since "$t0")
      break
    fi
  done
  checks_s=$(since "$t0")
  [ "$killer" != - ]
}

# Undo the mutant: the pristine copy back, with a new mtime so that ninja rebuilds it.
restore_file() {
  [ -n "${cur_file:-}" ] || return 0
  cp "$slot/pristine/$cur_file" "$src/$cur_file" && touch "$src/$cur_file"
  cur_file=
}

# One mutant in slot $slot. $1: its number in the list, $2: its TSV row (generate.py --list).
run_mutant() {
  local k=$1 row=$2 id file line func family op status t0 build_s rel o same msg
  IFS=$'\t' read -r id file line func family op <<<"$row"
  logs=$OUT_DIR/logs/$(slug_id "$id")
  rm -rf "$logs" && mkdir -p "$logs"
  python3 "$gen" --patch "$id" --src "$src" >"$logs/patch.diff" 2>"$logs/apply.log" &&
    python3 "$gen" --apply "$id" --src "$src" 2>>"$logs/apply.log" || {
      echo "mutants: cannot apply $id to $src: $(cat "$logs/apply.log")" >&2
      return $EXIT_ERROR
    }
  cur_file=$file
  t0=$(now)
  killer=- kill_sig='' kill_detail=- kill_s=- checks_s=-
  if ! cmake --build "$bld" -j "$BUILD_JOBS" --target "${targets[@]}" >"$logs/build.log" 2>&1; then
    build_s=$(since "$t0")
    status=uncompiled
    kill_sig=$(grep -a -m1 -o 'error: .*' "$logs/build.log" | cut -c1-120)
    msg="uncompiled (build ${build_s}s: $(one_line "$kill_sig"))"
  else
    build_s=$(since "$t0")
    same=1
    while IFS= read -r o; do
      code_of "$o" "$slot/code.o" && cmp -s "$slot/code.o" "$slot/baseline/${o#"$bld"/}" || same=0
    done < <(objects_of "$bld" "$file")
    [ -n "$(objects_of "$bld" "$file")" ] || same=0
    if [ "$same" = 1 ]; then
      status=equivalent
      kill_sig="identical object code"
      msg="equivalent (object code identical to the unmutated build's)"
    elif run_checks; then
      status=killed
      msg="killed by $killer in ${kill_s}s ($kill_sig)"
    else
      status=survived
      msg="survived (checks ${checks_s}s)"
    fi
  fi
  restore_file
  (
    flock 9
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$file" "$line" "$func" "$family" "$op" \
      "$status" "$killer" "$kill_detail" "$kill_s" "$(one_line "$kill_sig")" "$build_s" "$checks_s" >>"$results"
  ) 9>>"$lockfile"
  echo "[$k/$total] $id: $msg"
}

# Worker of slot $1: the mutants of its list file, one after the other.
worker() {
  slot=$OUT_DIR/slot$1 src=$OUT_DIR/slot$1/src bld=$OUT_DIR/slot$1/build cur_file=
  trap 'restore_file; exit 130' INT TERM
  local k row rc
  while IFS=$'\t' read -r k row; do
    run_mutant "$k" "$row" || { rc=$?; restore_file; return $rc; }
  done <"$OUT_DIR/slot$1/queue.tsv"
}

# A resumed run continues results.tsv only with the settings its results depend on.
same_settings() {
  local old kv was
  [ -s "$results" ] || return 0
  old=$(head -1 "$results")
  for kv in "$@"; do
    was=$(sed -n "s/.* ${kv%%=*}=\([^ ]*\).*/\1/p" <<<" ${old#\# settings: }")
    [ "$was" = "${kv#*=}" ] || usage "$(_rel_path "$results") was started with ${kv%%=*}=${was:-?}, this run has $kv: results would not compare (use another OUT_DIR, or remove its results.tsv)"
  done
}
same_settings "MUTANT_TIME=$mutant_secs" "CHECKS=$CHECKS" "MUTANT_TIMEOUT=$MUTANT_TIMEOUT"

# ---- set up: slots, the unmutated tree, the list ------------------------------------------
# Until the workers run, an interrupt stops what we started (builds, the baseline's checks).
trap 'pkill -TERM -P $$ 2>/dev/null; wait; echo "mutants: interrupted" >&2; exit 130' INT TERM
start=$(now)
echo "mutants: setting up $JOBS slot(s) in $(_rel_path "$OUT_DIR") (copy of the tree, fuzz-preset build of targets: ${targets[*]})"
pids=()
for ((j = 0; j < JOBS; j++)); do
  slot_setup "$j" >"$OUT_DIR/slot$j.setup.log" 2>&1 &
  pids+=($!)
done
fail=0
for ((j = 0; j < JOBS; j++)); do
  if ! wait "${pids[$j]}"; then
    echo "mutants: slot $j: $(tail -1 "$OUT_DIR/slot$j.setup.log")" >&2
    fail=1
  fi
done
[ "$fail" = 0 ] || die_error mutants "the unmutated tree does not build"

slot=$OUT_DIR/slot0 src=$OUT_DIR/slot0/src bld=$OUT_DIR/slot0/build
pool=$(python3 "$gen" --list --src "$src") || die_error mutants "generate.py failed on $src"
pool_size=$(grep -c . <<<"$pool")
sources=$( (cd "$src" && find allocator model fuzz stress tests tools corpus/regress corpus/seeds CMakeLists.txt \
  CMakePresets.json scripts/mutants.sh scripts/mutants/generate.py -type f | LC_ALL=C sort | xargs cat) | sha1sum | cut -c1-12)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo none)
GIT_OPTIONAL_LOCKS=0 git -C "$root" diff --quiet HEAD -- allocator 2>/dev/null || commit="$commit+dirty"

if [ -n "$IDS" ]; then
  ids=$(python3 "$gen" --resolve "$IDS" --src "$src") || usage "IDS=$IDS: ids not in the pool of this tree (above)"
  list=""
  while IFS= read -r id; do
    [ -n "$id" ] || continue
    list+=$(awk -F'\t' -v id="$id" '$1 == id' <<<"$pool")$'\n'
  done <<<"$ids"
  list=${list%$'\n'}
  [ -n "$list" ] || usage "IDS=$IDS lists no mutant"
else
  list=$(python3 "$gen" --list --src "$src" --sample "$MUTANTS" --seed "$SEED" ${FILTER:+--filter "$FILTER"}) ||
    die_error mutants "generate.py --sample failed"
  [ -n "$list" ] || usage "FILTER=$FILTER matches no function that has mutants"
fi
total=$(grep -c . <<<"$list")

# results.tsv: line 1 the settings, line 2 the column names, then one line per mutant.
[ -n "$IDS" ] && MUTANTS=- SEED=- FILTER=
settings="MUTANT_TIME=$mutant_secs MUTANTS=$MUTANTS SEED=$SEED FILTER=$FILTER IDS=${IDS:+$(_rel_path "$IDS")} CHECKS=$CHECKS JOBS=$JOBS MUTANT_TIMEOUT=$MUTANT_TIMEOUT pool=$pool_size sources=$sources commit=$commit"
columns=$'#id\tfile\tline\tfunction\tfamily\toperator\tstatus\tkiller\tdetail\tkill_s\tsignature\tbuild_s\tchecks_s'
if [ -s "$results" ]; then
  same_settings "sources=$sources"
  { echo "# settings: $settings"; tail -n +2 "$results"; } >"$results.new" && mv "$results.new" "$results"
else
  { echo "# settings: $settings"; echo "$columns"; } >"$results"
fi
declare -A done_ids=()
while IFS= read -r id; do done_ids[$id]=1; done < <(awk -F'\t' '!/^#/ { print $1 }' "$results")

queued=0
for ((j = 0; j < JOBS; j++)); do : >"$OUT_DIR/slot$j/queue.tsv"; done
k=0
while IFS= read -r row; do
  k=$((k + 1))
  id=${row%%$'\t'*}
  [ -n "${done_ids[$id]:-}" ] && continue
  printf '%s\t%s\n' "$k" "$row" >>"$OUT_DIR/slot$((queued % JOBS))/queue.tsv"
  queued=$((queued + 1))
done <<<"$list"
echo "mutants: pool of $pool_size mutants (sources $sources, $commit); testing $total${IDS:+ from $(_rel_path "$IDS")}${FILTER:+ in functions matching /$FILTER/}, MUTANT_TIME=${mutant_secs}s, CHECKS=$CHECKS, JOBS=$JOBS"
[ "$queued" -lt "$total" ] && echo "mutants: resuming: $((total - queued)) of $total already in $(_rel_path "$results"), skipped"

# The unmutated tree must pass every check, or every mutant would be "killed".
if [ "$queued" -gt 0 ]; then
  logs=$OUT_DIR/logs/baseline
  rm -rf "$logs" && mkdir -p "$logs"
  echo "mutants: checking the unmutated tree (${CHECKS})"
  if run_checks; then
    die_error mutants "the unmutated tree fails the $killer check ($kill_sig; logs in $(_rel_path "$logs")): fix that first"
  fi
  echo "mutants: unmutated tree clean (checks ${checks_s}s)"
  for t in "${!unit_limit[@]}"; do
    [ "${unit_limit[$t]}" -gt "$MUTANT_TIMEOUT" ] && echo "mutants: $t may take ${unit_limit[$t]}s (4 times the unmutated tree's run)"
  done
fi

# ---- the mutants ----------------------------------------------------------------------------
pids=()
# Ctrl-C reaches every process of the terminal's group; a TERM (a CI timeout) only us: the
# workers and their checks are stopped, each worker puts its slot's file back.
stop_workers() {
  local p
  for p in "${pids[@]}"; do pkill -TERM -P "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
  wait
  echo "mutants: interrupted; finished mutants are in $(_rel_path "$results"): rerun to resume" >&2
  exit 130
}
trap stop_workers INT TERM
for ((j = 0; j < JOBS; j++)); do
  worker "$j" &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || { r=$?; [ "$r" -gt "$rc" ] && rc=$r; }; done
trap - INT TERM
[ "$rc" -eq 0 ] || die_error mutants "a worker failed (status $rc)"

summary=$(awk -F'\t' '!/^#/ { n[$7]++; t++ } END { printf "%d finished: %d killed, %d survived, %d uncompiled, %d equivalent", t, n["killed"], n["survived"], n["uncompiled"], n["equivalent"] }' "$results")
echo "mutants: $summary (in $(_rel_path "$results"), this run $(since "$start")s); report: python3 scripts/mutants/report.py${OUT_DIR:+ --out-dir $(_rel_path "$OUT_DIR")}"
exit $EXIT_CLEAN
