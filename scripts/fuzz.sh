#!/usr/bin/env bash
# make fuzz: build and run the fuzz targets with a status line, triage what they find, and
# write the morning report. docs/fuzzing.md explains it all.
#
#   FUZZ_TIME=10m|30s|8h       how long (default 10m); the run stops then
#   JOBS=N                     fuzzing processes in all (default: all cores), split over the
#                              targets and engines, at least one each
#   ENGINE=libfuzzer|afl|both  (default libfuzzer); both share one corpus
#   TARGETS="fuzz_ops ..."     (default: every slab_fuzz_target of fuzz/CMakeLists.txt)
#   SLAB_BUGS=a,b              fuzz an allocator with these seeded bugs (*-seeded builds)
#   SEEDS=none                 start from an empty corpus (no corpus/seeds/, no old corpus)
#   FUZZ_TIMEOUT=10            seconds one input may run before it is a hang
#   FUZZ_RSS_MB=2048           memory limit before it is an OOM
#   OUT_DIR=dir                output (default fuzz-out/)
#   STATUS_INTERVAL=s          status line interval when stdout is not a terminal (default 60)
#   REPORT_COVERAGE=0          skip the coverage replay in the report
#   AFL_AFFINITY=1             let afl-fuzz bind to free cores (default: not, cores are shared)
#
# OUT_DIR layout: corpus/<target>/ (kept, grows; AFL++ imports it), afl/<target>/<instance>/
# (AFL++ sessions, resumed), crashes/<target>/<bug>/ (scripts/triage.sh), runs/<id>/ (this
# run's logs, libFuzzer artifacts, stats), report/ (index.html, summary.md, summary.json, PNGs).
# A new run never re-triages an earlier run's inputs (known by sha1) and never deletes a session.
# Ctrl-C stops the engines, then triages, reports and keeps the corpus as at the end of a run.
# Exit status (scripts/lib.sh): 0 nothing new found, 1 this run found crashes, hangs or OOMs,
# 2 bad settings, 3 could not run (dependencies, a build, or an engine died).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/triage.sh"

FUZZ_TIME=${FUZZ_TIME:-10m}
JOBS=${JOBS:-$(nproc)}
ENGINE=${ENGINE:-libfuzzer}
OUT_DIR=${OUT_DIR:-$root/fuzz-out}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
SEEDS=${SEEDS:-}
usage() { echo "fuzz: $*" >&2; exit $EXIT_USAGE; }
secs=$(to_seconds "$FUZZ_TIME") || usage "FUZZ_TIME=$FUZZ_TIME: use 30s, 10m, 8h or seconds"
[ "$secs" -gt 0 ] || usage "FUZZ_TIME=$FUZZ_TIME: must be more than 0 seconds"
positive_int fuzz JOBS "$JOBS"
positive_int fuzz FUZZ_TIMEOUT "$FUZZ_TIMEOUT"
positive_int fuzz FUZZ_RSS_MB "$FUZZ_RSS_MB"
case "$ENGINE" in libfuzzer) engines=(libfuzzer) ;; afl) engines=(afl) ;; both) engines=(libfuzzer afl) ;;
  *) usage "ENGINE=$ENGINE: libfuzzer, afl or both" ;; esac
case "$SEEDS" in ""|none) ;; *) usage "SEEDS=$SEEDS: 'none' or unset" ;; esac
all_targets=$(fuzz_targets)
TARGETS=${TARGETS:-$all_targets}
for t in $TARGETS; do
  grep -qx "$t" <<<"$all_targets" || usage "TARGETS: '$t' is not a fuzz target (fuzz/CMakeLists.txt has: $(echo $all_targets))"
done
# fuzz_targets gives one per line: every target, not only the first line
read -ra targets <<<"${TARGETS//$'\n'/ }"
[ ${#targets[@]} -gt 0 ] || usage "TARGETS is empty"
STATUS_INTERVAL=${STATUS_INTERVAL:-60}
positive_int fuzz STATUS_INTERVAL "$STATUS_INTERVAL"
# "1h 2m 3s" for people; the script counts seconds.
hms() { local s=$1; if [ "$s" -ge 3600 ]; then printf '%dh%02dm' $((s/3600)) $((s%3600/60));
  elif [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s/60)) $((s%60)); else printf '%ds' "$s"; fi; }

scripts_dir=$(dirname "$0")
"$scripts_dir/deps.sh" --check 2>/dev/null || "$scripts_dir/deps.sh" || die_error fuzz "installing the dependencies failed"
if [[ " ${engines[*]} " == *" afl "* ]]; then
  command -v afl-fuzz >/dev/null && command -v afl-clang-fast >/dev/null || die_error fuzz "ENGINE=$ENGINE needs afl++ (make deps)"
fi

# Jobs per (target, engine), and AFL++'s instances: -M, then one CMPLOG -S, then -S with
# other power schedules.
nslots=$(( ${#targets[@]} * ${#engines[@]} ))
per=$(( JOBS / nslots )); [ "$per" -ge 1 ] || per=1

suffix=; [ -n "${SLAB_BUGS:-}" ] && suffix=-seeded
echo "fuzz: building (${engines[*]}; targets: ${targets[*]})"
# The libFuzzer build also triages, merges and minimises for AFL++.
lf_dir=$(BUILD_DIR=${BUILD_DIR:-} build_preset "fuzz$suffix" "${targets[@]}" slabtorture) || die_error fuzz "building preset fuzz$suffix failed"
if [[ " ${engines[*]} " == *" afl "* ]]; then
  afl_dir=$(BUILD_DIR= build_preset "afl$suffix" "${targets[@]}") || die_error fuzz "building preset afl$suffix failed"
  if [ "$per" -ge 2 ]; then
    cmplog_dir=$(BUILD_DIR= build_preset "afl-cmplog$suffix" "${targets[@]}") || die_error fuzz "building preset afl-cmplog$suffix failed"
  fi
fi
tool=$lf_dir/bin/slabtorture
TRIAGE_TOOL=$tool
export SLAB_BUGS=${SLAB_BUGS:-}
# An unknown bug name is a bad setting, not something the fuzzer found.
if [ -n "$SLAB_BUGS" ] && ! err=$("$tool" bugs 2>&1 >/dev/null); then
  echo "$err" >&2
  usage "SLAB_BUGS=$SLAB_BUGS is not a setting this build accepts (see: $tool bugs)"
fi

run_id=$(date +%Y%m%d-%H%M%S)
run=$OUT_DIR/runs/$run_id
mkdir -p "$run"/{logs,stats} "$OUT_DIR/crashes"
ln -sfn "runs/$run_id" "$OUT_DIR/latest"
TRIAGE_LOG=$run/triaged
: >"$TRIAGE_LOG"
empty=$run/empty-seed; mkdir -p "$empty"; printf '\0' >"$empty/zero"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0:symbolize=0:hard_rss_limit_mb=$FUZZ_RSS_MB}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:symbolize=0}
export AFL_AUTORESUME=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_FAST_CAL=1
[ "${AFL_AFFINITY:-0}" = 1 ] || export AFL_NO_AFFINITY=1
schedules=(explore coe lin quad exploit rare fast)

# Options of fuzz/<target>.options' [libfuzzer] section as flags (dict relative to fuzz/).
lf_options() {
  local f=$root/fuzz/$1.options
  [ -f "$f" ] || { [ -f "$root/fuzz/$1.dict" ] && echo "-dict=$root/fuzz/$1.dict"; return 0; }
  awk '/^\[/{s=($0=="[libfuzzer]")} s && /=/{gsub(/ /,""); print "-"$0}' "$f" | sed "s|^-dict=|-dict=$root/fuzz/|"
}

# One libFuzzer worker: runs the target until the deadline, again after each finding.
lf_worker() {
  local t=$1 w=$2 k=0 left; shift 2
  trap 'kill -TERM $child 2>/dev/null; exit 0' TERM
  while left=$(( deadline - $(date +%s) )); [ "$left" -gt 2 ]; do
    k=$((k + 1))
    # shellcheck disable=SC2046
    "$lf_dir/bin/$t" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb="$FUZZ_RSS_MB" -max_total_time="$left" \
      $(lf_options "$t") -artifact_prefix="$run/artifacts/$t/" -print_final_stats=1 \
      "$@" >"$run/logs/$t-libfuzzer-$w.$k.log" 2>&1 &
    child=$!
    wait $child || true
    # A libFuzzer that never got to fuzzing (bad options, a broken build) is not restarted.
    grep -aq 'INITED' "$run/logs/$t-libfuzzer-$w.$k.log" || exit 3
  done
}
pids=() names=() roles=() logs=()
sess_root=$OUT_DIR/afl; [ "$SEEDS" = none ] && sess_root=$run/afl
# AFL++'s totals before this run (a resumed session counts on from them).
declare -A base_execs=()
for t in "${targets[@]}"; do for f in "$sess_root"/"$t"/*/plot_data; do
  [ -f "$f" ] && base_execs[$t/$(basename "$(dirname "$f")")]=$(tail -1 "$f" | tr -d ' ' | awk -F, '/^[0-9]/{print $12}'); done; done
start=$(date +%s)
deadline=$(( start + secs ))
echo "fuzz: ${targets[*]} with ${engines[*]}, $per job(s) each, for $(hms "$secs")${SLAB_BUGS:+, SLAB_BUGS=$SLAB_BUGS}${SEEDS:+, SEEDS=$SEEDS} -> $OUT_DIR (run $run_id)"
for t in "${targets[@]}"; do
  corpus=$OUT_DIR/corpus/$t
  [ "$SEEDS" = none ] && corpus=$run/corpus/$t
  mkdir -p "$corpus"
  seeds=$root/corpus/seeds/$t
  for e in "${engines[@]}"; do
    if [ "$e" = libfuzzer ]; then
      mkdir -p "$run/artifacts/$t"
      inputs=("$corpus")
      if [ "$SEEDS" != none ]; then
        [ -d "$seeds" ] && inputs+=("$seeds")
        # AFL++'s queues from earlier runs: the corpus is shared both ways.
        for q in "$OUT_DIR"/afl/"$t"/*/queue; do [ -d "$q" ] && inputs+=("$q"); done
      fi
      # $per independent workers sharing the corpus directory (libFuzzer re-reads it every
      # second). A worker that stops on a crash, hang or OOM starts again until FUZZ_TIME:
      # libFuzzer's -fork mode does the same but spends most of its time starting jobs.
      for w in $(seq 1 "$per"); do
        lf_worker "$t" "$w" "${inputs[@]}" &
        pids+=($!) names+=("$t-libfuzzer-$w") roles+=(libfuzzer) logs+=("$run/logs/$t-libfuzzer-$w.1.log")
      done
    else
      sess=$OUT_DIR/afl/$t
      [ "$SEEDS" = none ] && sess=$run/afl/$t
      mkdir -p "$sess"
      in=$seeds
      if [ "$SEEDS" = none ] || [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then in=$empty; fi
      dict=(); [ -f "$root/fuzz/$t.dict" ] && dict=(-x "$root/fuzz/$t.dict")
      for j in $(seq 1 "$per"); do
        extra=()
        if [ "$j" -eq 1 ]; then
          role=(-M main -F "$corpus")
        elif [ "$j" -eq 2 ]; then
          role=(-S cmplog -c "$cmplog_dir/bin/$t" -l 2AT)
        else
          role=(-S "s$j" -p "${schedules[$(( (j - 3) % ${#schedules[@]} ))]}")
        fi
        # A session directory that exists is resumed (AFL_AUTORESUME); -i is used only for new ones.
        afl-fuzz "${role[@]}" -i "$in" -o "$sess" -V "$secs" -t $((FUZZ_TIMEOUT * 1000)) -m none \
          "${dict[@]}" "${extra[@]}" -- "$afl_dir/bin/$t" >"$run/logs/$t-afl-${role[1]}.log" 2>&1 &
        pids+=($!) names+=("$t-afl-${role[1]}") roles+=("afl:$sess/${role[1]}") logs+=("$run/logs/$t-afl-${role[1]}.log")
      done
    fi
  done
done

interrupted=0
on_signal() { interrupted=1; }
trap on_signal INT TERM

# --- status: one sample per engine every 5 s into runs/<id>/stats/<target>-<engine>.tsv ---
# (elapsed, execs this run, exec/s over the last interval, coverage, corpus, crashes, stability)
declare -A last_execs=() last_t=()
sample() {
  set +e +o pipefail
  local now el t e f line execs cov corp cr stab rate key sum
  now=$(date +%s); el=$(( now - start ))
  status=""
  for t in "${targets[@]}"; do
    for e in "${engines[@]}"; do
      key=$t-$e
      if [ "$e" = libfuzzer ]; then
        # every worker's every process: the last "#N ... cov: C" line of each log
        execs=0 cov=0
        for f in "$run"/logs/"$t"-libfuzzer-*.log; do
          [ -f "$f" ] || continue
          line=$(tail -c 8192 "$f" | grep -a 'cov:' | tail -1)
          # at its end libFuzzer prints its recommended dictionary after the last status line
          [ -n "$line" ] || line=$(tail -c 1048576 "$f" | grep -a 'cov:' | tail -1)
          local n c; n=$(grep -oE '^#[0-9]+' <<<"$line" | tr -d '#'); c=$(grep -oE 'cov: [0-9]+' <<<"$line" | awk '{print $2}')
          execs=$(( execs + ${n:-0} )); [ "${c:-0}" -gt "$cov" ] && cov=$c
        done
        corp=$(ls "$OUT_DIR/corpus/$t" 2>/dev/null | wc -l)
        [ "$SEEDS" = none ] && corp=$(ls "$run/corpus/$t" 2>/dev/null | wc -l)
        cr=$(ls "$run/artifacts/$t" 2>/dev/null | grep -cE '^(crash|leak|timeout|oom)-')
        stab=
      else
        sum=0 cov=0 corp=0 cr=0 stab= afl_rate=0
        # plot_data is written every 5 s (fuzzer_stats once a minute): relative_time,
        # cycles_done, cur_item, corpus_count, pending_total, pending_favs, map_size,
        # saved_crashes, saved_hangs, max_depth, execs_per_sec, total_execs, edges_found
        for f in "$sess_root"/"$t"/*/plot_data; do
          [ -f "$f" ] || continue
          local inst; inst=$(basename "$(dirname "$f")")
          local l; l=$(tail -1 "$f" | tr -d ' ')
          case "$l" in \#*|"") continue ;; esac
          local ex c cc ch eps; IFS=, read -r _ _ _ cc _ _ _ cr1 ch _ eps ex c <<<"$l"
          eps=${eps%.*}; [ "${eps:-0}" -lt 10000000 ] 2>/dev/null || eps=0  # AFL++ prints INT_MAX before its first second
          afl_rate=$(( afl_rate + ${eps:-0} ))
          local b=${base_execs[$t/$inst]:-0}
          [ "${ex:-0}" -ge "$b" ] || { b=0; base_execs[$t/$inst]=0; }
          sum=$(( sum + ${ex:-0} - b ))
          [ "${c:-0}" -gt "$cov" ] && cov=$c
          [ "$inst" = main ] && corp=$cc
          cr=$(( cr + ${cr1:-0} + ${ch:-0} ))
          [ "$inst" = main ] && [ -f "$(dirname "$f")/fuzzer_stats" ] &&
            stab=$(awk '/^stability/{print $3}' "$(dirname "$f")/fuzzer_stats" | tr -d '%')
        done
        execs=$sum
      fi
      execs=${execs:-0}
      rate=0
      if [ -n "${last_t[$key]:-}" ] && [ "$now" -gt "${last_t[$key]}" ]; then
        rate=$(( (execs - ${last_execs[$key]}) / (now - ${last_t[$key]}) ))
        [ "$rate" -ge 0 ] || rate=0
      elif [ "$el" -gt 0 ]; then rate=$(( execs / el )); fi
      [ "$e" = afl ] && rate=$afl_rate
      last_execs[$key]=$execs last_t[$key]=$now
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$el" "$execs" "$rate" "${cov:-0}" "${corp:-0}" "${cr:-0}" "${stab:-}" >>"$run/stats/$key.tsv"
      status+=" | $key exec/s ${rate} cov ${cov:--} corpus ${corp:-0} found ${cr:-0}${stab:+ stab ${stab}%}"
    done
  done
  status="[$(hms "$el")/$(hms "$secs")]$status"
  set -e -o pipefail
}

tty=0; [ -t 1 ] && tty=1
last_print=$start
declare -a exited_at=()
alive() {
  local i any=1 now; now=$(date +%s)
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[$i]}" 2>/dev/null; then any=0; elif [ -z "${exited_at[$i]:-}" ]; then exited_at[$i]=$now; fi
  done
  return $any
}
while alive && [ "$interrupted" -eq 0 ]; do
  now=$(date +%s)
  # At FUZZ_TIME the engines stop on their own; a few seconds later they are stopped.
  if [ "$now" -ge "$deadline" ]; then break; fi
  sleep 5 & wait $! 2>/dev/null || true
  [ "$interrupted" -eq 0 ] || break
  sample
  now=$(date +%s)
  if [ $tty -eq 1 ]; then printf '\r\033[K%s' "$status"
  elif [ $(( now - last_print )) -ge "$STATUS_INTERVAL" ]; then echo "$status"; last_print=$now; fi
done
[ $tty -eq 1 ] && echo
[ "$interrupted" -eq 1 ] && echo "fuzz: interrupted after $(hms $(( $(date +%s) - start ))): stopping the engines, then triage and the report"
# Stop what still runs (SIGTERM: libFuzzer and afl-fuzz both finish cleanly and keep the corpus).
# libFuzzer's fork-mode jobs are its children: stopped by their ids too.
for p in "${pids[@]}"; do
  kids=$(pgrep -P "$p" 2>/dev/null || true)
  kill -TERM "$p" $kids 2>/dev/null || true
done
declare -a rcs=()
stop_by=$(( $(date +%s) + 15 ))
for i in "${!pids[@]}"; do
  rc=0
  while kill -0 "${pids[$i]}" 2>/dev/null && [ "$(date +%s)" -lt "$stop_by" ]; do sleep 0.5; done
  kill -KILL "${pids[$i]}" 2>/dev/null || true
  wait "${pids[$i]}" 2>/dev/null || rc=$?
  rcs[$i]=$rc
done
trap - INT TERM
elapsed=$(( $(date +%s) - start ))
sample
[ $tty -eq 1 ] || echo "$status"

# --- engines that died: an afl-fuzz that exits before FUZZ_TIME, an engine that fails ---
dead=()
for i in "${!pids[@]}"; do
  log=${logs[$i]}
  rc=${rcs[$i]}
  early=0
  if [ -n "${exited_at[$i]:-}" ] && [ "${exited_at[$i]}" -lt $(( deadline - 10 )) ] && [ "$interrupted" -eq 0 ]; then early=1; fi
  why=
  case "${roles[$i]}" in
    libfuzzer) [ $early -eq 1 ] && why="stopped after $(hms $(( exited_at[i] - start ))), exit $rc" ;;
    afl:*)
      abort=$(grep -a 'PROGRAM ABORT' "$log" | head -1 | sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/.*PROGRAM ABORT : *//' || true)
      if [ -n "$abort" ]; then why="afl-fuzz aborted: $abort"
      elif [ ! -f "${roles[$i]#afl:}/fuzzer_stats" ]; then why="never started fuzzing, exit $rc"
      elif [ $early -eq 1 ] && [ -n "${AFL_BENCH_UNTIL_CRASH:-}" ] && [ -n "$(ls "${roles[$i]#afl:}/crashes" 2>/dev/null | grep '^id:')" ]; then why=
      elif [ $early -eq 1 ]; then why="stopped after $(hms $(( exited_at[i] - start ))), exit $rc"; fi ;;
  esac
  [ -n "$why" ] && dead+=("${names[$i]}: $why (log $(_rel "$log"))")
done
# ENGINE=both: what AFL++ found joins the libFuzzer corpus (only inputs that add coverage).
if [[ " ${engines[*]} " == *" afl "* ]] && [[ " ${engines[*]} " == *" libfuzzer "* ]] && [ "$SEEDS" != none ]; then
  for t in "${targets[@]}"; do
    qs=(); for q in "$OUT_DIR"/afl/"$t"/*/queue; do [ -d "$q" ] && qs+=("$q"); done
    [ ${#qs[@]} -gt 0 ] || continue
    ASAN_OPTIONS=detect_leaks=0 timeout 300 "$lf_dir/bin/$t" -merge=1 -timeout="$FUZZ_TIMEOUT" \
      -rss_limit_mb="$FUZZ_RSS_MB" $(lf_options "$t" | grep -v '^-dict') "$OUT_DIR/corpus/$t" "${qs[@]}" \
      >"$run/logs/$t-merge.log" 2>&1 || echo "fuzz: merging AFL++'s queue into corpus/$t failed (see $(_rel "$run/logs/$t-merge.log"))" >&2
  done
fi

# --- triage: this run's inputs only (libFuzzer artifacts of this run; AFL++ crashes and
# hangs not triaged before, known by sha1) ---
echo "fuzz: triage"
for t in "${targets[@]}"; do
  TRIAGE_BIN=$lf_dir/bin/$t
  for f in "$run"/artifacts/"$t"/{crash,leak,timeout,oom}-*; do
    [ -f "$f" ] && triage_input "$t" "$f" "libfuzzer:$(basename "$f")"
  done
  for f in "$sess_root"/"$t"/*/{crashes,hangs}*/id:*; do
    [ -f "$f" ] && triage_input "$t" "$f" "afl:${f#"$sess_root/$t/"}"
  done
done

# --- summary ---
found=$TRIAGE_NEW
echo "== fuzz summary: run $run_id, $(hms "$elapsed") of $(hms "$secs")$([ "$interrupted" -eq 1 ] && echo ", interrupted")"
for t in "${targets[@]}"; do
  for e in "${engines[@]}"; do
    f=$run/stats/$t-$e.tsv
    [ -s "$f" ] || continue
    read -r execs cov corp stab < <(awk -F'\t' 'END{print $2, $4, $5, ($7==""?"-":$7)}' "$f")
    echo "  $t $e: $execs execs, $(( execs / (elapsed > 0 ? elapsed : 1) )) exec/s, coverage $cov, corpus $corp$([ "$e" = afl ] && echo ", stability ${stab}%")"
  done
done
if [ ${#dead[@]} -gt 0 ]; then
  for d in "${dead[@]}"; do echo "  ENGINE DIED: $d"; done
fi
for t in "${targets[@]}"; do
  for d in "$OUT_DIR"/crashes/"$t"/*/; do
    [ -f "$d/signature" ] || continue
    new=$(grep -cxF "$(basename "$d")" "$TRIAGE_LOG" || true)
    min_ops=$(grep -c '^cpu' "$d/crash.min.trace" 2>/dev/null || echo "?")
    echo "  [$t] $(cat "$d/kind"): $(cat "$d/signature")  ($(cat "$d/count") input(s), $new new in this run; reproduced $(cat "$d/reproduced")$([ -f "$d/FLAKY" ] && echo ", FLAKY"); minimised to $min_ops ops)"
    echo "      $(head -1 "$d/repro")"
  done
done
[ -z "$(ls -A "$OUT_DIR/crashes" 2>/dev/null | grep -v '^\.seen$')" ] && echo "  no crashes, hangs or OOMs"
echo "  this run: $found new input(s) found, $TRIAGE_NEW_KEYS new bug(s)"

# --- the morning report ---
cat >"$run/run.json" <<EOF
{"run": "$run_id", "start": $start, "elapsed": $elapsed, "fuzz_time": $secs, "jobs": $JOBS, "per": $per,
 "engines": "$(echo "${engines[*]}")", "targets": "$(echo "${targets[*]}")", "slab_bugs": "$SLAB_BUGS",
 "seeds": "$SEEDS", "interrupted": $interrupted, "new_inputs": $found, "new_bugs": $TRIAGE_NEW_KEYS,
 "dead": [$(for d in "${dead[@]}"; do printf '"%s",' "${d//\"/\'}"; done | sed 's/,$//')]}
EOF
if [ "${REPORT_COVERAGE:-1}" = 1 ] && [ "$SEEDS" != none ]; then
  echo "fuzz: coverage of the corpus (REPORT_COVERAGE=0 skips it)"
  TARGETS="${targets[*]}" OUT_DIR=$OUT_DIR "$scripts_dir/coverage.sh" --quiet || echo "fuzz: the coverage replay failed; the report has no coverage" >&2
fi
python3 "$scripts_dir/report.py" "$OUT_DIR" "$run" || echo "fuzz: writing the report failed" >&2
[ -f "$OUT_DIR/report/index.html" ] && echo "  report: $(_rel "$OUT_DIR/report/index.html") (summary.md, summary.json, plots)"

[ "$found" -gt 0 ] && exit $EXIT_FOUND
[ ${#dead[@]} -gt 0 ] && exit $EXIT_ERROR
exit $EXIT_CLEAN
