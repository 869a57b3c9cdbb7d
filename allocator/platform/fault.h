/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection, deterministic: a site fails when the program says so. Each site has a
 * "fail the next N calls" counter and a programmed bit pattern (bit i set: call i after
 * arming fails), checked in that order.
 */
#ifndef PLATFORM_FAULT_H
#define PLATFORM_FAULT_H

#include "types.h"

/* The platform's own sites; upper layers (the allocator) register theirs. */
enum fault_site {
	FAULT_PAGE_ALLOC,	/* alloc_pages_node() */
	NR_PLATFORM_FAULT_SITES,
};
#define MAX_FAULT_SITES		16
#define FAULT_SITE_NAME_LEN	32

/* Register a fault site named `name` (e.g. the allocator's "sheaf_alloc") and return its
 * id (>= NR_PLATFORM_FAULT_SITES); the existing id if the name is already a site
 * (idempotent), -1 if the name is empty or too long or MAX_FAULT_SITES sites exist.
 * Thread-safe; sites survive fault_reset() and platform_init(). */
int fault_site_register(const char *name);
int fault_site_lookup(const char *name);	/* -1 if there is none */
const char *fault_site_name(int site);		/* "page_alloc", ...; NULL if invalid */

/* Invalid site ids (e.g. -1 from a failed registration) are ignored: never fail. */
void fault_fail_next(int site, unsigned int n);
void fault_fail_pattern(int site, uint64_t bits, unsigned int len);
bool should_fail(int site);	/* consumes one call of the site */
unsigned long fault_injected(int site);	/* failures injected so far */
void fault_reset(void);		/* disarms every site; registrations stay */

#endif
