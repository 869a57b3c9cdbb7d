// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow model's rules, each broken on purpose: results the allocator never gives are
 * fed to the model directly, or things are changed behind its back through the executor's
 * test hook, and the rule must fire with its name.
 */
#include <stdio.h>
#include <string.h>
#include "harness.h"
#include "exec.h"
#include "model.h"

static int rule_seen(enum model_rule rule)
{
	int n = 0;

	for (int i = 0; i < report_count(); i++) {
		const struct report *r = report_get(i);
		if (r->kind == model_report_kind(rule))
			n++;
	}
	return n;
}

/* A model with cache handle 0 created for real with these arguments. */
static struct kmem_cache *test_cache(unsigned int size, unsigned int flags, unsigned int capacity)
{
	struct kmem_cache_args args = { .sheaf_capacity = capacity };
	struct op op = { .kind = OP_CREATE, .size = (int32_t)size, .flags = (int32_t)flags,
			 .capacity = (int32_t)capacity };
	struct kmem_cache *s;

	if (flags & CF_CTOR)
		args.ctor = model_ctor;
	s = kmem_cache_create("model_test", size, &args,
			      (flags & CF_TYPESAFE ? SLAB_TYPESAFE_BY_RCU : 0) | SLAB_NO_MERGE);
	model_reset();
	model_begin_op(0, "test");
	model_cache_created(0, s, &op, NULL);
	return s;
}

static void expect_only(enum model_rule rule, int n)
{
	CHECK_EQ(rule_seen(rule), n);
	CHECK_EQ(model_report_count(), report_count());
	EXPECT_REPORTS(report_count());
}

TEST(rule_null)
{
	struct kmem_cache *s = test_cache(64, 0, 0);

	model_obj_alloced(0, OK_CACHE, 0, s, NULL, 64, "fault");
	CHECK_EQ(report_count(), 0);
	model_obj_alloced(1, OK_CACHE, 0, s, NULL, 64, NULL);
	expect_only(RULE_NULL, 1);
}

TEST(rule_align_and_cache)
{
	struct kmem_cache *s = test_cache(64, 0, 0);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	REQUIRE(p);
	model_obj_alloced(0, OK_CACHE, 0, s, (char *)p + 4, 60, NULL);
	CHECK(rule_seen(RULE_ALIGN) == 1);
	CHECK(rule_seen(RULE_CACHE) == 1);	/* not the start of an object */
	void *k = kmalloc(64, GFP_KERNEL);
	model_obj_alloced(1, OK_CACHE, 0, s, k, 64, NULL);
	CHECK(rule_seen(RULE_CACHE) == 2);	/* another cache's object */
	kfree(k);
	kmem_cache_free(s, p);
	expect_only(RULE_CACHE, 2);
}

TEST(rule_node)
{
	machine(2, 2, 0, false);
	struct kmem_cache *s = test_cache(64, 0, 0);
	void *p = kmem_cache_alloc_node(s, GFP_KERNEL, 0);

	REQUIRE(p);
	model_obj_alloced(0, OK_CACHE, 0, s, p, 64, NULL);
	model_obj_check_node(0, 0, false);
	model_obj_check_node(0, NUMA_NO_NODE, false);
	model_obj_check_node(0, 1, true);	/* the page allocator spilled: any node */
	CHECK_EQ(report_count(), 0);
	model_obj_check_node(0, 1, false);
	kmem_cache_free(s, p);
	expect_only(RULE_NODE, 1);
}

TEST(rule_lifo)
{
	machine(2, 1, 0, false);
	struct kmem_cache *s = test_cache(64, 0, 0);
	void *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);
	void *c = kmem_cache_alloc(s, GFP_KERNEL);

	REQUIRE(a && b && c);
	model_begin_op(1, "free");
	model_freed_to_pcs(s, a, model_free_takes_pcs(s, a));
	model_begin_op(2, "alloc");
	model_obj_alloced(0, OK_CACHE, 0, s, a, 64, NULL);
	model_obj_check_pcs_top(0);		/* the freed object back */
	model_begin_op(3, "free");
	model_freed_to_pcs(s, a, model_free_takes_pcs(s, a));
	model_begin_op(5, "alloc");
	model_obj_alloced(1, OK_CACHE, 0, s, b, 64, NULL);
	model_obj_check_pcs_top(1);		/* an op came between */
	CHECK_EQ(report_count(), 0);
	model_begin_op(6, "free");
	model_freed_to_pcs(s, a, model_free_takes_pcs(s, a));
	model_begin_op(7, "alloc");
	model_obj_alloced(2, OK_CACHE, 0, s, c, 64, NULL);
	model_obj_check_pcs_top(2);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	kmem_cache_free(s, c);
	expect_only(RULE_LIFO, 1);
}

TEST(rule_merge)
{
	struct kmem_cache *s = test_cache(64, 0, 0);
	struct op mergeable = { .kind = OP_CREATE, .size = 64 };
	struct op no_merge = { .kind = OP_CREATE, .size = 64, .flags = CF_NO_MERGE };

	model_cache_created(1, s, &mergeable, NULL);	/* an alias of c0: fine */
	CHECK_EQ(report_count(), 0);
	model_cache_created(2, s, &no_merge, NULL);
	expect_only(RULE_MERGE, 1);
}

TEST(rule_overlap)
{
	struct kmem_cache *s = test_cache(64, 0, 0);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	model_obj_alloced(0, OK_CACHE, 0, s, p, 64, NULL);
	model_obj_alloced(1, OK_CACHE, 0, s, p, 64, NULL);
	kmem_cache_free(s, p);
	expect_only(RULE_OVERLAP, 1);
}

TEST(rule_rcu_reuse)
{
	struct kmem_cache *s = test_cache(64, 0, 0);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	model_obj_alloced(0, OK_CACHE, 0, s, p, 64, NULL);
	model_obj_rcu_freed(0);
	model_obj_alloced(1, OK_CACHE, 0, s, p, 64, NULL);	/* same grace period */
	CHECK_EQ(rule_seen(RULE_RCU_REUSE), 1);
	model_obj_rcu_freed(1);
	rcu_gp_advance();
	rcu_gp_advance();
	model_obj_alloced(2, OK_CACHE, 0, s, p, 64, NULL);	/* grace period over: fine */
	kmem_cache_free(s, p);
	expect_only(RULE_RCU_REUSE, 1);
}

TEST(rule_content)
{
	struct kmem_cache *s = test_cache(64, 0, 0);
	uint8_t *p = kmem_cache_alloc(s, GFP_KERNEL);

	model_obj_alloced(0, OK_CACHE, 0, s, p, 64, NULL);
	CHECK(model_obj_content_ok(0, "read"));
	p[5] ^= 1;
	CHECK(!model_obj_content_ok(0, "read"));
	kmem_cache_free(s, p);
	expect_only(RULE_CONTENT, 1);
}

TEST(rule_ctor)
{
	struct kmem_cache *s = test_cache(64, CF_CTOR, 0);
	uint64_t *p = kmem_cache_alloc(s, GFP_KERNEL);

	REQUIRE(p && *p == SLAB_CTOR_MAGIC);
	*p = 0;
	model_obj_alloced(0, OK_CACHE, 0, s, p, 64, NULL);
	*p = SLAB_CTOR_MAGIC;
	kmem_cache_free(s, p);
	expect_only(RULE_CTOR, 1);
}

TEST(rule_barrier)
{
	struct kmem_cache *s = test_cache(64, 0, 4);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	model_obj_alloced(0, OK_CACHE, 0, s, p, 64, NULL);
	model_obj_rcu_freed(0);
	kvfree_call_rcu((struct rcu_head *)p, p);
	model_obj_rcu_returned(0);
	/* the model is told the barrier returned, but none ran: the object is pending */
	model_after_barrier(s, model_barrier_begin());
	CHECK_EQ(model.barrier_broken, 1);
	unsigned long from = model_barrier_begin();
	kvfree_rcu_barrier_on_cache(s);
	model_after_barrier(s, from);
	expect_only(RULE_BARRIER, 1);
}

/* A kfree_rcu still inside its call when the barrier begins (another task's, preempted
 * there) is not the barrier's to wait for: its object may stay pending. */
TEST(rule_barrier_owes_only_returned_kfree_rcu)
{
	struct kmem_cache *s = test_cache(64, 0, 4);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	model_obj_alloced(0, OK_CACHE, 0, s, p, 64, NULL);
	model_obj_rcu_freed(0);
	kvfree_call_rcu((struct rcu_head *)p, p);
	model_after_barrier(s, model_barrier_begin());
	CHECK_EQ(model.barrier_broken, 0);
	model_obj_rcu_returned(0);
	unsigned long from = model_barrier_begin();
	kvfree_rcu_barrier_on_cache(s);
	model_after_barrier(s, from);
	EXPECT_REPORTS(0);
}

TEST(rule_counts_and_shrink)
{
	struct kmem_cache *s = test_cache(64, 0, 0);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);	/* behind the model's back */

	model_check_cache(s);
	CHECK_EQ(rule_seen(RULE_COUNTS), 1);
	kmem_cache_shrink(s);
	model_after_shrink(s);
	CHECK_EQ(rule_seen(RULE_SHRINK), 1);
	kmem_cache_free(s, p);
	EXPECT_REPORTS(2);
}

TEST(rule_pages)
{
	struct page *pg = alloc_pages_node(0, GFP_KERNEL, 0);	/* not a slab page */

	REQUIRE(pg);
	model_reset();
	model_check_pages(RULE_PAGES);
	__free_pages(pg, 0);
	model_check_pages(RULE_PAGES);
	expect_only(RULE_PAGES, 1);
}

TEST(rule_sheaf_and_size)
{
	struct kmem_cache *s = test_cache(64, 0, 8);
	struct slab_sheaf *sh = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 4);
	struct op op = { .kind = OP_CREATE, .size = 4000 };

	REQUIRE(sh);
	model_sheaf_lent(0, sh, 0, 200, NULL);	/* asked for more than it holds */
	CHECK_EQ(rule_seen(RULE_SHEAF), 1);
	kmem_cache_return_sheaf(s, GFP_KERNEL, sh);
	model_cache_created(1, s, &op, NULL);	/* object_size below the size asked */
	expect_only(RULE_SIZE, 1);
	EXPECT_REPORTS(2);
}

/* Executor-level rules: the hook changes things behind the model's back. */
static struct program prog;
static void *stolen;

static int run_text(const char *src, void (*hook)(long), struct exec_result *r)
{
	char err[200];
	struct exec_opts o = { .quiet = true };

	if (program_parse(src, strlen(src), &prog, err, sizeof(err))) {
		fprintf(stderr, "  %s\n", err);
		return -1;
	}
	exec_after_op_hook = hook;
	exec_program(&prog, &o, r);
	exec_after_op_hook = NULL;
	return 0;
}

static void free_behind_back(long i)
{
	/* after op 1 (alloc o0): free it without telling the model */
	if (i == 1)
		kmem_cache_free(model.cache[0].s, model.obj[0].ptr);
}

TEST(rule_leak_expected)
{
	struct exec_result r;

	REQUIRE(!run_text("machine cpus=1 kasan=off\ncpu0 create size=64 -> c0\n"
			  "cpu0 alloc c0 -> o0\ncpu0 destroy c0\n", free_behind_back, &r));
	CHECK(r.failed);
	CHECK(!strcmp(r.sig, "MODEL_LEAK_EXPECTED in destroy"));
	EXPECT_REPORTS(report_count());
}

static void realloc_behind_back(long i)
{
	/* after op 2 (free o0): the slot is handed out again, unknown to the model */
	if (i == 2)
		stolen = kmem_cache_alloc(model.cache[0].s, GFP_KERNEL);
}

TEST(rule_double_free_expected)
{
	struct exec_result r;

	REQUIRE(!run_text("machine cpus=1 kasan=off\ncpu0 create size=64 -> c0\n"
			  "cpu0 alloc c0 -> o0\ncpu0 free o0\ncpu0 free o0\n", realloc_behind_back, &r));
	CHECK(r.failed);
	CHECK(!strcmp(r.sig, "MODEL_DOUBLE_FREE_EXPECTED in free"));
	EXPECT_REPORTS(report_count());
}

static struct page *leaked_page;

static void leak_page(long i)
{
	if (i == 0)
		leaked_page = alloc_pages_node(0, GFP_KERNEL, 0);
}

TEST(rule_end)
{
	struct exec_result r;

	REQUIRE(!run_text("machine cpus=1\ncpu0 create size=64 -> c0\n", leak_page, &r));
	CHECK(r.failed);
	/* the first page identity check of the end phase sees it (after the destroy) */
	CHECK(!strncmp(r.sig, "MODEL_", 6) && strstr(r.sig, " in end"));
	EXPECT_REPORTS(report_count());
}

TEST(executor_consumes_expected_reports)
{
	struct exec_result r;

	REQUIRE(!run_text("machine cpus=1\ncpu0 create size=64 -> c0\ncpu0 alloc c0 -> o0\n"
			  "cpu0 free o0\ncpu0 free o0\ncpu0 alloc c0 -> o1\ncpu0 destroy c0\n", NULL, &r));
	CHECK(!r.failed);
	CHECK(r.consumed >= 2);	/* the DOUBLE_FREE and the leak report(s) */
	EXPECT_REPORTS(report_count());
}

TEST(executor_is_deterministic)
{
	struct exec_result r1, r2;
	static const char src[] =
		"machine cpus=2 kasan=on\ncpu0 create size=64 capacity=4 -> c0\n"
		"cpu0 alloc c0 -> o0\ncpu0 alloc c0 -> o1\ncpu0 kfree_rcu o0\ncpu0 kfree_rcu o1\n"
		"cpu0 destroy c0\n";

	if (!slab_bugs_compiled_in()) {
		printf("  skipped: seeded bugs not compiled in\n");
		return;
	}
	REQUIRE(!slab_bug_enable("destroy_no_rcu_barrier"));
	REQUIRE(!run_text(src, NULL, &r1));
	REQUIRE(!run_text(src, NULL, &r2));
	slab_bugs_clear();
	CHECK(r1.failed && r2.failed);
	CHECK(!strcmp(r1.sig, r2.sig));
	CHECK_EQ(r1.fail_op, r2.fail_op);
	EXPECT_REPORTS(report_count());
}

static long ops_after_report;

static void warn_at_op_1(long i)
{
	if (i > 1)
		ops_after_report++;
	if (i == 1) {
		WARN(1, "a report after op 1");
		WARN(1, "a second one, never reached");
	}
}

/* The first unexpected report ends the program at once: no later op, check or report
 * runs, and its signature is the program's, however many more would have come. */
TEST(executor_stops_at_first_unexpected_report)
{
	struct exec_result r;

	ops_after_report = 0;
	REQUIRE(!run_text("machine cpus=1\ncpu0 create size=64 -> c0\ncpu0 alloc c0 -> o0\n"
			  "cpu0 free o0\ncpu0 destroy c0\n", warn_at_op_1, &r));
	CHECK(r.failed);
	CHECK_EQ(r.fail_op, 1);
	CHECK(!strcmp(r.sig, "WARN in warn_at_op_1"));
	CHECK_EQ(ops_after_report, 0);
	CHECK_EQ(report_count(), 1);
	EXPECT_REPORTS(report_count());
}
