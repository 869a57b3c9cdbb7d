/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Emulated CPUs, NUMA nodes and tasks.
 *
 * A task runs on one emulated CPU. In the deterministic harnesses every task lives on
 * one OS thread and `current` is switched by the driver; in the stress driver each
 * pthread has its own task. Tasks migrate only outside local locks (task_migrate()
 * WARNs otherwise), as the kernel only migrates preemptible code.
 */
#ifndef PLATFORM_CPU_H
#define PLATFORM_CPU_H

#include "types.h"

#define MAX_CPUS	64
#define MAX_NUMNODES	8
#define NUMA_NO_NODE	(-1)

struct lockdep_held;	/* lockdep-lite per-task state, see locks.h */

struct task {
	int id;
	int cpu;			/* emulated CPU this task runs on */
	const char *name;
	int irq_depth;			/* >0 while an emulated interrupt runs on this task */
	bool in_nmi;			/* the running interrupt is an NMI */
	unsigned int flags;		/* PF_*: the kernel's current->flags, what we emulate of it */
	int local_locks_held;		/* migration forbidden while > 0 */
	int preempt_count;		/* spinlocks and local locks held: not preemptible */
	int irqs_off;			/* spin_lock_irqsave() nesting: no interrupt arrives */
	void *wq_frames;		/* workqueue.c: the works this task is running */
	int rcu_read_depth;		/* rcu_read_lock() nesting */
	int hotplug_read_depth;		/* cpus_read_lock() nesting of this task */
	bool hotplug_write_held;	/* this task holds cpus_write_lock() */
	/* The last sched_point() this task passed, + 1 (0: none yet); SLAB_SCHED builds set
	 * it, KASAN object histories print it (sched_point_desc(last_point - 1)->name). */
	int last_point;
	/* lockdep-lite: classes currently held, in acquisition order */
	int nr_held;
	struct {
		const void *lock;
		int class_id;
	} held[16];
};

extern __thread struct task *current;

extern unsigned int nr_cpu_ids;		/* possible CPUs, 1..MAX_CPUS */
extern unsigned int nr_node_ids;	/* nodes, 1..MAX_NUMNODES */

/* Machine setup, called by platform_init(); cpu_node[i] is the node of CPU i. */
void cpu_platform_init(unsigned int nr_cpus, unsigned int nr_nodes, const int *cpu_node,
		       unsigned long memoryless_nodes);

/* Hotplug rewrites another task's cpu (migration) with an atomic store: read it atomically. */
static inline int smp_processor_id(void) { return __atomic_load_n(&current->cpu, __ATOMIC_RELAXED); }
bool cpu_online(int cpu);
void set_cpu_online(int cpu, bool online);	/* used by hotplug.c only */
unsigned int num_online_cpus(void);
int cpu_to_node(int cpu);
/* Node of CPU `cpu` whose memory it allocates from. Like x86 without
 * CONFIG_HAVE_MEMORYLESS_NODES this is the CPU's own node even when that node has no
 * memory: the setting in which bug B5 (NULL barn on memoryless nodes) was hit. */
int cpu_to_mem(int cpu);
static inline int numa_node_id(void) { return cpu_to_node(smp_processor_id()); }
static inline int numa_mem_id(void) { return cpu_to_mem(smp_processor_id()); }
bool node_state_memory(int node);	/* node has memory (N_MEMORY) */
int first_memory_node(void);
/* Next node with memory after `node` in distance order (round robin), for fallback. */
int next_memory_node(int node);

#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < (int)nr_cpu_ids; (cpu)++)
#define for_each_online_cpu(cpu) \
	for ((cpu) = 0; (cpu) < (int)nr_cpu_ids; (cpu)++) if (!cpu_online(cpu)) {} else
#define for_each_node(node) for ((node) = 0; (node) < (int)nr_node_ids; (node)++)
#define for_each_node_with_memory(node) \
	for ((node) = 0; (node) < (int)nr_node_ids; (node)++) if (!node_state_memory(node)) {} else

/* Tasks. task_init() prepares a caller-owned task; task_switch() makes it `current`
 * on this OS thread. */
void task_init(struct task *t, const char *name, int cpu);
void task_switch(struct task *t);
/* Forget a task before its storage goes away (cpu_down() migrates registered tasks). */
void task_exit(struct task *t);
/* Move the current task to another online CPU; refused (WARN, returns false) while the task
 * holds a local lock or runs an interrupt. */
bool task_migrate(struct task *t, int cpu);
/* A task on each OS thread exists by default: the boot task on CPU 0. */
struct task *boot_task(void);

/* Platform-internal helpers (hotplug.c, locks.c, report.c). */
/* `current`, creating this OS thread's boot task if the thread never switched to a task. */
struct task *current_task(void);
/* Next online CPU after `cpu`, wrapping around (`cpu` itself if it is the only one); -1
 * if none is online. */
int next_online_cpu(int cpu);
/* A task's CPU as written by another thread (migration by cpu_down()). */
int task_get_cpu(const struct task *t);
void task_set_cpu(struct task *t, int cpu);
/* cpu_down(): move the registered tasks of `cpu` (and the caller's own task) to the next
 * online CPU; returns the id of a task pinned there (local lock or interrupt), else -1. */
int migrate_tasks_from(int cpu);

/* Emulated interrupt context on the current task's CPU. */
void irq_enter(bool nmi);
void irq_exit(void);
static inline bool in_nmi(void) { return current->irq_depth > 0 && current->in_nmi; }
static inline bool in_hardirq(void) { return current->irq_depth > 0 && !current->in_nmi; }
static inline bool in_interrupt(void) { return current->irq_depth > 0; }
static inline bool in_task(void) { return current->irq_depth == 0; }

/* The task reclaims memory for others (kswapd, direct reclaim, swap over network): its
 * allocations may use the reserves (include/linux/sched/mm.h). */
#define PF_MEMALLOC	0x1u
static inline unsigned int memalloc_noreclaim_save(void)
{
	unsigned int old = current->flags & PF_MEMALLOC;

	current->flags |= PF_MEMALLOC;
	return old;
}
static inline void memalloc_noreclaim_restore(unsigned int flags)
{
	current->flags = (current->flags & ~PF_MEMALLOC) | flags;
}
/* The task may be preempted or migrated here (sched.h decides only where this holds). */
static inline bool task_preemptible(const struct task *t)
{
	return !t->preempt_count && !t->irq_depth && !t->local_locks_held;
}

#endif
