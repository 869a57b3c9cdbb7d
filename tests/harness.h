/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny test harness in the spirit of KUnit: TEST(name) defines a case; each case runs
 * on a freshly initialised machine (platform_init + kmem_cache_init, reports counted, not
 * fatal); after the body the fixture runs validate_all_caches() and fails the case on any
 * finding or on reports the case did not claim with EXPECT_REPORTS().
 *
 * tests/CMakeLists.txt registers every TEST(name) of a file as its own ctest case
 * ("<file>.<name>"); the binary runs one case by name, or all with no argument, and ends
 * with "N passed, N failed".
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "slab.h"
#include "slab_introspect.h"
#include "bugs.h"

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define MAX_TESTS 256
extern struct test_case test_cases[MAX_TESTS];
extern int nr_test_cases;
extern int test_failures;	/* failed CHECKs in the running case */
extern int test_expected_reports;	/* reports the running case accounts for */
extern struct platform_config test_config;	/* config used by the fixture; a case may
						   change it and call test_reinit() */

#define TEST(tname) \
	static void test_##tname(void); \
	__attribute__((constructor)) static void register_##tname(void) \
	{ test_cases[nr_test_cases].name = #tname; test_cases[nr_test_cases++].fn = test_##tname; } \
	static void test_##tname(void)

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "  CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	test_failures++; } } while (0)
#define CHECK_EQ(a, b) do { long long __a = (long long)(a), __b = (long long)(b); \
	if (__a != __b) { fprintf(stderr, "  CHECK_EQ failed at %s:%d: %s == %lld, %s == %lld\n", \
		__FILE__, __LINE__, #a, __a, #b, __b); test_failures++; } } while (0)
/* Fatal check: stop the case (e.g. a NULL that the rest would dereference). */
#define REQUIRE(cond) do { if (!(cond)) { \
	fprintf(stderr, "  REQUIRE failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	test_failures++; return; } } while (0)

/* The case expects exactly n reports in total by its end (checked by the fixture). */
#define EXPECT_REPORTS(n) (test_expected_reports = (n))

/* Re-initialise the machine with test_config (after changing it). */
void test_reinit(void);
/* Count reports of a kind made so far in this case. */
int test_reports_of(enum report_kind kind);
/* Run `fn` on emulated CPU `cpu` (switches the boot task's CPU, restores after). */
void on_cpu(int cpu, void (*fn)(void *), void *arg);
void set_cpu(int cpu);		/* move the test's task to `cpu` */

/* Helpers shared by the allocator suites. */
/* A machine of `nodes` nodes, CPU i on node i % nodes, then test_reinit(). */
void machine(unsigned int cpus, unsigned int nodes, unsigned long memoryless, bool kasan);
struct slab_cache_info cinfo(struct kmem_cache *s);
struct slab_object_counts ccount(struct kmem_cache *s);
unsigned long st(struct kmem_cache *s, enum stat_item item);	/* slab_stat() */
bool ptr_in(const void *x, void *const *set, size_t n);
int node_of(const void *p);	/* NUMA node of the page holding p, -1 outside the arena */

#endif
