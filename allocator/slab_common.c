// SPDX-License-Identifier: GPL-2.0
/*
 * Cache lifetime, merging, kmalloc and kfree_rcu (mm/slab_common.c of Linux 7.0).
 */
#include <stdio.h>
#include <string.h>
#include "slab_internal.h"
#include "sched_points.h"

struct list_head slab_caches = LIST_HEAD_INIT(slab_caches);
struct kmem_cache *kmalloc_caches[KMALLOC_SHIFT_HIGH + 2];
struct defer_free defer_free_objects[MAX_CPUS];
DEFINE_MUTEX(slab_mutex);
int slab_fault_sheaf_alloc = -1;

/* Set by kmem_cache_init(): the hotplug callbacks and kmalloc caches exist. */
static bool slab_initialized;

/* Flags that make a cache unmergeable (SLAB_NEVER_MERGE plus 7.0's additions). */
#define SLAB_NEVER_MERGE (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | \
			  SLAB_TYPESAFE_BY_RCU | SLAB_NOLEAKTRACE | SLAB_CONSISTENCY_CHECKS)
/* Flags that must agree for two caches to merge. */
#define SLAB_MERGE_SAME (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_HWCACHE_ALIGN)

static bool slab_args_unmergeable(struct kmem_cache_args *args, slab_flags_t flags)
{
	if (flags & (SLAB_NEVER_MERGE | SLAB_NO_MERGE))
		return true;
	if (args && (args->ctor || args->usersize))
		return true;
	return false;
}

static bool slab_unmergeable(struct kmem_cache *s)
{
	if (s->flags & (SLAB_NEVER_MERGE | SLAB_NO_MERGE))
		return true;
	if (s->ctor || s->usersize)
		return true;
	if (s->refcount < 0)	/* boot cache */
		return true;
	return false;
}

/* find_mergeable(): newest cache first, as the kernel scans slab_caches in reverse. */
static struct kmem_cache *find_mergeable(unsigned int size, slab_flags_t flags,
					 struct kmem_cache_args *args)
{
	struct kmem_cache *s;
	unsigned int align = args ? args->align : 0;

	if (slab_args_unmergeable(args, flags))
		return NULL;
	size = ALIGN(size, (unsigned int)sizeof(void *));
	align = max(align, (unsigned int)ARCH_KMALLOC_MINALIGN);
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = L1_CACHE_BYTES;

		while (size <= ralign / 2)
			ralign /= 2;
		align = max(align, ralign);
	}
	size = ALIGN(size, align);

	for (struct list_head *e = slab_caches.prev; e != &slab_caches; e = e->prev) {
		s = list_entry(e, struct kmem_cache, list);
		if (slab_unmergeable(s))
			continue;
		if (size > s->size)
			continue;
		if ((flags & SLAB_MERGE_SAME) != (s->flags & SLAB_MERGE_SAME))
			continue;
		/* the alias must fit the existing stride exactly enough */
		if ((s->size & ~(align - 1)) != s->size)
			continue;
		if (s->inuse - size >= sizeof(void *))
			continue;
		if (s->object_size < size && s->offset < size && s->offset >= s->object_size)
			continue;
		return s;
	}
	return NULL;
}

static struct kmem_cache *__kmem_cache_alias(const char *name, unsigned int size,
					     slab_flags_t flags, struct kmem_cache_args *args)
{
	struct kmem_cache *s = find_mergeable(size, flags, args);

	if (s) {
		s->refcount++;
		/* a larger alias widens the user-visible size */
		if (s->object_size < size) {
			s->object_size = size;
			s->kasan_info.object_size = size;
		}
	}
	return s;
}

static struct kmem_cache *create_cache(const char *name, unsigned int size,
				       struct kmem_cache_args *args, slab_flags_t flags)
{
	struct kmem_cache *s = platform_zalloc(sizeof(*s));

	if (do_kmem_cache_create(s, name, size, args, flags)) {
		platform_free(s);
		return NULL;
	}
	s->refcount = 1;
	list_add_tail(&s->list, &slab_caches);
	return s;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     struct kmem_cache_args *args, slab_flags_t flags)
{
	struct kmem_cache *s;

	if (!name || !size || size > (PAGE_SIZE << 3) - 64 ||
	    (args && args->align & (args->align - 1)) ||
	    (args && args->use_freeptr_offset &&
	     (!(flags & SLAB_TYPESAFE_BY_RCU) || args->freeptr_offset + sizeof(void *) > size ||
	      !IS_ALIGNED(args->freeptr_offset, sizeof(void *))))) {
		WARN(1, "kmem_cache_create(%s) failed with error -22", name ? name : "(null)");
		return NULL;
	}
	/* 7.0: an explicit sheaf capacity makes the cache unmergeable. */
	if (args && args->sheaf_capacity)
		flags |= SLAB_NO_MERGE;

	cpus_read_lock();
	mutex_lock(&slab_mutex);
	s = __kmem_cache_alias(name, size, flags, args);
	if (!s)
		s = create_cache(name, size, args, flags);
	mutex_unlock(&slab_mutex);
	cpus_read_unlock();
	return s;
}

const char *kmem_cache_name(const struct kmem_cache *s)
{
	return s->name;
}

unsigned int kmem_cache_size(const struct kmem_cache *s)
{
	return s->object_size;
}

/* ------------------------------------------------------------------------------------
 * kfree_rcu: the rcu_free sheaf first, the classic path (an rcu_head in the object) as
 * the fallback.
 */
/* objects on the classic path, waiting for their grace period */
static long classic_pending;

static void kvfree_rcu_cb(struct rcu_head *head)
{
	void *obj = slab_object_start(head);
	struct kmem_cache *s = virt_to_cache(obj);

	atomic_dec(&classic_pending);
	kasan_history(slab_kasan_info(s), obj, KASAN_EV_RCU_CB);
	slab_free_after_rcu(s, obj);
}

static bool kfree_rcu_sheaf(void *obj)
{
	struct kmem_cache *s;
	struct slab *slab = virt_to_slab(obj);

	if (!slab)
		return false;
	s = slab->slab_cache;
	if (!cache_has_sheaves(s))
		return false;
	/* 7.0: only objects of the local node go to the rcu_free sheaf */
	if (slab_nid(slab) != numa_mem_id())
		return false;
	return __kfree_rcu_sheaf(s, obj);
}

void kvfree_call_rcu(struct rcu_head *head, void *ptr)
{
	struct kmem_cache *s;
	struct slab *slab;

	if (!ptr)
		return;
	slab = virt_to_slab_checked(ptr, __func__);
	if (!slab)
		return;
	s = slab->slab_cache;
	/* validate before the object enters any batch: a double kfree_rcu is a double free */
	if (!kasan_check_free(slab_kasan_info(s), ptr, __func__))
		return;
	if (kfree_rcu_sheaf(ptr))
		return;

	/* classic batching: the object's own rcu_head, freed after a grace period */
	kasan_set_state(slab_kasan_info(s), ptr, KASAN_STATE_RCU_PENDING);
	kasan_history(slab_kasan_info(s), ptr, KASAN_EV_KFREE_RCU_CALL);
	atomic_inc(&classic_pending);
	call_rcu(head, kvfree_rcu_cb);
}

/*
 * Wait for the classic batches. The kernel drains each CPU's kfree_rcu_cpu and
 * flush_rcu_work()s it, which does an rcu_barrier() only when such work is pending: with
 * nothing on the classic path, no rcu_barrier() happens here. That is why the seed bug
 * needs its own rcu_barrier() after flush_rcu_sheaves_on_cache().
 */
static void __kvfree_rcu_barrier(void)
{
	if (atomic_read(&classic_pending))
		rcu_barrier();
}

void kvfree_rcu_barrier(void)
{
	flush_all_rcu_sheaves();
	sched_point(SP_kvfree_rcu_barrier_flushed);
	__kvfree_rcu_barrier();
}

void kvfree_rcu_barrier_on_cache(struct kmem_cache *s)
{
	if (cache_has_sheaves(s)) {
		if (SLAB_BUG(flush_rcu_no_cpus_lock)) {
			/* before 67ea9d353d0b: no hotplug protection */
			flush_rcu_sheaves_on_cache(s);
		} else {
			cpus_read_lock();
			flush_rcu_sheaves_on_cache(s);
			cpus_read_unlock();
		}
		sched_point(SP_kvfree_rcu_barrier_on_cache_flushed);
		/*
		 * The flush handed rcu_free sheaves to call_rcu(); wait for them before the
		 * destroy drains the KASAN quarantine (the seed bug dropped this).
		 */
		if (!SLAB_BUG(destroy_no_rcu_barrier))
			rcu_barrier();
		sched_point(SP_kvfree_rcu_barrier_on_cache_done);
	}
	__kvfree_rcu_barrier();
}

/* ------------------------------------------------------------------------------------
 * Destroy, in the exact 7.0 order.
 */
void kmem_cache_destroy(struct kmem_cache *s)
{
	int err;

	if (!s)
		return;

	/* in-flight kfree_rcu()'s (sheaves and classic) */
	kvfree_rcu_barrier_on_cache(s);
	sched_point(SP_destroy_after_kvfree_rcu_barrier);
	/* kfree_nolock() deferred frees */
	defer_free_barrier();
	sched_point(SP_destroy_before_lock);

	cpus_read_lock();
	mutex_lock(&slab_mutex);
	s->refcount--;
	if (s->refcount) {
		mutex_unlock(&slab_mutex);
		cpus_read_unlock();
		return;
	}

	/* free asan quarantined objects */
	sched_point(SP_destroy_before_kasan_shutdown);
	if (!__kmem_cache_empty(s))
		kasan_cache_shutdown(slab_kasan_info(s));
	sched_point(SP_destroy_before_shutdown);

	err = __kmem_cache_shutdown(s);
	if (err) {
		report_begin(REPORT_SLAB_LEAK, __func__, "%s %s: Slab cache still has objects",
			     __func__, s->name);
		report_detail("  cache: %s", s->name);
		report_end();
	}
	list_del(&s->list);
	mutex_unlock(&slab_mutex);
	cpus_read_unlock();
	sched_point(SP_destroy_after_unlock);

	if (err) {
		/* leaked on purpose: safer than a use-after-free of the cache */
		s->leaked = true;
		return;
	}
	if (s->flags & SLAB_TYPESAFE_BY_RCU)
		rcu_barrier();
	__kmem_cache_release(s);
	platform_free(s);
}

int kmem_cache_shrink(struct kmem_cache *s)
{
	kasan_cache_shrink(slab_kasan_info(s));
	return __kmem_cache_shrink(s);
}

/* ------------------------------------------------------------------------------------
 * kmalloc.
 */
static const unsigned int kmalloc_sizes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};

static unsigned int kmalloc_index(size_t size)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++)
		if (size <= kmalloc_sizes[i])
			return i;
	return ARRAY_SIZE(kmalloc_sizes);
}

struct kmem_cache *kmalloc_cache_lookup(size_t size)
{
	unsigned int idx = kmalloc_index(size ? size : 1);

	return idx < ARRAY_SIZE(kmalloc_sizes) ? __atomic_load_n(&kmalloc_caches[idx], __ATOMIC_ACQUIRE) :
						 NULL;
}

/*
 * The kernel creates every kmalloc cache at boot; we create each on first use so that
 * a fuzz program that never kmallocs does not pay for thirteen caches. The order in
 * which they appear is the program's, so still deterministic.
 */
struct kmem_cache *kmalloc_cache_for(size_t size)
{
	unsigned int idx = kmalloc_index(size ? size : 1);
	struct kmem_cache *s;
	char name[32];

	if (idx >= ARRAY_SIZE(kmalloc_sizes))
		return NULL;
	s = __atomic_load_n(&kmalloc_caches[idx], __ATOMIC_ACQUIRE);
	if (likely(s))
		return s;
	/* first use where the kernel could not sleep (an interrupt, an RCU reader, a spinlock
	 * held) cannot create a cache: it would take slab_mutex, which the kernel never does
	 * there (its kmalloc caches exist from boot); a reader waiting for slab_mutex held by
	 * a destroy that waits for the grace period would deadlock */
	if (in_interrupt() || rcu_read_lock_held() || !task_preemptible(current_task()))
		return NULL;
	mutex_lock(&slab_mutex);
	s = kmalloc_caches[idx];
	if (!s) {
		unsigned int sz = kmalloc_sizes[idx];
		/* power-of-two kmalloc objects are naturally aligned (create_kmalloc_cache) */
		struct kmem_cache_args args = { .align = (sz & (sz - 1)) ? 0 : sz };

		s = platform_zalloc(sizeof(*s));
		snprintf(name, sizeof(name), "kmalloc-%u", sz);
		if (do_kmem_cache_create(s, name, sz, &args, SLAB_KMALLOC)) {
			platform_free(s);
			s = NULL;
		} else {
			s->refcount = -1;	/* never merged into, never destroyed */
			list_add_tail(&s->list, &slab_caches);
			__atomic_store_n(&kmalloc_caches[idx], s, __ATOMIC_RELEASE);
		}
	}
	mutex_unlock(&slab_mutex);
	return s;
}

void *kmalloc_node(size_t size, gfp_t gfp, int node)
{
	struct kmem_cache *s;

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	s = kmalloc_cache_for(size);
	if (!s)
		return NULL;	/* large kmalloc (page allocator) is not emulated */
	return slab_alloc_node(s, gfp, node, size);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	return kmalloc_node(size, gfp, NUMA_NO_NODE);
}

void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp | __GFP_ZERO);
}

void kfree(const void *p)
{
	struct slab *slab;
	void *x = (void *)p;

	if (ZERO_OR_NULL_PTR(p))
		return;
	slab = virt_to_slab_checked(x, __func__);
	if (!slab)
		return;
	slab_free(slab->slab_cache, slab, x);
}

size_t ksize(const void *p)
{
	struct slab *slab;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	slab = virt_to_slab(p);
	if (WARN_ON(!slab))
		return 0;
	return slab->slab_cache->object_size;
}

void *kmalloc_nolock(size_t size, gfp_t gfp, int node)
{
	return kmalloc_nolock_noprof(size, gfp, node);
}

void kfree_nolock(const void *p)
{
	struct slab *slab;
	void *x = (void *)p;

	if (ZERO_OR_NULL_PTR(p))
		return;
	slab = virt_to_slab_checked(x, __func__);
	if (!slab)
		return;
	slab_free_nolock(slab->slab_cache, slab, x);
}

/* ------------------------------------------------------------------------------------
 * Boot and reset.
 */

#define SP_DESC(name, func, where) { "SP_" #name, func, where },
static const struct sched_point_desc slab_sched_point_table[] = {
	SLAB_SCHED_POINTS(SP_DESC)
};
#undef SP_DESC
_Static_assert(ARRAY_SIZE(slab_sched_point_table) == NR_SLAB_SCHED_POINTS,
	       "sched_points.h: table and enum disagree");

/* The allocator's points follow the platform's: SP_<name> is their registered id. */
void slab_sched_points_init(void)
{
	int base = sched_points_register(slab_sched_point_table,
					 (int)ARRAY_SIZE(slab_sched_point_table));

	BUG_ON(base != NR_PLATFORM_SCHED_POINTS);
}
void kmem_cache_init(void)
{
	/* the platform's lockdep_reset() forgot its class; a BUG may have left it held */
	__lock_init(&slab_mutex.c, "slab_mutex");
	if (slab_fault_sheaf_alloc < 0)
		slab_fault_sheaf_alloc = fault_site_register("sheaf_alloc");
	cpuhp_setup_state(CPUHP_SLUB_DEAD, "slub:dead", slub_cpu_setup, slub_cpu_dead);
	slab_sched_points_init();
	slab_initialized = true;
}

/*
 * Forget every cache. The memory (metadata heap, page arenas) is reclaimed by the next
 * platform_init(); with real RCU, callbacks still in flight must finish first.
 */
void slab_reset(void)
{
	if (slab_initialized && rcu_backend() == RCU_LIBURCU)
		rcu_barrier();
	INIT_LIST_HEAD(&slab_caches);
	memset(kmalloc_caches, 0, sizeof(kmalloc_caches));
	memset(defer_free_objects, 0, sizeof(defer_free_objects));
	classic_pending = 0;
	slab_initialized = false;
}
