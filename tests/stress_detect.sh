#!/usr/bin/env bash
# Run slab-stress with a seeded bug for seeds 1..ATTEMPTS (SECONDS each; 4 threads, 4 CPUs,
# hotplug every 10 ms; the rest of the machine's shape comes from the seed). A run detects
# the bug when it exits 1 with the expected report signature; a run with another report,
# or none, does not. Failure traces go to a temporary directory.
#   default:  pass at the first detection (the ctest case: a bounded number of attempts)
#   --rate:   run every attempt, print "detected K/N" and each run's time, and pass when
#             K > N/2 (the "more often than not" bar; bench/stress_detect_rate.sh uses it)
#   --pressure-ms T: memory pressure swinging every T ms (the pressure paths' bugs need it)
#   --trace:  also require the detecting run's failure.trace to be a program that
#             `slabtorture --bug BUG run` accepts (never exit 2) and, for some attempt,
#             fails (exit 1; a replay may miss the real run's interleaving and run clean)
# usage: stress_detect.sh [--rate] [--trace] [--pressure-ms T] BIN BUG SIGNATURE [ATTEMPTS] [SECONDS]
set -u
rate=0 trace=0 pressure=0
while [ $# -gt 0 ]; do
	case "$1" in
	--rate) rate=1; shift ;;
	--trace) trace=1; shift ;;
	--pressure-ms) pressure=${2:-}; shift 2 ;;
	*) break ;;
	esac
done
if [ $# -lt 3 ]; then
	echo "usage: stress_detect.sh [--rate] [--trace] [--pressure-ms T] BIN BUG SIGNATURE [ATTEMPTS] [SECONDS]" >&2
	exit 2
fi
bin=$1 bug=$2 sig=$3 attempts=${4:-3} secs=${5:-5}
tool=$(dirname "$bin")/slabtorture
out=$(mktemp -d "${TMPDIR:-/tmp}/stress-detect.XXXXXX")
trap 'rm -rf "$out"' EXIT
hits=0
for seed in $(seq 1 "$attempts"); do
	t0=$(date +%s.%N)
	log=$("$bin" --seconds "$secs" --threads 4 --cpus 4 --hotplug-ms 10 --seed "$seed" --bug "$bug" \
		--pressure-ms "$pressure" --out "$out" --replay-timeout 60 2>&1)
	rc=$?
	t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	first=$(printf '%s\n' "$log" | grep -m1 -E '^(==slabtorture==|slab-stress: FAILED:)')
	echo "seed $seed: exit $rc after ${t}s: ${first:-no report}"
	# 66 is TSan's exit status: it saw the data race the seeded bug makes (free_no_list_lock
	# is one), besides the report
	# a report, or a failed check of slab-stress's own (slab-stress: FAILED: SIGNATURE)
	if { [ "$rc" -eq 1 ] || [ "$rc" -eq 66 ]; } &&
	   printf '%s\n' "$log" | grep -qE "^(==slabtorture==|slab-stress: FAILED:) $sig"; then
		if [ $trace -eq 1 ]; then
			ft=$(ls -d "$out/$seed"*/failure.trace 2>/dev/null | tail -1)
			if [ -z "$ft" ]; then
				echo "seed $seed: no failure.trace under $out" >&2
				exit 1
			fi
			"$tool" --bug "$bug" run --quiet "$ft"
			trc=$?
			printf '%s\n' "$log" | grep -E '^  (failure trace|replay|sliced|minimised) '
			if [ $trc -eq 0 ]; then
				# real threads: a replay can miss the interleaving; the trace parsed
				echo "seed $seed: the replay of $ft ran clean; next seed"
				continue
			fi
			if [ $trc -ne 1 ]; then
				echo "seed $seed: slabtorture run $ft exited $trc, want 1" >&2
				exit 1
			fi
		fi
		hits=$((hits + 1))
		if [ $rate -eq 0 ]; then
			echo "detected $bug on attempt $seed"
			exit 0
		fi
	fi
done
if [ $rate -eq 1 ]; then
	echo "$bug: detected $hits/$attempts"
	[ $((hits * 2)) -gt "$attempts" ]
	exit
fi
echo "$bug not detected in $attempts attempts of ${secs}s" >&2
exit 1
