// SPDX-License-Identifier: GPL-2.0
/*
 * Standalone driver for fuzz targets, for builds without libFuzzer (any compiler): runs
 * each FILE, or every regular file under each DIR (sorted, recursively), through
 * LLVMFuzzerTestOneInput. Text programs (*.trace) are encoded first (as the target says,
 * fuzz_encode_program()), so seed sources and regression traces replay through the exact
 * fuzzing path; every other file is a fuzzer input, bytes as they are, even when it
 * happens to look like text. A crash aborts, as in the fuzzer.
 *
 * --check-determinism runs the inputs forwards, then backwards, in this one process, and
 * compares each input's execution digest (exec_last_digest()) between the two passes: an
 * input whose path depends on what ran before it in the process would replay differently
 * from a crash file than it ran in the fuzzer.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "exec.h"
#include "ops.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Each target says how a text program becomes its input (fuzz_ops.c, fuzz_sched.c). */
long fuzz_encode_program(const struct program *p, uint8_t *buf, size_t cap);

#define REPLAY_MAX_INPUT (1 << 20)
static uint8_t buf[REPLAY_MAX_INPUT], enc[REPLAY_MAX_INPUT];
static const char *prog_name = "fuzz_replay";

struct inputs {
	char **path;
	size_t n, cap;
};

static void add_input(struct inputs *in, const char *path)
{
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 64;
		in->path = realloc(in->path, in->cap * sizeof(*in->path));
		if (!in->path)
			abort();
	}
	in->path[in->n] = strdup(path);
	if (!in->path[in->n++])
		abort();
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FILE, or every regular file under DIR, sorted: appended to `in`. */
static int collect(struct inputs *in, const char *path)
{
	struct inputs dir = { 0 };
	struct stat st;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, strerror(errno));
		return 2;
	}
	if (!S_ISDIR(st.st_mode)) {
		add_input(in, path);
		return 0;
	}
	if (!(d = opendir(path))) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, strerror(errno));
		return 2;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(path) + strlen(e->d_name) + 2;
		char *name;

		if (e->d_name[0] == '.')
			continue;
		if (!(name = malloc(l)))
			abort();
		snprintf(name, l, "%s/%s", path, e->d_name);
		add_input(&dir, name);
		free(name);
	}
	closedir(d);
	if (dir.n)
		qsort(dir.path, dir.n, sizeof(*dir.path), cmp_str);
	for (size_t i = 0; i < dir.n; i++) {
		if (!rc)
			rc = collect(in, dir.path[i]);
		free(dir.path[i]);
	}
	free(dir.path);
	return rc;
}

/* Run one input; 0 if it ran, 1 if it was skipped, 2 on an error. */
static int run_file(const char *path)
{
	static struct program p;
	char err[256];
	FILE *f = fopen(path, "rb");
	size_t n, pl = strlen(path);

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, strerror(errno));
		return 2;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (pl <= 6 || strcmp(path + pl - 6, ".trace")) {
		LLVMFuzzerTestOneInput(buf, n);
		return 0;
	}
	if (program_parse((const char *)buf, n, &p, err, sizeof(err))) {
		fprintf(stderr, "%s:%s\n", path, err);
		return 2;
	}
	if (p.nr_ops > PROG_BIN_MAX_OPS) {
		fprintf(stderr, "%s: %s: skipped (%d ops, the binary form holds %d)\n",
			prog_name, path, p.nr_ops, PROG_BIN_MAX_OPS);
		return 1;
	}
	long len = fuzz_encode_program(&p, enc, sizeof(enc));
	if (len < 0) {
		fprintf(stderr, "%s: %s: cannot encode\n", prog_name, path);
		return 2;
	}
	LLVMFuzzerTestOneInput(enc, (size_t)len);
	return 0;
}

static int replay(const struct inputs *in)
{
	unsigned long nr_run = 0;

	for (size_t i = 0; i < in->n; i++) {
		int rc = run_file(in->path[i]);

		if (rc == 2)
			return 2;
		nr_run += rc == 0;
	}
	printf("%s: %lu inputs ran clean\n", prog_name, nr_run);
	return 0;
}

static int check_determinism(const struct inputs *in)
{
	uint64_t *fwd = calloc(in->n ? in->n : 1, sizeof(*fwd));
	unsigned long differ = 0;

	if (!fwd)
		abort();
	bool *ran = calloc(in->n ? in->n : 1, sizeof(*ran));

	if (!ran)
		abort();
	for (size_t i = 0; i < in->n; i++) {
		int rc = run_file(in->path[i]);

		if (rc == 2)
			return 2;
		ran[i] = rc == 0;	/* a skipped input has no digest of its own */
		fwd[i] = exec_last_digest();
	}
	for (size_t i = in->n; i-- > 0;) {
		if (!ran[i])
			continue;
		if (run_file(in->path[i]) == 2)
			return 2;
		if (exec_last_digest() != fwd[i]) {
			fprintf(stderr, "%s: %s: took another path after other inputs (digest %016" PRIx64
				" forwards, %016" PRIx64 " backwards)\n",
				prog_name, in->path[i], fwd[i], exec_last_digest());
			differ++;
		}
	}
	free(fwd);
	free(ran);
	printf("%s: %zu inputs run forwards and backwards in one process: %lu took another path\n",
	       prog_name, in->n, differ);
	return differ ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct inputs in = { 0 };
	bool determinism = false;
	int first = 1, rc = 0;

	prog_name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: %s [--check-determinism] FILE|DIR...\n"
		       "Replays inputs through the fuzz target without a fuzzing engine; exits\n"
		       "non-zero (abort) at the first input that fails.\n"
		       "  --check-determinism  run the inputs forwards, then backwards, in one process;\n"
		       "                       exit 1 if an input's path depends on what ran before it\n",
		       prog_name);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "--check-determinism")) {
		determinism = true;
		first = 2;
	}
	if (first < argc && argv[first][0] == '-') {
		fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog_name, argv[first]);
		return 2;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: %s [--check-determinism] FILE|DIR... (see --help)\n", prog_name);
		return 2;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = first; i < argc && !rc; i++)
		rc = collect(&in, argv[i]);
	if (!rc)
		rc = determinism ? check_determinism(&in) : replay(&in);
	for (size_t i = 0; i < in.n; i++)
		free(in.path[i]);
	free(in.path);
	return rc;
}
