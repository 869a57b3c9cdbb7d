// SPDX-License-Identifier: GPL-2.0
/*
 * Double-word cmpxchg. The __sync builtins on unsigned __int128 are inlined as
 * cmpxchg16b by gcc and clang with -mcx16 (gcc routes the __atomic forms through
 * libatomic instead), and TSan instruments them as 128-bit atomics.
 */
#include "atomic.h"
#include "platform.h"

bool system_has_freelist_aba(void)
{
	return platform_config()->cmpxchg_double;
}

bool cmpxchg_double_word(double_word_t *ptr, double_word_t *old, double_word_t new_val)
{
	unsigned __int128 expected = old->full;
	unsigned __int128 prev = __sync_val_compare_and_swap(&ptr->full, expected, new_val.full);

	if (prev == expected)
		return true;
	old->full = prev;
	return false;
}

double_word_t read_double_word(double_word_t *ptr)
{
	double_word_t v;

	/* A cmpxchg of 0 with 0 is the one 16-byte atomic load both compilers inline; it
	 * writes only when the value is already 0, which changes nothing. */
	v.full = __sync_val_compare_and_swap(&ptr->full, (unsigned __int128)0,
					     (unsigned __int128)0);
	return v;
}
