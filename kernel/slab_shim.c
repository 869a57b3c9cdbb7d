// SPDX-License-Identifier: GPL-2.0
/*
 * The client half of the kernel-test shim: the slab interface of the kernel's userspace
 * mock (tools/testing/shared/linux.c and tools/lib/slab.c), backed by slabtorture's
 * reference allocator instead of malloc. Compiled with the kernel's own CFLAGS and tools/
 * headers, as the file it replaces; it reaches the allocator only through kt_bridge.h.
 *
 * What stays the mock's: the semantics the suites' assertions depend on.
 * - kmem_cache_set_non_kernel(): a non-blocking allocation (no __GFP_DIRECT_RECLAIM) fails
 *   unless the cache's non_kernel budget allows it, and the failure arms the cache's
 *   callback for the next allocation. The decision is the shim's (our fault sites lie
 *   below the sheaf fast path: they cannot make every such call fail); each refusal is
 *   counted at the fault site "non_kernel" and the allocator is not called.
 * - nr_allocated (a variable the suites read), kmem_cache_nr_tallocated() and
 *   kmem_cache_get_alloc() are the shim's counters; kmem_cache_nr_allocated() is the
 *   allocator's own answer (a walk of every slab and sheaf, slab_count_objects()),
 *   checked against the shim's count (a difference is a KT_COUNT report).
 * - test_kmem_cache_bulk() (maple's self-test of the mock) checked the mock's private
 *   free list; here it checks the same calls against the allocator's counts.
 * linux.c's non-slab part (nr_allocated, preempt_count, test_verbose) stays the kernel's:
 * kernel/kshim.mk weakens the mock's definitions and links the shim over them.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <pthread.h>
#include <assert.h>

#include <linux/gfp.h>
#include <linux/poison.h>
#include <linux/slab.h>
#include <linux/radix-tree.h>
#include <urcu/uatomic.h>
#include <urcu.h>

#include "kt_bridge.h"

/* The mock's counters stay the kernel's definitions (linux.c, tools/lib/slab.c): the shim
 * updates them as the mock does. (Defining them here too would be two definitions of one
 * global: ASan's ODR check rejects that, weak or not.) */
extern int nr_allocated;
extern int kmalloc_nr_allocated;
extern int kmalloc_verbose;

struct kmem_cache {
	struct kt_cache *real;
	const char *name;
	unsigned int size;
	unsigned int align;
	void (*ctor)(void *);
	pthread_mutex_t lock;		/* non_kernel and the callback state */
	unsigned int non_kernel;
	unsigned long nr_allocated;
	unsigned long nr_tallocated;
	bool exec_callback;
	void (*callback)(void *);
	void *private;
};

static unsigned int kt_gfp(gfp_t gfp)
{
	unsigned int g = 0;

	if (gfp & __GFP_DIRECT_RECLAIM)
		g |= KT_GFP_DIRECT_RECLAIM;
	if (gfp & __GFP_KSWAPD_RECLAIM)
		g |= KT_GFP_KSWAPD_RECLAIM;
	if (gfp & __GFP_ZERO)
		g |= KT_GFP_ZERO;
	if (gfp & __GFP_NOWARN)
		g |= KT_GFP_NOWARN;
	if (gfp & __GFP_NORETRY)
		g |= KT_GFP_NORETRY;
	if (gfp & __GFP_NOFAIL)
		g |= KT_GFP_NOFAIL;
	if (gfp & __GFP_HIGH)
		g |= KT_GFP_HIGH;
	if (gfp & __GFP_ACCOUNT)
		g |= KT_GFP_ACCOUNT;
	return g;
}

void kmem_cache_set_callback(struct kmem_cache *cachep, void (*callback)(void *))
{
	cachep->callback = callback;
}

void kmem_cache_set_private(struct kmem_cache *cachep, void *private)
{
	cachep->private = private;
}

void kmem_cache_set_non_kernel(struct kmem_cache *cachep, unsigned int val)
{
	pthread_mutex_lock(&cachep->lock);
	cachep->non_kernel = val;
	pthread_mutex_unlock(&cachep->lock);
}

unsigned long kmem_cache_get_alloc(struct kmem_cache *cachep)
{
	return cachep->size * uatomic_read(&cachep->nr_allocated);
}

/* The allocator's count of objects users own (falls back to the shim's count when the
 * allocator cannot be walked: a call from inside a ctor or callback). */
unsigned long kmem_cache_nr_allocated(struct kmem_cache *cachep)
{
	long n = kt_allocated(cachep->real);

	return n >= 0 ? (unsigned long)n : uatomic_read(&cachep->nr_allocated);
}

unsigned long kmem_cache_nr_tallocated(struct kmem_cache *cachep)
{
	return cachep->nr_tallocated;
}

void kmem_cache_zero_nr_tallocated(struct kmem_cache *cachep)
{
	cachep->nr_tallocated = 0;
}

/* The mock's non_kernel rule for `n` objects: how many may be allocated (all or 0 for
 * bulk, which the mock fails as a whole). */
static bool non_kernel_allows(struct kmem_cache *cachep, gfp_t gfp, size_t n, bool single)
{
	bool ok = true;

	if (gfp & __GFP_DIRECT_RECLAIM)
		return true;
	pthread_mutex_lock(&cachep->lock);
	for (size_t i = 0; i < n; i++) {
		if (!cachep->non_kernel) {
			ok = false;
			if (single)
				cachep->exec_callback = true;
			break;
		}
		cachep->non_kernel--;
	}
	pthread_mutex_unlock(&cachep->lock);
	if (!ok)
		kt_non_kernel_fail();
	return ok;
}

static void count_alloc(struct kmem_cache *cachep, size_t n)
{
	uatomic_add(&cachep->nr_allocated, n);
	uatomic_add(&nr_allocated, n);
	uatomic_add(&cachep->nr_tallocated, n);
	kt_count(cachep->real, (long)n);
}

static void count_free(struct kmem_cache *cachep, size_t n)
{
	uatomic_sub(&nr_allocated, n);
	uatomic_sub(&cachep->nr_allocated, n);
	kt_count(cachep->real, -(long)n);
}

void *kmem_cache_alloc_lru(struct kmem_cache *cachep, struct list_lru *lru, int gfp)
{
	void *p;

	if (cachep->exec_callback) {
		if (cachep->callback)
			cachep->callback(cachep->private);
		cachep->exec_callback = false;
	}
	if (!non_kernel_allows(cachep, gfp, 1, true))
		return NULL;
	p = kt_alloc(cachep->real, kt_gfp(gfp));
	if (!p)
		return NULL;
	count_alloc(cachep, 1);
	if (kmalloc_verbose)
		printf("Allocating %p from slab\n", p);
	return p;
}

void kmem_cache_free(struct kmem_cache *cachep, void *objp)
{
	assert(objp);
	count_free(cachep, 1);
	if (kmalloc_verbose)
		printf("Freeing %p to slab\n", objp);
	kt_free(cachep->real, objp);
}

void kmem_cache_free_locked(struct kmem_cache *cachep, void *objp)
{
	kmem_cache_free(cachep, objp);
}

void kmem_cache_free_bulk(struct kmem_cache *cachep, size_t size, void **list)
{
	if (kmalloc_verbose)
		pr_debug("Bulk free %p[0-%zu]\n", list, size - 1);
	count_free(cachep, size);
	kt_free_bulk(cachep->real, size, list);
}

void kmem_cache_shrink(struct kmem_cache *cachep)
{
	kt_shrink(cachep->real);
}

int kmem_cache_alloc_bulk(struct kmem_cache *cachep, gfp_t gfp, size_t size, void **p)
{
	int got;

	if (kmalloc_verbose)
		pr_debug("Bulk alloc %zu\n", size);
	if (!non_kernel_allows(cachep, gfp, size, false))
		return 0;
	got = kt_alloc_bulk(cachep->real, kt_gfp(gfp), size, p);
	if (got <= 0)
		return 0;
	count_alloc(cachep, (size_t)got);
	if (kmalloc_verbose)
		for (int i = 0; i < got; i++)
			printf("Allocating %p from slab\n", p[i]);
	return got;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     unsigned int flags, void (*ctor)(void *))
{
	struct kmem_cache *ret = calloc(1, sizeof(*ret));

	if (!ret)
		return NULL;
	pthread_mutex_init(&ret->lock, NULL);
	ret->name = name;
	ret->size = size;
	ret->align = align;
	ret->ctor = ctor;
	/* the kernel's tools SLAB_* values are not ours: only the alignment matters here */
	ret->real = kt_cache_create(name, size, align, 0, ctor);
	if (!ret->real) {
		if (flags & SLAB_PANIC) {
			fprintf(stderr, "kmem_cache_create(%s, %u, %u) failed\n", name, size, align);
			abort();
		}
		free(ret);
		return NULL;
	}
	return ret;
}

void kmem_cache_destroy(struct kmem_cache *cachep)
{
	if (!cachep)
		return;
	kt_destroy(cachep->real);
	free(cachep);
}

/* maple.c's self-test of the mock's bulk paths; here: against the allocator's counts. */
void test_kmem_cache_bulk(void)
{
	int i;
	void *list[12];
	static struct kmem_cache *test_cache, *test_cache2;

	test_cache = kmem_cache_create("test_cache", 256, 0, SLAB_PANIC, NULL);
	for (i = 0; i < 5; i++)
		list[i] = kmem_cache_alloc(test_cache, __GFP_DIRECT_RECLAIM);
	assert(kmem_cache_nr_allocated(test_cache) == 5);
	for (i = 0; i < 5; i++)
		kmem_cache_free(test_cache, list[i]);
	assert(kmem_cache_nr_allocated(test_cache) == 0);

	assert(kmem_cache_alloc_bulk(test_cache, __GFP_DIRECT_RECLAIM, 5, list) == 5);
	assert(kmem_cache_nr_allocated(test_cache) == 5);
	kmem_cache_free_bulk(test_cache, 5, list);
	assert(kmem_cache_nr_allocated(test_cache) == 0);

	for (i = 0; i < 12; i++)
		list[i] = kmem_cache_alloc(test_cache, __GFP_DIRECT_RECLAIM);
	for (i = 0; i < 12; i++)
		kmem_cache_free(test_cache, list[i]);
	assert(kmem_cache_nr_allocated(test_cache) == 0);

	test_cache2 = kmem_cache_create("test_cache2", 128, 128, SLAB_PANIC, NULL);
	assert(kmem_cache_alloc_bulk(test_cache2, __GFP_DIRECT_RECLAIM, 10, list) == 10);
	for (i = 0; i < 10; i++)
		assert(((unsigned long)list[i] & 127) == 0);
	kmem_cache_free_bulk(test_cache2, 10, list);
	assert(kmem_cache_nr_allocated(test_cache2) == 0);
}

/* tools/lib/slab.c: kmalloc() fails without __GFP_DIRECT_RECLAIM, as the mock's does. */
void *kmalloc(size_t size, gfp_t gfp)
{
	void *ret;

	if (!(gfp & __GFP_DIRECT_RECLAIM))
		return NULL;
	ret = kt_kmalloc(size, kt_gfp(gfp));
	if (!ret)
		return NULL;
	uatomic_inc(&kmalloc_nr_allocated);
	if (kmalloc_verbose)
		printf("Allocating %p from malloc\n", ret);
	return ret;
}

void kfree(void *p)
{
	if (!p)
		return;
	uatomic_dec(&kmalloc_nr_allocated);
	if (kmalloc_verbose)
		printf("Freeing %p to malloc\n", p);
	kt_kfree(p);
}

#ifdef KT_HAVE_SHEAVES
/* The prefilled-sheaf API (Linux 6.18+ mock, used by the maple tree). */
struct slab_sheaf *kmem_cache_prefill_sheaf(struct kmem_cache *s, gfp_t gfp, unsigned int size)
{
	return kt_prefill_sheaf(s->real, kt_gfp(gfp), size);
}

int kmem_cache_refill_sheaf(struct kmem_cache *s, gfp_t gfp, struct slab_sheaf **sheafp,
			    unsigned int size)
{
	return kt_refill_sheaf(s->real, kt_gfp(gfp), (void **)sheafp, size);
}

void *kmem_cache_alloc_from_sheaf_noprof(struct kmem_cache *s, gfp_t gfp, struct slab_sheaf *sheaf)
{
	void *p = kt_alloc_from_sheaf(s->real, kt_gfp(gfp), sheaf);

	if (p)
		count_alloc(s, 1);
	return p;
}

void kmem_cache_return_sheaf(struct kmem_cache *s, gfp_t gfp, struct slab_sheaf *sheaf)
{
	kt_return_sheaf(s->real, kt_gfp(gfp), sheaf);
}

unsigned int kmem_cache_sheaf_size(struct slab_sheaf *sheaf)
{
	return kt_sheaf_size(sheaf);
}
#endif

/*
 * One liburcu registration per thread, shared by the client and our RCU backend: the link
 * wraps urcu_memb_(un)register_thread (kernel/kshim.mk) and counts. liburcu itself would
 * corrupt its registry on a second registration of a thread.
 */
void __real_urcu_memb_register_thread(void);
void __real_urcu_memb_unregister_thread(void);
void __wrap_urcu_memb_register_thread(void);
void __wrap_urcu_memb_unregister_thread(void);
static __thread int kt_urcu_refs;

void __wrap_urcu_memb_register_thread(void)
{
	if (kt_urcu_refs++ == 0)
		__real_urcu_memb_register_thread();
}

void __wrap_urcu_memb_unregister_thread(void)
{
	if (kt_urcu_refs > 0 && --kt_urcu_refs == 0)
		__real_urcu_memb_unregister_thread();
}
