/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scheduling points and waiting, for a driver that owns the scheduler.
 *
 * The allocator calls sched_point(id) wherever the kernel can be preempted, migrated or
 * interrupted between two steps that another CPU or an interrupt could observe. Points are
 * described in tables (name, the kernel function, where in it) that the platform and the
 * allocator register; a driver that runs tasks as fibers on one OS thread (fuzz_sched)
 * installs sched_ops and decides at each point what runs next. Builds without SLAB_SCHED
 * compile sched_point() to nothing.
 *
 * A task that must wait for another task of the same OS thread (a lock it holds, a reader
 * section it is in, work it has not run) calls sched_wait(): with a scheduler it yields
 * until the condition may hold; without one it returns false and the caller reports what
 * can never end.
 */
#ifndef PLATFORM_SCHED_POINT_H
#define PLATFORM_SCHED_POINT_H

#include "types.h"
#include "cpu.h"

struct sched_point_desc {
	const char *name;	/* "SP_after_unlock" */
	const char *func;	/* the kernel function it stands for */
	const char *where;	/* between which steps */
};

/* The platform's own points; the allocator registers its own after these. */
enum platform_sched_point {
	SP_LOCK,		/* before a blocking lock acquisition */
	SP_UNLOCK,		/* after a lock release */
	SP_CALL_RCU,		/* before call_rcu() queues a callback */
	SP_QUEUE_WORK,		/* after queue_work_on() */
	SP_FLUSH_WORK,		/* before flush_work() waits */
	SP_HOTPLUG_STEP,	/* between two cpu_down()/cpu_up() steps */
	NR_PLATFORM_SCHED_POINTS,
};

/* Append n descriptions; returns the id of the first (points are never unregistered:
 * registering the same table again returns the same ids). */
int sched_points_register(const struct sched_point_desc *d, int n);
int sched_nr_points(void);
const struct sched_point_desc *sched_point_desc(int id);	/* NULL if unknown */
int sched_point_lookup(const char *name);			/* -1 if unknown */

struct sched_ops {
	/* At a scheduling point of the current task. */
	void (*point)(int id);
	/* The current task cannot go on until another task acts: yield to it. `on` names what
	 * it waits for (a lock, "rcu", "hotplug", a work item), for the deadlock report. */
	void (*wait)(const void *on, const char *what);
};

/* NULL: no scheduler (every task runs to completion; waits cannot end). */
void sched_set_ops(const struct sched_ops *ops);
bool sched_active(void);
/* Yield while waiting for another task; false without a scheduler. */
bool sched_wait(const void *on, const char *what);
/* Something a waiter may wait for happened (a lock released, a reader section ended, a
 * hotplug lock dropped, work finished): a scheduler retries its waiters only after one. */
void sched_wake(void);
unsigned long sched_wakeups(void);

#ifdef SLAB_SCHED
extern const struct sched_ops *sched_ops_active;
static inline void sched_point(int id)
{
	struct task *t = current;

	/* one store: the point an object history names (cpu.h: last_point) */
	if (t)
		t->last_point = id + 1;
	if (sched_ops_active)
		sched_ops_active->point(id);
}
#else
static inline void sched_point(int id)
{
	(void)id;
}
#endif

#endif
