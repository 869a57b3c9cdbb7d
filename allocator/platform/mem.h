/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Metadata memory for the allocator's own structures (kmem_cache, kmem_cache_node, barns,
 * sheaves, per-CPU arrays). The kernel allocates most of these from kmalloc caches; we
 * take them from the host heap so the emulated page arena holds only slab pages and page
 * accounting (pages_in_use()) stays exact. Every allocation is tracked so platform_reset()
 * can reclaim what a leaked cache left behind (the kernel leaks such a cache on purpose).
 */
#ifndef PLATFORM_MEM_H
#define PLATFORM_MEM_H

#include "types.h"

void *platform_zalloc(size_t size);		/* never NULL (aborts on host OOM) */
void platform_free(void *p);			/* NULL is fine */
size_t platform_mem_in_use(void);		/* bytes of live metadata allocations */
unsigned long platform_allocs_in_use(void);	/* number of live metadata allocations */
void platform_mem_reset(void);			/* free everything still allocated */

#endif
