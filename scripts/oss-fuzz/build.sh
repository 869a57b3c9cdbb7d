#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build of every fuzz target (fuzz/CMakeLists.txt:
# slab_fuzz_target lines). Honours what the builder sets and adds no sanitizer flag:
#   CC CFLAGS CXX CXXFLAGS   compilers and flags (sanitizers, -fsanitize=fuzzer-no-link, ...)
#   LIB_FUZZING_ENGINE       link flags of the engine (-fsanitize=fuzzer, libAFLDriver.a, ...)
#   FUZZING_ENGINE           libfuzzer | afl | honggfuzz | centipede (only picks the ignore list)
#   OUT WORK SRC             install, scratch and source directories
# Installs into $OUT, for every target T: T, T_seed_corpus.zip, T.dict, T.options.
# Fuzz targets link with $CXX; liburcu is linked statically (the runner image has none).
# Run locally, as OSS-Fuzz would: make oss-fuzz-check (scripts/oss-fuzz/check.sh).
src=${SLAB_SRC:-$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)}
[ -f "$src/fuzz/CMakeLists.txt" ] || src=$SRC/slabtorture
work=${WORK:-/tmp}/slabtorture-build
: "${OUT:?OUT must be set}" "${CC:?}" "${CXX:?}" "${LIB_FUZZING_ENGINE:?}"
CFLAGS=${CFLAGS:-} CXXFLAGS=${CXXFLAGS:-}
mkdir -p "$OUT" "$work"

targets=$(sed -n 's/^slab_fuzz_target(\([A-Za-z0-9_]*\).*/\1/p' "$src/fuzz/CMakeLists.txt")
[ -n "$targets" ] || { echo "build.sh: no slab_fuzz_target() in $src/fuzz/CMakeLists.txt" >&2; exit 1; }

# The oracle (model checks, introspection walks) is not what the fuzzers explore: leave it
# uninstrumented for coverage feedback, as the local builds do (fuzz/coverage-ignore.txt).
ignore=$src/fuzz/coverage-ignore.txt
case "${FUZZING_ENGINE:-libfuzzer}" in
  afl) export AFL_LLVM_DENYLIST=$ignore ;;
  *) case " $CFLAGS " in
       *-fsanitize=fuzzer-no-link*|*-fsanitize-coverage=*) CFLAGS="$CFLAGS -fsanitize-coverage-ignorelist=$ignore" ;;
     esac ;;
esac

gen=Ninja; command -v ninja >/dev/null || gen="Unix Makefiles"
# No CMAKE_BUILD_TYPE: the optimisation and debug flags are the builder's ($CFLAGS).
cmake -S "$src" -B "$work" -G "$gen" \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" -DCMAKE_BUILD_TYPE= \
  -DLIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" -DSLAB_URCU_STATIC=ON \
  -DSLAB_SANITIZE= -DSLAB_FUZZ=OFF -DSLAB_AFL=OFF -DSLAB_COVERAGE=OFF -DSLAB_SEEDED_BUGS=OFF
# shellcheck disable=SC2086
cmake --build "$work" -j "$(nproc)" --target $targets

for t in $targets; do
  cp "$work/bin/$t" "$OUT/$t"
  rm -f "$OUT/${t}_seed_corpus.zip"
  seeds=$src/corpus/seeds/$t
  if [ -n "$(ls -A "$seeds" 2>/dev/null)" ]; then
    (cd "$seeds" && zip -q -X -j "$OUT/${t}_seed_corpus.zip" ./*)
  else
    # An empty seed directory still gets a zip (one empty input), so every target has one.
    tmp=$(mktemp -d); : >"$tmp/empty"; (cd "$tmp" && zip -q -X "$OUT/${t}_seed_corpus.zip" empty); rm -rf "$tmp"
  fi
  if [ -f "$src/fuzz/$t.dict" ]; then cp "$src/fuzz/$t.dict" "$OUT/$t.dict"; else : >"$OUT/$t.dict"; fi
  if [ -f "$src/fuzz/$t.options" ]; then
    cp "$src/fuzz/$t.options" "$OUT/$t.options"
  else
    printf '[libfuzzer]\ndict = %s.dict\n' "$t" >"$OUT/$t.options"
  fi
done
echo "build.sh: installed into $OUT: $(echo $targets) (+ _seed_corpus.zip, .dict, .options each)"
