/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Atomics: cmpxchg/try_cmpxchg on words, and the double-word compare-and-exchange SLUB uses
 * for {freelist, counters}. Double-word cmpxchg is a 16-byte hardware atomic
 * (cmpxchg16b) or, when the platform is configured without it (platform_config
 * .cmpxchg_double = false), the caller falls back to slab_lock() as the kernel does on
 * architectures without it: see system_has_freelist_aba().
 */
#ifndef PLATFORM_ATOMIC_H
#define PLATFORM_ATOMIC_H

#include "types.h"

#define cmpxchg(ptr, old, new) ({ \
	__typeof__(*(ptr)) __old = (old); \
	__atomic_compare_exchange_n((ptr), &__old, (new), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	__old; })
#define try_cmpxchg(ptr, oldp, new) \
	__atomic_compare_exchange_n((ptr), (oldp), (new), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define xchg(ptr, v)		__atomic_exchange_n((ptr), (v), __ATOMIC_SEQ_CST)
#define atomic_add_return(ptr, v) __atomic_add_fetch((ptr), (v), __ATOMIC_SEQ_CST)
#define atomic_inc(ptr)		((void)__atomic_add_fetch((ptr), 1, __ATOMIC_RELAXED))
#define atomic_dec(ptr)		((void)__atomic_sub_fetch((ptr), 1, __ATOMIC_RELAXED))
#define atomic_add(ptr, v)	((void)__atomic_add_fetch((ptr), (v), __ATOMIC_RELAXED))
#define atomic_sub(ptr, v)	((void)__atomic_sub_fetch((ptr), (v), __ATOMIC_RELAXED))
#define atomic_read(ptr)	__atomic_load_n((ptr), __ATOMIC_RELAXED)
#define atomic_set(ptr, v)	__atomic_store_n((ptr), (v), __ATOMIC_RELAXED)
#define smp_load_acquire(ptr)	__atomic_load_n((ptr), __ATOMIC_ACQUIRE)
#define smp_store_release(ptr, v) __atomic_store_n((ptr), (v), __ATOMIC_RELEASE)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

/* Two machine words updated together. */
typedef union {
	struct {
		void *first;
		unsigned long second;
	};
	unsigned __int128 full;
} __attribute__((aligned(16))) double_word_t;

/* Whether the platform was configured with a hardware double-word cmpxchg. */
bool system_has_freelist_aba(void);

/* Compare {ptr->first, ptr->second} with *old; if equal store *new and return true,
 * else store the current value into *old and return false. Only valid when
 * system_has_freelist_aba(). */
bool cmpxchg_double_word(double_word_t *ptr, double_word_t *old, double_word_t new_val);
/* Atomic 16-byte snapshot, consistent with cmpxchg_double_word(). */
double_word_t read_double_word(double_word_t *ptr);

#endif
