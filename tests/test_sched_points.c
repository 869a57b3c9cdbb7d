// SPDX-License-Identifier: GPL-2.0
/*
 * The SLAB_SCHED build: sched_point() calls the installed scheduler. A fake scheduler (no
 * fibers) counts the points reached, runs queued work when a flush waits (as the kworker
 * fibers would), and, for the seeded bug flush_rcu_no_cpus_lock, takes a CPU down at a
 * point inside flush_rcu_sheaves_on_cache()'s walk, which hotplug can only do when the
 * walker does not hold cpus_read_lock.
 */
#include "harness.h"
#include "sched_points.h"

#ifndef SLAB_SCHED
#error "test_sched_*.c are built against slab_sched"
#endif

static int hits[512];
static struct task kworker;
static int down_at_queue_walk = -1;	/* cpu_down(this CPU) at the second walk point */
static int downs;

static void count_point(int id)
{
	if (id >= 0 && id < (int)ARRAY_SIZE(hits))
		hits[id]++;
	/* after the walk queued CPU 0's and CPU 1's work */
	if (id == SP_flush_rcu_queue_walk && hits[id] == 2 && down_at_queue_walk >= 0 &&
	    !cpus_read_held()) {
		int cpu = down_at_queue_walk;

		down_at_queue_walk = -1;	/* once; cpu_down() reaches points itself */
		if (!cpu_down(cpu))
			downs++;
	}
}

/* A flush waits: run the queue of the awaited work, as that queue's kworker would. */
static void run_kworkers(const void *on, const char *what)
{
	const struct work_struct *w = on;
	struct task *self = current;

	if (strcmp(what, "flush_work"))
		return;
	task_switch(&kworker);
	while (workqueue_run_one(w->cpu))
		;
	task_switch(self);
}

static const struct sched_ops counting_ops = { .point = count_point, .wait = run_kworkers };

static void sched_begin(void)
{
	memset(hits, 0, sizeof(hits));
	downs = 0;
	task_init(&kworker, "kworker", 0);
	sched_set_ops(&counting_ops);
}

static void sched_end(void)
{
	sched_set_ops(NULL);
	task_exit(&kworker);
}

static struct kmem_cache *cache;

static void use_cpu(void *arg)
{
	struct rcu_head *r = kmem_cache_alloc(cache, GFP_KERNEL);
	void *o = kmem_cache_alloc(cache, GFP_KERNEL);

	kmem_cache_free(cache, o);
	kvfree_call_rcu(r, r);
}

TEST(points_reached_in_destroy_and_hotplug)
{
	int cpu;

	sched_begin();
	cache = kmem_cache_create("sp_cache", 64, NULL, SLAB_NO_MERGE);
	REQUIRE(cache);
	for_each_online_cpu(cpu)
		on_cpu(cpu, use_cpu, NULL);
	kmem_cache_destroy(cache);
	CHECK_EQ(hits[SP_flush_rcu_queue_walk], 4);
	CHECK_EQ(hits[SP_flush_rcu_flush_walk], 4);
	CHECK(hits[SP_QUEUE_WORK] >= 4);
	CHECK(hits[SP_FLUSH_WORK] >= 4);
	CHECK_EQ(hits[SP_flush_rcu_sheaf_before_call_rcu], 4);
	CHECK_EQ(hits[SP_kvfree_rcu_barrier_on_cache_flushed], 1);
	CHECK_EQ(hits[SP_destroy_before_kasan_shutdown], 1);
	CHECK_EQ(hits[SP_destroy_before_shutdown], 1);
	CHECK_EQ(hits[SP_shutdown_after_flush], 1);
	CHECK(hits[SP_LOCK] > 0 && hits[SP_UNLOCK] > 0);
	CHECK_EQ(workqueue_nr_pending(-2), 0);

	memset(hits, 0, sizeof(hits));
	CHECK_EQ(cpu_down(3), 0);
	CHECK_EQ(hits[SP_HOTPLUG_STEP], CPUHP_NR_STATES);
	CHECK_EQ(cpu_up(3), 0);
	CHECK_EQ(hits[SP_HOTPLUG_STEP], 2 * CPUHP_NR_STATES - 1);
	sched_end();
	CHECK_EQ(test_reports_of(REPORT_SLAB_LEAK), 0);
}

/*
 * flush_rcu_no_cpus_lock's effect: CPU 1 goes down after its work was queued; the work
 * moves to the unbound queue, the second walk skips the offline CPU, and the barrier
 * returns with the flush still queued. With the lock held, hotplug cannot run there.
 */
static void flush_with_hotplug(bool bug)
{
	int cpu;

	if (bug) {
		if (!slab_bugs_compiled_in()) {
			printf("  skipped: seeded bugs not compiled in\n");
			return;
		}
		REQUIRE(!slab_bug_enable("flush_rcu_no_cpus_lock"));
	}
	cache = kmem_cache_create("sp_b2", 64, NULL, SLAB_NO_MERGE);
	REQUIRE(cache);
	for_each_online_cpu(cpu)
		on_cpu(cpu, use_cpu, NULL);
	sched_begin();
	down_at_queue_walk = 1;
	kvfree_rcu_barrier_on_cache(cache);
	if (bug) {
		CHECK_EQ(downs, 1);
		CHECK(!cpu_online(1));
		CHECK_EQ(workqueue_nr_pending(WORK_CPU_UNBOUND), 1);
	} else {
		CHECK_EQ(downs, 0);
		CHECK_EQ(workqueue_nr_pending(-2), 0);
	}
	down_at_queue_walk = -1;
	sched_end();
	workqueue_run_all();
	if (!cpu_online(1))
		CHECK_EQ(cpu_up(1), 0);
	kmem_cache_destroy(cache);
	if (bug)
		/* lockdep-lite, if on: the missing lock, and flush_lock -> cpu_hotplug_lock */
		EXPECT_REPORTS(test_reports_of(REPORT_LOCK_NOT_HELD) +
			       test_reports_of(REPORT_LOCK_INVERSION));
}

TEST(flush_rcu_no_cpus_lock_leaves_work_queued)
{
	flush_with_hotplug(true);
}

TEST(flush_rcu_with_cpus_lock_flushes_everything)
{
	flush_with_hotplug(false);
}

/*
 * A refill that isolated more partial slabs than it needed, because a concurrent free
 * filled the first one, puts the others back on the partial list: they hold live objects,
 * so none may be discarded (putback_isolated_slab()). The concurrent free comes from a CPU
 * of the other node, which frees straight to the slab, at the point between isolating and
 * taking.
 */
static void **pb_first;		/* the first isolated slab's live objects, freed at the point */
static unsigned int pb_nr_first;
static struct task pb_remote;	/* on CPU 1, node 1 */

static void free_into_isolated(int id)
{
	struct task *self = current;

	if (id != SP_refill_isolated || !pb_nr_first)
		return;
	task_switch(&pb_remote);
	for (unsigned int i = 0; i < pb_nr_first; i++)
		kmem_cache_free(cache, pb_first[i]);
	task_switch(self);
	pb_nr_first = 0;
}

static const struct sched_ops putback_ops = { .point = free_into_isolated };

static int cmp_addr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

TEST(refill_puts_back_isolated_slabs_with_live_objects)
{
	struct task *self = current;

	machine(2, 2, 0, false);
	cache = kmem_cache_create("sp_putback", 64, NULL, SLAB_NO_MERGE);
	REQUIRE(cache);
	unsigned int per = cinfo(cache).objects_per_slab, cap = cinfo(cache).sheaf_capacity;
	unsigned int n = 10 * per;
	void **p = calloc(n, sizeof(*p)), **first = calloc(per, sizeof(*first));

	REQUIRE(p && first);
	for (unsigned int i = 0; i < n; i++)
		REQUIRE((p[i] = kmem_cache_alloc(cache, GFP_KERNEL)));
	/* Slab by slab (in address order), CPU 1 frees every fourth object: each slab moves
	 * from full to the tail of node 0's partial list with a quarter of it free. */
	qsort(p, n, sizeof(*p), cmp_addr);
	task_init(&pb_remote, "remote", 1);
	task_switch(&pb_remote);
	for (unsigned int i = 0; i < n; i += 4) {
		kmem_cache_free(cache, p[i]);
		p[i] = NULL;
	}
	task_switch(self);
	pb_nr_first = 0;
	for (unsigned int i = 0; i < per; i++)
		if (p[i]) {
			first[pb_nr_first++] = p[i];
			p[i] = NULL;
		}
	pb_first = first;

	unsigned long freed_slabs = st(cache, FREE_SLAB);

	sched_set_ops(&putback_ops);
	struct slab_sheaf *sheaf = kmem_cache_prefill_sheaf(cache, GFP_KERNEL, cap);
	sched_set_ops(NULL);
	REQUIRE(sheaf);
	CHECK_EQ(pb_nr_first, 0);	/* the point was reached */
	CHECK_EQ(kmem_cache_sheaf_size(sheaf), cap);
	CHECK_EQ(st(cache, FREE_SLAB), freed_slabs);
	kmem_cache_return_sheaf(cache, GFP_KERNEL, sheaf);
	for (unsigned int i = 0; i < n; i++)
		if (p[i])
			kmem_cache_free(cache, p[i]);
	free(first);
	free(p);
	task_exit(&pb_remote);
	kmem_cache_destroy(cache);
}
