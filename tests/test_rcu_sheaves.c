// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of kfree_rcu through rcu_free sheaves, the destroy order, the KASAN quarantine,
 * prefilled sheaves, kmalloc_nolock/kfree_nolock and the seeded bugs (issue 4).
 *
 * RCU here is the deterministic backend: a grace period ends only in rcu_gp_advance(),
 * callbacks run only in rcu_invoke_callbacks(), rcu_barrier() and synchronize_rcu() — so
 * "not freed before the grace period" can be checked exactly.
 */
#include <setjmp.h>
#include "harness.h"

struct rcu_obj {
	struct rcu_head rcu;
	unsigned long payload[4];
};

static enum kasan_state state_of(struct kmem_cache *s, const void *obj)
{
	return kasan_get_state(slab_kasan_info(s), obj);
}

static struct kmem_cache *rcu_cache(const char *name)
{
	return kmem_cache_create(name, sizeof(struct rcu_obj), NULL, SLAB_NO_MERGE);
}

static u64 rng_state;

static u64 rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Seeded-bug cases need the switches compiled in (every preset but release); those whose
 * report comes from lockdep-lite (LOCK_NOT_HELD, BAD_CONTEXT) need SLAB_LOCKDEP too.
 */
static bool enable_bug_ctx(const char *name, bool needs_lockdep)
{
	if (!slab_bugs_compiled_in()) {
		printf("  skipped: seeded bugs not compiled in\n");
		return false;
	}
#ifndef SLAB_LOCKDEP
	if (needs_lockdep) {
		printf("  skipped: built without SLAB_LOCKDEP\n");
		return false;
	}
#endif
	if (slab_bug_enable(name)) {
		CHECK(!"unknown seeded bug");
		return false;
	}
	return true;
}

static bool enable_bug(const char *name)
{
	return enable_bug_ctx(name, false);
}

/* ------------------------------------------------------------------------------------
 * The KUnit cases of lib/tests/slub_kunit.c that need RCU, and test_leak_destroy.
 */

/* KUnit test_kfree_rcu: one object of a NO_MERGE cache, kfree_rcu, destroy at once. */
TEST(kunit_kfree_rcu)
{
	unsigned long base = pages_in_use();
	struct kmem_cache *s = rcu_cache("TestSlub_kfree_rcu");

	REQUIRE(s);
	CHECK(cinfo(s).sheaf_capacity > 0);	/* 7.0: NO_MERGE caches get sheaves too */
	struct rcu_obj *p = kmem_cache_alloc(s, GFP_KERNEL);

	REQUIRE(p);
	kfree_rcu(p, rcu);
	CHECK_EQ(st(s, FREE_RCU_SHEAF), 1);
	CHECK_EQ(ccount(s).in_rcu_free, 1);
	kmem_cache_destroy(s);
	CHECK_EQ(report_count(), 0);
	CHECK_EQ(pages_in_use(), base);
	CHECK_EQ(kasan_quarantine_objects(NULL), 0);
}

/*
 * KUnit test_kfree_rcu_wq_destroy: ten rounds of create, alloc, kfree_rcu, a random delay,
 * destroy from a workqueue. Here: a seeded random amount of grace-period and callback
 * progress, then the destroy runs on another task on another CPU.
 */
TEST(kunit_kfree_rcu_wq_destroy)
{
	static struct task wq_task;
	unsigned long base = pages_in_use();

	rng_state = 0x5eed1234;
	for (int round = 0; round < 10; round++) {
		struct kmem_cache *s = rcu_cache("TestSlub_kfree_rcu_wq_destroy");
		int cpu = (int)(rng_next() % nr_cpu_ids);
		int wq_cpu = (cpu + 1 + (int)(rng_next() % (nr_cpu_ids - 1))) % (int)nr_cpu_ids;

		REQUIRE(s);
		set_cpu(cpu);
		struct rcu_obj *p = kmem_cache_alloc(s, GFP_KERNEL);

		REQUIRE(p);
		kfree_rcu(p, rcu);
		/* the msleep(get_random_u8()): 0..3 steps of RCU progress */
		for (unsigned int steps = (unsigned int)(rng_next() % 4); steps; steps--) {
			rcu_gp_advance();
			if (rng_next() & 1)
				rcu_invoke_callbacks(-1);
		}
		set_cpu(0);
		task_init(&wq_task, "test_kfree_rcu_destroy_wq", wq_cpu);
		task_switch(&wq_task);
		CHECK_EQ(smp_processor_id(), wq_cpu);
		kmem_cache_destroy(s);
		task_switch(boot_task());
		CHECK_EQ(report_count(), 0);
		CHECK_EQ(pages_in_use(), base);
		CHECK_EQ(kasan_quarantine_objects(NULL), 0);
	}
}

/*
 * KUnit test_leak_destroy expects 2 slab errors for one leaked object. This allocator
 * emits, for a leaked object in a partial slab, one SLAB_LEAK report from
 * __kmem_cache_shutdown() per slab with objects ("Objects remaining on
 * __kmem_cache_shutdown()", the objects listed in its details, as list_slab_objects
 * does) and one from kmem_cache_destroy() ("Slab cache still has objects"): 2 as well.
 */
TEST(kunit_leak_destroy)
{
	struct kmem_cache *s = kmem_cache_create("TestSlub_leak_destroy", 64, NULL, SLAB_NO_MERGE);

	REQUIRE(s);
	void *leak = kmem_cache_alloc(s, GFP_KERNEL);

	REQUIRE(leak);
	kmem_cache_destroy(s);
	CHECK_EQ(test_reports_of(REPORT_SLAB_LEAK), 2);
	REQUIRE(report_count() == 2);
	const struct report *objs = report_get(0), *still = report_get(1);

	CHECK(!strcmp(objs->function, "__kmem_cache_shutdown"));
	CHECK(strstr(objs->message, "Objects remaining") != NULL);
	char addr[32];

	snprintf(addr, sizeof(addr), "%p", leak);
	CHECK(strstr(objs->details, addr) != NULL);	/* the leaked object is named */
	CHECK(!strcmp(still->function, "kmem_cache_destroy"));
	CHECK(strstr(still->message, "Slab cache still has objects") != NULL);
	EXPECT_REPORTS(2);
}

/* ------------------------------------------------------------------------------------
 * The seed bug (B1): kvfree_rcu_barrier_on_cache() without rcu_barrier() + KASAN.
 */

/* On CPU 1, kfree_rcu two objects (the second into the partly filled rcu_free sheaf),
 * then destroy the cache from CPU 0. Returns the pages still held. */
static long seed_scenario(void)
{
	unsigned long base = pages_in_use();
	struct kmem_cache *s = rcu_cache("seed_b1");

	if (!s)
		return -1;
	set_cpu(1);
	struct rcu_obj *a = kmem_cache_alloc(s, GFP_KERNEL);
	struct rcu_obj *b = kmem_cache_alloc(s, GFP_KERNEL);

	if (!a || !b)
		return -1;
	kfree_rcu(a, rcu);
	CHECK_EQ(ccount(s).in_rcu_free, 1);
	kfree_rcu(b, rcu);
	CHECK_EQ(ccount(s).in_rcu_free, 2);
	CHECK(2 < cinfo(s).sheaf_capacity);	/* partly filled: not submitted by itself */
	CHECK_EQ(cinfo(s).rcu_sheaves_in_flight, 0);
	set_cpu(0);
	kmem_cache_destroy(s);
	return (long)(pages_in_use() - base);
}

TEST(seed_destroy_rcu_barrier_correct)
{
	CHECK(kasan_enabled());
	CHECK_EQ(seed_scenario(), 0);
	CHECK_EQ(report_count(), 0);
	CHECK_EQ(kasan_quarantine_objects(NULL), 0);
}

TEST(seed_destroy_no_rcu_barrier_kasan)
{
	if (!enable_bug("destroy_no_rcu_barrier"))
		return;
	CHECK(kasan_enabled());
	long held = seed_scenario();

	/* Exactly the leak: the remaining-objects report and "still has objects". */
	CHECK_EQ(test_reports_of(REPORT_SLAB_LEAK), 2);
	REQUIRE(report_count() == 2);
	CHECK(strstr(report_get(0)->message, "Objects remaining") != NULL);
	CHECK(strstr(report_get(1)->message, "Slab cache still has objects") != NULL);
	/* The mechanism: the rcu callback ran after the quarantine drain and re-quarantined
	 * both objects. */
	CHECK(strstr(report_get(0)->details, "quarantined") != NULL);
	CHECK_EQ(kasan_quarantine_objects(NULL), 2);
	/* The cache is leaked on purpose: its pages stay. */
	CHECK(held > 0);
	EXPECT_REPORTS(2);
}

TEST(seed_destroy_no_rcu_barrier_without_kasan)
{
	machine(4, 1, 0, false);
	if (!enable_bug("destroy_no_rcu_barrier"))
		return;
	/* The rcu_barrier() inside __kmem_cache_shutdown() masks the bug without KASAN. */
	CHECK_EQ(seed_scenario(), 0);
	CHECK_EQ(report_count(), 0);
}

/* ------------------------------------------------------------------------------------
 * The other seeded bugs.
 */

/* A CPU on a memoryless node allocates and frees, kmallocs and kfree_rcu's. */
static void memoryless_workload(void)
{
	struct kmem_cache *s = rcu_cache("memless_rcu");

	if (!s)
		return;
	set_cpu(1);
	for (int i = 0; i < 200; i++) {
		struct rcu_obj *o = kmem_cache_alloc(s, GFP_KERNEL);

		REQUIRE(o);
		if (i % 3)
			kmem_cache_free(s, o);
		else
			kfree_rcu(o, rcu);
		kfree(kmalloc(48, GFP_KERNEL));
	}
	set_cpu(0);
	rcu_barrier();
	CHECK_EQ(ccount(s).allocated, 0);
	kmem_cache_destroy(s);
}

TEST(bug_memoryless_node_barn_off)
{
	machine(4, 2, 0x2, true);
	unsigned long base = pages_in_use();

	memoryless_workload();
	CHECK_EQ(report_count(), 0);
	CHECK(pages_in_use() >= base);	/* kmalloc-48 slabs may stay */
}

TEST(bug_memoryless_node_barn_on)
{
	static jmp_buf bug;
	char func[REPORT_FUNC_LEN] = "", msg[REPORT_MSG_LEN] = "";
	volatile int kind = -1, nr = 0;

	machine(4, 2, 0x2, true);
	if (!enable_bug("memoryless_node_barn"))
		return;
	/* The pre-fix kernel dereferenced a NULL barn: a BUG, which cannot continue. */
	report_set_bug_jmp(&bug);
	if (!setjmp(bug))
		memoryless_workload();
	report_set_bug_jmp(NULL);
	nr = report_count();
	if (nr) {
		kind = (int)report_get(0)->kind;
		snprintf(func, sizeof(func), "%s", report_get(0)->function);
		snprintf(msg, sizeof(msg), "%s", report_get(0)->message);
	}
	/* The machine is in the state of a crashed kernel: start over for the fixture. */
	test_reinit();

	CHECK_EQ(nr, 1);
	CHECK_EQ(kind, REPORT_BUG);
	CHECK(strstr(func, "barn") != NULL);
	CHECK(strstr(msg, "memoryless node 1") != NULL);
}

/*
 * B9: kfree_nolock() in NMI when main and spare are full and the barn has no empty sheaf.
 * Correct: no sheaf is allocated (the free takes the slab path). With the bug the sheaf
 * allocation happens in NMI context: BAD_CONTEXT.
 */
static void nolock_full_sheaves(bool bug)
{
	kmem_cache_shrink(kmalloc_cache_for(64));
	struct kmem_cache *s = kmalloc_cache_for(64);
	unsigned int cap = cinfo(s).sheaf_capacity;

	REQUIRE(cap > 0);
	unsigned int n = 4 * cap;
	void **p = calloc(n, sizeof(*p));
	void *nolock = kmalloc_nolock(64, 0, NUMA_NO_NODE);

	REQUIRE(nolock);
	REQUIRE(virt_to_cache(nolock) == s);
	for (unsigned int i = 0; i < n; i++) {
		p[i] = kmalloc(64, GFP_KERNEL);
		REQUIRE(p[i]);
	}
	unsigned int freed = 0;

	while (freed < n && ccount(s).in_pcs < 2 * cap)
		kfree(p[freed++]);
	REQUIRE(ccount(s).in_pcs == 2 * cap);
	REQUIRE(cinfo(s).barn_empty == 0);
	REQUIRE(cinfo(s).barn_full < 10);

	unsigned long live = ccount(s).allocated;

	irq_enter(true);
	kfree_nolock(nolock);
	irq_exit();
	defer_free_barrier();
	CHECK_EQ(ccount(s).allocated, live - 1);
	if (!bug) {
		CHECK_EQ(report_count(), 0);
		/* the full sheaves were not exchanged */
		CHECK_EQ(ccount(s).in_pcs, 2 * cap);
	}
	while (freed < n)
		kfree(p[freed++]);
	free(p);
	CHECK_EQ(validate_slab_cache(s), 0);
}

TEST(bug_nolock_alloc_sheaf_off)
{
	machine(4, 1, 0, false);
	nolock_full_sheaves(false);
}

TEST(bug_nolock_alloc_sheaf_on)
{
	machine(4, 1, 0, false);
	if (!enable_bug_ctx("nolock_alloc_sheaf", true))
		return;
	nolock_full_sheaves(true);
	/* The empty-sheaf allocation in NMI, then installing it puts the full main into
	 * the barn under a spinning barn->lock, also in NMI. */
	CHECK_EQ(test_reports_of(REPORT_BAD_CONTEXT), 2);
	REQUIRE(report_count() == 2);
	CHECK(!strcmp(report_get(0)->function, "__alloc_empty_sheaf"));
	CHECK(strstr(report_get(1)->message, "barn") != NULL);
	EXPECT_REPORTS(2);
}

/* B2: flush_rcu_sheaves_on_cache() must run under cpus_read_lock (lockdep-lite). */
static void flush_without_lock(void)
{
	struct kmem_cache *s = rcu_cache("flush_lock");

	REQUIRE(s);
	set_cpu(2);
	struct rcu_obj *o = kmem_cache_alloc(s, GFP_KERNEL);

	REQUIRE(o);
	kfree_rcu(o, rcu);
	set_cpu(0);
	kvfree_rcu_barrier_on_cache(s);
	/* The barrier did its job either way: nothing of the cache waits for RCU. */
	struct slab_object_counts c = ccount(s);

	CHECK_EQ(c.in_rcu_free + c.in_rcu_flight, 0);
	CHECK_EQ(state_of(s, o), KASAN_STATE_QUARANTINED);
	kmem_cache_destroy(s);
	/* the global barrier takes the lock itself */
	kvfree_rcu_barrier();
}

TEST(bug_flush_rcu_no_cpus_lock_off)
{
	flush_without_lock();
	CHECK_EQ(report_count(), 0);
}

TEST(bug_flush_rcu_no_cpus_lock_on)
{
	if (!enable_bug_ctx("flush_rcu_no_cpus_lock", true))
		return;
	flush_without_lock();
	/* kvfree_rcu_barrier_on_cache() twice: our call and the one in destroy */
	CHECK_EQ(test_reports_of(REPORT_LOCK_NOT_HELD), 2);
	REQUIRE(report_count() == 2);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(report_get(i)->kind, REPORT_LOCK_NOT_HELD);
		CHECK(strstr(report_get(i)->message, "cpu_hotplug_lock") != NULL);
	}
	EXPECT_REPORTS(2);
}

/* ------------------------------------------------------------------------------------
 * kfree_rcu semantics.
 */

/* A kfree_rcu'd object is not handed out again before its grace period ended. */
TEST(kfree_rcu_no_reuse_before_gp)
{
	machine(4, 1, 0, false);	/* without KASAN, freed objects are reused at once */
	struct kmem_cache *s = rcu_cache("rcu_no_reuse");

	REQUIRE(s);
	unsigned int cap = cinfo(s).sheaf_capacity;
	/* One partly filled rcu_free sheaf and one submitted (full) sheaf. */
	unsigned int n = cap + cap / 2;
	struct rcu_obj **r = calloc(n, sizeof(*r));

	for (unsigned int i = 0; i < n; i++) {
		r[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(r[i]);
	}
	for (unsigned int i = 0; i < n; i++)
		kfree_rcu(r[i], rcu);
	struct slab_object_counts c = ccount(s);

	CHECK_EQ(c.in_rcu_flight, cap);
	CHECK_EQ(c.in_rcu_free, n - cap);
	CHECK_EQ(cinfo(s).rcu_sheaves_in_flight, 1);
	CHECK_EQ(st(s, FREE_RCU_SHEAF), n);
	for (unsigned int i = 0; i < n; i++)
		CHECK_EQ(state_of(s, r[i]), KASAN_STATE_RCU_PENDING);

	/* Lots of allocation and free traffic on every CPU, a grace period that ended but
	 * whose callbacks have not run: none of the objects comes back. */
	unsigned int m = 6 * cap;
	void **q = calloc(m, sizeof(*q));

	for (int phase = 0; phase < 2; phase++) {
		for (unsigned int i = 0; i < m; i++) {
			set_cpu((int)(i % 4));
			q[i] = kmem_cache_alloc(s, GFP_KERNEL);
			REQUIRE(q[i]);
			CHECK(!ptr_in(q[i], (void *const *)r, n));
		}
		for (unsigned int i = 0; i < m; i++) {
			set_cpu((int)((i + 1) % 4));
			kmem_cache_free(s, q[i]);
		}
		set_cpu(0);
		if (phase == 0)
			CHECK(rcu_gp_advance());
	}
	/* The submitted sheaf's callback: its objects go to the barn as a full sheaf. */
	unsigned long put0 = st(s, BARN_PUT);

	REQUIRE(cinfo(s).barn_full < 10);

	CHECK(rcu_invoke_callbacks(-1) >= 1);
	c = ccount(s);
	CHECK_EQ(c.in_rcu_flight, 0);
	CHECK_EQ(c.in_rcu_free, n - cap);
	CHECK_EQ(st(s, BARN_PUT) - put0, 1);
	for (unsigned int i = 0; i < cap; i++)
		CHECK_EQ(state_of(s, r[i]), KASAN_STATE_IN_SHEAF);
	for (unsigned int i = cap; i < n; i++)
		CHECK_EQ(state_of(s, r[i]), KASAN_STATE_RCU_PENDING);

	kvfree_rcu_barrier();
	c = ccount(s);
	CHECK_EQ(c.in_rcu_free + c.in_rcu_flight, 0);
	CHECK_EQ(c.allocated, 0);
	free(q);
	free(r);
	kmem_cache_destroy(s);
}

/* With KASAN the rcu callback quarantines the objects; the sheaf goes back empty. */
TEST(kfree_rcu_kasan_quarantines_after_gp)
{
	struct kmem_cache *s = rcu_cache("rcu_kasan");

	REQUIRE(s);
	unsigned int cap = cinfo(s).sheaf_capacity;
	struct rcu_obj **r = calloc(cap, sizeof(*r));

	for (unsigned int i = 0; i < cap; i++) {
		r[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(r[i]);
	}
	for (unsigned int i = 0; i < cap; i++)
		kfree_rcu(r[i], rcu);
	CHECK_EQ(ccount(s).in_rcu_flight, cap);
	CHECK_EQ(ccount(s).quarantined, 0);
	/* Callbacks do not run before their grace period, even when invoked. */
	rcu_invoke_callbacks(-1);
	CHECK_EQ(ccount(s).in_rcu_flight, cap);
	CHECK(rcu_gp_advance());
	rcu_invoke_callbacks(-1);
	struct slab_object_counts c = ccount(s);

	CHECK_EQ(c.in_rcu_flight, 0);
	CHECK_EQ(c.quarantined, cap);
	CHECK_EQ(kasan_quarantine_objects(slab_kasan_info(s)), cap);
	CHECK_EQ(cinfo(s).barn_full, 0);
	for (unsigned int i = 0; i < cap; i++)
		CHECK_EQ(state_of(s, r[i]), KASAN_STATE_QUARANTINED);
	free(r);
	kmem_cache_destroy(s);
	CHECK_EQ(kasan_quarantine_objects(NULL), 0);
}

/* kfree_rcu twice is a double free; kfree_rcu of a non-object is an invalid free. */
TEST(kfree_rcu_double_and_invalid)
{
	struct kmem_cache *s = rcu_cache("rcu_double");

	REQUIRE(s);
	struct rcu_obj *o = kmem_cache_alloc(s, GFP_KERNEL);
	static struct rcu_obj not_slab;

	REQUIRE(o);
	kfree_rcu(o, rcu);
	kfree_rcu(o, rcu);
	CHECK_EQ(test_reports_of(REPORT_DOUBLE_FREE), 1);
	kfree_rcu(&not_slab, rcu);
	CHECK_EQ(test_reports_of(REPORT_INVALID_FREE), 1);
	CHECK_EQ(ccount(s).in_rcu_free, 1);
	rcu_barrier();
	kmem_cache_destroy(s);
	EXPECT_REPORTS(2);
}

/* Caches without sheaves, and remote objects, take the classic kfree_rcu path. */
TEST(kfree_rcu_classic_fallback)
{
	machine(4, 2, 0, false);
	struct kmem_cache *dbg = kmem_cache_create("rcu_dbg", sizeof(struct rcu_obj), NULL,
						   SLAB_RED_ZONE);
	struct kmem_cache *s = rcu_cache("rcu_remote");

	REQUIRE(dbg && s);
	CHECK_EQ(cinfo(dbg).sheaf_capacity, 0);
	struct rcu_obj *a = kmem_cache_alloc(dbg, GFP_KERNEL);
	struct rcu_obj *b = kmem_cache_alloc_node(s, GFP_KERNEL, 1);	/* remote to CPU 0 */

	REQUIRE(a && b);
	CHECK_EQ(node_of(b), 1);
	kfree_rcu(a, rcu);
	kfree_rcu(b, rcu);
	CHECK_EQ(st(dbg, FREE_RCU_SHEAF), 0);
	CHECK_EQ(st(s, FREE_RCU_SHEAF), 0);
	CHECK_EQ(ccount(s).in_rcu_free, 0);
	CHECK_EQ(state_of(dbg, a), KASAN_STATE_RCU_PENDING);
	CHECK_EQ(state_of(s, b), KASAN_STATE_RCU_PENDING);
	CHECK(rcu_pending_callbacks(-1) >= 2);

	/* Not before the grace period. */
	rcu_invoke_callbacks(-1);
	CHECK_EQ(state_of(dbg, a), KASAN_STATE_RCU_PENDING);
	CHECK(rcu_gp_advance());
	rcu_invoke_callbacks(-1);
	CHECK(state_of(dbg, a) != KASAN_STATE_RCU_PENDING);
	CHECK(state_of(s, b) != KASAN_STATE_RCU_PENDING);
	CHECK_EQ(ccount(dbg).allocated, 0);
	CHECK_EQ(ccount(s).allocated, 0);
	kmem_cache_destroy(dbg);
	kmem_cache_destroy(s);
}

/* slub_cpu_dead hands the rcu_free sheaf to call_rcu: freed after the GP, not before. */
TEST(cpu_down_submits_rcu_free_sheaf)
{
	machine(4, 1, 0, false);
	struct kmem_cache *s = rcu_cache("rcu_hotplug");

	REQUIRE(s);
	unsigned int cap = cinfo(s).sheaf_capacity;

	set_cpu(1);
	struct rcu_obj *a = kmem_cache_alloc(s, GFP_KERNEL);

	REQUIRE(a);
	kfree_rcu(a, rcu);
	set_cpu(0);
	CHECK_EQ(ccount(s).in_rcu_free, 1);
	CHECK_EQ(cpu_down(1), 0);
	struct slab_object_counts c = ccount(s);

	CHECK_EQ(c.in_rcu_free, 0);
	CHECK_EQ(c.in_rcu_flight, 1);
	CHECK_EQ(cinfo(s).rcu_sheaves_in_flight, 1);
	CHECK_EQ(state_of(s, a), KASAN_STATE_RCU_PENDING);

	void **q = calloc(3 * cap, sizeof(*q));

	for (unsigned int i = 0; i < 3 * cap; i++) {
		q[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(q[i]);
		CHECK(q[i] != (void *)a);
	}
	for (unsigned int i = 0; i < 3 * cap; i++)
		kmem_cache_free(s, q[i]);
	free(q);
	rcu_barrier();
	c = ccount(s);
	CHECK_EQ(c.in_rcu_flight, 0);
	CHECK_EQ(cinfo(s).rcu_sheaves_in_flight, 0);
	/* the teardown callback flushes to the slabs */
	CHECK_EQ(state_of(s, a), KASAN_STATE_FREE);
	CHECK_EQ(cpu_up(1), 0);
	kmem_cache_destroy(s);
}

/* kvfree_rcu_barrier() waits for every cache's rcu_free sheaves on every CPU. */
TEST(kvfree_rcu_barrier_all_caches)
{
	struct kmem_cache *s1 = rcu_cache("rcu_barrier1");
	struct kmem_cache *s2 = rcu_cache("rcu_barrier2");

	REQUIRE(s1 && s2 && s1 != s2);
	for (int cpu = 0; cpu < 4; cpu++) {
		set_cpu(cpu);
		for (int i = 0; i < 5; i++) {
			struct rcu_obj *a = kmem_cache_alloc(s1, GFP_KERNEL);
			struct rcu_obj *b = kmem_cache_alloc(s2, GFP_KERNEL);

			REQUIRE(a && b);
			kfree_rcu(a, rcu);
			kfree_rcu(b, rcu);
		}
	}
	set_cpu(0);
	CHECK_EQ(ccount(s1).in_rcu_free, 20);
	CHECK_EQ(ccount(s2).in_rcu_free, 20);
	kvfree_rcu_barrier();
	for (int k = 0; k < 2; k++) {
		struct kmem_cache *s = k ? s2 : s1;
		struct slab_object_counts c = ccount(s);

		CHECK_EQ(c.in_rcu_free + c.in_rcu_flight, 0);
		CHECK_EQ(c.quarantined, 20);
		CHECK_EQ(c.allocated, 0);
	}
	CHECK_EQ(rcu_pending_callbacks(-1), 0);
	kmem_cache_destroy(s1);
	kmem_cache_destroy(s2);
}

/* ------------------------------------------------------------------------------------
 * SLAB_TYPESAFE_BY_RCU.
 */
#define CTOR_MAGIC 0x7a7a5a5aUL

struct typesafe_obj {
	unsigned long magic;
	unsigned long gen;
	char pad[48];
};

static unsigned long ctor_calls;

static void typesafe_ctor(void *p)
{
	struct typesafe_obj *o = p;

	o->magic = CTOR_MAGIC;
	o->gen = 0;
	memset(o->pad, 0xcc, sizeof(o->pad));
	ctor_calls++;
}

/* Ctor state intact: nobody wrote into the object but its users (gen) and the ctor. */
static bool ctor_state_ok(const struct typesafe_obj *o)
{
	if (o->magic != CTOR_MAGIC)
		return false;
	for (size_t i = 0; i < sizeof(o->pad); i++) {
		if ((unsigned char)o->pad[i] != 0xcc)
			return false;
	}
	return true;
}

TEST(typesafe_by_rcu_keeps_ctor_state)
{
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			machine(4, 1, 0, false);
		unsigned long base = pages_in_use();
		struct kmem_cache_args args = { .ctor = typesafe_ctor };
		struct kmem_cache *s = kmem_cache_create("typesafe", sizeof(struct typesafe_obj),
							 &args, SLAB_TYPESAFE_BY_RCU);

		REQUIRE(s);
		ctor_calls = 0;
		struct typesafe_obj *p = kmem_cache_alloc(s, GFP_KERNEL);

		REQUIRE(p);
		struct slab_cache_info info = cinfo(s);

		/* The ctor runs once per object when a slab is made, never on allocation. */
		CHECK_EQ(ctor_calls, st(s, ALLOC_SLAB) * info.objects_per_slab);
		CHECK(ctor_state_ok(p));
		p->gen = 7;
		kmem_cache_free(s, p);
		/* Still accessible to RCU readers after free: no report, no poisoning. */
		rcu_read_lock();
		CHECK(kasan_check_access(slab_kasan_info(s), p, sizeof(*p), false, __func__));
		rcu_read_unlock();
		CHECK_EQ(ccount(s).quarantined, 0);

		/* LIFO sheaf: the same object comes back, as the user left it. */
		struct typesafe_obj *q = kmem_cache_alloc(s, GFP_KERNEL);

		CHECK(q == p);
		REQUIRE(q);
		CHECK(ctor_state_ok(q));
		CHECK_EQ(q->gen, 7);
		kmem_cache_free(s, q);

		enum { N = 1000 };
		struct typesafe_obj **o = calloc(N, sizeof(*o));

		for (int i = 0; i < N; i++) {
			set_cpu(i % 4);
			o[i] = kmem_cache_alloc(s, GFP_KERNEL);
			REQUIRE(o[i]);
			CHECK(ctor_state_ok(o[i]));
			o[i]->gen = (unsigned long)i + 100;
		}
		for (int i = 0; i < N; i++) {
			set_cpu((i + 1) % 4);
			kmem_cache_free(s, o[i]);
		}
		set_cpu(0);
		unsigned long reused = 0;

		for (int i = 0; i < N; i++) {
			o[i] = kmem_cache_alloc(s, GFP_KERNEL);
			REQUIRE(o[i]);
			CHECK(ctor_state_ok(o[i]));
			/* a reused object keeps what its last user wrote; others are as the
			 * ctor left them */
			unsigned long gen = o[i]->gen;

			CHECK(gen == 0 || gen == 7 || (gen >= 100 && gen < 100 + N));
			reused += gen >= 100;
		}
		CHECK(reused > N / 2);
		for (int i = 0; i < N; i++)
			kmem_cache_free(s, o[i]);
		free(o);

		/* Only slab pages wait for a grace period: shrink frees the slabs, the pages
		 * stay until the callbacks have run. */
		kmem_cache_shrink(s);
		CHECK_EQ(cinfo(s).nr_slabs, 0);
		CHECK(pages_in_use() > base);
		rcu_barrier();
		CHECK_EQ(pages_in_use(), base);
		kmem_cache_destroy(s);
		CHECK_EQ(pages_in_use(), base);
	}
}

/* ------------------------------------------------------------------------------------
 * Prefilled sheaves.
 */
TEST(prefill_sheaf_api)
{
	machine(4, 1, 0, false);
	struct kmem_cache *s = kmem_cache_create("prefill", 96, NULL, 0);

	REQUIRE(s);
	unsigned int cap = cinfo(s).sheaf_capacity;
	long sheaves0 = (long)cinfo(s).sheaves_alive;
	long net0 = (long)st(s, SHEAF_ALLOC) - (long)st(s, SHEAF_FREE);
	void **got = calloc(8 * cap, sizeof(*got));
	unsigned int ngot = 0;

	REQUIRE(cap > 2);
	CHECK(kmem_cache_prefill_sheaf(s, GFP_KERNEL, 0) == NULL);

	struct slab_sheaf *sh = kmem_cache_prefill_sheaf(s, GFP_KERNEL, cap / 2);

	REQUIRE(sh);
	unsigned int size = kmem_cache_sheaf_size(sh);

	CHECK(size >= cap / 2 && size <= cap);
	CHECK_EQ(st(s, SHEAF_PREFILL_FAST) + st(s, SHEAF_PREFILL_SLOW), 1);
	CHECK_EQ(st(s, SHEAF_PREFILL_OVERSIZE), 0);
	CHECK_EQ(cinfo(s).prefilled_out, 1);
	CHECK_EQ(ccount(s).in_prefilled, size);

	/* Allocate until empty; then NULL, never a fallback to the cache. */
	for (void *o; (o = kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sh)); ) {
		CHECK(virt_to_cache(o) == s);
		CHECK(!ptr_in(o, got, ngot));
		got[ngot++] = o;
	}
	CHECK_EQ(ngot, size);
	CHECK_EQ(kmem_cache_sheaf_size(sh), 0);
	CHECK(kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sh) == NULL);
	CHECK_EQ(ccount(s).allocated, ngot);

	/* Refill within capacity: same sheaf, full. Smaller request: nothing to do. */
	struct slab_sheaf *old = sh;

	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, &sh, cap), 0);
	CHECK(sh == old);
	CHECK_EQ(kmem_cache_sheaf_size(sh), cap);
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, &sh, 1), 0);
	CHECK_EQ(kmem_cache_sheaf_size(sh), cap);
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, NULL, 1), -EINVAL);

	/* Bigger than capacity: a new oversize sheaf replaces it, the old one is returned. */
	unsigned long ret0 = st(s, SHEAF_RETURN_FAST) + st(s, SHEAF_RETURN_SLOW);

	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, &sh, 2 * cap), 0);
	CHECK(sh != old);
	CHECK_EQ(kmem_cache_sheaf_size(sh), 2 * cap);
	CHECK_EQ(st(s, SHEAF_PREFILL_OVERSIZE), 1);
	CHECK_EQ(st(s, SHEAF_RETURN_FAST) + st(s, SHEAF_RETURN_SLOW), ret0 + 1);
	CHECK_EQ(cinfo(s).prefilled_out, 1);
	CHECK_EQ(ccount(s).in_prefilled, 2 * cap);
	for (int i = 0; i < 3; i++) {
		void *o = kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sh);

		REQUIRE(o);
		CHECK(!ptr_in(o, got, ngot));
		got[ngot++] = o;
	}
	/* Oversize sheaves are flushed and freed on return, outside the return stats. */
	ret0 = st(s, SHEAF_RETURN_FAST) + st(s, SHEAF_RETURN_SLOW);
	kmem_cache_return_sheaf(s, GFP_KERNEL, sh);
	CHECK_EQ(st(s, SHEAF_RETURN_FAST) + st(s, SHEAF_RETURN_SLOW), ret0);
	CHECK_EQ(cinfo(s).prefilled_out, 0);
	CHECK_EQ(ccount(s).in_prefilled, 0);

	/* An oversize request from the start gets exactly what it asked for. */
	sh = kmem_cache_prefill_sheaf(s, GFP_KERNEL, cap + 5);
	REQUIRE(sh);
	CHECK_EQ(kmem_cache_sheaf_size(sh), cap + 5);
	CHECK_EQ(st(s, SHEAF_PREFILL_OVERSIZE), 2);
	kmem_cache_return_sheaf(s, GFP_KERNEL, sh);

	/* Two normal sheaves lent at once, returned: one fast (to the spare), one slow. */
	struct slab_sheaf *a = kmem_cache_prefill_sheaf(s, GFP_KERNEL, cap);
	struct slab_sheaf *b = kmem_cache_prefill_sheaf(s, GFP_KERNEL, cap);

	REQUIRE(a && b && a != b);
	CHECK_EQ(cinfo(s).prefilled_out, 2);
	unsigned long fast0 = st(s, SHEAF_RETURN_FAST), slow0 = st(s, SHEAF_RETURN_SLOW);

	kmem_cache_return_sheaf(s, GFP_KERNEL, a);
	kmem_cache_return_sheaf(s, GFP_KERNEL, b);
	CHECK_EQ(st(s, SHEAF_RETURN_FAST) - fast0, 1);
	CHECK_EQ(st(s, SHEAF_RETURN_SLOW) - slow0, 1);
	CHECK_EQ(cinfo(s).prefilled_out, 0);

	/* The objects taken from the sheaves are ordinary objects. */
	CHECK_EQ(ccount(s).allocated, ngot);
	for (unsigned int i = 0; i < ngot; i++)
		kmem_cache_free(s, got[i]);
	CHECK_EQ(ccount(s).allocated, 0);
	CHECK_EQ((long)st(s, SHEAF_ALLOC) - (long)st(s, SHEAF_FREE) - net0,
		 (long)cinfo(s).sheaves_alive - sheaves0);
	free(got);
	kmem_cache_destroy(s);
}

/* Capacity-0 caches only have oversize sheaves; a failing oversize fill leaks nothing. */
TEST(prefill_oversize_and_failure)
{
	machine(4, 1, 0, false);
	unsigned long base = pages_in_use();
	struct kmem_cache *s = kmem_cache_create("prefill_dbg", 64, NULL, SLAB_RED_ZONE);

	REQUIRE(s);
	CHECK_EQ(cinfo(s).sheaf_capacity, 0);
	struct slab_sheaf *sh = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 3);

	REQUIRE(sh);
	CHECK_EQ(kmem_cache_sheaf_size(sh), 3);
	CHECK_EQ(st(s, SHEAF_PREFILL_OVERSIZE), 1);
	void *o = kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sh);

	CHECK(virt_to_cache(o) == s);
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, &sh, 3), 0);
	CHECK_EQ(kmem_cache_sheaf_size(sh), 3);
	kmem_cache_return_sheaf(s, GFP_KERNEL, sh);
	kmem_cache_free(s, o);
	kmem_cache_shrink(s);

	/* No pages to be had: the all-or-nothing fill fails cleanly. */
	fault_fail_next(FAULT_PAGE_ALLOC, 1000000);
	CHECK(kmem_cache_prefill_sheaf(s, GFP_KERNEL, 50) == NULL);
	struct kmem_cache *t = kmem_cache_create("prefill_t", 64, NULL, 0);

	REQUIRE(t);
	CHECK(kmem_cache_prefill_sheaf(t, GFP_KERNEL, cinfo(t).sheaf_capacity) == NULL);
	fault_reset();
	CHECK_EQ(ccount(s).allocated + ccount(s).in_prefilled, 0);
	CHECK_EQ(ccount(t).allocated + ccount(t).in_prefilled, 0);
	CHECK_EQ(cinfo(s).prefilled_out + cinfo(t).prefilled_out, 0);
	kmem_cache_destroy(s);
	kmem_cache_destroy(t);
	CHECK_EQ(pages_in_use(), base);
}

/* ------------------------------------------------------------------------------------
 * kmalloc_nolock / kfree_nolock.
 */
TEST(kmalloc_nolock_in_irq_and_nmi)
{
	machine(4, 1, 0, true);
	CHECK(kmalloc_nolock(0, 0, NUMA_NO_NODE) == ZERO_SIZE_PTR);
	CHECK(kmalloc_nolock(KMALLOC_MAX_CACHE_SIZE + 1, 0, NUMA_NO_NODE) == NULL);

	void *t = kmalloc_nolock(200, 0, NUMA_NO_NODE);

	REQUIRE(t);
	CHECK(ksize(t) >= 200);
	kfree_nolock(t);
	/* the kernel makes its kmalloc caches at boot; here task context makes them on first
	 * use, which an interrupt cannot */
	for (int i = 0; i < 300; i++)
		REQUIRE(kmalloc_cache_for(8 + (size_t)(i * 37) % 1000));

	for (int nmi = 0; nmi < 2; nmi++) {
		enum { N = 300 };
		void *p[N];

		for (int cpu = 0; cpu < 4; cpu++) {
			set_cpu(cpu);
			irq_enter(nmi);
			CHECK(in_interrupt() && in_nmi() == nmi);
			for (int i = 0; i < N; i++) {
				size_t size = 8 + (size_t)(i * 37) % 1000;
				unsigned char *o = kmalloc_nolock(size, __GFP_ZERO, NUMA_NO_NODE);

				p[i] = o;
				if (!o)
					continue;	/* allowed, but see below */
				CHECK(ksize(o) >= size);
				for (size_t k = 0; k < size; k++) {
					if (o[k]) {
						CHECK(!"__GFP_ZERO object not zeroed");
						break;
					}
				}
				memset(o, 0xee, size);
			}
			for (int i = 0; i < N; i++)
				kfree_nolock(p[i]);
			irq_exit();
			/* Nothing contends with an interrupt on an idle CPU: all succeeded. */
			for (int i = 0; i < N; i++)
				CHECK(p[i] != NULL);
		}
		set_cpu(0);
	}
	defer_free_barrier();
	CHECK_EQ(report_count(), 0);
	for (unsigned int i = 0; i < slab_nr_caches(); i++) {
		struct slab_object_counts c = ccount(slab_cache_at(i));

		CHECK_EQ(c.allocated, 0);
		CHECK_EQ(c.deferred, 0);
	}
}

TEST(kmalloc_nolock_rejects_bad_gfp_and_no_cmpxchg)
{
	CHECK(kmalloc_nolock(64, GFP_KERNEL, NUMA_NO_NODE) == NULL);
	CHECK_EQ(test_reports_of(REPORT_WARN), 1);
	/* Without a double-word cmpxchg, slab_lock could be interrupted: no nolock allocs. */
	test_config.cmpxchg_double = false;
	test_reinit();
	CHECK(kmalloc_nolock(64, 0, NUMA_NO_NODE) == NULL);
	CHECK_EQ(report_count(), 0);
}

/* Remote objects freed with kfree_nolock() in an interrupt are deferred until the barrier. */
TEST(kfree_nolock_remote_deferred)
{
	machine(4, 2, 0, true);
	struct kmem_cache *k = kmalloc_cache_for(128);
	enum { N = 20 };
	void *p[N];

	for (int i = 0; i < N; i++) {
		p[i] = kmalloc_nolock(128, 0, 1);	/* node 1, remote to CPU 0 */
		REQUIRE(p[i]);
		CHECK_EQ(node_of(p[i]), 1);
	}
	CHECK(virt_to_cache(p[0]) == k);
	irq_enter(false);
	for (int i = 0; i < N; i++)
		kfree_nolock(p[i]);
	irq_exit();
	CHECK_EQ(ccount(k).deferred, N);
	for (int i = 0; i < N; i++)
		CHECK_EQ(state_of(k, p[i]), KASAN_STATE_DEFERRED);
	CHECK_EQ(ccount(k).allocated, 0);
	defer_free_barrier();
	CHECK_EQ(ccount(k).deferred, 0);
	for (int i = 0; i < N; i++)
		CHECK_EQ(state_of(k, p[i]), KASAN_STATE_FREE);
	/* kfree_nolock never quarantines */
	CHECK_EQ(ccount(k).quarantined, 0);

	/* In task context the deferred work runs right away. */
	void *o = kmalloc_nolock(128, 0, 1);

	REQUIRE(o);
	kfree_nolock(o);
	CHECK_EQ(ccount(k).deferred, 0);

	/* Destroying any cache waits for every CPU's deferred frees (defer_free_barrier). */
	struct kmem_cache *s = kmem_cache_create("nolock_destroy", 128, NULL, SLAB_NO_MERGE);

	REQUIRE(s);
	o = kmalloc_nolock(128, 0, 1);
	REQUIRE(o);
	set_cpu(2);
	irq_enter(true);
	kfree_nolock(o);
	irq_exit();
	set_cpu(0);
	CHECK_EQ(ccount(k).deferred, 1);
	kmem_cache_destroy(s);
	CHECK_EQ(ccount(k).deferred, 0);
	CHECK_EQ(state_of(k, o), KASAN_STATE_FREE);
	CHECK_EQ(report_count(), 0);
}

/* ------------------------------------------------------------------------------------
 * KASAN quarantine.
 */
TEST(kasan_quarantine_holds_and_releases)
{
	struct kmem_cache *s = kmem_cache_create("quarantine", 64, NULL, 0);

	REQUIRE(s);
	enum { N = 100, M = 2000 };
	void *p[N];

	for (int i = 0; i < N; i++) {
		set_cpu(i % 4);
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(p[i]);
	}
	for (int i = 0; i < N; i++) {
		set_cpu((i + 2) % 4);
		kmem_cache_free(s, p[i]);
	}
	set_cpu(0);
	CHECK_EQ(ccount(s).quarantined, N);
	CHECK_EQ(kasan_quarantine_objects(slab_kasan_info(s)), N);
	CHECK(kasan_quarantine_bytes() >= N * 64);
	for (int i = 0; i < N; i++)
		CHECK_EQ(state_of(s, p[i]), KASAN_STATE_QUARANTINED);

	/* Well within the budget: nothing is released, nothing is reused. */
	void **q = calloc(M, sizeof(*q));

	for (int i = 0; i < M; i++) {
		set_cpu(i % 4);
		q[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(q[i]);
		CHECK(!ptr_in(q[i], p, N));
	}
	set_cpu(0);
	CHECK_EQ(ccount(s).quarantined, N);
	for (int i = 0; i < M; i++)
		kmem_cache_free(s, q[i]);
	CHECK_EQ(ccount(s).quarantined, N + M);

	/* Shrink drains this cache's objects from the quarantine, then frees the slabs. */
	kmem_cache_shrink(s);
	CHECK_EQ(ccount(s).quarantined, 0);
	CHECK_EQ(kasan_quarantine_objects(NULL), 0);
	CHECK_EQ(cinfo(s).nr_slabs, 0);
	free(q);
	kmem_cache_destroy(s);
}

TEST(kasan_quarantine_reduce_within_budget)
{
	test_config.quarantine_bytes = 64 * 1024;
	test_reinit();
	struct kmem_cache *s = kmem_cache_create("reduce", 64, NULL, 0);

	REQUIRE(s);
	enum { N = 3000 };
	void **p = calloc(N, sizeof(*p));

	for (int i = 0; i < N; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(p[i]);
	}
	/* Frees alone do not reduce (the kernel reduces from allocations). */
	for (int i = 0; i < N; i++)
		kmem_cache_free(s, p[i]);
	size_t before = kasan_quarantine_bytes();
	unsigned long objs_before = kasan_quarantine_objects(NULL);

	CHECK(before > 64 * 1024);
	kasan_quarantine_reduce();
	CHECK(kasan_quarantine_bytes() <= 64 * 1024);
	CHECK(kasan_quarantine_objects(NULL) < objs_before);
	/* FIFO: the oldest frees were released first. */
	CHECK(state_of(s, p[0]) != KASAN_STATE_QUARANTINED);
	CHECK_EQ(state_of(s, p[N - 1]), KASAN_STATE_QUARANTINED);
	/* Released objects went back to their slabs, not to sheaves. */
	struct slab_object_counts c = ccount(s);

	CHECK_EQ(c.quarantined, kasan_quarantine_objects(slab_kasan_info(s)));
	CHECK_EQ(c.allocated, 0);
	CHECK_EQ(c.in_pcs + c.in_barn + c.on_freelist + c.quarantined, cinfo(s).total_objects);
	free(p);
	kmem_cache_destroy(s);
	CHECK_EQ(kasan_quarantine_objects(NULL), 0);
}
