#!/usr/bin/env bash
# make stress: build the asan and tsan presets and run slab-stress in each for STRESS_TIME
# seconds (4 threads, 4 CPUs, hotplug every 10 ms, memory pressure swinging every
# PRESSURE_MS=5 ms around the watermarks of 1024-page nodes, one reclaiming worker;
# PRESSURE_MS=0 turns it off). SEED=n repeats a run.
# Exit status (scripts/lib.sh): 0 every run clean, 1 a run found a report (or a sanitizer
# error or crash), 2 bad settings (STRESS_TIME, SEED, SLAB_BUGS), 3 could not run (a build
# failed or slab-stress was not built: liburcu missing, run make deps). A find wins over
# a build failure of the other preset: both are in the summary.
set -u
source "$(dirname "$0")/lib.sh"
cd "$root"

STRESS_TIME=${STRESS_TIME:-60}
SEED=${SEED:-$(( $(date +%s) ^ $$ ))}
positive_int stress STRESS_TIME "$STRESS_TIME"
PRESSURE_MS=${PRESSURE_MS:-5}
case "$PRESSURE_MS" in ''|*[!0-9]*) echo "stress: PRESSURE_MS takes a whole number (0: off), not '$PRESSURE_MS'" >&2; exit $EXIT_USAGE ;; esac
case "$SEED" in ''|*[!0-9]*) echo "stress: SEED takes a whole number, not '$SEED'" >&2; exit $EXIT_USAGE ;; esac
found=0
error=0
summary=""

for preset in asan tsan; do
	echo "== building preset $preset"
	if ! { cmake --preset "$preset" && cmake --build --preset "$preset"; }; then
		echo "== $preset: build FAILED" >&2
		error=1
		summary+="$preset: build failed"$'\n'
		continue
	fi
	bin="build/$preset/bin/slab-stress"
	if [ ! -x "$bin" ]; then
		echo "== $preset: $bin not built (liburcu missing? run make deps)" >&2
		error=1
		summary+="$preset: not built"$'\n'
		continue
	fi
	args=(--seconds "$STRESS_TIME" --threads 4 --cpus 4 --hotplug-ms 10 --seed "$SEED"
	      --pressure-ms "$PRESSURE_MS" --out "build/$preset/stress-out")
	echo "== running $preset for ${STRESS_TIME}s, seed $SEED"
	"$bin" "${args[@]}"
	rc=$?
	case "$(run_status "$rc")" in
	"$EXIT_CLEAN")
		summary+="$preset: clean (seed $SEED)"$'\n' ;;
	"$EXIT_USAGE")
		# slab-stress refused its options or SLAB_BUGS: the same for the other preset
		echo "== $preset: slab-stress refused the settings (exit $rc)" >&2
		exit $EXIT_USAGE ;;
	*)
		summary+="$preset: FAILED rc=$rc (rerun: $bin ${args[*]})"$'\n'
		found=1 ;;
	esac
done

echo
echo "== make stress summary"
printf '%s' "$summary"
[ $found -eq 1 ] && exit $EXIT_FOUND
[ $error -eq 1 ] && exit $EXIT_ERROR
exit $EXIT_CLEAN
