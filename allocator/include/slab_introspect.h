/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Read-only introspection of the reference allocator, for the model's end-state checks,
 * tests and the CLI. Nothing here changes allocator state except validate_slab_cache()'s
 * reports. Callers in concurrent contexts must hold what each function names.
 */
#ifndef SLAB_INTROSPECT_H
#define SLAB_INTROSPECT_H

#include "slab.h"

/* The kernel's enum stat_item (7.0 names), plus the 6.18 ALLOC_PCS/FREE_PCS aliases. */
enum stat_item {
	ALLOC_FASTPATH,		/* allocation from percpu sheaves */
	ALLOC_SLOWPATH,		/* allocation from partial or new slab */
	FREE_RCU_SHEAF,		/* kfree_rcu() into an rcu_free sheaf */
	FREE_RCU_SHEAF_FAIL,
	FREE_FASTPATH,		/* free to percpu sheaves */
	FREE_SLOWPATH,		/* user free bypassing sheaves */
	FREE_ADD_PARTIAL,
	FREE_REMOVE_PARTIAL,
	ALLOC_SLAB,
	ALLOC_NODE_MISMATCH,
	FREE_SLAB,
	ORDER_FALLBACK,
	CMPXCHG_DOUBLE_FAIL,
	SHEAF_FLUSH,		/* objects flushed from a sheaf to slabs */
	SHEAF_REFILL,		/* objects refilled into a sheaf */
	SHEAF_ALLOC,
	SHEAF_FREE,
	BARN_GET,
	BARN_GET_FAIL,
	BARN_PUT,
	BARN_PUT_FAIL,
	SHEAF_PREFILL_FAST,
	SHEAF_PREFILL_SLOW,
	SHEAF_PREFILL_OVERSIZE,
	SHEAF_RETURN_FAST,
	SHEAF_RETURN_SLOW,
	NR_SLUB_STAT_ITEMS,
};
#define ALLOC_PCS	ALLOC_FASTPATH
#define FREE_PCS	FREE_FASTPATH

const char *slab_stat_name(enum stat_item item);	/* sysfs name: "alloc_fastpath" */
unsigned long slab_stat(const struct kmem_cache *s, enum stat_item item);	/* sum over CPUs */
unsigned long slab_stat_cpu(const struct kmem_cache *s, enum stat_item item, int cpu);
unsigned int slab_sheaf_capacity(const struct kmem_cache *s);	/* 0: the cache has no sheaves */

struct slab_cache_info {
	const char *name;
	unsigned int object_size;	/* user-visible */
	unsigned int size;		/* stride incl. metadata */
	unsigned int align;
	unsigned int offset;		/* free pointer offset */
	unsigned int order;
	unsigned int objects_per_slab;
	unsigned int sheaf_capacity;
	unsigned int min_partial;
	slab_flags_t flags;
	int refcount;			/* aliases = refcount - 1 */
	bool has_ctor;
	unsigned long nr_slabs;		/* all nodes */
	unsigned long total_objects;
	unsigned long nr_partial;	/* all nodes */
	unsigned long objects_in_use;	/* sum of slab inuse: everything not on a slab freelist */
	unsigned long pages;		/* pages held by this cache's slabs */
	unsigned int barn_full;		/* sheaves in barns, all nodes */
	unsigned int barn_empty;
	unsigned long sheaves_alive;	/* sheaf structs owned by this cache (not prefilled-oversize) */
	unsigned long prefilled_out;	/* sheaves lent out by kmem_cache_prefill_sheaf */
	unsigned long rcu_sheaves_in_flight;	/* rcu_free sheaves handed to call_rcu, not yet run */
};
void slab_cache_info(const struct kmem_cache *s, struct slab_cache_info *info);

/* Where the objects of a cache are. Sum = total_objects. */
struct slab_object_counts {
	unsigned long on_freelist;	/* on a slab freelist */
	unsigned long in_pcs;		/* percpu main/spare sheaves */
	unsigned long in_rcu_free;	/* percpu rcu_free sheaves (not yet submitted) */
	unsigned long in_rcu_flight;	/* rcu_free sheaves submitted to call_rcu */
	unsigned long in_barn;
	unsigned long in_prefilled;	/* sheaves lent out */
	unsigned long quarantined;
	unsigned long deferred;		/* kfree_nolock deferred lists */
	unsigned long allocated;	/* owned by users */
};
void slab_count_objects(const struct kmem_cache *s, struct slab_object_counts *c);

/* Walks every slab and sheaf of the cache and checks: freelist length = objects - inuse,
 * freelist pointers inside the slab and not looping, partial-list membership and SL_partial
 * agree, nr_partial and per-node slab/object counters match, each object is in exactly
 * one place and its shadow state agrees with the place. Every finding is a SLAB_CORRUPT
 * report; returns the number of findings. Quiesced callers only (no concurrent ops). */
int validate_slab_cache(struct kmem_cache *s);
/* validate_slab_cache() and slab_count_objects() in one walk: the walk is most of a check's
 * cost, and both read the same places. */
int validate_slab_cache_counts(struct kmem_cache *s, struct slab_object_counts *c);
/* validate_slab_cache() for every cache; returns total findings. */
int validate_all_caches(void);

/* The cache an object pointer belongs to: NULL for any pointer outside a slab. */
struct kmem_cache *virt_to_cache(const void *x);
/* Start of the object that contains x, or NULL. */
void *slab_object_start(const void *x);
/* Whether x is in a slab made of reserve pages (SL_pfmemalloc). */
bool slab_object_pfmemalloc(const void *x);
/* Objects of a (lent) sheaf that are in reserve slabs. */
unsigned int slab_sheaf_pfmemalloc_objects(const struct slab_sheaf *sheaf);
struct kasan_cache *slab_kasan_info(struct kmem_cache *s);

/* Caches in creation order (kmalloc caches first); NULL past the end. */
struct kmem_cache *slab_cache_at(unsigned int i);
unsigned int slab_nr_caches(void);
/* The cache after prev in that order (the first for NULL), NULL after the last: a walk of
 * every cache in O(caches), where slab_cache_at() costs O(i) each. */
struct kmem_cache *slab_cache_next(const struct kmem_cache *prev);
#define for_each_slab_cache(s) for (s = slab_cache_next(NULL); s; s = slab_cache_next(s))
/* Pages held by all slabs; should equal pages_in_use() (platform). */
unsigned long slab_pages_total(void);

#endif
