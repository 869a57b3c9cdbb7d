#!/usr/bin/env bash
# Run slab-stress with a seeded bug for seeds 1..ATTEMPTS (SECONDS each; 4 threads, 4 CPUs,
# hotplug every 10 ms). A run detects the bug when it exits 1 with the expected report
# signature; a run with another report, or none, does not.
#   default:  pass at the first detection (the ctest case: a bounded number of attempts)
#   --rate:   run every attempt, print "detected K/N" and each run's time, and pass when
#             K > N/2 (the "more often than not" bar; bench/stress_detect_rate.sh uses it)
# usage: stress_detect.sh [--rate] BIN BUG SIGNATURE [ATTEMPTS] [SECONDS]
set -u
rate=0
if [ "${1:-}" = --rate ]; then rate=1; shift; fi
if [ $# -lt 3 ]; then
	echo "usage: stress_detect.sh [--rate] BIN BUG SIGNATURE [ATTEMPTS] [SECONDS]" >&2
	exit 2
fi
bin=$1 bug=$2 sig=$3 attempts=${4:-3} secs=${5:-5}
hits=0
for seed in $(seq 1 "$attempts"); do
	t0=$(date +%s.%N)
	out=$("$bin" --seconds "$secs" --threads 4 --cpus 4 --hotplug-ms 10 --seed "$seed" --bug "$bug" 2>&1)
	rc=$?
	t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	first=$(printf '%s\n' "$out" | grep -m1 '^==slabtorture==')
	echo "seed $seed: exit $rc after ${t}s: ${first:-no report}"
	if [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q "^==slabtorture== $sig"; then
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
