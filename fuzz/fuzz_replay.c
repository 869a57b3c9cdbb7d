// SPDX-License-Identifier: GPL-2.0
/*
 * Standalone driver for fuzz targets, for builds without libFuzzer (any compiler): runs
 * each FILE, or every regular file under each DIR (sorted, recursively), through
 * LLVMFuzzerTestOneInput. Text programs (*.trace) are encoded first (as the target says,
 * fuzz_encode_program()), so seed sources and
 * regression traces replay through the exact fuzzing path; every other file is a fuzzer
 * input, bytes as they are, even when it happens to look like text. A crash aborts, as in
 * the fuzzer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ops.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Each target says how a text program becomes its input (fuzz_ops.c, fuzz_sched.c). */
long fuzz_encode_program(const struct program *p, uint8_t *buf, size_t cap);

#define REPLAY_MAX_INPUT (1 << 20)
static uint8_t buf[REPLAY_MAX_INPUT], enc[REPLAY_MAX_INPUT];
static unsigned long nr_run;

static int run_file(const char *path)
{
	static struct program p;
	char err[256];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "fuzz_ops_replay: %s: %s\n", path, strerror(errno));
		return 2;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	size_t pl = strlen(path);

	if (pl > 6 && !strcmp(path + pl - 6, ".trace")) {
		if (program_parse((const char *)buf, n, &p, err, sizeof(err))) {
			fprintf(stderr, "%s:%s\n", path, err);
			return 2;
		}
		if (p.nr_ops > PROG_BIN_MAX_OPS) {
			fprintf(stderr, "fuzz_ops_replay: %s: skipped (%d ops, the binary form holds %d)\n",
				path, p.nr_ops, PROG_BIN_MAX_OPS);
			return 0;
		}
		long len = fuzz_encode_program(&p, enc, sizeof(enc));
		if (len < 0) {
			fprintf(stderr, "fuzz_ops_replay: %s: cannot encode\n", path);
			return 2;
		}
		LLVMFuzzerTestOneInput(enc, (size_t)len);
	} else {
		LLVMFuzzerTestOneInput(buf, n);
	}
	nr_run++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		fprintf(stderr, "fuzz_ops_replay: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);

	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d)
		return 2;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
		}
		size_t l = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(l);
		snprintf(names[n++], l, "%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = run_path(names[i]);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: %s FILE|DIR...\nReplays inputs through the fuzz target without a fuzzing engine;\n"
		       "exits non-zero (abort) at the first input that fails.\n", argv[0]);
		return argc < 2 ? 2 : 0;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc && !rc; i++)
		rc = run_path(argv[i]);
	if (!rc)
		printf("fuzz_ops_replay: %lu inputs ran clean\n", nr_run);
	return rc;
}
