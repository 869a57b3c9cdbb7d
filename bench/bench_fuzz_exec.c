// SPDX-License-Identifier: GPL-2.0
/*
 * Executions per second of the fuzz_ops target on given inputs, in process: each input is
 * read once and passed to LLVMFuzzerTestOneInput repeatedly, so neither file I/O nor a
 * fuzzing engine is in the figure. Built in the fuzz preset it measures the target as
 * libFuzzer runs it (ASan+UBSan, coverage instrumentation). Beside each input, the same
 * run measures the empty program (machine set-up and tear-down only); the ratio says how
 * much of an execution is the program itself.
 *
 * --malloc-loop replaces the target by the ceiling the issue of throughput compares with:
 * per input, as many malloc/free pairs of the host heap as the program has ops, built with
 * the same sanitizers and instrumentation.
 *
 * usage: bench_fuzz_exec [--runs N] [--out FILE] [--malloc-loop] FILE...
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ops.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 4096

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool malloc_loop;

/* The ceiling: what the host heap does for a program of the same length (not decoded:
 * the bare loop of a target that does nothing else). */
static void malloc_free_pairs(int nr_ops)
{
	for (int i = 0; i < nr_ops; i++) {
		volatile char *m = malloc(16 + (size_t)(i % 8) * 32);

		if (!m)
			abort();
		m[0] = (char)i;
		free((void *)m);
	}
}

static double execs_per_s(const uint8_t *data, size_t size, int nr_ops, long runs)
{
	double t0 = now_s();

	for (long i = 0; i < runs; i++) {
		if (malloc_loop)
			malloc_free_pairs(nr_ops);
		else
			LLVMFuzzerTestOneInput(data, size);
	}
	return runs / (now_s() - t0);
}

static long read_input(const char *path, uint8_t *buf)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "bench_fuzz_exec: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, MAX_INPUT, f);
	fclose(f);
	return (long)n;
}

int main(int argc, char **argv)
{
	static uint8_t buf[MAX_INPUT];
	static struct program p;
	const uint8_t empty[1] = { 0 };
	const char *out = NULL;
	long runs = 2000;
	int first = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			runs = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--malloc-loop")) {
			malloc_loop = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s [--runs N] [--out FILE] [--malloc-loop] FILE...\n"
			       "Runs each fuzz_ops input N times (default 2000) in process and prints\n"
			       "executions and ops per second beside the empty program's.\n"
			       "--malloc-loop: instead of the program, as many malloc/free pairs as\n"
			       "it has ops (the ceiling to compare with).\n", argv[0]);
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "%s: unknown or incomplete argument '%s' (see --help)\n",
				argv[0], argv[i]);
			return 2;
		} else {
			first = i;
			break;
		}
	}
	if (!first || runs <= 0) {
		fprintf(stderr, "%s: give --runs > 0 and at least one input file (see --help)\n",
			argv[0]);
		return 2;
	}
	LLVMFuzzerInitialize(&argc, &argv);

	FILE *f = out ? fopen(out, "w") : stdout;

	if (!f) {
		perror(out);
		return 2;
	}
	execs_per_s(empty, 1, 0, runs / 10);	/* warm: arenas mapped, host heap grown */
	double base = execs_per_s(empty, 1, 0, runs);
	double total_runs = 0, total_time = 0, total_ops = 0;

	fprintf(f, "# %s executions per second, %ld runs per input, in process\n\n",
		malloc_loop ? "malloc/free loop (as many pairs as ops)" : "fuzz_ops", runs);
	fprintf(f, "| input | bytes | ops | exec/s | ops/s | cost relative to the empty program |\n");
	fprintf(f, "|---|---:|---:|---:|---:|---:|\n");
	fprintf(f, "| (empty program) | 1 | 0 | %.0f | 0 | 1.00 |\n", base);
	for (int i = first; i < argc; i++) {
		long n = read_input(argv[i], buf);

		if (n < 0)
			return 2;
		program_decode(buf, (size_t)n, &p);
		double e = execs_per_s(buf, (size_t)n, p.nr_ops, runs);
		const char *name = strrchr(argv[i], '/');

		total_runs += runs;
		total_time += runs / e;
		total_ops += (double)runs * p.nr_ops;
		fprintf(f, "| %s | %ld | %d | %.0f | %.0f | %.2f |\n", name ? name + 1 : argv[i], n,
			p.nr_ops, e, e * p.nr_ops, base / e);
	}
	fprintf(f, "| **all inputs** | | | **%.0f** | **%.0f** | %.2f |\n", total_runs / total_time,
		total_ops / total_time, base / (total_runs / total_time));
	if (out)
		fclose(f);
	return 0;
}
