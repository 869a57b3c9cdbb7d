#!/usr/bin/env bash
# make fuzz: build and run the fuzz targets with a live status line, then triage crashes.
#
#   FUZZ_TIME=10m|30s|8h   how long (default 10m)
#   JOBS=N                 parallel fuzzing processes (default: all cores)
#   ENGINE=libfuzzer|afl   fuzzing engine (default libfuzzer)
#   SLAB_BUGS=a,b          fuzz an allocator with these seeded bugs (fuzz-seeded build)
#   OUT_DIR=dir            output (default fuzz-out/): corpus/, crashes/, logs/
#   BUILD_DIR=dir          build directory (default build/<preset>)
#
# Crashes are deduplicated by report signature into OUT_DIR/crashes/<signature>/ with the
# input (crash.bin), its text (crash.trace) and a minimised program (crash.min.trace).
# Exit status (scripts/lib.sh): 0 no crash in this run, 1 this run found crashes, 2 bad
# settings, 3 could not run (dependencies, the build or the engine failed without a crash).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

FUZZ_TIME=${FUZZ_TIME:-10m}
JOBS=${JOBS:-$(nproc)}
ENGINE=${ENGINE:-libfuzzer}
OUT_DIR=${OUT_DIR:-$root/fuzz-out}
secs=$(to_seconds "$FUZZ_TIME") || { echo "fuzz: FUZZ_TIME=$FUZZ_TIME: use 30s, 10m, 8h or seconds" >&2; exit $EXIT_USAGE; }
[ "$secs" -gt 0 ] || { echo "fuzz: FUZZ_TIME=$FUZZ_TIME: must be more than 0 seconds" >&2; exit $EXIT_USAGE; }
case "$JOBS" in ''|*[!0-9]*|0) echo "fuzz: JOBS=$JOBS: a positive number" >&2; exit $EXIT_USAGE ;; esac

scripts_dir=$(dirname "$0")
"$scripts_dir/deps.sh" --check 2>/dev/null || "$scripts_dir/deps.sh" || die_error fuzz "installing the dependencies failed"

preset=fuzz
[ -n "${SLAB_BUGS:-}" ] && preset=fuzz-seeded
mkdir -p "$OUT_DIR"/{corpus,crashes,logs,artifacts}
seeds=$root/corpus/seeds/fuzz_ops

case "$ENGINE" in
libfuzzer)
  echo "fuzz: building preset $preset"
  bdir=$(build_preset "$preset" fuzz_ops slabtorture) || die_error fuzz "building preset $preset failed"
  ;;
afl)
  command -v afl-clang-fast >/dev/null || { echo "fuzz: ENGINE=afl needs afl-clang-fast (make deps)" >&2; exit $EXIT_USAGE; }
  echo "fuzz: building fuzz_ops with afl-clang-fast"
  bdir=${BUILD_DIR:-$root/build/afl${SLAB_BUGS:+-seeded}}
  if [ ! -f "$bdir/build.ninja" ]; then
    cmake -S "$root" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=afl-clang-fast -DSLAB_AFL=ON -DSLAB_SANITIZE="address;undefined" \
      -DSLAB_SEEDED_BUGS=$([ -n "${SLAB_BUGS:-}" ] && echo ON || echo OFF) >/dev/null ||
      die_error fuzz "configuring the AFL++ build in $bdir failed"
  fi
  cmake --build "$bdir" --target fuzz_ops slabtorture >/dev/null ||
    die_error fuzz "building fuzz_ops with afl-clang-fast failed"
  ;;
*)
  echo "fuzz: ENGINE=$ENGINE: libfuzzer or afl" >&2; exit $EXIT_USAGE ;;
esac
target=$bdir/bin/fuzz_ops
tool=$bdir/bin/slabtorture
log=$OUT_DIR/logs/fuzz_ops.log
export SLAB_BUGS=${SLAB_BUGS:-}
# An unknown bug name is a bad setting, not something the fuzzer found.
if [ -n "$SLAB_BUGS" ] && ! err=$("$tool" bugs 2>&1 >/dev/null); then
  echo "$err" >&2
  echo "fuzz: SLAB_BUGS=$SLAB_BUGS is not a setting this build accepts (see: $tool bugs)" >&2
  exit $EXIT_USAGE
fi
# afl-fuzz refuses to start unless ASan leaves symbolising to the triage step.
symbolize=1; [ "$ENGINE" = afl ] && symbolize=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0:symbolize=$symbolize}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "fuzz: fuzz_ops on $JOBS job(s) for $FUZZ_TIME${SLAB_BUGS:+, SLAB_BUGS=$SLAB_BUGS} -> $OUT_DIR"
start=$(date +%s)

status_libfuzzer() {
  set +e +o pipefail
  # fork mode prints "#N: cov: C ft: F corp: K exec/s: E oom/timeout/crash: a/b/c time: T"
  local line
  line=$(grep -a 'cov:' "$log" 2>/dev/null | tail -1) || true
  local execs cov corp crashes
  execs=$(grep -oE 'exec/s:? [0-9]+' <<<"$line" | awk '{print $2}')
  cov=$(grep -o 'cov: [0-9]*' <<<"$line" | awk '{print $2}')
  corp=$(grep -o 'corp: [0-9]*' <<<"$line" | awk '{print $2}')
  crashes=$(ls "$OUT_DIR/artifacts" 2>/dev/null | grep -c '^crash-' || true)
  printf '\r[%4ds/%ds] exec/s: %-7s cov: %-6s corpus: %-6s crashes: %-4s' \
    $(( $(date +%s) - start )) "$secs" "${execs:--}" "${cov:--}" "${corp:--}" "$crashes"
  set -e -o pipefail
}

status_afl() {
  set +e +o pipefail
  local execs=0 cov=- corp=0 crashes=0 f
  for f in "$OUT_DIR"/afl/*/fuzzer_stats; do
    [ -f "$f" ] || continue
    execs=$(awk -v e="$execs" '/^execs_per_sec/{printf "%d", e + $3}' "$f")
    corp=$(awk -v c="$corp" '/^corpus_count/{print c + $3}' "$f")
    cov=$(awk '/^bitmap_cvg/{print $3}' "$f")
  done
  crashes=$(ls "$OUT_DIR"/afl/*/crashes/ 2>/dev/null | grep -c '^id:' || true)
  printf '\r[%4ds/%ds] exec/s: %-7s cov: %-6s corpus: %-6s crashes: %-4s' \
    $(( $(date +%s) - start )) "$secs" "$execs" "$cov" "$corp" "$crashes"
  set -e -o pipefail
}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup INT TERM

# Crash files of earlier runs into the same OUT_DIR are triaged again but do not count
# as found by this run.
old_crashes=$(ls "$OUT_DIR"/artifacts/crash-* "$OUT_DIR"/afl/*/crashes/id:* 2>/dev/null || true)

if [ "$ENGINE" = libfuzzer ]; then
  "$target" -fork="$JOBS" -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -max_total_time="$secs" -dict="$root/fuzz/fuzz_ops.dict" -max_len=2048 \
    -artifact_prefix="$OUT_DIR/artifacts/" -print_final_stats=1 \
    "$OUT_DIR/corpus" "$seeds" >"$log" 2>&1 &
  pids+=($!)
  while kill -0 "${pids[0]}" 2>/dev/null; do status_libfuzzer; sleep 2; done
  engine_rc=0; wait "${pids[0]}" || engine_rc=$?
  engine_log=$log
  status_libfuzzer
  crash_files=$(ls "$OUT_DIR"/artifacts/crash-* 2>/dev/null || true)
else
  mkdir -p "$OUT_DIR/afl" "$OUT_DIR/afl-in"
  cp "$seeds"/*.bin "$OUT_DIR/afl-in/"
  export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
  for j in $(seq 1 "$JOBS"); do
    role=-S; [ "$j" -eq 1 ] && role=-M
    afl-fuzz $role "f$j" -i "$OUT_DIR/afl-in" -o "$OUT_DIR/afl" -V "$secs" \
      -x "$root/fuzz/fuzz_ops.dict" -- "$target" >"$OUT_DIR/logs/afl-$j.log" 2>&1 &
    pids+=($!)
  done
  while kill -0 "${pids[0]}" 2>/dev/null; do status_afl; sleep 2; done
  engine_rc=0; wait "${pids[0]}" || engine_rc=$?
  for p in "${pids[@]:1}"; do wait "$p" || true; done
  engine_log=$OUT_DIR/logs/afl-1.log
  status_afl
  crash_files=$(ls "$OUT_DIR"/afl/*/crashes/id:* 2>/dev/null || true)
fi
echo
# An engine that failed without a crash to show (bad options, a broken build) must not
# pass for a clean run.
if [ "$engine_rc" -ne 0 ] && [ -z "$crash_files" ]; then
  echo "fuzz: $ENGINE stopped after $(( $(date +%s) - start ))s with exit code $engine_rc; the end of $engine_log:" >&2
  tail -n 15 "$engine_log" >&2
  exit $EXIT_ERROR
fi
new_crashes=$(comm -13 <(sort <<<"$old_crashes") <(sort <<<"$crash_files") | grep -c . || true)

# Triage: one directory per signature.
declare -A seen=()
n_unique=0
for c in $crash_files; do
  sig=$(crash_signature "$tool" "$c")
  s=$(slug "$sig")
  d=$OUT_DIR/crashes/$s
  if [ -z "${seen[$s]:-}" ]; then
    seen[$s]=1
    if [ ! -f "$d/crash.bin" ]; then
      mkdir -p "$d"
      cp "$c" "$d/crash.bin"
      echo "$sig" >"$d/signature"
      "$tool" decode "$d/crash.bin" -o "$d/crash.trace" || true
      "$tool" minimize "$d/crash.bin" -o "$d/crash.min.trace" >/dev/null 2>&1 || true
    fi
  fi
  echo "$c" >>"$d/inputs"
done

echo "== fuzz summary: $(( $(date +%s) - start ))s, log $engine_log"
found=0
for d in "$OUT_DIR"/crashes/*/; do
  [ -f "$d/signature" ] || continue
  found=1
  n=$(wc -l <"$d/inputs" 2>/dev/null || echo 0)
  min_ops=$(grep -c '^cpu' "$d/crash.min.trace" 2>/dev/null || echo "?")
  echo "  $(cat "$d/signature")  ($n input(s), minimised to $min_ops ops)"
  echo "      make repro CRASH=${d}crash.bin${SLAB_BUGS:+ SLAB_BUGS=$SLAB_BUGS}"
  echo "      minimised: ${d}crash.min.trace"
done
[ $found -eq 0 ] && echo "  no crashes"
echo "  this run: $new_crashes new crash input(s)"
# Like make stress: a run that found something exits 1, so scripts and CI notice.
[ "$new_crashes" -gt 0 ] && exit $EXIT_FOUND
exit $EXIT_CLEAN
