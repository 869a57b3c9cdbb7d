// SPDX-License-Identifier: GPL-2.0
/* The RCU platform: deterministic grace periods, callbacks, barrier, hotplug, liburcu. */
#include <pthread.h>
#include "harness.h"

#define MAX_RECORD 32

/* A callback that records its run order, the CPU it ran on, and may queue another. */
struct rec_cb {
	struct rcu_head head;
	int id;
	struct rec_cb *chain;	/* queued from inside the callback when non-NULL */
};

static int rec_order[MAX_RECORD];
static int rec_cpu[MAX_RECORD];
static int nr_rec;

static void rec_func(struct rcu_head *head)
{
	struct rec_cb *cb = container_of(head, struct rec_cb, head);

	if (nr_rec < MAX_RECORD) {
		rec_order[nr_rec] = cb->id;
		rec_cpu[nr_rec] = smp_processor_id();
	}
	nr_rec++;
	if (cb->chain)
		call_rcu(&cb->chain->head, rec_func);
}

static void rec_reset(void)
{
	nr_rec = 0;
	memset(rec_order, -1, sizeof(rec_order));
}

static void queue(struct rec_cb *cb, int id)
{
	cb->id = id;
	cb->chain = NULL;
	call_rcu(&cb->head, rec_func);
}

TEST(callbacks_wait_for_gp_and_invoke)
{
	struct rec_cb a;

	rec_reset();
	queue(&a, 1);
	CHECK_EQ(rcu_pending_callbacks(0), 1);
	CHECK_EQ(rcu_invoke_callbacks(-1), 0);	/* grace period not over */
	CHECK_EQ(nr_rec, 0);
	CHECK(rcu_gp_advance());
	CHECK_EQ(nr_rec, 0);			/* ends the GP, runs nothing */
	CHECK_EQ(rcu_invoke_callbacks(0), 1);
	CHECK_EQ(nr_rec, 1);
	CHECK_EQ(rcu_pending_callbacks(-1), 0);
	CHECK_EQ(rcu_callbacks_invoked(), 1);
	CHECK_EQ(rcu_grace_periods(), 1);
}

/* A callback queued during GP g waits for the end of g + 1 only, not later ones. */
TEST(callback_ready_after_next_gp_only)
{
	struct rec_cb a, b;

	rec_reset();
	queue(&a, 1);
	CHECK(rcu_gp_advance());
	queue(&b, 2);
	CHECK_EQ(rcu_invoke_callbacks(0), 1);
	CHECK_EQ(rec_order[0], 1);
	CHECK(rcu_gp_advance());
	CHECK_EQ(rcu_invoke_callbacks(0), 1);
	CHECK_EQ(rec_order[1], 2);
}

TEST(callbacks_run_in_order)
{
	struct rec_cb cb[6];
	int i;

	rec_reset();
	for (i = 0; i < 3; i++)
		queue(&cb[i], i);
	set_cpu(1);
	for (i = 3; i < 6; i++)
		queue(&cb[i], i);
	set_cpu(0);
	CHECK_EQ(rcu_pending_callbacks(0), 3);
	CHECK_EQ(rcu_pending_callbacks(1), 3);
	CHECK(rcu_gp_advance());
	/* CPU 1 alone first, then every CPU in order */
	CHECK_EQ(rcu_invoke_callbacks(1), 3);
	CHECK_EQ(rcu_invoke_callbacks(-1), 3);
	REQUIRE(nr_rec == 6);
	CHECK_EQ(rec_order[0], 3);
	CHECK_EQ(rec_order[2], 5);
	CHECK_EQ(rec_order[3], 0);
	CHECK_EQ(rec_order[5], 2);
	/* each callback ran on the CPU it was queued on; the invoker's CPU is restored */
	CHECK_EQ(rec_cpu[0], 1);
	CHECK_EQ(rec_cpu[3], 0);
	CHECK_EQ(smp_processor_id(), 0);
}

TEST(reader_blocks_gp)
{
	struct rec_cb a;

	rec_reset();
	queue(&a, 1);
	rcu_read_lock();
	rcu_read_lock();
	CHECK(rcu_read_lock_held());
	CHECK(!rcu_gp_advance());
	rcu_read_unlock();
	CHECK(!rcu_gp_advance());		/* still nested */
	CHECK_EQ(rcu_completed_gp(), 0);
	rcu_read_unlock();
	CHECK(!rcu_read_lock_held());
	CHECK(rcu_gp_advance());
	CHECK_EQ(rcu_completed_gp(), 1);
	CHECK_EQ(rcu_invoke_callbacks(-1), 1);
}

/*
 * rcu_barrier() runs exactly the callbacks queued before it: A (CPU 0) and C (CPU 2)
 * run; B, queued by A while the barrier runs it, does not, and stays pending. Running it
 * needs another grace period.
 */
TEST(barrier_waits_for_earlier_callbacks_only)
{
	struct rec_cb a, b, c;

	rec_reset();
	queue(&a, 1);
	a.chain = &b;
	b.id = 2;
	b.chain = NULL;
	set_cpu(2);
	queue(&c, 3);
	set_cpu(0);
	rcu_barrier();
	REQUIRE(nr_rec == 2);
	CHECK_EQ(rec_order[0], 1);
	CHECK_EQ(rec_order[1], 3);
	CHECK_EQ(rcu_grace_periods(), 1);
	CHECK_EQ(rcu_pending_callbacks(-1), 1);
	CHECK_EQ(rcu_invoke_callbacks(-1), 0);	/* B waits for a grace period of its own */
	rcu_barrier();
	CHECK_EQ(nr_rec, 3);
	CHECK_EQ(rec_order[2], 2);
	CHECK_EQ(rcu_pending_callbacks(-1), 0);
	CHECK_EQ(rcu_grace_periods(), 2);
	/* Nothing queued: like the kernel's, the barrier ends no grace period. */
	rcu_barrier();
	CHECK_EQ(rcu_grace_periods(), 2);
}

TEST(synchronize_rcu_ends_gp_and_runs_ready)
{
	struct rec_cb a;
	unsigned long gp = rcu_completed_gp();

	rec_reset();
	queue(&a, 1);
	synchronize_rcu();
	CHECK_EQ(rcu_completed_gp(), gp + 1);
	CHECK_EQ(nr_rec, 1);
}

static bool wait_in_reader(void (*wait)(void))
{
	jmp_buf jb;
	volatile bool returned = false;

	rcu_read_lock();
	report_set_bug_jmp(&jb);
	if (!setjmp(jb)) {
		wait();
		returned = true;
	}
	report_set_bug_jmp(NULL);
	rcu_read_unlock();
	return returned;
}

/* An unbalanced rcu_read_unlock() is reported and changes nothing: no reader goes negative. */
TEST(unlock_without_lock_warns)
{
	report_set_quiet(true);
	rcu_read_unlock();
	report_set_quiet(false);
	EXPECT_REPORTS(1);
	CHECK_EQ(test_reports_of(REPORT_WARN), 1);
	CHECK(!rcu_read_lock_held());
	rcu_read_lock();
	CHECK(rcu_read_lock_held());
	rcu_read_unlock();
	CHECK(!rcu_read_lock_held());
	CHECK(rcu_gp_advance());	/* no reader left behind holds the grace period */
}

TEST(wait_inside_reader_is_bug)
{
	report_set_quiet(true);
	CHECK(!wait_in_reader(synchronize_rcu));
	CHECK(!wait_in_reader(rcu_barrier));
	report_set_quiet(false);
	EXPECT_REPORTS(2);
	CHECK_EQ(test_reports_of(REPORT_BUG), 2);
	REQUIRE(report_count() >= 1);
	CHECK(strstr(report_get(0)->message, "wait forever") != NULL);
	CHECK(!strcmp(report_get(0)->function, "synchronize_rcu"));
}

TEST(poll_state)
{
	unsigned long cookie = get_state_synchronize_rcu();

	CHECK(!poll_state_synchronize_rcu(cookie));
	rcu_read_lock();
	CHECK(!rcu_gp_advance());
	CHECK(!poll_state_synchronize_rcu(cookie));
	rcu_read_unlock();
	CHECK(rcu_gp_advance());
	CHECK(poll_state_synchronize_rcu(cookie));
	/* a new cookie needs a new grace period */
	cookie = get_state_synchronize_rcu();
	CHECK(!poll_state_synchronize_rcu(cookie));
	synchronize_rcu();
	CHECK(poll_state_synchronize_rcu(cookie));
}

/*
 * cpu_down(2) moves CPU 2's callbacks to the CPU doing the teardown (0) with their grace
 * periods: the migrated one (GP 1, over) is ready, CPU 0's own (GP 2) is not.
 */
TEST(callbacks_migrate_on_cpu_down)
{
	struct rec_cb a, b;

	rec_reset();
	set_cpu(2);
	queue(&a, 1);
	set_cpu(0);
	CHECK(rcu_gp_advance());
	queue(&b, 2);
	REQUIRE(cpu_down(2) == 0);
	CHECK_EQ(rcu_pending_callbacks(2), 0);
	CHECK_EQ(rcu_pending_callbacks(0), 2);
	CHECK_EQ(rcu_invoke_callbacks(0), 1);
	CHECK_EQ(rec_order[0], 1);
	CHECK_EQ(rec_cpu[0], 0);
	rcu_barrier();
	CHECK_EQ(nr_rec, 2);
	CHECK_EQ(rec_order[1], 2);
	CHECK_EQ(cpu_up(2), 0);
}

/* A reset drops whatever the previous program left queued. */
TEST(init_resets_state)
{
	struct rec_cb a;

	rec_reset();
	queue(&a, 1);
	CHECK(rcu_gp_advance());
	test_reinit();
	CHECK_EQ(rcu_pending_callbacks(-1), 0);
	CHECK_EQ(rcu_completed_gp(), 0);
	CHECK_EQ(rcu_grace_periods(), 0);
	CHECK_EQ(rcu_invoke_callbacks(-1), 0);
	CHECK_EQ(nr_rec, 0);
}

/*
 * ctest registers every TEST line, so one case covers both builds: with liburcu,
 * call_rcu + rcu_barrier run the callback on liburcu's call_rcu thread under a task of
 * its own; without it, asking for the backend is a BUG.
 */
#ifdef HAVE_URCU
static pthread_t urcu_cb_thread;
static struct task *urcu_cb_current;
static int urcu_cb_ran;

static void urcu_func(struct rcu_head *head)
{
	urcu_cb_thread = pthread_self();
	urcu_cb_current = current;
	__atomic_add_fetch(&urcu_cb_ran, 1, __ATOMIC_RELEASE);
}

static void liburcu_barrier_runs_callback_on_backend_thread(void)
{
	struct rcu_head head;

	test_config.rcu = RCU_LIBURCU;
	test_reinit();
	REQUIRE(rcu_backend() == RCU_LIBURCU);
	rcu_thread_online();
	urcu_cb_ran = 0;
	call_rcu(&head, urcu_func);
	rcu_barrier();
	CHECK_EQ(__atomic_load_n(&urcu_cb_ran, __ATOMIC_ACQUIRE), 1);
	CHECK(!pthread_equal(urcu_cb_thread, pthread_self()));
	REQUIRE(urcu_cb_current != NULL);
	CHECK(urcu_cb_current != current);
	CHECK(cpu_online(urcu_cb_current->cpu));
	CHECK_EQ(rcu_callbacks_invoked(), 1);
	CHECK(rcu_grace_periods() >= 1);
	CHECK_EQ(rcu_pending_callbacks(-1), 0);

	unsigned long cookie = get_state_synchronize_rcu();

	CHECK(!poll_state_synchronize_rcu(cookie));
	synchronize_rcu();
	CHECK(poll_state_synchronize_rcu(cookie));
	rcu_read_lock();
	CHECK(rcu_read_lock_held());
	rcu_read_unlock();

	test_config.rcu = RCU_DETERMINISTIC;
	test_reinit();
	CHECK(rcu_backend() == RCU_DETERMINISTIC);
}
#else
static void liburcu_missing_is_bug(void)
{
	jmp_buf jb;

	report_set_quiet(true);
	report_set_bug_jmp(&jb);
	if (!setjmp(jb))
		rcu_init(RCU_LIBURCU);
	report_set_bug_jmp(NULL);
	report_set_quiet(false);
	EXPECT_REPORTS(1);
	CHECK_EQ(test_reports_of(REPORT_BUG), 1);
	CHECK(rcu_backend() == RCU_DETERMINISTIC);
}
#endif

TEST(liburcu_backend)
{
#ifdef HAVE_URCU
	liburcu_barrier_runs_callback_on_backend_thread();
#else
	liburcu_missing_is_bug();
#endif
}

/* With either backend, rcu_pending_callbacks(cpu) counts the callbacks queued on that CPU
 * and not yet run; a reader holds the grace period, so the count cannot change under us. */
static int pending_ran;

static void pending_func(struct rcu_head *head)
{
	(void)head;
	__atomic_add_fetch(&pending_ran, 1, __ATOMIC_RELEASE);
}

static void pending_counted_per_cpu(enum rcu_backend backend)
{
	struct rcu_head head;

	test_config.rcu = backend;
	test_reinit();
	REQUIRE(rcu_backend() == backend);
	rcu_thread_online();
	pending_ran = 0;
	set_cpu(2);
	rcu_read_lock();
	call_rcu(&head, pending_func);
	CHECK_EQ(rcu_pending_callbacks(2), 1);
	CHECK_EQ(rcu_pending_callbacks(1), 0);
	CHECK_EQ(rcu_pending_callbacks(-1), 1);
	rcu_read_unlock();
	set_cpu(0);
	rcu_barrier();
	CHECK_EQ(__atomic_load_n(&pending_ran, __ATOMIC_ACQUIRE), 1);
	CHECK_EQ(rcu_pending_callbacks(2), 0);
	CHECK_EQ(rcu_pending_callbacks(-1), 0);
}

TEST(pending_callbacks_counted_per_cpu)
{
	pending_counted_per_cpu(RCU_DETERMINISTIC);
#ifdef HAVE_URCU
	pending_counted_per_cpu(RCU_LIBURCU);
	test_config.rcu = RCU_DETERMINISTIC;
	test_reinit();
#endif
}

/* rcu_thread_online()/offline() bracket a stress thread's life whatever the backend: with
 * the deterministic one (nothing registered with liburcu) both are no-ops. */
static void *online_offline(void *arg)
{
	bool *done = arg;

	rcu_thread_online();
	rcu_thread_offline();
	*done = true;
	return NULL;
}

TEST(thread_offline_without_liburcu_is_noop)
{
	bool done = false;
	pthread_t th;

	REQUIRE(rcu_backend() == RCU_DETERMINISTIC);
	REQUIRE(!pthread_create(&th, NULL, online_offline, &done));
	pthread_join(th, NULL);
	CHECK(done);
}
