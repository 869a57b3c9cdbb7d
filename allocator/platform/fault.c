// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic fault injection. A site fails while its next-N counter is positive;
 * otherwise bit i of its pattern decides call i after the pattern was armed (every call
 * advances the pattern position, also calls the counter failed). Nothing random: the same
 * program fails the same calls.
 */
#include <pthread.h>
#include "fault.h"

struct fault_state {
	bool armed;		/* atomic: fast path for the common unarmed case */
	unsigned int fail_next;
	uint64_t pattern;
	unsigned int pattern_len;
	unsigned int pattern_pos;
	unsigned long injected;
};

static struct fault_state faults[NR_FAULT_SITES];
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;

static void fault_rearm(struct fault_state *f)
{
	__atomic_store_n(&f->armed, f->fail_next > 0 || f->pattern_pos < f->pattern_len,
			 __ATOMIC_RELAXED);
}

void fault_fail_next(enum fault_site site, unsigned int n)
{
	if ((unsigned int)site >= NR_FAULT_SITES)
		return;
	pthread_mutex_lock(&fault_lock);
	faults[site].fail_next = n;
	fault_rearm(&faults[site]);
	pthread_mutex_unlock(&fault_lock);
}

void fault_fail_pattern(enum fault_site site, uint64_t bits, unsigned int len)
{
	if ((unsigned int)site >= NR_FAULT_SITES)
		return;
	pthread_mutex_lock(&fault_lock);
	faults[site].pattern = bits;
	faults[site].pattern_len = min(len, 64u);
	faults[site].pattern_pos = 0;
	fault_rearm(&faults[site]);
	pthread_mutex_unlock(&fault_lock);
}

bool should_fail(enum fault_site site)
{
	struct fault_state *f;
	bool fail = false;

	if ((unsigned int)site >= NR_FAULT_SITES)
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

unsigned long fault_injected(enum fault_site site)
{
	unsigned long n;

	if ((unsigned int)site >= NR_FAULT_SITES)
		return 0;
	pthread_mutex_lock(&fault_lock);
	n = faults[site].injected;
	pthread_mutex_unlock(&fault_lock);
	return n;
}

void fault_reset(void)
{
	pthread_mutex_lock(&fault_lock);
	for (int i = 0; i < NR_FAULT_SITES; i++) {
		faults[i].fail_next = 0;
		faults[i].pattern = 0;
		faults[i].pattern_len = 0;
		faults[i].pattern_pos = 0;
		faults[i].injected = 0;
		fault_rearm(&faults[i]);
	}
	pthread_mutex_unlock(&fault_lock);
}
