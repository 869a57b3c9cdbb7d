#!/usr/bin/env bash
# make oss-fuzz-check: run scripts/oss-fuzz/build.sh as OSS-Fuzz runs it (its environment
# variables, no Docker), for libFuzzer and AFL++ under ASan, into OUT_ROOT/<engine>/ (default
# out/), check what it installed, then run every target from its seed zip.
#   scripts/oss-fuzz/check.sh [--short]   --short: 5 s per target (make test), else 30 s
#   ENGINES="libfuzzer afl"  OUT_ROOT=dir  CHECK_TIME=seconds
# Exit status (scripts/lib.sh): 0 both builds pass, 1 a target crashed, 2 bad usage,
# 3 a build failed or left something out.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
secs=${CHECK_TIME:-30}
case "${1:-}" in --short) secs=${CHECK_TIME:-5} ;; "") ;; *) echo "usage: scripts/oss-fuzz/check.sh [--short]" >&2; exit $EXIT_USAGE ;; esac
positive_int oss-fuzz-check CHECK_TIME "$secs"
out_root=$(realpath -m "${OUT_ROOT:-$root/out}")
engines=${ENGINES:-libfuzzer afl}
mkdir -p "$out_root"
found=0
# The flags OSS-Fuzz's base-builder sets for SANITIZER=address (infra/base-images/base-clang).
common="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
asan="-fsanitize=address -fsanitize-address-use-after-scope"
for engine in $engines; do
  out=$out_root/$engine
  work=$out_root/work-$engine
  rm -rf "$out"; mkdir -p "$out" "$work"
  case "$engine" in
    libfuzzer)
      cc=clang cxx=clang++ flags="$common $asan -fsanitize=fuzzer-no-link" lfe=-fsanitize=fuzzer ;;
    afl)
      command -v afl-clang-fast >/dev/null || die_error oss-fuzz-check "afl-clang-fast missing (make deps)"
      driver=$(ls /usr/lib/afl/libAFLDriver.a /usr/local/lib/afl/libAFLDriver.a 2>/dev/null | head -1 || true)
      cc=afl-clang-fast cxx=afl-clang-fast++ flags="$common $asan" lfe=${driver:--fsanitize=fuzzer} ;;
    *) echo "oss-fuzz-check: ENGINES: libfuzzer and/or afl, not '$engine'" >&2; exit $EXIT_USAGE ;;
  esac
  echo "== oss-fuzz-check: $engine: build.sh -> $out"
  t0=$(date +%s)
  if ! env SRC="$root/.." WORK="$work" OUT="$out" CC=$cc CXX=$cxx CFLAGS="$flags" CXXFLAGS="$flags" \
        LIB_FUZZING_ENGINE="$lfe" FUZZING_ENGINE=$engine SANITIZER=address ARCHITECTURE=x86_64 \
        SLAB_SRC="$root" "$root/scripts/oss-fuzz/build.sh" >"$out_root/build-$engine.log" 2>&1; then
    tail -20 "$out_root/build-$engine.log" >&2
    die_error oss-fuzz-check "$engine: build.sh failed (log: $out_root/build-$engine.log)"
  fi
  echo "   built in $(( $(date +%s) - t0 ))s"
  for t in $(fuzz_targets); do
    for f in "$t" "${t}_seed_corpus.zip" "$t.dict" "$t.options"; do
      [ -s "$out/$f" ] || die_error oss-fuzz-check "$engine: build.sh did not install $f"
    done
    if ldd "$out/$t" | grep -q liburcu; then die_error oss-fuzz-check "$engine: $t links liburcu dynamically"; fi
    corpus=$work/run-$t/corpus; rm -rf "$work/run-$t"; mkdir -p "$corpus"
    unzip -q "$out/${t}_seed_corpus.zip" -d "$corpus"
    log=$out_root/run-$engine-$t.log
    export ASAN_OPTIONS=abort_on_error=1:detect_leaks=0:symbolize=$([ "$engine" = afl ] && echo 0 || echo 1)
    rc=0
    if [ "$engine" = libfuzzer ]; then
      # The options file's [libfuzzer] section, as the runner passes it.
      opts=$(awk '/^\[/{s=($0=="[libfuzzer]")} s && /=/{gsub(/ /,""); print "-"$0}' "$out/$t.options" |
             sed "s|^-dict=|-dict=$out/|")
      # shellcheck disable=SC2086
      (cd "$out" && ./"$t" $opts -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 \
        -artifact_prefix="$work/run-$t/" "$corpus") >"$log" 2>&1 || rc=$?
      execs=$(grep -aoE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    else
      AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
        afl-fuzz -i "$corpus" -o "$work/run-$t/afl" -V "$secs" -t 25000 -m none \
        -x "$out/$t.dict" -- "$out/$t" >"$log" 2>&1 || rc=$?
      stats=$work/run-$t/afl/default/fuzzer_stats
      execs=$(awk '/^execs_done/{print $3}' "$stats" 2>/dev/null || true)
      n=$(ls "$work/run-$t/afl/default/crashes" 2>/dev/null | grep -c '^id:' || true)
      [ "$n" -eq 0 ] || rc=1
    fi
    if [ "$rc" -ne 0 ] || [ -z "${execs:-}" ]; then
      echo "   $t ($engine): FAILED after ${secs}s (exit $rc); the end of $log:" >&2
      tail -15 "$log" >&2
      found=1
    else
      echo "   $t ($engine): ${secs}s from its seed zip, $execs execs, no crash"
    fi
  done
done
[ $found -eq 0 ] || exit $EXIT_FOUND
echo "oss-fuzz-check: passed ($engines); installed files in $out_root/<engine>/"
