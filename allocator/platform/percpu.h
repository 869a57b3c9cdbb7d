/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU data: an array indexed by CPU number, one slot per possible CPU (nr_cpu_ids). */
#ifndef PLATFORM_PERCPU_H
#define PLATFORM_PERCPU_H

#include "cpu.h"
#include "mem.h"

#define alloc_percpu(type)	((type *)platform_zalloc(sizeof(type) * nr_cpu_ids))
#define free_percpu(p)		platform_free(p)
#define per_cpu_ptr(p, cpu)	(&(p)[(cpu)])
#define this_cpu_ptr(p)		per_cpu_ptr(p, smp_processor_id())

#endif
