#!/usr/bin/env bash
# make bench: build the benchmarks and write their tables to bench/results/.
#   fastpath.md   the sheaf fast path beside glibc malloc (release preset)
#   fuzz_exec.md  fuzz_ops executions/s on the seed corpus, as libFuzzer runs it (fuzz preset:
#                 clang, ASan+UBSan, coverage instrumentation)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
cmake --preset release >/dev/null
cmake --build --preset release --target bench_fastpath
./build/release/bin/bench_fastpath --out bench/results/fastpath.md
cat bench/results/fastpath.md
echo
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target bench_fuzz_exec
./build/fuzz/bin/bench_fuzz_exec --out bench/results/fuzz_exec.md corpus/seeds/fuzz_ops/*.bin
cat bench/results/fuzz_exec.md
