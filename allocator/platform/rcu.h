/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RCU with two backends behind one API, chosen at platform_init():
 *
 * RCU_DETERMINISTIC: callbacks queue on the calling task's CPU, tagged with the grace
 *   period they wait for (the one after the current). Nothing happens on its own: a grace
 *   period ends only in rcu_gp_advance(), ready callbacks run only in
 *   rcu_invoke_callbacks(), rcu_barrier() and synchronize_rcu(). A grace period cannot end
 *   while any task is inside rcu_read_lock() (rcu_gp_advance() returns false);
 *   synchronize_rcu()/rcu_barrier() called while a reader is active on the same OS thread
 *   would wait forever: that is a BUG report. Callbacks of a CPU going offline move to the
 *   CPU running the teardown (rcutree_migrate_callbacks). Fully reproducible.
 *
 * RCU_LIBURCU: real grace periods through liburcu's urcu-memb flavour, for the stress
 *   driver. Threads that use RCU register with rcu_thread_online().
 *
 * rcu_barrier() waits for every callback queued before it was called (not for callbacks
 * those callbacks queue), as the kernel's does.
 */
#ifndef PLATFORM_RCU_H
#define PLATFORM_RCU_H

#include "types.h"

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
	unsigned long gp;	/* deterministic backend: grace period that must end first */
	/* liburcu backend: urcu's own head lives here (opaque, big enough for struct rcu_head
	 * of urcu-memb: two pointers). */
	void *urcu_head[2];
};
typedef void (*rcu_callback_t)(struct rcu_head *head);

enum rcu_backend { RCU_DETERMINISTIC, RCU_LIBURCU };

void rcu_init(enum rcu_backend backend);	/* also resets the deterministic state */
enum rcu_backend rcu_backend(void);

void call_rcu(struct rcu_head *head, rcu_callback_t func);
void rcu_barrier(void);
void synchronize_rcu(void);
void rcu_read_lock(void);
void rcu_read_unlock(void);
bool rcu_read_lock_held(void);
unsigned long get_state_synchronize_rcu(void);
bool poll_state_synchronize_rcu(unsigned long cookie);

/* liburcu backend: each pthread that reads or queues callbacks registers once. */
void rcu_thread_online(void);
void rcu_thread_offline(void);

/* Deterministic backend driver. */
bool rcu_gp_advance(void);		/* end one grace period; false if a reader blocks it */
unsigned int rcu_invoke_callbacks(int cpu);	/* run ready callbacks; cpu -1: every CPU */
unsigned long rcu_completed_gp(void);
unsigned int rcu_pending_callbacks(int cpu);	/* queued, ready or not; cpu -1: all */
unsigned long rcu_grace_periods(void);	/* grace periods completed since init (both backends) */
unsigned long rcu_callbacks_invoked(void);

#endif
