// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU workqueues (platform/workqueue.h), the scheduling-point registry, and the waits
 * that yield to a scheduler (sched_wait) instead of reporting a same-thread deadlock.
 *
 * No fibers here: a fake sched_ops whose wait hook does, as the other task, what that task
 * would do when scheduled (release the lock, leave the reader section, run the work)
 * proves that each blocking path asks the scheduler instead of BUGging.
 */
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include "harness.h"

struct probe_work {
	struct work_struct work;
	int ran;
	int cpu;		/* smp_processor_id() in the work */
	int task_id;
	int order;
};

static int run_counter;

static void probe_fn(struct work_struct *w)
{
	struct probe_work *p = container_of(w, struct probe_work, work);

	p->ran++;
	p->cpu = smp_processor_id();
	p->task_id = current->id;
	p->order = ++run_counter;
}

static void probe_init(struct probe_work *p)
{
	memset(p, 0, sizeof(*p));
	INIT_WORK(&p->work, probe_fn);
	p->cpu = -1;
}

TEST(queue_flush_runs_on_target_cpu)
{
	struct probe_work p;

	for (int cpu = 0; cpu < 4; cpu++) {
		probe_init(&p);
		CHECK(queue_work_on(cpu, &p.work));
		CHECK(work_pending(&p.work));
		CHECK_EQ(workqueue_nr_pending(cpu), 1);
		CHECK_EQ(p.ran, 0);	/* nothing runs it before the flush */
		CHECK(flush_work(&p.work));
		CHECK_EQ(p.ran, 1);
		CHECK_EQ(p.cpu, cpu);
		CHECK(p.task_id != boot_task()->id);	/* a kworker, not the flusher */
		CHECK(!work_pending(&p.work));
		CHECK_EQ(workqueue_nr_pending(-2), 0);
		CHECK(!flush_work(&p.work));	/* nothing left to wait for */
	}
	CHECK(current == boot_task());
	CHECK_EQ(smp_processor_id(), 0);	/* the flusher stayed where it was */
}

TEST(double_queue_returns_false)
{
	struct probe_work p;

	probe_init(&p);
	CHECK(queue_work_on(2, &p.work));
	CHECK(!queue_work_on(2, &p.work));
	CHECK(!queue_work_on(1, &p.work));	/* pending anywhere: not queued again */
	CHECK_EQ(workqueue_nr_pending(2), 1);
	CHECK_EQ(workqueue_nr_pending(1), 0);
	CHECK(flush_work(&p.work));
	CHECK_EQ(p.ran, 1);
	CHECK(queue_work_on(1, &p.work));	/* ran: may be queued again */
	CHECK(flush_work(&p.work));
	CHECK_EQ(p.ran, 2);
	CHECK_EQ(p.cpu, 1);
}

TEST(run_one_is_fifo_in_current_task)
{
	struct probe_work a, b;

	probe_init(&a);
	probe_init(&b);
	run_counter = 0;
	CHECK(queue_work_on(3, &a.work));
	CHECK(queue_work_on(3, &b.work));
	CHECK(workqueue_pending(3));
	CHECK(!workqueue_pending(2));
	CHECK(workqueue_queue(3) && workqueue_queue(3) != workqueue_queue(2));
	CHECK(workqueue_queue(WORK_CPU_UNBOUND) != NULL);
	CHECK(!workqueue_run_one(2));
	CHECK(workqueue_run_one(3));
	CHECK_EQ(a.order, 1);
	CHECK_EQ(a.task_id, boot_task()->id);	/* the caller is the kworker */
	CHECK_EQ(a.cpu, 3);
	CHECK_EQ(smp_processor_id(), 3);	/* moved to the queue's CPU */
	CHECK(workqueue_run_one(3));
	CHECK_EQ(b.order, 2);
	CHECK(!workqueue_run_one(3));
	CHECK(!flush_work(&a.work));
	set_cpu(0);
}

/* Only an offline CPU's pool (and no CPU at all) is unbound: CPU 0 and the last CPU too. */
TEST(cpu_unbound_only_offline_or_no_cpu)
{
	CHECK(!workqueue_cpu_unbound(0));
	CHECK(!workqueue_cpu_unbound((int)nr_cpu_ids - 1));
	CHECK(workqueue_cpu_unbound(-1));
	CHECK(workqueue_cpu_unbound((int)nr_cpu_ids));
}

TEST(work_of_offlined_cpu_runs_unbound)
{
	struct probe_work p, q;

	probe_init(&p);
	probe_init(&q);
	CHECK(queue_work_on(1, &p.work));
	CHECK_EQ(cpu_down(1), 0);
	CHECK(workqueue_cpu_unbound(1));
	CHECK(!workqueue_pending(1));
	CHECK_EQ(workqueue_nr_pending(WORK_CPU_UNBOUND), 1);
	CHECK(work_pending(&p.work));
	/* queued to the offline CPU: the unbound queue */
	CHECK(queue_work_on(1, &q.work));
	CHECK_EQ(workqueue_nr_pending(WORK_CPU_UNBOUND), 2);

	set_cpu(3);
	CHECK(flush_work(&p.work));
	CHECK_EQ(p.ran, 1);
	CHECK_EQ(p.cpu, 3);	/* the flusher's CPU: not the one it was queued to */
	CHECK_EQ(workqueue_run_all(), 1);
	CHECK_EQ(q.ran, 1);
	CHECK(q.cpu != 1);

	CHECK_EQ(cpu_up(1), 0);
	CHECK(!workqueue_cpu_unbound(1));
	CHECK(queue_work_on(1, &q.work));
	CHECK_EQ(workqueue_nr_pending(1), 1);
	CHECK(flush_work(&q.work));
	CHECK_EQ(q.cpu, 1);
	set_cpu(0);
}

TEST(init_work_of_pending_work_warns)
{
	struct probe_work p;

	probe_init(&p);
	CHECK(queue_work_on(2, &p.work));
	INIT_WORK(&p.work, probe_fn);
	CHECK_EQ(test_reports_of(REPORT_WARN), 1);
	CHECK_EQ(workqueue_nr_pending(-2), 0);	/* the queue stays consistent */
	EXPECT_REPORTS(1);
}

/* ---- the allocator's flushes run as per-CPU works ---- */

static struct kmem_cache *flush_cache;

static void fill_pcs(void *arg)
{
	void *objs[8];

	for (int i = 0; i < 8; i++)
		objs[i] = kmem_cache_alloc(flush_cache, GFP_KERNEL);
	for (int i = 0; i < 8; i++)
		kmem_cache_free(flush_cache, objs[i]);
	struct rcu_head *r = kmem_cache_alloc(flush_cache, GFP_KERNEL);

	kvfree_call_rcu(r, r);
}

TEST(allocator_flushes_empty_every_cpu)
{
	struct slab_object_counts c;
	int cpu;

	flush_cache = kmem_cache_create("wq_flush", 64, NULL, SLAB_NO_MERGE);
	REQUIRE(flush_cache);
	for_each_online_cpu(cpu)
		on_cpu(cpu, fill_pcs, NULL);
	slab_count_objects(flush_cache, &c);
	CHECK(c.in_pcs > 0);
	CHECK_EQ(c.in_rcu_free, 4);

	kvfree_rcu_barrier_on_cache(flush_cache);
	slab_count_objects(flush_cache, &c);
	CHECK_EQ(c.in_rcu_free, 0);
	CHECK_EQ(c.in_rcu_flight, 0);
	CHECK_EQ(workqueue_nr_pending(-2), 0);

	kmem_cache_shrink(flush_cache);
	slab_count_objects(flush_cache, &c);
	CHECK_EQ(c.in_pcs, 0);
	CHECK_EQ(c.allocated, 0);
	CHECK_EQ(workqueue_nr_pending(-2), 0);
	kmem_cache_destroy(flush_cache);
	CHECK_EQ(test_reports_of(REPORT_SLAB_LEAK), 0);
}

/* ---- scheduling points ---- */

TEST(sched_points_registered_unique)
{
	int n = sched_nr_points();

	CHECK(n > NR_PLATFORM_SCHED_POINTS + 30);
	for (int i = 0; i < n; i++) {
		const struct sched_point_desc *d = sched_point_desc(i);

		REQUIRE(d && d->name && d->func && d->where);
		CHECK(!strncmp(d->name, "SP_", 3));
		CHECK_EQ(sched_point_lookup(d->name), i);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(d->name, sched_point_desc(j)->name));
	}
	CHECK_EQ(sched_point_lookup("SP_hotplug_step"), SP_HOTPLUG_STEP);
	CHECK_EQ(sched_point_lookup("SP_flush_rcu_queue_walk") >= NR_PLATFORM_SCHED_POINTS, 1);
	CHECK(sched_point_desc(n) == NULL);
	/* kmem_cache_init() again (every case's fixture does): the same ids */
	kmem_cache_init();
	CHECK_EQ(sched_nr_points(), n);
}

/* ---- waits that another task ends: a fake scheduler ---- */

static struct task other;
static int waits;
static const char *last_wait;
static void (*release_fn)(void);

static void fake_point(int id) { (void)id; }

static void fake_wait(const void *on, const char *what)
{
	struct task *self = current;

	waits++;
	last_wait = what;
	if (release_fn) {
		/* "switch" to the other task, let it do what it does when it runs */
		task_switch(&other);
		release_fn();
		task_switch(self);
		release_fn = NULL;
	}
}

static const struct sched_ops fake_ops = { .point = fake_point, .wait = fake_wait };

static void fake_sched_begin(void (*release)(void))
{
	waits = 0;
	last_wait = NULL;
	release_fn = release;
	task_init(&other, "other", 1);
	sched_set_ops(&fake_ops);
}

static void fake_sched_end(void)
{
	sched_set_ops(NULL);
	task_exit(&other);
}

static spinlock_t wait_lock;
static void release_lock(void) { spin_unlock(&wait_lock); }

TEST(lock_held_by_other_task_yields)
{
	spin_lock_init(&wait_lock);
	fake_sched_begin(release_lock);
	task_switch(&other);
	spin_lock(&wait_lock);
	task_switch(boot_task());
	spin_lock(&wait_lock);	/* without a scheduler: BUG "deadlock" */
	CHECK_EQ(waits, 1);
	CHECK(last_wait && !strcmp(last_wait, "lock"));
	spin_unlock(&wait_lock);
	fake_sched_end();
}

static void release_read(void) { cpus_read_unlock(); }

TEST(hotplug_lock_held_by_other_task_yields)
{
	fake_sched_begin(release_read);
	task_switch(&other);
	cpus_read_lock();
	task_switch(boot_task());
	cpus_write_lock();	/* without a scheduler: BUG "deadlock" */
	CHECK(waits >= 1);
	CHECK(last_wait && !strcmp(last_wait, "hotplug"));
	cpus_write_unlock();

	/* cpu_down() waits for the reader too */
	release_fn = release_read;
	task_switch(&other);
	cpus_read_lock();
	task_switch(boot_task());
	CHECK_EQ(cpu_down(2), 0);
	CHECK(!cpu_online(2));
	CHECK_EQ(cpu_up(2), 0);
	fake_sched_end();
	CHECK_EQ(test_reports_of(REPORT_BUG), 0);
}

TEST(hotplug_self_deadlock_is_still_a_bug)
{
	jmp_buf jb;
	volatile int jumped = 0;

	fake_sched_begin(NULL);
	report_set_bug_jmp(&jb);
	cpus_read_lock();
	if (setjmp(jb) == 0)
		cpus_write_lock();	/* this task reads: no other task can help */
	else
		jumped = 1;
	CHECK(jumped);
	CHECK_EQ(waits, 0);
	cpus_read_unlock();
	report_set_bug_jmp(NULL);
	fake_sched_end();
	EXPECT_REPORTS(1);
}

TEST(hotplug_without_scheduler_is_a_bug)
{
	jmp_buf jb;
	volatile int jumped = 0;

	task_init(&other, "other", 1);
	task_switch(&other);
	cpus_read_lock();
	task_switch(boot_task());
	report_set_bug_jmp(&jb);
	if (setjmp(jb) == 0)
		cpus_write_lock();
	else
		jumped = 1;
	CHECK(jumped);
	task_switch(&other);
	cpus_read_unlock();
	task_switch(boot_task());
	report_set_bug_jmp(NULL);
	task_exit(&other);
	EXPECT_REPORTS(1);
}

static void release_reader(void) { rcu_read_unlock(); }

TEST(rcu_reader_of_other_task_yields)
{
	jmp_buf jb;
	volatile int jumped = 0;

	fake_sched_begin(release_reader);
	task_switch(&other);
	rcu_read_lock();
	task_switch(boot_task());
	synchronize_rcu();	/* without a scheduler: BUG "would wait forever" */
	CHECK(waits >= 1);
	CHECK(last_wait && !strcmp(last_wait, "rcu"));
	CHECK_EQ(test_reports_of(REPORT_BUG), 0);

	/* the current task's own reader is endless even with a scheduler */
	rcu_read_lock();
	report_set_bug_jmp(&jb);
	if (setjmp(jb) == 0)
		synchronize_rcu();
	else
		jumped = 1;
	report_set_bug_jmp(NULL);
	rcu_read_unlock();
	CHECK(jumped || test_reports_of(REPORT_BUG) == 1);
	CHECK_EQ(test_reports_of(REPORT_BUG), 1);
	fake_sched_end();
	EXPECT_REPORTS(1);
}

static local_trylock_t pin_lock;
static void release_pin(void) { local_unlock(&pin_lock); }

TEST(cpu_down_waits_for_pinned_task)
{
	local_trylock_init(&pin_lock);
	fake_sched_begin(release_pin);
	task_switch(&other);	/* on CPU 1 */
	CHECK(local_trylock(&pin_lock));
	task_switch(boot_task());
	CHECK_EQ(cpu_down(1), 0);	/* without a scheduler: BUG "pinned" */
	CHECK(waits >= 1);
	CHECK(!cpu_online(1));
	CHECK_EQ(task_get_cpu(&other), 2);	/* migrated once it left the section */
	CHECK_EQ(cpu_up(1), 0);
	fake_sched_end();
	CHECK_EQ(test_reports_of(REPORT_BUG), 0);
}

static struct task kworker;
static int kworker_cpu;
static void run_kworker(void)
{
	task_migrate(&kworker, kworker_cpu);
	task_switch(&kworker);
	while (workqueue_run_one(kworker_cpu))
		;
	task_switch(&other);
}

TEST(flush_work_with_scheduler_waits_for_kworker)
{
	struct probe_work p;

	probe_init(&p);
	task_init(&kworker, "kworker/2", 2);
	kworker_cpu = 2;
	fake_sched_begin(run_kworker);
	CHECK(queue_work_on(2, &p.work));
	CHECK(flush_work(&p.work));	/* yields until the "kworker fiber" ran it */
	CHECK_EQ(waits, 1);
	CHECK(last_wait && !strcmp(last_wait, "flush_work"));
	CHECK_EQ(p.ran, 1);
	CHECK_EQ(p.cpu, 2);
	CHECK_EQ(p.task_id, kworker.id);
	fake_sched_end();
	task_exit(&kworker);
}

/*
 * Unbound work runs on an online CPU, even flushed from a CPU that is offline (another
 * thread's boot task: cpu_down() does not migrate it) while a CPU goes down and its pool
 * is not unbound yet (a teardown above CPUHP_AP_WORKQUEUE_ONLINE).
 */
static struct probe_work stray_work;
static sem_t stray_go, stray_done;

static int flush_from_stray(unsigned int cpu)
{
	(void)cpu;
	sem_post(&stray_go);
	sem_wait(&stray_done);
	return 0;
}

static void *stray_flusher(void *arg)
{
	bool *placed = arg;

	*placed = task_migrate(NULL, 1);
	sem_post(&stray_done);
	sem_wait(&stray_go);
	queue_work_on(WORK_CPU_UNBOUND, &stray_work.work);
	flush_work(&stray_work.work);
	sem_post(&stray_done);
	return NULL;
}

TEST(unbound_work_runs_on_online_cpu)
{
	bool placed = false;
	pthread_t th;

	probe_init(&stray_work);
	sem_init(&stray_go, 0, 0);
	sem_init(&stray_done, 0, 0);
	REQUIRE(!pthread_create(&th, NULL, stray_flusher, &placed));
	sem_wait(&stray_done);
	CHECK(placed);
	CHECK_EQ(cpu_down(1), 0);	/* the thread's task stays on CPU 1 */
	cpuhp_setup_state(CPUHP_AP_KASAN_ONLINE, "test:flush", NULL, flush_from_stray);
	CHECK_EQ(cpu_down(2), 0);	/* the thread flushes while CPU 2 goes */
	pthread_join(th, NULL);
	CHECK_EQ(stray_work.ran, 1);
	CHECK(cpu_online(stray_work.cpu));
	CHECK_EQ(stray_work.cpu, 3);	/* the next online CPU after the flusher's */
	sem_destroy(&stray_go);
	sem_destroy(&stray_done);
	test_reinit();	/* the KASAN hotplug callback back */
}
