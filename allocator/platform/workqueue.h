/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU workqueues (the kernel's system_wq / a WQ_MEM_RECLAIM per-CPU workqueue).
 *
 * queue_work_on(cpu, work) appends the work to CPU `cpu`'s FIFO (a work already pending
 * is not queued again: false). A kworker of that CPU runs it with smp_processor_id() ==
 * cpu. When a CPU goes down, the workqueue's hotplug teardown (CPUHP_AP_WORKQUEUE_ONLINE,
 * early in teardown: before RCU's and SLUB's dead callbacks) disassociates the CPU's pool,
 * as workqueue_offline_cpu()/unbind_workers() do: work still queued there moves to the
 * unbound queue (WORK_CPU_UNBOUND) and runs on whatever online CPU the unbound worker is
 * on, and work queued to the CPU until it is back up goes there too. So a work queued to a
 * CPU that went offline acts on the wrong CPU's data, as in the kernel.
 *
 * Who runs work:
 * - With a scheduler (sched_active(): a driver running tasks as fibers), the driver's
 *   kworker fiber of each CPU (and one unbound kworker) loops over
 *       if (!workqueue_run_one(cpu)) sched_wait(workqueue_queue(cpu), "work");
 *   flush_work() yields (sched_wait(work, "flush_work")) until the work has run.
 * - Without one (fuzz_ops, stress, unit tests), flush_work() runs the work itself, inline,
 *   on a platform-owned kworker task of the work's CPU (one per OS thread; unbound work
 *   runs on the flusher's CPU). Work nobody flushes stays queued until workqueue_run_one()
 *   or workqueue_run_all() runs it.
 */
#ifndef PLATFORM_WORKQUEUE_H
#define PLATFORM_WORKQUEUE_H

#include "types.h"

#define WORK_CPU_UNBOUND	(-1)

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	work_func_t func;
	struct work_struct *next;	/* queue link (platform-internal) */
	int pending;			/* atomic: queued and not yet started */
	int cpu;			/* queue it is on while pending; WORK_CPU_UNBOUND */
	unsigned long queued_seq;	/* atomic: bumped by each successful queue_work_on() */
	unsigned long done_seq;		/* atomic: queued_seq of the last run that finished */
};

void init_work(struct work_struct *work, work_func_t func);
#define INIT_WORK(w, f)		init_work((w), (f))

/* Queue on CPU `cpu`'s queue (WORK_CPU_UNBOUND: the unbound queue; an offline CPU's work
 * goes to the unbound queue). false if the work was already pending. Calls
 * sched_point(SP_QUEUE_WORK) after queueing. */
bool queue_work_on(int cpu, struct work_struct *work);
/* Wait until the last queueing of `work` has finished running; false if there was nothing
 * to wait for. Calls sched_point(SP_FLUSH_WORK) first. */
bool flush_work(struct work_struct *work);
static inline bool work_pending(const struct work_struct *work)
{
	return __atomic_load_n(&work->pending, __ATOMIC_ACQUIRE);
}

/*
 * For the driver's kworkers. workqueue_run_one(cpu) runs the oldest pending work of
 * `cpu`'s queue (WORK_CPU_UNBOUND: the unbound queue) in the CURRENT task, which must be
 * preemptible: a bound work runs with the task on `cpu` (moved there if it is elsewhere);
 * unbound work runs on the task's CPU (moved to an online CPU if that one is offline).
 * false if the queue was empty.
 */
bool workqueue_run_one(int cpu);
bool workqueue_pending(int cpu);		/* the queue has work */
unsigned int workqueue_nr_pending(int cpu);	/* -2: every queue */
/* A stable address per queue (cpu or WORK_CPU_UNBOUND) for sched_wait() and deadlock
 * reports. */
const void *workqueue_queue(int cpu);
/* Run every pending work (inline kworkers, as flush_work() without a scheduler); returns
 * how many ran. */
unsigned int workqueue_run_all(void);
/* The CPU's pool is disassociated (offline CPU: its work runs unbound). */
bool workqueue_cpu_unbound(int cpu);

/* platform_init(): empty queues, associate every pool, register the hotplug state. */
void workqueue_reset(void);

#endif
