#!/usr/bin/env bash
# make stress: build the asan and tsan presets and run slab-stress in each for STRESS_TIME
# seconds (4 threads, 4 CPUs, hotplug every 10 ms). Non-zero exit if any run fails.
set -u
cd "$(dirname "$0")/.."

STRESS_TIME=${STRESS_TIME:-60}
SEED=${SEED:-$(( $(date +%s) ^ $$ ))}
status=0
summary=""

for preset in asan tsan; do
	echo "== building preset $preset"
	if ! { cmake --preset "$preset" && cmake --build --preset "$preset"; }; then
		echo "== $preset: build FAILED" >&2
		status=1
		summary+="$preset: build failed"$'\n'
		continue
	fi
	bin="build/$preset/bin/slab-stress"
	if [ ! -x "$bin" ]; then
		echo "== $preset: $bin not built (liburcu missing? run make deps)" >&2
		status=1
		summary+="$preset: not built"$'\n'
		continue
	fi
	echo "== running $preset for ${STRESS_TIME}s, seed $SEED"
	"$bin" --seconds "$STRESS_TIME" --threads 4 --cpus 4 --hotplug-ms 10 --seed "$SEED"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		summary+="$preset: clean (seed $SEED)"$'\n'
	else
		summary+="$preset: FAILED rc=$rc (rerun: $bin --seconds $STRESS_TIME --threads 4 --cpus 4 --hotplug-ms 10 --seed $SEED)"$'\n'
		status=1
	fi
done

echo
echo "== make stress summary"
printf '%s' "$summary"
exit $status
