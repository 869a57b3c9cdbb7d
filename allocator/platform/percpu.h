/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU data: an array indexed by CPU number, allocated for MAX_CPUS. */
#ifndef PLATFORM_PERCPU_H
#define PLATFORM_PERCPU_H

#include "cpu.h"
#include "mem.h"

#define alloc_percpu(type)	((type *)platform_zalloc(sizeof(type) * MAX_CPUS))
#define free_percpu(p)		platform_free(p)
#define per_cpu_ptr(p, cpu)	(&(p)[(cpu)])
#define this_cpu_ptr(p)		per_cpu_ptr(p, smp_processor_id())

#endif
