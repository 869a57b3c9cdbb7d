# Shared helpers for scripts/fuzz.sh, repro.sh, minimize.sh, stress.sh (sourced, not run).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Exit statuses of repro.sh, minimize.sh, fuzz.sh and stress.sh, one meaning each:
#   0  clean: nothing found, or the input does not reproduce
#   1  found: a report, a sanitizer error or a crash was found or reproduced
#   2  bad usage or settings (arguments, FUZZ_TIME=, JOBS=, ENGINE=, an unknown bug name)
#   3  could not run: dependencies, the build, the fuzzing engine or a tool failed
# make turns any failing recipe into its own status 2: call the script where it matters.
EXIT_CLEAN=0
EXIT_FOUND=1
EXIT_USAGE=2
EXIT_ERROR=3

# The status of one run of slabtorture or slab-stress, mapped to the scripts' statuses:
# 0 clean and 2 (usage, settings, a trace that does not parse) keep their meaning; 1 (a
# report) and anything else (a sanitizer's exitcode, 128+signal from an abort) is a find.
run_status() {
  case "$1" in
    0) echo $EXIT_CLEAN ;;
    2) echo $EXIT_USAGE ;;
    *) echo $EXIT_FOUND ;;
  esac
}

# `die_error PROG MESSAGE`: a step the script needs failed (not a finding): exit 3.
die_error() {
  echo "$1: $2" >&2
  exit $EXIT_ERROR
}

# Configure and build `targets` of a preset into BUILD_DIR (default build/<preset>).
build_preset() {
  local preset=$1; shift
  local dir=${BUILD_DIR:-$root/build/$preset}
  if [ ! -f "$dir/build.ninja" ]; then
    cmake --preset "$preset" -S "$root" -B "$dir" >/dev/null
  fi
  cmake --build "$dir" --target "$@" >/dev/null || cmake --build "$dir" --target "$@"
  echo "$dir"
}

# A slabtorture binary: $SLABTORTURE, else an existing build, else build the default preset.
find_slabtorture() {
  if [ -n "${SLABTORTURE:-}" ]; then echo "$SLABTORTURE"; return; fi
  local p
  for p in default asan fuzz-seeded fuzz clang release; do
    if [ -x "$root/build/$p/bin/slabtorture" ]; then echo "$root/build/$p/bin/slabtorture"; return; fi
  done
  echo "$(build_preset default slabtorture)/bin/slabtorture"
}

# "30s" "10m" "8h" "90" -> seconds
to_seconds() {
  local t=$1
  case "$t" in
    *s) echo "${t%s}" ;;
    *m) echo $(( ${t%m} * 60 )) ;;
    *h) echo $(( ${t%h} * 3600 )) ;;
    *[!0-9]*|"") return 1 ;;
    *) echo "$t" ;;
  esac
}

# The report signature of a crash input of fuzz target $3 (default fuzz_ops), or the
# sanitizer's error kind.
crash_signature() {
  local tool=$1 file=$2 target=${3:-fuzz_ops} out sig
  out=$("$tool" --target "$target" run --quiet --binary "$file" 2>&1 || true)
  sig=$(sed -n 's/^.*: FAILED at op [0-9-]*: //p' <<<"$out" | head -1)
  if [ -z "$sig" ]; then
    sig=$(grep -o 'ERROR: [A-Za-z]*Sanitizer: [a-z-]*' <<<"$out" | head -1 | sed 's/ERROR: //')
    [ -z "$sig" ] && sig=$(grep -o 'runtime error: [a-z ]*' <<<"$out" | head -1)
    [ -z "$sig" ] && { grep -q ': clean (' <<<"$out" && sig="does not reproduce" || sig="unknown crash"; }
  fi
  echo "$sig"
}

slug() {
  tr -c 'A-Za-z0-9_\n' '_' <<<"$1" | sed 's/__*/_/g; s/^_//; s/_$//' | head -c 80
}

# Option parsing for the scripts: `x=$(opt_value PROG "$1" "${2:-}")` is the option's value,
# or a message naming the option and exit 2 (set -e carries it out of the substitution).
opt_value() {
  [ -n "$3" ] || { echo "$1: $2 needs a value (see --help)" >&2; exit 2; }
  echo "$3"
}

# `positive_int PROG NAME VALUE`: exit 2 unless VALUE is a positive whole number.
positive_int() {
  case "$3" in ''|*[!0-9]*|0) echo "$1: $2 takes a positive number, not '$3'" >&2; exit 2 ;; esac
}

# The fuzz targets fuzz/CMakeLists.txt builds (its slab_fuzz_target lines), one per line.
fuzz_targets() {
  sed -n 's/^slab_fuzz_target(\([A-Za-z0-9_]*\).*/\1/p' "$root/fuzz/CMakeLists.txt"
}

# A path relative to the checkout when it is inside it (for messages people paste).
_rel_path() { case "$1" in "$root"/*) echo "${1#"$root"/}" ;; *) echo "$1" ;; esac; }
