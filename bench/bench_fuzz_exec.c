// SPDX-License-Identifier: GPL-2.0
/*
 * Executions per second of the fuzz_ops target on given inputs, in process: each input is
 * read once and passed to LLVMFuzzerTestOneInput repeatedly, so neither file I/O nor a
 * fuzzing engine is in the figure. Built in the fuzz preset it measures the target as
 * libFuzzer runs it (ASan+UBSan, coverage instrumentation). Beside each input, the same
 * run measures the empty program (machine set-up and tear-down only); the ratio says how
 * much of an execution is the program itself.
 *
 * usage: bench_fuzz_exec [--runs N] [--out FILE] FILE...
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

static double execs_per_s(const uint8_t *data, size_t size, long runs)
{
	double t0 = now_s();

	for (long i = 0; i < runs; i++)
		LLVMFuzzerTestOneInput(data, size);
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
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s [--runs N] [--out FILE] FILE...\n"
			       "Runs each fuzz_ops input N times (default 2000) in process and prints\n"
			       "executions per second beside the empty program's.\n", argv[0]);
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
	execs_per_s(empty, 1, runs / 10);	/* warm: arenas mapped, host heap grown */
	double base = execs_per_s(empty, 1, runs);
	double total_runs = 0, total_time = 0;

	fprintf(f, "# fuzz_ops executions per second, %ld runs per input, in process\n\n", runs);
	fprintf(f, "| input | bytes | ops | exec/s | cost relative to the empty program |\n");
	fprintf(f, "|---|---:|---:|---:|---:|\n");
	fprintf(f, "| (empty program) | 1 | 0 | %.0f | 1.00 |\n", base);
	for (int i = first; i < argc; i++) {
		long n = read_input(argv[i], buf);

		if (n < 0)
			return 2;
		program_decode(buf, (size_t)n, &p);
		double e = execs_per_s(buf, (size_t)n, runs);
		const char *name = strrchr(argv[i], '/');

		total_runs += runs;
		total_time += runs / e;
		fprintf(f, "| %s | %ld | %d | %.0f | %.2f |\n", name ? name + 1 : argv[i], n,
			p.nr_ops, e, base / e);
	}
	fprintf(f, "| **all inputs** | | | **%.0f** | %.2f |\n", total_runs / total_time,
		base / (total_runs / total_time));
	if (out)
		fclose(f);
	return 0;
}
