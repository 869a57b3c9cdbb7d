// SPDX-License-Identifier: GPL-2.0
/*
 * Alloc+free pair cost on the sheaf fast path (one emulated CPU, KASAN emulation off so a
 * free goes back to the sheaf), beside glibc malloc+free, measured in the same run. The
 * table gives ns/pair and the ratio; machines are noisy, so compare ratios, not times.
 *
 * usage: bench_fastpath [--pairs N] [--rounds R] [--out FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "slab.h"
#include "slab_introspect.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Keep the compiler from dropping the work. */
static void *volatile sink;

static double bench_slab(struct kmem_cache *s, long pairs)
{
	double t0 = now_ns();

	for (long i = 0; i < pairs; i++) {
		void *p = kmem_cache_alloc(s, GFP_KERNEL);

		sink = p;
		kmem_cache_free(s, p);
	}
	return (now_ns() - t0) / pairs;
}

static double bench_malloc(size_t size, long pairs)
{
	double t0 = now_ns();

	for (long i = 0; i < pairs; i++) {
		void *p = malloc(size);

		sink = p;
		free(p);
	}
	return (now_ns() - t0) / pairs;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long pairs = 2000000;
	int rounds = 7;
	const char *out = NULL;
	static const unsigned int sizes[] = { 64, 256, 1024 };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pairs") && i + 1 < argc) {
			pairs = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s [--pairs N] [--rounds R] [--out FILE]\n", argv[0]);
			return 0;
		} else {
			fprintf(stderr, "%s: unknown or incomplete argument '%s' (see --help)\n",
				argv[0], argv[i]);
			return 2;
		}
	}
	if (pairs <= 0 || rounds <= 0 || rounds > 99) {
		fprintf(stderr, "%s: --pairs must be > 0 and --rounds 1..99\n", argv[0]);
		return 2;
	}

	struct platform_config cfg;

	platform_config_default(&cfg);
	cfg.nr_cpus = 1;
	cfg.kasan = false;
	platform_init(&cfg);
	kmem_cache_init();

	FILE *f = out ? fopen(out, "w") : stdout;

	if (!f) {
		perror(out);
		return 2;
	}
	fprintf(f, "# alloc+free pair cost, one CPU, median of %d rounds x %ld pairs\n\n", rounds, pairs);
	fprintf(f, "| object size | slabtorture sheaf fast path (ns/pair) | glibc malloc+free (ns/pair) | ratio slab/glibc | alloc_fastpath share |\n");
	fprintf(f, "|---:|---:|---:|---:|---:|\n");
	for (unsigned int k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct kmem_cache *s = kmem_cache_create("bench", sizes[k], NULL, SLAB_NO_MERGE);
		double a[99], b[99];

		bench_slab(s, pairs / 10);	/* warm: sheaves filled */
		bench_malloc(sizes[k], pairs / 10);
		for (int r = 0; r < rounds; r++) {
			/* interleaved so both see the same machine noise */
			a[r] = bench_slab(s, pairs);
			b[r] = bench_malloc(sizes[k], pairs);
		}
		qsort(a, rounds, sizeof(double), cmp_double);
		qsort(b, rounds, sizeof(double), cmp_double);
		double fast = slab_stat(s, ALLOC_FASTPATH);
		double all = fast + slab_stat(s, ALLOC_SLOWPATH);

		fprintf(f, "| %u | %.1f | %.1f | %.2f | %.4f |\n", sizes[k], a[rounds / 2],
			b[rounds / 2], a[rounds / 2] / b[rounds / 2], all ? fast / all : 0);
		kmem_cache_destroy(s);
	}
	if (out)
		fclose(f);
	return report_count() ? 1 : 0;
}
