/* SPDX-License-Identifier: GPL-2.0 */
/*
 * slabtorture's reference allocator: the public API, with the kernel's names
 * (include/linux/slab.h of Linux 7.0, the subset a SLUB-with-sheaves user sees).
 *
 * Before use: platform_init() (platform.h) then kmem_cache_init(). slab_reset() tears the
 * whole allocator down for the next program (fuzzers), reclaiming leaked caches too.
 */
#ifndef SLAB_H
#define SLAB_H

#include "platform.h"

typedef unsigned int slab_flags_t;
#define SLAB_CONSISTENCY_CHECKS	0x00000100u
#define SLAB_RED_ZONE		0x00000400u
#define SLAB_POISON		0x00000800u
#define SLAB_KMALLOC		0x00001000u	/* internal: a kmalloc cache */
#define SLAB_HWCACHE_ALIGN	0x00002000u
#define SLAB_NO_MERGE		0x01000000u
#define SLAB_STORE_USER		0x00010000u
#define SLAB_PANIC		0x00040000u
#define SLAB_TYPESAFE_BY_RCU	0x00080000u
#define SLAB_NOLEAKTRACE	0x00800000u
#define SLAB_NO_USER_FLAGS	0x10000000u
#define SLAB_DEBUG_FLAGS	(SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_CONSISTENCY_CHECKS)

#define ARCH_KMALLOC_MINALIGN	8
#define L1_CACHE_BYTES		64

struct kmem_cache;
struct slab_sheaf;

struct kmem_cache_args {
	unsigned int align;
	unsigned int useroffset;	/* ignored */
	unsigned int usersize;		/* ignored, but makes the cache unmergeable as in 7.0 */
	unsigned int freeptr_offset;
	bool use_freeptr_offset;
	void (*ctor)(void *object);
	unsigned int sheaf_capacity;	/* 0: automatic (7.0 "sheaves for all") */
};

void kmem_cache_init(void);
void slab_reset(void);

/* The allocator's fault-injection site: allocation of an empty sheaf (alloc_empty_sheaf).
 * kmem_cache_init() registers it with the platform (fault_site_register("sheaf_alloc"));
 * -1 before that, which fault.h's calls ignore. Arm it with fault_fail_next() etc. */
extern int slab_fault_sheaf_alloc;
#define FAULT_SHEAF_ALLOC	slab_fault_sheaf_alloc

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     struct kmem_cache_args *args, slab_flags_t flags);
void kmem_cache_destroy(struct kmem_cache *s);
int kmem_cache_shrink(struct kmem_cache *s);
const char *kmem_cache_name(const struct kmem_cache *s);
unsigned int kmem_cache_size(const struct kmem_cache *s);	/* object_size */

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node);
void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp);
void kmem_cache_free(struct kmem_cache *s, void *x);
int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t size, void **p);
void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p);

#define KMALLOC_SHIFT_LOW	3
#define KMALLOC_SHIFT_HIGH	13			/* largest kmalloc cache: 8 KiB */
#define KMALLOC_MAX_CACHE_SIZE	(1UL << KMALLOC_SHIFT_HIGH)
void *kmalloc(size_t size, gfp_t gfp);
void *kmalloc_node(size_t size, gfp_t gfp, int node);
void *kzalloc(size_t size, gfp_t gfp);
void kfree(const void *p);
size_t ksize(const void *p);
/* Any context, NMI included; gfp ⊆ {__GFP_ZERO, __GFP_ACCOUNT, __GFP_NO_OBJ_EXT}. */
void *kmalloc_nolock(size_t size, gfp_t gfp, int node);
void kfree_nolock(const void *p);
/* Run the current CPU's deferred kfree_nolock() frees (the irq_work). */
void run_deferred_frees(int cpu);
/* Wait for every CPU's deferred frees (defer_free_barrier). */
void defer_free_barrier(void);
/* The kmalloc cache of a size, created on first use (not in interrupt context); NULL beyond
 * KMALLOC_MAX_CACHE_SIZE. _lookup never creates one. */
struct kmem_cache *kmalloc_cache_for(size_t size);
struct kmem_cache *kmalloc_cache_lookup(size_t size);

/* kfree_rcu: `head` lies inside the object pointed to by `ptr`. */
void kvfree_call_rcu(struct rcu_head *head, void *ptr);
#define kfree_rcu(ptr, field)	kvfree_call_rcu(&(ptr)->field, (void *)(ptr))
void kvfree_rcu_barrier(void);
void kvfree_rcu_barrier_on_cache(struct kmem_cache *s);

/* Prefilled sheaves (the maple tree's guaranteed allocations). */
struct slab_sheaf *kmem_cache_prefill_sheaf(struct kmem_cache *s, gfp_t gfp, unsigned int size);
int kmem_cache_refill_sheaf(struct kmem_cache *s, gfp_t gfp, struct slab_sheaf **sheafp,
			    unsigned int size);
void *kmem_cache_alloc_from_sheaf(struct kmem_cache *s, gfp_t gfp, struct slab_sheaf *sheaf);
void kmem_cache_return_sheaf(struct kmem_cache *s, gfp_t gfp, struct slab_sheaf *sheaf);
unsigned int kmem_cache_sheaf_size(struct slab_sheaf *sheaf);

/* CPU hotplug callbacks (registered by kmem_cache_init). */
int slub_cpu_setup(unsigned int cpu);
int slub_cpu_dead(unsigned int cpu);

#endif
