#!/usr/bin/env bash
# make bench: build the release preset and write the benchmark tables to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target bench_fastpath
mkdir -p bench/results
./build/release/bin/bench_fastpath --out bench/results/fastpath.md
cat bench/results/fastpath.md
