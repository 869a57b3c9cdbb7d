/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection, deterministic: a site fails when the program says so. Each site has a
 * "fail the next N calls" counter and a programmed bit pattern (bit i set: call i after
 * arming fails), checked in that order.
 */
#ifndef PLATFORM_FAULT_H
#define PLATFORM_FAULT_H

#include "types.h"

enum fault_site {
	FAULT_PAGE_ALLOC,	/* alloc_pages_node() */
	FAULT_SHEAF_ALLOC,	/* allocation of an empty sheaf (alloc_empty_sheaf) */
	NR_FAULT_SITES,
};

void fault_fail_next(enum fault_site site, unsigned int n);
void fault_fail_pattern(enum fault_site site, uint64_t bits, unsigned int len);
bool should_fail(enum fault_site site);	/* consumes one call of the site */
unsigned long fault_injected(enum fault_site site);	/* failures injected so far */
void fault_reset(void);

#endif
