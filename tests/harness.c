// SPDX-License-Identifier: GPL-2.0
#include "harness.h"

struct test_case test_cases[MAX_TESTS];
int nr_test_cases;
int test_failures;
int test_expected_reports;
struct platform_config test_config;

void test_reinit(void)
{
	slab_reset();
	platform_init(&test_config);
	report_set_mode(REPORT_COUNT);
	kmem_cache_init();
}

int test_reports_of(enum report_kind kind)
{
	return report_count_kind(kind);
}

void set_cpu(int cpu)
{
	if (!task_migrate(current, cpu)) {
		fprintf(stderr, "  set_cpu(%d) refused\n", cpu);
		test_failures++;
	}
}

void on_cpu(int cpu, void (*fn)(void *), void *arg)
{
	int old = smp_processor_id();

	set_cpu(cpu);
	fn(arg);
	set_cpu(old);
}

void machine(unsigned int cpus, unsigned int nodes, unsigned long memoryless, bool kasan)
{
	test_config.nr_cpus = cpus;
	test_config.nr_nodes = nodes;
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		test_config.cpu_node[cpu] = cpu % (int)nodes;
	test_config.memoryless_nodes = memoryless;
	test_config.kasan = kasan;
	test_reinit();
}

struct slab_cache_info cinfo(struct kmem_cache *s)
{
	struct slab_cache_info info;

	slab_cache_info(s, &info);
	return info;
}

struct slab_object_counts ccount(struct kmem_cache *s)
{
	struct slab_object_counts c;

	slab_count_objects(s, &c);
	return c;
}

unsigned long st(struct kmem_cache *s, enum stat_item item)
{
	return slab_stat(s, item);
}

bool ptr_in(const void *x, void *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (set[i] == x)
			return true;
	}
	return false;
}

int node_of(const void *p)
{
	struct page *page = virt_to_page(p);

	return page ? page_to_nid(page) : -1;
}

static int run_case(const struct test_case *tc)
{
	test_failures = 0;
	test_expected_reports = 0;
	platform_config_default(&test_config);
	slab_bugs_clear();
	test_reinit();

	tc->fn();

	int findings = validate_all_caches();
	if (findings) {
		fprintf(stderr, "  validate_slab_cache: %d finding(s) after the case\n", findings);
		test_failures++;
	}
	int reports = report_count();
	/* validate findings are reports too; count them once, above */
	if (reports - findings != test_expected_reports) {
		fprintf(stderr, "  %d report(s) made, %d expected\n", reports - findings,
			test_expected_reports);
		test_failures++;
	}
	slab_reset();
	printf("%s %s\n", test_failures ? "FAIL" : "ok  ", tc->name);
	return test_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	int failed = 0, passed = 0, ran = 0;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: %s [--list | CASE...]\nRuns the named cases, or all.\n", argv[0]);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (int i = 0; i < nr_test_cases; i++)
			printf("%s\n", test_cases[i].name);
		return 0;
	}
	for (int i = 0; i < nr_test_cases; i++) {
		bool want = argc == 1;
		for (int a = 1; a < argc; a++)
			want |= !strcmp(argv[a], test_cases[i].name);
		if (!want)
			continue;
		ran++;
		if (run_case(&test_cases[i]))
			failed++;
		else
			passed++;
	}
	if (argc > 1 && ran != argc - 1) {
		fprintf(stderr, "%s: unknown test case name among the arguments\n", argv[0]);
		return 2;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
