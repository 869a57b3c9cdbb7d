// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic fault injection. A site fails while its next-N counter is positive;
 * otherwise bit i of its pattern decides call i after the pattern was armed (every call
 * advances the pattern position, also calls the counter failed). Nothing random: the same
 * program fails the same calls.
 */
#include <pthread.h>
#include <string.h>
#include "fault.h"

struct fault_state {
	bool armed;		/* atomic: fast path for the common unarmed case */
	unsigned int fail_next;
	uint64_t pattern;
	unsigned int pattern_len;
	unsigned int pattern_pos;
	unsigned long injected;
};

static struct fault_state faults[MAX_FAULT_SITES];
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static char site_names[MAX_FAULT_SITES][FAULT_SITE_NAME_LEN] = {
	[FAULT_PAGE_ALLOC] = "page_alloc",
};
/* atomic; names below it are immutable */
static int nr_sites = NR_PLATFORM_FAULT_SITES;

static bool site_valid(int site)
{
	return site >= 0 && site < __atomic_load_n(&nr_sites, __ATOMIC_ACQUIRE);
}

int fault_site_lookup(const char *name)
{
	int n = __atomic_load_n(&nr_sites, __ATOMIC_ACQUIRE);

	if (!name)
		return -1;
	for (int i = 0; i < n; i++) {
		if (!strcmp(site_names[i], name))
			return i;
	}
	return -1;
}

const char *fault_site_name(int site)
{
	return site_valid(site) ? site_names[site] : NULL;
}

int fault_site_register(const char *name)
{
	int site;

	if (!name || !name[0] || strlen(name) >= FAULT_SITE_NAME_LEN)
		return -1;
	pthread_mutex_lock(&fault_lock);
	site = fault_site_lookup(name);
	if (site < 0 && nr_sites < MAX_FAULT_SITES) {
		site = nr_sites;
		memcpy(site_names[site], name, strlen(name) + 1);
		__atomic_store_n(&nr_sites, site + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&fault_lock);
	return site;
}

static void fault_rearm(struct fault_state *f)
{
	__atomic_store_n(&f->armed, f->fail_next > 0 || f->pattern_pos < f->pattern_len,
			 __ATOMIC_RELAXED);
}

void fault_fail_next(int site, unsigned int n)
{
	if (!site_valid(site))
		return;
	pthread_mutex_lock(&fault_lock);
	faults[site].fail_next = n;
	fault_rearm(&faults[site]);
	pthread_mutex_unlock(&fault_lock);
}

void fault_fail_pattern(int site, uint64_t bits, unsigned int len)
{
	if (!site_valid(site))
		return;
	pthread_mutex_lock(&fault_lock);
	faults[site].pattern = bits;
	faults[site].pattern_len = min(len, 64u);
	faults[site].pattern_pos = 0;
	fault_rearm(&faults[site]);
	pthread_mutex_unlock(&fault_lock);
}

bool should_fail(int site)
{
	struct fault_state *f;
	bool fail = false;

	if (!site_valid(site))
		return false;
	f = &faults[site];
	if (!__atomic_load_n(&f->armed, __ATOMIC_RELAXED))
		return false;
	pthread_mutex_lock(&fault_lock);
	if (f->fail_next > 0) {
		f->fail_next--;
		fail = true;
	}
	if (f->pattern_pos < f->pattern_len) {
		if (f->pattern >> f->pattern_pos & 1)
			fail = true;
		f->pattern_pos++;
	}
	if (fail)
		f->injected++;
	fault_rearm(f);
	pthread_mutex_unlock(&fault_lock);
	return fail;
}

unsigned long fault_injected(int site)
{
	unsigned long n;

	if (!site_valid(site))
		return 0;
	pthread_mutex_lock(&fault_lock);
	n = faults[site].injected;
	pthread_mutex_unlock(&fault_lock);
	return n;
}

void fault_reset(void)
{
	pthread_mutex_lock(&fault_lock);
	for (int i = 0; i < MAX_FAULT_SITES; i++) {
		faults[i].fail_next = 0;
		faults[i].pattern = 0;
		faults[i].pattern_len = 0;
		faults[i].pattern_pos = 0;
		faults[i].injected = 0;
		fault_rearm(&faults[i]);
	}
	pthread_mutex_unlock(&fault_lock);
}
