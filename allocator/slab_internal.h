/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal definitions of the reference allocator (the kernel's mm/slab.h plus the parts
 * of mm/slub.c that slab_common.c needs). Kernel 7.0 "sheaves for all" layout: no
 * kmem_cache_cpu, every cache has cpu_sheaves, caches with sheaf_capacity 0 point every
 * CPU's main at the static bootstrap sheaf.
 */
#ifndef SLAB_INTERNAL_H
#define SLAB_INTERNAL_H

#include "slab.h"
#include "slab_introspect.h"
#include "bugs.h"

/* struct slab overlays page->slab[] of the head page, as the kernel overlays struct page. */
struct slab {
	double_word_t freelist_counters;	/* {freelist, counters}: one double-word cmpxchg */
	struct kmem_cache *slab_cache;
	struct list_head slab_list;		/* node partial list (or full list for debug) */
	unsigned long flags;			/* SL_* bits, atomic */
	struct rcu_head rcu_head;		/* SLAB_TYPESAFE_BY_RCU deferred page free */
	struct list_head all_list;		/* kmem_cache.all_slabs: introspection only */
	/* introspection only: where the last walk of validate_slab_cache() listed it, so the
	 * walk finds a slab without sorting its slabs by address */
	unsigned int walk_mark;
};
#define SL_locked	0	/* slab_lock() when there is no double-word cmpxchg */
#define SL_partial	1	/* on the node partial list */
#define SL_rcu_free	2	/* discarded, pages freed after a grace period (TYPESAFE_BY_RCU) */
#define SL_pfmemalloc	3	/* its pages came from the reserves */

/* counters: inuse:16, objects:15, frozen:1 */
#define SLAB_INUSE(c)	((unsigned int)((c) & 0xffff))
#define SLAB_OBJECTS(c)	((unsigned int)(((c) >> 16) & 0x7fff))
#define SLAB_FROZEN(c)	((unsigned int)(((c) >> 31) & 1))
#define SLAB_COUNTERS(inuse, objects, frozen) \
	((unsigned long)(inuse) | ((unsigned long)(objects) << 16) | ((unsigned long)(frozen) << 31))

_Static_assert(sizeof(struct slab) <= sizeof(((struct page *)0)->slab),
	       "struct slab must fit the page descriptor's overlay area");

static inline struct slab *page_slab(struct page *page)
{
	return (struct slab *)page->slab;
}
static inline struct page *slab_page(const struct slab *slab)
{
	return container_of((unsigned long (*)[PAGE_OVERLAY_WORDS])slab, struct page, slab);
}
static inline void *slab_address(const struct slab *slab)
{
	return page_address(slab_page(slab));
}
static inline int slab_nid(const struct slab *slab)
{
	return page_to_nid(slab_page(slab));
}
static inline unsigned int slab_order(const struct slab *slab)
{
	return slab_page(slab)->order;
}
/* NULL for any pointer that is not inside a slab. */
static inline struct slab *virt_to_slab(const void *addr)
{
	struct page *page = virt_to_page(addr);

	if (!page)
		return NULL;
	page = compound_head(page);
	if (!(READ_ONCE(page->flags) & PG_slab))
		return NULL;
	return page_slab(page);
}

struct slab_sheaf {
	union {
		struct rcu_head rcu_head;	/* queued to call_rcu */
		struct list_head barn_list;	/* in a barn */
	};
	/* The kernel keeps capacity only while a sheaf is lent out (union with the above);
	 * we keep it always so validation can check size <= capacity everywhere. */
	unsigned int capacity;
	bool pfmemalloc;
	bool oversize;			/* prefilled sheaf bigger than sheaf_capacity */
	struct list_head prefill_list;	/* while lent out: introspection only */
	struct kmem_cache *cache;	/* NULL for the bootstrap sheaf */
	unsigned int size;
	int node;			/* full rcu_free sheaf: barn it returns to */
	void *objects[];
};

struct node_barn {
	spinlock_t lock;
	struct list_head sheaves_full;
	struct list_head sheaves_empty;
	unsigned int nr_full;
	unsigned int nr_empty;
};
#define MAX_FULL_SHEAVES	10
#define MAX_EMPTY_SHEAVES	10

struct kmem_cache_node {
	spinlock_t list_lock;
	unsigned long nr_partial;
	struct list_head partial;
	long nr_slabs;			/* atomic */
	long total_objects;		/* atomic */
	struct list_head full;		/* debug caches only */
	struct node_barn *barn;		/* ≤7.0: barn hangs off the node */
};

struct slub_percpu_sheaves {
	local_trylock_t lock;
	struct slab_sheaf *main;	/* never NULL when unlocked */
	struct slab_sheaf *spare;	/* NULL, empty, full, or partial after return_sheaf */
	struct slab_sheaf *rcu_free;	/* kfree_rcu batching */
} __attribute__((aligned(64)));

struct kmem_cache_stats {
	unsigned long stat[NR_SLUB_STAT_ITEMS];
} __attribute__((aligned(64)));

/* kfree_nolock() deferred frees, per CPU (the kernel's defer_free_objects llist). */
struct defer_free {
	void *head;			/* objects chained through their free pointer */
	struct kmem_cache *cache_of_head;
};

struct kmem_cache {
	struct slub_percpu_sheaves *cpu_sheaves;
	unsigned int sheaf_capacity;
	slab_flags_t flags;
	unsigned int min_partial;
	unsigned int size;		/* stride incl. metadata */
	unsigned int object_size;	/* user-visible size */
	unsigned int offset;		/* free pointer offset */
	unsigned int inuse;		/* offset to metadata */
	unsigned int align;
	unsigned int oo_order, oo_objects;	/* preferred slab order and objects */
	unsigned int min_order, min_objects;	/* fallback order */
	int refcount;
	void (*ctor)(void *object);
	char name[48];
	struct list_head list;		/* slab_caches */
	unsigned int useroffset, usersize;
	struct kasan_cache kasan_info;
	struct kmem_cache_stats *cpu_stats;
	struct kmem_cache_node *node[MAX_NUMNODES];
	/* Introspection bookkeeping, not in the kernel: lets validate_slab_cache() account
	 * for every object without walking rcu callback queues. */
	spinlock_t prefill_lock;
	struct list_head prefilled;	/* lent-out sheaves */
	int all_slabs_lock;		/* plain spin bit: also taken from kmalloc_nolock() */
	struct list_head all_slabs;	/* every slab of the cache, in allocation order */
	long sheaves_alive;		/* atomic: SHEAF_ALLOC - SHEAF_FREE for this cache */
	long rcu_sheaves_in_flight;	/* atomic */
	long rcu_objects_in_flight;	/* atomic */
	long deferred_objects;		/* atomic */
	bool leaked;			/* shutdown failed: the cache is leaked on purpose */
};

static inline struct kmem_cache_node *get_node(const struct kmem_cache *s, int node)
{
	return s->node[node];
}
#define for_each_kmem_cache_node(s, nid, n) \
	for ((nid) = 0; (nid) < (int)nr_node_ids; (nid)++) if (!((n) = get_node(s, nid))) {} else

static inline bool cache_has_sheaves(const struct kmem_cache *s)
{
	return s->sheaf_capacity != 0;
}

static inline void stat(const struct kmem_cache *s, enum stat_item si)
{
	atomic_inc(&per_cpu_ptr(s->cpu_stats, smp_processor_id())->stat[si]);
}
static inline void stat_add(const struct kmem_cache *s, enum stat_item si, unsigned long v)
{
	atomic_add(&per_cpu_ptr(s->cpu_stats, smp_processor_id())->stat[si], v);
}

/* Global state (slab_common.c). */
extern struct list_head slab_caches;
extern struct kmem_cache *kmalloc_caches[KMALLOC_SHIFT_HIGH + 2];
extern struct defer_free defer_free_objects[MAX_CPUS];
/* Protects slab_caches (cache create/destroy/shrink walks); kmem_cache_init() reinitialises
 * it, since a BUG longjmp in the previous program may have left it held. */
extern struct mutex slab_mutex;

/* slub.c entry points used by slab_common.c and the introspection code. */
int do_kmem_cache_create(struct kmem_cache *s, const char *name, unsigned int size,
			 struct kmem_cache_args *args, slab_flags_t flags);
int __kmem_cache_shutdown(struct kmem_cache *s);
bool __kmem_cache_empty(struct kmem_cache *s);
void __kmem_cache_release(struct kmem_cache *s);
int __kmem_cache_shrink(struct kmem_cache *s);
void flush_all_rcu_sheaves(void);
void flush_rcu_sheaves_on_cache(struct kmem_cache *s);
bool __kfree_rcu_sheaf(struct kmem_cache *s, void *obj);
void slab_free_after_rcu(struct kmem_cache *s, void *obj);
void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node, size_t orig_size);
void slab_free(struct kmem_cache *s, struct slab *slab, void *object);
void slab_free_nolock(struct kmem_cache *s, struct slab *slab, void *object);
void *kmalloc_nolock_noprof(size_t size, gfp_t gfp, int node);
unsigned int calculate_sheaf_capacity(struct kmem_cache *s, struct kmem_cache_args *args);
void *nearest_obj(struct kmem_cache *s, struct slab *slab, const void *x);
unsigned int obj_to_index(const struct kmem_cache *s, const struct slab *slab, const void *obj);
void *get_freepointer(struct kmem_cache *s, void *object);
struct slab *virt_to_slab_checked(const void *x, const char *func);

#endif
