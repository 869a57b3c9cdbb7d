/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPU hotplug: cpu_hotplug_lock as a real rwlock, and teardown/startup callbacks run in
 * the kernel's state order. cpu_down(cpu) takes the lock for write, waits until no task
 * executes on the CPU (stress: a per-CPU occupancy lock), marks it offline, moves its
 * tasks to another online CPU, then runs teardown callbacks from the highest state down
 * on the calling task (the kernel's control CPU). cpu_up() runs startup callbacks upwards.
 */
#ifndef PLATFORM_HOTPLUG_H
#define PLATFORM_HOTPLUG_H

#include "types.h"

/* Kernel order (low to high); teardown runs high to low. */
enum cpuhp_state {
	CPUHP_SLUB_DEAD,	/* slub_cpu_dead: runs after the CPU is gone */
	CPUHP_RCU_DEAD,		/* rcutree_migrate_callbacks (takedown_cpu) */
	CPUHP_AP_WORKQUEUE_ONLINE, /* workqueue_offline_cpu: unbind the CPU's pending work */
	CPUHP_AP_KASAN_ONLINE,	/* kasan_cpu_offline: on the dying CPU, before it is gone */
	CPUHP_NR_STATES,
};

typedef int (*cpuhp_cb_t)(unsigned int cpu);
/* One callback pair per state; a later call replaces the earlier one. NULL: nothing. */
void cpuhp_setup_state(enum cpuhp_state state, const char *name, cpuhp_cb_t startup,
		       cpuhp_cb_t teardown);

void cpus_read_lock(void);
void cpus_read_unlock(void);
void cpus_write_lock(void);
void cpus_write_unlock(void);
/* Reports LOCK_NOT_HELD (lockdep-lite) if the current task holds cpu_hotplug_lock in
 * neither mode. */
void lockdep_assert_cpus_held(void);
/* The current task holds cpu_hotplug_lock (read, or write: a teardown callback). */
bool cpus_read_held(void);

/* 0 on success; -EBUSY when `cpu` is the last online CPU; -EINVAL for a bad or already
 * offline (resp. online) CPU. */
int cpu_down(int cpu);
int cpu_up(int cpu);
unsigned long hotplug_events(void);	/* completed cpu_down + cpu_up */
/* platform_init(): forget callbacks, counters and lock state. */
void hotplug_reset(void);

/* Stress only: a worker brackets each op with these so cpu_down() waits for it. The task's
 * CPU may change inside cpu_occupy() if its CPU went offline (the task migrates first). */
void cpu_occupy(void);
void cpu_unoccupy(void);

#endif
