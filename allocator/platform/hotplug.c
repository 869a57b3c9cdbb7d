// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug.
 *
 * cpu_hotplug_lock is a writer-preferring rwlock on one atomic word (reader count, or -1
 * for the writer). A reader whose OS thread already holds a read lock (recursion, or
 * another task of the same thread) is let in past a waiting writer: that writer cannot
 * get the lock before this thread drops its reads anyway, so making the reader wait
 * would only deadlock.
 *
 * Occupancy: stress workers bracket each op with cpu_occupy()/cpu_unoccupy(), a per-CPU
 * count. cpu_down() first blocks new occupiers of the CPU and waits for the count to
 * drain, and only then takes cpu_hotplug_lock for write: an op may take cpus_read_lock()
 * while it occupies its CPU, so waiting for occupancy under the write lock would
 * deadlock against it.
 *
 * Fibers (sched_active(): a driver runs this thread's tasks as fibers): the holder of the
 * lock, or a task pinned to a dying CPU, may be another fiber of this very thread, so every
 * wait yields with sched_wait() instead of spinning, and only what the *current task*
 * holds can make a wait endless (a BUG). Readers then queue behind a waiting writer unless
 * the task itself already reads (recursion).
 */
#include <sched.h>
#include <stdlib.h>
#include "hotplug.h"
#include "cpu.h"
#include "locks.h"
#include "report.h"
#include "sched_point.h"

struct cpuhp_step {
	const char *name;
	cpuhp_cb_t startup;
	cpuhp_cb_t teardown;
};

static struct cpuhp_step cpuhp_steps[CPUHP_NR_STATES];	/* atomic pointers */

/* The lockdep class of cpu_hotplug_lock; the lock itself is hp_state. */
static struct lock_common cpu_hotplug_dep = {
	.owner_task = -1, .class_id = -1, .name = "cpu_hotplug_lock",
};
static int hp_state;			/* atomic: >= 0 readers, -1 writer */
static int hp_writers_waiting;		/* atomic */
static unsigned long hp_writer_thread;	/* atomic: lock_thread_token() of the writer */
static __thread int thread_reads;	/* read holds by this OS thread's tasks */

static unsigned long nr_hotplug_events;	/* atomic */

static int occupancy[MAX_CPUS];		/* atomic: tasks executing an op on the CPU */
static int occupancy_blocked[MAX_CPUS];	/* atomic: cpu_down() in progress */
static __thread int occupied_cpu = -1;

void hotplug_reset(void)
{
	for (int i = 0; i < CPUHP_NR_STATES; i++) {
		__atomic_store_n(&cpuhp_steps[i].startup, NULL, __ATOMIC_RELAXED);
		__atomic_store_n(&cpuhp_steps[i].teardown, NULL, __ATOMIC_RELAXED);
		cpuhp_steps[i].name = NULL;
	}
	__atomic_store_n(&hp_state, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&hp_writers_waiting, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&hp_writer_thread, 0UL, __ATOMIC_RELAXED);
	thread_reads = 0;
	occupied_cpu = -1;
	__atomic_store_n(&nr_hotplug_events, 0UL, __ATOMIC_RELAXED);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		__atomic_store_n(&occupancy[cpu], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&occupancy_blocked[cpu], 0, __ATOMIC_RELEASE);
	}
	__lock_init(&cpu_hotplug_dep, "cpu_hotplug_lock");
}

void cpuhp_setup_state(enum cpuhp_state state, const char *name, cpuhp_cb_t startup,
		       cpuhp_cb_t teardown)
{
	if (WARN((unsigned int)state >= CPUHP_NR_STATES, "bad cpuhp state %d", (int)state))
		return;
	cpuhp_steps[state].name = name;
	__atomic_store_n(&cpuhp_steps[state].startup, startup, __ATOMIC_RELEASE);
	__atomic_store_n(&cpuhp_steps[state].teardown, teardown, __ATOMIC_RELEASE);
}

/* One round of waiting for another task: a scheduler's yield, or spin then sched_yield(). */
static void hotplug_wait_on(unsigned int *spins, const void *on, const char *what)
{
	if (sched_wait(on, what))
		return;
	if (++*spins > 64)
		sched_yield();
}

static void hotplug_wait(unsigned int *spins)
{
	hotplug_wait_on(spins, &hp_state, "hotplug");
}

static void __attribute__((noreturn)) hotplug_deadlock(const char *func, const char *what)
{
	report_simple(REPORT_BUG, func, "deadlock: %s", what);
	abort();	/* a BUG never returns */
}

void cpus_read_lock(void)
{
	struct task *t = current_task();
	unsigned long self = lock_thread_token();
	unsigned int spins = 0;

	lockdep_acquire(&cpu_hotplug_dep, false, __func__);
	for (;;) {
		int s = __atomic_load_n(&hp_state, __ATOMIC_RELAXED);
		bool fibers = sched_active();
		/* may pass a waiting writer: fibers, this task reads; threads, this thread does */
		bool recursive = fibers ? t->hotplug_read_depth > 0 : thread_reads > 0;
		bool self_writes = fibers ? t->hotplug_write_held :
			__atomic_load_n(&hp_writer_thread, __ATOMIC_RELAXED) == self;

		if (s >= 0 && (recursive ||
			       !__atomic_load_n(&hp_writers_waiting, __ATOMIC_RELAXED)) &&
		    __atomic_compare_exchange_n(&hp_state, &s, s + 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		if (s < 0 && self_writes) {
			lockdep_release(&cpu_hotplug_dep, __func__);
			hotplug_deadlock(__func__, "cpus_read_lock() while this thread holds "
					 "cpu_hotplug_lock for write");
		}
		hotplug_wait(&spins);
	}
	thread_reads++;
	t->hotplug_read_depth++;
}

void cpus_read_unlock(void)
{
	struct task *t = current_task();

	if (WARN(t->hotplug_read_depth <= 0, "cpus_read_unlock() by task %d without the lock",
		 t->id))
		return;
	t->hotplug_read_depth--;
	thread_reads--;
	lockdep_release(&cpu_hotplug_dep, __func__);
	__atomic_sub_fetch(&hp_state, 1, __ATOMIC_RELEASE);
	sched_wake();
}

void cpus_write_lock(void)
{
	struct task *t = current_task();
	unsigned long self = lock_thread_token();
	unsigned int spins = 0;
	int zero = 0;

	lockdep_acquire(&cpu_hotplug_dep, false, __func__);
	if (sched_active() ? t->hotplug_read_depth > 0 || t->hotplug_write_held :
	    thread_reads > 0 || __atomic_load_n(&hp_writer_thread, __ATOMIC_RELAXED) == self) {
		lockdep_release(&cpu_hotplug_dep, __func__);
		hotplug_deadlock(__func__, "cpus_write_lock() while this thread holds "
				 "cpu_hotplug_lock");
	}
	__atomic_add_fetch(&hp_writers_waiting, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_compare_exchange_n(&hp_state, &zero, -1, false, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		zero = 0;
		hotplug_wait(&spins);
	}
	__atomic_sub_fetch(&hp_writers_waiting, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&hp_writer_thread, self, __ATOMIC_RELAXED);
	t->hotplug_write_held = true;
}

void cpus_write_unlock(void)
{
	struct task *t = current_task();

	if (WARN(!t->hotplug_write_held, "cpus_write_unlock() by task %d without the lock",
		 t->id))
		return;
	t->hotplug_write_held = false;
	lockdep_release(&cpu_hotplug_dep, __func__);
	__atomic_store_n(&hp_writer_thread, 0UL, __ATOMIC_RELAXED);
	__atomic_store_n(&hp_state, 0, __ATOMIC_RELEASE);
	sched_wake();
}

bool cpus_read_held(void)
{
	struct task *t = current_task();

	return t->hotplug_read_depth > 0 || t->hotplug_write_held;
}

void lockdep_assert_cpus_held(void)
{
#ifdef SLAB_LOCKDEP
	if (lockdep_enabled() && !cpus_read_held())
		report_simple(REPORT_LOCK_NOT_HELD, __func__,
			      "lockdep_assert_cpus_held() failed: cpu_hotplug_lock not held by task %d",
			      current_task()->id);
#endif
}

unsigned long hotplug_events(void)
{
	return __atomic_load_n(&nr_hotplug_events, __ATOMIC_RELAXED);
}

void cpu_occupy(void)
{
	struct task *t = current_task();
	unsigned int spins = 0;

	if (WARN(occupied_cpu >= 0, "cpu_occupy() nested on task %d", t->id))
		return;
	for (;;) {
		int cpu = task_get_cpu(t);

		if (!cpu_online(cpu)) {
			int target = next_online_cpu(cpu);

			if (target >= 0)
				task_set_cpu(t, target);
			hotplug_wait(&spins);
			continue;
		}
		/* Dekker with cpu_down(): count ourselves in, then look for its block flag. */
		__atomic_add_fetch(&occupancy[cpu], 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&occupancy_blocked[cpu], __ATOMIC_SEQ_CST) &&
		    cpu_online(cpu) && task_get_cpu(t) == cpu) {
			occupied_cpu = cpu;
			return;
		}
		__atomic_sub_fetch(&occupancy[cpu], 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&occupancy_blocked[cpu], __ATOMIC_ACQUIRE))
			hotplug_wait(&spins);
	}
}

void cpu_unoccupy(void)
{
	if (WARN(occupied_cpu < 0, "cpu_unoccupy() without cpu_occupy()"))
		return;
	__atomic_sub_fetch(&occupancy[occupied_cpu], 1, __ATOMIC_RELEASE);
	occupied_cpu = -1;
	sched_wake();
}

int cpu_down(int cpu)
{
	unsigned int spins = 0;
	int expected = 0;
	int ret = 0;

	current_task();
	if (cpu < 0 || cpu >= (int)nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;
	if (occupied_cpu == cpu)
		hotplug_deadlock(__func__, "cpu_down() of the CPU this thread occupies");

	/* Block new occupiers (and a concurrent cpu_down of the same CPU), drain the rest. */
	while (!__atomic_compare_exchange_n(&occupancy_blocked[cpu], &expected, 1, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		expected = 0;
		hotplug_wait_on(&spins, &occupancy_blocked[cpu], "cpu_down");
	}
	while (__atomic_load_n(&occupancy[cpu], __ATOMIC_SEQ_CST))
		hotplug_wait_on(&spins, &occupancy[cpu], "cpu_down: CPU occupied");

	cpus_write_lock();
	if (!cpu_online(cpu)) {
		ret = -EINVAL;
	} else if (num_online_cpus() <= 1) {
		ret = -EBUSY;
	} else {
		int pinned;

		for (;;) {
			set_cpu_online(cpu, false);
			pinned = migrate_tasks_from(cpu);
			if (pinned < 0)
				break;
			set_cpu_online(cpu, true);
			/* Fibers: a task pinned there (local lock, interrupt) is another fiber
			 * unless it is this one; wait for it to leave the section. */
			if (pinned != current_task()->id &&
			    sched_wait(&occupancy[cpu], "cpu_down: task pinned to the CPU"))
				continue;
			__atomic_store_n(&occupancy_blocked[cpu], 0, __ATOMIC_RELEASE);
			cpus_write_unlock();
			report_simple(REPORT_BUG, __func__,
				      "deadlock: cpu_down(%d) waits for task %d, pinned to it by a local lock or interrupt",
				      cpu, pinned);
			abort();
		}
	}
	__atomic_store_n(&occupancy_blocked[cpu], 0, __ATOMIC_RELEASE);
	if (!ret) {
		for (int state = CPUHP_NR_STATES - 1; state >= 0; state--) {
			cpuhp_cb_t cb = __atomic_load_n(&cpuhp_steps[state].teardown,
							__ATOMIC_ACQUIRE);

			/* between two states (and after the CPU went offline) */
			sched_point(SP_HOTPLUG_STEP);
			if (cb)
				cb((unsigned int)cpu);
		}
		__atomic_add_fetch(&nr_hotplug_events, 1UL, __ATOMIC_RELAXED);
	}
	cpus_write_unlock();
	return ret;
}

int cpu_up(int cpu)
{
	int ret = 0;
	int state;

	current_task();
	if (cpu < 0 || cpu >= (int)nr_cpu_ids)
		return -EINVAL;
	cpus_write_lock();
	if (cpu_online(cpu)) {
		cpus_write_unlock();
		return -EINVAL;
	}
	set_cpu_online(cpu, true);
	for (state = 0; state < CPUHP_NR_STATES; state++) {
		cpuhp_cb_t cb = __atomic_load_n(&cpuhp_steps[state].startup, __ATOMIC_ACQUIRE);

		if (state)
			sched_point(SP_HOTPLUG_STEP);
		if (cb && (ret = cb((unsigned int)cpu)) != 0)
			break;
	}
	if (ret) {
		/* Roll back the states already brought up, as the kernel does. */
		while (--state >= 0) {
			cpuhp_cb_t cb = __atomic_load_n(&cpuhp_steps[state].teardown,
							__ATOMIC_ACQUIRE);

			if (cb)
				cb((unsigned int)cpu);
		}
		set_cpu_online(cpu, false);
	} else {
		__atomic_add_fetch(&nr_hotplug_events, 1UL, __ATOMIC_RELAXED);
	}
	cpus_write_unlock();
	return ret;
}
