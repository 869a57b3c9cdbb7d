# Thin wrapper over the CMake presets. `make help` lists the targets.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
FUZZ_TIME ?= 10m
STRESS_TIME ?= 60
ENGINE ?= libfuzzer
TEST_PRESETS ?= default asan tsan

.PHONY: help deps build test fuzz fuzz-clean corpus-merge coverage oss-fuzz-check stress repro minimize clean release bench mutants

help:
	@echo "slabtorture make targets:"
	@echo "  make fuzz            install deps, build, fuzz, triage, report (FUZZ_TIME=$(FUZZ_TIME) JOBS=$(JOBS) ENGINE=libfuzzer|afl|both TARGETS=...)"
	@echo "  make fuzz-clean      remove fuzz-out/ (corpus, AFL++ sessions, crashes, runs, report) and out/"
	@echo "  make corpus-merge    minimise fuzz-out/corpus and add what covers new code to corpus/seeds/"
	@echo "  make coverage        replay the corpus in the coverage build: llvm-cov HTML, summary, unreached functions"
	@echo "  make oss-fuzz-check  run scripts/oss-fuzz/build.sh as OSS-Fuzz does (libFuzzer, AFL++) into out/, 30 s per target"
	@echo "  make test            build every preset, run ctest in default, asan and tsan, smoke-run fuzz_ops (what CI runs)"
	@echo "  make stress          real-thread stress under ASan and TSan (STRESS_TIME=$(STRESS_TIME) seconds)"
	@echo "  make repro CRASH=f   replay a crash file: print the program and the report"
	@echo "  make minimize CRASH=f  shrink a crash file, keeping its report signature"
	@echo "  make build PRESET=p  configure and build one preset into build/p/"
	@echo "  make bench           performance benchmarks into bench/results/"
	@echo "  make mutants         mutation testing of the allocator -> bench/results/mutants.md (MUTANT_TIME=60 MUTANTS=20|all FILTER=regex SEED=1 JOBS=1)"
	@echo "  make kernel-tests [KSRC=dir]  the kernel's maple/xarray/IDR test suites on the reference allocator"
	@echo "  make deps            install missing packages with apt-get"
	@echo "  make clean           remove build/ and out/ (fuzz-out/ is kept: make fuzz-clean)"

deps:
	@scripts/deps.sh

# Every target below calls deps only when something is missing.
.deps-ok:
	@scripts/deps.sh --check 2>/dev/null || scripts/deps.sh

build/%/build.ninja: CMakeLists.txt CMakePresets.json | .deps-ok
	@cmake --preset $* >/dev/null

PRESET ?= default
build: .deps-ok
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

test: .deps-ok
	@set -eo pipefail; start=$$(date +%s); \
	for p in $(TEST_PRESETS); do \
	  echo "== preset $$p: build =="; \
	  cmake --preset $$p >/dev/null; \
	  cmake --build --preset $$p -j $(JOBS); \
	  echo "== preset $$p: ctest =="; \
	  ctest --preset $$p -j $(JOBS); \
	done; \
	for p in release clang fuzz fuzz-seeded fuzz-seeded-nolockdep; do \
	  echo "== preset $$p: build only =="; \
	  cmake --preset $$p >/dev/null; cmake --build --preset $$p -j $(JOBS); \
	done; \
	echo "== fuzz_ops: 20000 libFuzzer runs from the seeds on the correct allocator =="; \
	smoke=$$(mktemp -d); \
	build/fuzz/bin/fuzz_ops -seed=1 -runs=20000 -dict=fuzz/fuzz_ops.dict -max_len=2048 \
	  -artifact_prefix=$$smoke/ $$smoke corpus/seeds/fuzz_ops 2>&1 | grep -E "INITED|DONE|ERROR|==slabtorture=="; \
	rm -rf $$smoke; \
	echo "== fuzz_sched: 5000 libFuzzer runs from the seeds on the correct allocator =="; \
	smoke=$$(mktemp -d); \
	build/fuzz/bin/fuzz_sched -seed=1 -runs=5000 -max_len=2048 \
	  -artifact_prefix=$$smoke/ $$smoke corpus/seeds/fuzz_sched corpus/seeds/fuzz_ops 2>&1 | grep -E "INITED|DONE|ERROR|==slabtorture=="; \
	rm -rf $$smoke; \
	echo "== mutants: the short form (5 mutants the scoreboard lists as killed, each within 15 s) =="; \
	tests/mutants_short.sh; \
	echo "== OSS-Fuzz build.sh, libFuzzer and AFL++, 5 s per target =="; \
	OUT_ROOT=build/oss-fuzz-check scripts/oss-fuzz/check.sh --short; \
	echo "make test: all presets passed in $$(( $$(date +%s) - start ))s"

fuzz: .deps-ok
	@scripts/fuzz.sh

fuzz-clean:
	rm -rf fuzz-out out

corpus-merge: .deps-ok
	@scripts/corpus_merge.sh

coverage: .deps-ok
	@scripts/coverage.sh

oss-fuzz-check: .deps-ok
	@scripts/oss-fuzz/check.sh

stress: .deps-ok
	@scripts/stress.sh

repro: .deps-ok
	@test -n "$(CRASH)" || { echo "usage: make repro CRASH=file" >&2; exit 2; }
	@scripts/repro.sh "$(CRASH)"

minimize: .deps-ok
	@test -n "$(CRASH)" || { echo "usage: make minimize CRASH=file" >&2; exit 2; }
	@scripts/minimize.sh "$(CRASH)"

bench: .deps-ok
	@scripts/bench.sh

# Mutation testing (scripts/mutants.sh --help): MUTANT_TIME, MUTANTS, FILTER, SEED, OUT_DIR
# given to make reach the script through the environment; JOBS is 1 unless given (not nproc:
# each job is a build plus a fuzzer). A rerun resumes; the report is rewritten each time.
mutants: .deps-ok
	@JOBS=$(if $(filter command environment,$(firstword $(origin JOBS))),$(JOBS),1) scripts/mutants.sh
	@python3 scripts/mutants/report.py

# The kernel's tools/testing/radix-tree suites on our allocator (docs/kernel-tests.md);
# KSRC=dir: a kernel tree of yours instead of Debian's linux-source-6.12.
kernel-tests: .deps-ok
	@scripts/kernel-tests.sh $(if $(KSRC),--ksrc "$(KSRC)")

clean:
	rm -rf build out
	@[ ! -d fuzz-out ] || echo "make clean: fuzz-out/ kept (the corpus and crashes of overnight runs): make fuzz-clean removes it"
