/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KASAN emulation: per-object shadow state, ASan poisoning, and the generic-KASAN
 * quarantine of mm/kasan/quarantine.c.
 *
 * Every object carries metadata after its payload (reserved by kasan_cache_create(), as
 * generic KASAN adds alloc/free meta): its shadow state, alloc and free tracks, and the
 * quarantine link. The state is kept in every build and with KASAN on or off, so double
 * and invalid frees are always reported, never silently accepted. With KASAN emulation on
 * (the default), frees are quarantined: kasan_slab_free() returns true and the object
 * goes back to its slab only when the quarantine is reduced or drained, through the
 * release callback (the kernel's qlink_free -> ___cache_free -> __slab_free, bypassing
 * sheaves). In ASan builds objects not in the ALLOCATED state are poisoned.
 *
 * Quarantine structure as in the kernel: per-CPU queues; a CPU queue over its per-CPU
 * budget moves to the global ring of batches; kasan_quarantine_reduce() frees the oldest
 * batch while the total is over the budget; kasan_quarantine_remove_cache() frees one
 * cache's objects from every queue; an offlined CPU's queue is freed.
 */
#ifndef PLATFORM_KASAN_H
#define PLATFORM_KASAN_H

#include "types.h"

enum kasan_state {
	KASAN_STATE_FREE = 0,		/* on a slab freelist, or never handed out */
	KASAN_STATE_ALLOCATED,		/* owned by a user */
	KASAN_STATE_IN_SHEAF,		/* cached in a sheaf (percpu, barn, prefilled) */
	KASAN_STATE_QUARANTINED,
	KASAN_STATE_RCU_PENDING,	/* kfree_rcu'd, grace period not over */
	KASAN_STATE_DEFERRED,		/* kfree_nolock deferred free list */
	NR_KASAN_STATES,
};
const char *kasan_state_name(enum kasan_state s);

struct kasan_track {
	int cpu;
	int task;
	long context;		/* report_context() when tracked (-1: none) */
};

/* Per-object metadata, placed at kasan_cache.meta_offset. */
struct kasan_obj_meta {
	u8 state;			/* enum kasan_state */
	struct kasan_track alloc_track;
	struct kasan_track free_track;
	void *quarantine_next;		/* metadata of the next quarantined object */
	struct kasan_cache *cache;	/* set while quarantined: whose release() frees it */
};

/* Per-cache KASAN info, embedded in struct kmem_cache. */
struct kasan_cache {
	const char *name;
	unsigned int object_size;	/* payload bytes poisoned/unpoisoned */
	unsigned int meta_offset;	/* offset of struct kasan_obj_meta from object start */
	bool typesafe_by_rcu;		/* freed objects stay accessible: no poison, no quarantine */
	/* Give an object back to its slab, bypassing sheaves (___cache_free). */
	void (*release)(struct kasan_cache *kc, void *object);
	unsigned long nr_quarantined;	/* this cache's objects currently in quarantine */
};

bool kasan_enabled(void);			/* emulation on (quarantine + poisoning) */
void kasan_init(bool enabled, size_t quarantine_bytes);	/* also resets */

/* At cache creation: reserve metadata after the payload; *size grows, stays word-aligned. */
void kasan_cache_create(struct kasan_cache *kc, const char *name, unsigned int object_size,
			unsigned int *size, bool typesafe_by_rcu,
			void (*release)(struct kasan_cache *kc, void *object));
static inline struct kasan_obj_meta *kasan_meta(const struct kasan_cache *kc, const void *obj)
{
	return (struct kasan_obj_meta *)((char *)obj + kc->meta_offset);
}

/* New slab: every object FREE and poisoned. Slab going away: unpoison the whole range. */
void kasan_poison_new_slab(struct kasan_cache *kc, void *objects_start, unsigned int stride,
			   unsigned int nr_objects);
void kasan_unpoison_pages(void *addr, size_t size);

/* Object handed to a user: state ALLOCATED, alloc track, payload unpoisoned. */
void kasan_slab_alloc(struct kasan_cache *kc, void *obj);
/* Validate a free of `obj`: reports DOUBLE_FREE (state not ALLOCATED and a known
 * object state) with the alloc/free tracks. Returns false if the free must be dropped. */
bool kasan_check_free(struct kasan_cache *kc, void *obj, const char *func);
/* The free hook proper (after kasan_check_free): records the free track, poisons, and
 * returns true if KASAN took the object into quarantine (the slab must not free it now).
 * no_quarantine: kfree_nolock; still_accessible: SLAB_TYPESAFE_BY_RCU. */
bool kasan_slab_free(struct kasan_cache *kc, void *obj, bool still_accessible,
		     bool no_quarantine);
/* State changes the allocator makes as objects move between places. */
void kasan_set_state(struct kasan_cache *kc, void *obj, enum kasan_state state);
static inline enum kasan_state kasan_get_state(const struct kasan_cache *kc, const void *obj)
{
	return (enum kasan_state)kasan_meta(kc, obj)->state;
}
/* An access by a user (the `read`/`write` ops): USE_AFTER_FREE unless ALLOCATED (or a
 * SLAB_TYPESAFE_BY_RCU object under rcu_read_lock). Returns whether it was valid. */
bool kasan_check_access(struct kasan_cache *kc, const void *obj, size_t size, bool write,
			const char *func);

void kasan_quarantine_reduce(void);
void kasan_quarantine_remove_cache(struct kasan_cache *kc);
/* kmem_cache_destroy step: the caller checks __kmem_cache_empty() first, as the kernel. */
void kasan_cache_shutdown(struct kasan_cache *kc);
void kasan_cache_shrink(struct kasan_cache *kc);
size_t kasan_quarantine_bytes(void);
unsigned long kasan_quarantine_objects(const struct kasan_cache *kc);	/* NULL: all */

#endif
