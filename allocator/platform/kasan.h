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
	u32 history;			/* history slot + 1 (0: none), see kasan_history() */
	struct kasan_track alloc_track;
	struct kasan_track free_track;
	void *quarantine_next;		/* metadata of the next quarantined object */
	struct kasan_cache *cache;	/* set while quarantined: whose release() frees it */
};

/* One recorded event of an object history (see kasan_history() below). */
struct kasan_event_rec {
	unsigned long seq;		/* global event order, from 1 (0: none) */
	long context;			/* report_context() (-1: none) */
	const char *where;		/* the function that made the change */
	const char *task_name;
	int task;
	short cpu;
	short point;			/* sched point id, -1: none */
	u8 type;			/* enum kasan_event */
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
	/* kasan_cache_shutdown() ran (kmem_cache_destroy): later puts are named as such */
	bool shut_down;
	struct kasan_track shutdown_track;
	/* ... and, with history on, where in the event order: histories show it in place */
	struct kasan_event_rec shutdown_ev;
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


/*
 * Object histories: what KASAN's alloc/free/aux stacks give a kernel developer. Each
 * object's state changes (allocated from a sheaf or a slab, freed into main, kfree_rcu'd
 * into the rcu_free sheaf, sheaf detached, call_rcu queued, callback run, quarantined,
 * released, flushed...) are recorded with a global sequence number, the report context
 * (report_context(), "op N"), the CPU, the task and the last scheduling point it passed.
 * Reports about an object (double free, use-after-free, invalid free, the leak report of
 * __kmem_cache_shutdown) print its history.
 *
 * Off by default: with history off an event site costs one predictable branch (the inline
 * wrappers below). Replay is exact, so the CLI turns it on for the second run of a failing
 * program; fuzz targets leave it off. Bounded: the last KASAN_HISTORY_RING events of an
 * object, with a count of the older ones dropped, for up to KASAN_HISTORY_OBJECTS objects
 * (the slot of the object whose history started first is recycled beyond that). No
 * decision depends on an address: slots are handed out in event order.
 */
#define KASAN_HISTORY_RING	16
#define KASAN_HISTORY_OBJECTS	8192

enum kasan_event {
	KASAN_EV_ALLOC_SHEAF,		/* allocated from a percpu sheaf */
	KASAN_EV_ALLOC_SLAB,		/* allocated from its slab (no sheaf) */
	KASAN_EV_ALLOC_PREFILLED,	/* allocated from a prefilled sheaf */
	KASAN_EV_REFILL,		/* taken from its slab into a sheaf */
	KASAN_EV_FREE_MAIN,		/* freed into the main sheaf */
	KASAN_EV_FREE_SLAB,		/* freed to its slab, bypassing sheaves */
	KASAN_EV_KFREE_RCU_SHEAF,	/* kfree_rcu'd into the rcu_free sheaf */
	KASAN_EV_KFREE_RCU_CALL,	/* kfree_rcu'd through call_rcu (no sheaf) */
	KASAN_EV_RCU_SHEAF_FULL,	/* its rcu_free sheaf became full and was detached */
	KASAN_EV_RCU_SHEAF_DETACHED,	/* its rcu_free sheaf was detached by a flush */
	KASAN_EV_CALL_RCU,		/* call_rcu(rcu_free_sheaf) queued for its sheaf */
	KASAN_EV_CALL_RCU_NOBARN,	/* call_rcu(rcu_free_sheaf_nobarn) queued */
	KASAN_EV_RCU_CB,		/* the RCU callback ran for it */
	KASAN_EV_QUARANTINED,		/* taken into the KASAN quarantine */
	KASAN_EV_QUARANTINED_AFTER_SHUTDOWN, /* ... after kasan_cache_shutdown() of its cache */
	KASAN_EV_UNQUARANTINED,		/* released from the quarantine to its slab */
	KASAN_EV_SHEAF_FLUSHED,		/* flushed from a sheaf to its slab */
	KASAN_EV_SHEAF_TO_BARN,		/* its (full) sheaf was put into the barn */
	KASAN_EV_DEFERRED,		/* kfree_nolock deferred the free */
	KASAN_EV_DEFERRED_RUN,		/* the deferred free ran */
	KASAN_EV_CACHE_SHUTDOWN,	/* (per cache) kasan_cache_shutdown() drained it */
	NR_KASAN_EVENTS,
};
const char *kasan_event_name(enum kasan_event ev);

extern bool kasan_history_on;
static inline bool kasan_history_enabled(void)
{
	return __atomic_load_n(&kasan_history_on, __ATOMIC_RELAXED);
}
/* Turn recording on or off (off by default). Turning it on allocates the table once;
 * kasan_init() forgets every history but keeps the switch. */
void kasan_history_enable(bool on);

void __kasan_history_record(struct kasan_cache *kc, const void *obj, enum kasan_event ev,
			    const char *where);
void __kasan_history_record_objs(struct kasan_cache *kc, void *const *objs, unsigned int n,
				 enum kasan_event ev, const char *where);
/* The event sites: macros, so that with history off not even the arguments are
 * evaluated (one predictable branch). `where` is the function that made the change. */
#define kasan_history_at(kc, obj, ev, where) do {				\
	if (unlikely(kasan_history_enabled()))					\
		__kasan_history_record(kc, obj, ev, where);			\
} while (0)
/* An event of a whole sheaf (detached, call_rcu, callback...): one per object. */
#define kasan_history_objs_at(kc, objs, n, ev, where) do {			\
	if (unlikely(kasan_history_enabled()))					\
		__kasan_history_record_objs(kc, objs, n, ev, where);		\
} while (0)
#define kasan_history(kc, obj, ev)		kasan_history_at(kc, obj, ev, __func__)
#define kasan_history_objs(kc, objs, n, ev)	kasan_history_objs_at(kc, objs, n, ev, __func__)

/*
 * Copy out an object's history: up to `max` events, oldest first; *dropped is the number
 * of older events no longer kept. Returns the number copied (0: no history).
 */
unsigned int kasan_history_get(const struct kasan_cache *kc, const void *obj,
			       struct kasan_event_rec *out, unsigned int max,
			       unsigned long *dropped);
/* Add an object's history to the report being built (report_detail lines); nothing if
 * it has none. */
void kasan_report_history(const struct kasan_cache *kc, const void *obj);

#endif
