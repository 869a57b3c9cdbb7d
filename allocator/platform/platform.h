/* SPDX-License-Identifier: GPL-2.0 */
/* The emulated machine: one include for the allocator, one init for drivers. */
#ifndef PLATFORM_PLATFORM_H
#define PLATFORM_PLATFORM_H

#include "types.h"
#include "cpu.h"
#include "hotplug.h"
#include "locks.h"
#include "atomic.h"
#include "mem.h"
#include "percpu.h"
#include "page_alloc.h"
#include "fault.h"
#include "report.h"
#include "rcu.h"
#include "kasan.h"
#include "workqueue.h"
#include "sched_point.h"

struct platform_config {
	unsigned int nr_cpus;		/* 1..MAX_CPUS (default 4) */
	unsigned int nr_nodes;		/* 1..MAX_NUMNODES (default 1) */
	int cpu_node[MAX_CPUS];		/* -1 (default): cpu % nr_nodes */
	unsigned long memoryless_nodes;	/* bit n: node n has CPUs but no memory */
	bool kasan;			/* KASAN emulation (default on) */
	size_t quarantine_bytes;	/* quarantine budget (default 1 MiB) */
	enum report_mode report_mode;	/* default REPORT_COUNT */
	enum rcu_backend rcu;		/* default RCU_DETERMINISTIC */
	bool cmpxchg_double;		/* hardware double-word cmpxchg (default true) */
	unsigned long arena_pages;	/* pages per node with memory (default 16384 = 64 MiB) */
	unsigned long min_free_pages;	/* min watermark per node, the reserves (default 0: none) */
};

void platform_config_default(struct platform_config *cfg);
/* First call maps the arenas; later calls reset everything (arena, metadata heap, RCU,
 * quarantine, reports, faults, lockdep, hotplug state) and apply the new config. The
 * calling OS thread's current task becomes the boot task on CPU 0. Invalid configs are
 * clamped to valid ones; platform_config_valid() says why a config is refused. */
void platform_init(const struct platform_config *cfg);
const char *platform_config_valid(const struct platform_config *cfg);	/* NULL if valid */
const struct platform_config *platform_config(void);

#endif
