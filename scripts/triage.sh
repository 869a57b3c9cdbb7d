#!/usr/bin/env bash
# Crash triage for scripts/fuzz.sh (sourced), or on its own:
#   scripts/triage.sh TARGET FILE...   triage FILEs found by fuzzing TARGET into
#                                      OUT_DIR/crashes/TARGET/ (default fuzz-out/)
# Needs TRIAGE_BIN (the libFuzzer build of TARGET) and TRIAGE_TOOL (its slabtorture), which
# scripts/fuzz.sh sets; alone, they default to build/fuzz[-seeded]/bin/.
#
# One directory per bug, OUT_DIR/crashes/TARGET/<key>/, where the key is
#   - the report signature `KIND in function` for the emulated kernel's and model's reports;
#   - the sanitizer's error kind and its DEDUP_TOKEN (the top 3 frames) for ASan and UBSan;
#   - timeout / out-of-memory and the top frames inside the project for hangs and OOMs.
# Each holds: crash.bin (the first input), report.txt (its report, symbolised), crash.trace
# (decoded), crash.min.bin / crash.min.trace (minimised), signature, kind (crash|hang|oom),
# first_seen, last_seen, count (distinct inputs), inputs (their sha1 and origin),
# reproduced (N/10: FLAKY when below 10), repro (the one-line command).
# Inputs are known by their sha1 (OUT_DIR/crashes/.seen): an input triaged once, in any run,
# is never counted again, so rerunning into the same OUT_DIR does not double the counts.

TRIAGE_TIMEOUT=${FUZZ_TIMEOUT:-10}
TRIAGE_RSS=${FUZZ_RSS_MB:-2048}
TRIAGE_NEW=0       # inputs this process triaged for the first time
TRIAGE_NEW_KEYS=0  # bugs (directories) this process created

# Relative to the checkout when inside it (repro lines people paste).
_rel() { case "$1" in "$root"/*) echo "${1#"$root"/}" ;; *) echo "$1" ;; esac; }

# Run one input through the libFuzzer binary; print its output (report), return its status.
# The subshell takes the shell's "Aborted" line for a crashing input into the output.
_triage_run() {
  local file=$1
  ( ASAN_OPTIONS=abort_on_error=1:detect_leaks=0:symbolize=1:dedup_token_length=3:handle_abort=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:symbolize=1:dedup_token_length=3 \
      timeout -s KILL $(( TRIAGE_TIMEOUT * 2 + 10 )) "$TRIAGE_BIN" -timeout="$TRIAGE_TIMEOUT" \
      -rss_limit_mb="$TRIAGE_RSS" "$file"; exit $? ) 2>&1
}

# The top frames of a stack inside the project's sources (allocator/, model/, fuzz/,
# tools/ .c files; not the binary's own path, which may hold /fuzz/ too), as f1<f2<f3.
_project_frames() {
  grep -aE '^ *#[0-9]+ 0x[0-9a-f]+ in ' | grep -aE "/(allocator|model|fuzz|tools)/[^ ]*\.[ch]:[0-9]" |
    sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ in ([^ ]+).*/\1/' | head -3 | paste -sd'<' -
}

# `triage_key OUTPUT RC` -> "kind<TAB>key"
triage_key() {
  local out=$1 rc=$2 sig tok frames
  sig=$(grep -aom1 '^==slabtorture== [A-Z_]* in [^:]*' <<<"$out" | sed 's/^==slabtorture== //')
  tok=$(grep -aom1 'DEDUP_TOKEN: .*' <<<"$out" | sed 's/DEDUP_TOKEN: //')
  frames=$(_project_frames <<<"$out")
  if grep -aq 'ERROR: libFuzzer: timeout' <<<"$out" || [ "$rc" -eq 137 ]; then
    printf 'hang\ttimeout in %s\n' "${frames:-${tok:-unknown}}"
  elif grep -aqE 'ERROR: libFuzzer: out-of-memory|allocation-size-too-big|hard rss limit exhausted|out of memory' <<<"$out"; then
    printf 'oom\tout-of-memory in %s\n' "${frames:-${tok:-unknown}}"
  elif [ -n "$sig" ]; then
    printf 'crash\t%s\n' "$sig"
  elif grep -aq 'ERROR: [A-Za-z]*Sanitizer: ' <<<"$out"; then
    printf 'crash\t%s %s\n' "$(grep -aom1 'ERROR: [A-Za-z]*Sanitizer: [a-zA-Z-]*' <<<"$out" | sed 's/ERROR: //')" "${tok:-$frames}"
  elif grep -aq 'runtime error: ' <<<"$out"; then
    printf 'crash\tUBSan %s %s\n' "$(grep -aom1 'runtime error: [a-z -]*' <<<"$out" | sed 's/runtime error: //; s/ *$//')" "${tok:-$frames}"
  elif grep -aq 'ERROR: libFuzzer: ' <<<"$out"; then
    printf 'crash\t%s %s\n' "$(grep -aom1 'ERROR: libFuzzer: [a-z-]*' <<<"$out" | sed 's/ERROR: //')" "${tok:-$frames}"
  elif [ "$rc" -eq 0 ]; then
    printf 'crash\tdoes not reproduce\n'
  else
    printf 'crash\texit %s %s\n' "$rc" "${tok:-$frames}"
  fi
}

# `triage_input TARGET FILE ORIGIN`
triage_input() {
  local target=$1 file=$2 origin=$3 sha base out rc kind key d n now
  sha=$(sha1sum "$file" | cut -c1-40)
  base=$OUT_DIR/crashes
  mkdir -p "$base/$target"
  touch "$base/.seen"
  grep -q "^$sha" "$base/.seen" && return 0
  rc=0; out=$(_triage_run "$file") || rc=$?
  IFS=$'\t' read -r kind key <<<"$(triage_key "$out" "$rc")"
  d=$base/$target/$(slug "$key")
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  if [ ! -d "$d" ]; then
    mkdir -p "$d"
    TRIAGE_NEW_KEYS=$((TRIAGE_NEW_KEYS + 1))
    cp "$file" "$d/crash.bin"
    printf '%s\n' "$out" >"$d/report.txt"
    echo "$key" >"$d/signature"
    echo "$kind" >"$d/kind"
    echo "$now" >"$d/first_seen"
    echo "${SLAB_BUGS:-}" >"$d/slab_bugs"
    "$TRIAGE_TOOL" --target "$target" decode "$d/crash.bin" -o "$d/crash.trace" >/dev/null 2>&1 ||
      rm -f "$d/crash.trace"
    # Reproducible? 10 runs for a crash; a hang costs the timeout per run, so it gets 2.
    local tries=10 ok=0 i r
    [ "$kind" = hang ] && tries=2
    for i in $(seq 1 $tries); do
      r=0; _triage_run "$d/crash.bin" >/dev/null || r=$?
      [ "$r" -ne 0 ] && ok=$((ok + 1))
    done
    echo "$ok/$tries" >"$d/reproduced"
    if [ "$ok" -lt "$tries" ]; then echo "reproduced $ok of $tries runs" >"$d/FLAKY"; fi
    _triage_minimize "$d" "$kind" "$target"
    local bugs=${SLAB_BUGS:+SLAB_BUGS=$SLAB_BUGS }
    {
      echo "${bugs}$(_rel "$TRIAGE_BIN") $(_rel "$d/crash.bin")"
      if [ "$target" = fuzz_ops ]; then echo "make repro CRASH=$(_rel "$d/crash.bin")${SLAB_BUGS:+ SLAB_BUGS=$SLAB_BUGS}"; fi
      echo "${bugs}$(_rel "$TRIAGE_TOOL") --target $target run $(_rel "$d/crash.bin")"
    } >"$d/repro"
  fi
  n=$(( $(cat "$d/count" 2>/dev/null || echo 0) + 1 ))
  echo "$n" >"$d/count"
  echo "$now" >"$d/last_seen"
  echo "$sha $origin" >>"$d/inputs"
  echo "$sha $target $(basename "$d")" >>"$base/.seen"
  echo "$(basename "$d")" >>"${TRIAGE_LOG:-/dev/null}"
  TRIAGE_NEW=$((TRIAGE_NEW + 1))
}

# The minimised program: slabtorture's minimiser keeps the report signature; when it cannot
# (a sanitizer crash kills it, a hang), libFuzzer's -minimize_crash shrinks the bytes. A
# fuzz_sched program's schedule lives in its trace's decisions, which have no binary form:
# there crash.min.trace is the minimised input.
_triage_minimize() {
  local d=$1 kind=$2 target=$3
  if [ "$kind" = crash ] &&
     timeout 120 "$TRIAGE_TOOL" --target "$target" minimize "$d/crash.bin" -o "$d/crash.min.trace" \
       >/dev/null 2>&1 && [ -s "$d/crash.min.trace" ]; then
    [ "$target" != fuzz_ops ] ||
      "$TRIAGE_TOOL" encode "$d/crash.min.trace" -o "$d/crash.min.bin" >/dev/null 2>&1 || true
    return
  fi
  [ "$kind" = hang ] && return  # each attempt would take the timeout
  ASAN_OPTIONS=abort_on_error=1:detect_leaks=0:symbolize=0 \
    timeout 90 "$TRIAGE_BIN" -minimize_crash=1 -max_total_time=30 -timeout="$TRIAGE_TIMEOUT" \
    -rss_limit_mb="$TRIAGE_RSS" -exact_artifact_path="$d/crash.min.bin" "$d/crash.bin" >/dev/null 2>&1 || true
  [ -s "$d/crash.min.bin" ] || cp "$d/crash.bin" "$d/crash.min.bin"
  "$TRIAGE_TOOL" --target "$target" decode "$d/crash.min.bin" -o "$d/crash.min.trace" >/dev/null 2>&1 ||
    rm -f "$d/crash.min.trace"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  source "$(dirname "$0")/lib.sh"
  [ $# -ge 2 ] || { echo "usage: scripts/triage.sh TARGET FILE..." >&2; exit $EXIT_USAGE; }
  target=$1; shift
  OUT_DIR=${OUT_DIR:-$root/fuzz-out}
  p=fuzz; [ -n "${SLAB_BUGS:-}" ] && p=fuzz-seeded
  TRIAGE_BIN=${TRIAGE_BIN:-$root/build/$p/bin/$target}
  TRIAGE_TOOL=${TRIAGE_TOOL:-$root/build/$p/bin/slabtorture}
  [ -x "$TRIAGE_BIN" ] || die_error triage "no $TRIAGE_BIN (build preset $p first)"
  for f in "$@"; do triage_input "$target" "$f" "$f"; done
  echo "triage: $TRIAGE_NEW new input(s), $TRIAGE_NEW_KEYS new bug(s) in $OUT_DIR/crashes/$target/"
  [ "$TRIAGE_NEW" -gt 0 ] && exit $EXIT_FOUND
  exit $EXIT_CLEAN
fi
