#!/usr/bin/env bash
# Run slab-stress with a seeded bug up to ATTEMPTS times (seeds 1..ATTEMPTS, SECONDS each)
# and pass as soon as one run fails with the expected report signature. A run that exits
# 1 with another report, or 0 on every attempt, fails the test.
# usage: stress_detect.sh BIN BUG SIGNATURE [ATTEMPTS] [SECONDS]
set -u
bin=$1 bug=$2 sig=$3 attempts=${4:-3} secs=${5:-5}
for seed in $(seq 1 "$attempts"); do
	out=$("$bin" --seconds "$secs" --threads 4 --cpus 4 --hotplug-ms 10 --seed "$seed" --bug "$bug" 2>&1)
	rc=$?
	first=$(printf '%s\n' "$out" | grep -m1 '^==slabtorture==')
	echo "seed $seed: exit $rc: ${first:-no report}"
	if [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q "^==slabtorture== $sig"; then
		echo "detected $bug on attempt $seed"
		exit 0
	fi
done
echo "$bug not detected in $attempts attempts of ${secs}s" >&2
exit 1
