// SPDX-License-Identifier: GPL-2.0
/*
 * SLUB with per-CPU sheaves: the reference allocator.
 *
 * Follows mm/slub.c of Linux 7.0 ("sheaves for all"): function names and the split
 * between them are the kernel's so a kernel developer can diff behaviour. Where we
 * differ, a comment names the kernel function and says why.
 *
 * Lock order (kernel): cpu_hotplug_lock -> slab_mutex -> { pcs->lock (local trylock),
 * barn->lock, n->list_lock } -> slab_lock. barn->lock and list_lock never nest.
 *
 * Emulation notes:
 * - flush_all_cpus_locked() and flush_rcu_sheaves_on_cache() queue_work_on() a per-CPU
 *   work (slub_flush[]) to every online CPU and flush_work() them, as the kernel does: the
 *   work runs on its CPU (platform/workqueue.h: a scheduler's kworker fiber, else inline
 *   on a kworker task of that CPU) and flushes this_cpu_ptr(s->cpu_sheaves); work queued
 *   to a CPU that goes offline runs unbound, on another CPU.
 * - sched_point(SP_...) marks where the kernel may be preempted, migrated or interrupted
 *   between two steps others can observe (sched_points.h lists them); it compiles to
 *   nothing without SLAB_SCHED.
 * - Sheaves and node structures live on the platform metadata heap (mem.h), not in
 *   kmalloc caches, so the page arena holds only slab pages.
 * - Debug flags only disable sheaves (as in the kernel); red zones, poisoning and
 *   owner tracking are not emulated, KASAN's shadow state catches misuse instead.
 */
#include <stdio.h>
#include <string.h>
#include "slab_internal.h"
#include "sched_points.h"

#ifdef __SANITIZE_ADDRESS__
#define SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif

#define PCS_BATCH_MAX	32
#define MIN_PARTIAL	5
#define MAX_PARTIAL	10
#define SLUB_MAX_ORDER	3	/* PAGE_ALLOC_COSTLY_ORDER */
#define OO_SHIFT	16

static struct slab_sheaf bootstrap_sheaf;

/* ------------------------------------------------------------------------------------
 * Free pointers. They live inside free objects, which KASAN keeps poisoned; the kernel
 * builds slub.c without KASAN instrumentation for the same reason.
 */
#ifdef SLAB_ASAN
#define __no_kasan __attribute__((no_sanitize("address")))
#else
#define __no_kasan
#endif

__no_kasan void *get_freepointer(struct kmem_cache *s, void *object)
{
	return *(void **)((char *)object + s->offset);
}

__no_kasan static void set_freepointer(struct kmem_cache *s, void *object, void *fp)
{
	BUG_ON(object == fp);	/* naive detection of double free or corruption */
	*(void **)((char *)object + s->offset) = fp;
}

unsigned int obj_to_index(const struct kmem_cache *s, const struct slab *slab, const void *obj)
{
	return (unsigned int)(((const char *)obj - (const char *)slab_address(slab)) / s->size);
}

void *nearest_obj(struct kmem_cache *s, struct slab *slab, const void *x)
{
	unsigned int idx = obj_to_index(s, slab, x);
	unsigned int objects = SLAB_OBJECTS(slab->freelist_counters.second);

	if (idx >= objects)
		idx = objects - 1;
	return (char *)slab_address(slab) + (size_t)idx * s->size;
}

static inline unsigned int oo_objects_of(unsigned int order, unsigned int size)
{
	return (unsigned int)((PAGE_SIZE << order) / size);
}

/* ------------------------------------------------------------------------------------
 * slab->{freelist, counters} updates: double-word cmpxchg, or slab_lock() on machines
 * without it (platform_config.cmpxchg_double = false).
 */
static void slab_lock(struct slab *slab)
{
	while (__atomic_fetch_or(&slab->flags, BIT(SL_locked), __ATOMIC_ACQUIRE) & BIT(SL_locked))
		;
}

static void slab_unlock(struct slab *slab)
{
	__atomic_fetch_and(&slab->flags, ~BIT(SL_locked), __ATOMIC_RELEASE);
}

static inline bool slab_test_partial(struct slab *slab)
{
	return __atomic_load_n(&slab->flags, __ATOMIC_RELAXED) & BIT(SL_partial);
}

static inline void slab_set_partial(struct slab *slab)
{
	__atomic_fetch_or(&slab->flags, BIT(SL_partial), __ATOMIC_RELAXED);
}

static inline void slab_clear_partial(struct slab *slab)
{
	__atomic_fetch_and(&slab->flags, ~BIT(SL_partial), __ATOMIC_RELAXED);
}

static inline bool slab_test_pfmemalloc(const struct slab *slab)
{
	return __atomic_load_n(&slab->flags, __ATOMIC_RELAXED) & BIT(SL_pfmemalloc);
}

/* A slab of the reserves serves only allocations that may use the reserves. */
static inline bool pfmemalloc_match(const struct slab *slab, gfp_t gfp)
{
	if (unlikely(slab_test_pfmemalloc(slab)))
		return gfp_pfmemalloc_allowed(gfp);
	return true;
}

static inline double_word_t slab_read_fc(struct slab *slab)
{
	double_word_t v;

	if (system_has_freelist_aba())
		return read_double_word(&slab->freelist_counters);
	/* The slab_lock() fallback writer stores both words with WRITE_ONCE (bug B12 fix);
	 * a racy reader may see a torn pair, which every caller tolerates. */
	v.first = READ_ONCE(slab->freelist_counters.first);
	v.second = READ_ONCE(slab->freelist_counters.second);
	return v;
}

/* The kernel's __slab_update_freelist / slab_update_freelist. */
static bool slab_update_freelist(struct kmem_cache *s, struct slab *slab, double_word_t old,
				 double_word_t new)
{
	bool ok;

	if (system_has_freelist_aba()) {
		ok = cmpxchg_double_word(&slab->freelist_counters, &old, new);
	} else {
		slab_lock(slab);
		ok = slab->freelist_counters.first == old.first &&
		     slab->freelist_counters.second == old.second;
		if (ok) {
			WRITE_ONCE(slab->freelist_counters.first, new.first);
			WRITE_ONCE(slab->freelist_counters.second, new.second);
		}
		slab_unlock(slab);
	}
	if (!ok)
		stat(s, CMPXCHG_DOUBLE_FAIL);
	if (!ok)
		sched_point(SP_freelist_cmpxchg_retry);
	return ok;
}

/* ------------------------------------------------------------------------------------
 * Slab pages.
 */
static inline void inc_slabs_node(struct kmem_cache *s, int node, int objects)
{
	struct kmem_cache_node *n = get_node(s, node);

	atomic_inc(&n->nr_slabs);
	atomic_add(&n->total_objects, objects);
}

static inline void dec_slabs_node(struct kmem_cache *s, int node, int objects)
{
	struct kmem_cache_node *n = get_node(s, node);

	atomic_dec(&n->nr_slabs);
	atomic_sub(&n->total_objects, objects);
}

/*
 * A node to hold a slab for `node`: the node itself if it has a kmem_cache_node, else the
 * next node that has one (the page allocator's fallback for memoryless nodes).
 */
static int slab_alloc_nid(struct kmem_cache *s, int node)
{
	if (node == NUMA_NO_NODE)
		node = numa_mem_id();
	return node;
}

static struct slab *allocate_slab(struct kmem_cache *s, gfp_t flags, int node)
{
	unsigned int order = s->oo_order, objects = s->oo_objects;
	struct page *page;
	struct slab *slab;
	char *start, *p;
	gfp_t alloc_gfp = flags | __GFP_NOWARN | __GFP_NORETRY;

	page = alloc_pages_node(node, alloc_gfp, order);
	if (!page && s->min_order != order) {
		order = s->min_order;
		objects = s->min_objects;
		page = alloc_pages_node(node, flags, order);
		if (page)
			stat(s, ORDER_FALLBACK);
	}
	if (!page)
		return NULL;
	if (!get_node(s, page_to_nid(page))) {
		/* The page allocator gave memory of a node this cache has no structure for:
		 * cannot happen, kmem_cache_node exists for every node with memory. */
		__free_pages(page, order);
		WARN(1, "slab page on node %d without kmem_cache_node", page_to_nid(page));
		return NULL;
	}

	slab = page_slab(page);
	memset(slab, 0, sizeof(*slab));
	if (page_is_pfmemalloc(page))
		slab->flags |= BIT(SL_pfmemalloc);
	slab->slab_cache = s;
	INIT_LIST_HEAD(&slab->slab_list);
	start = page_address(page);

	for (unsigned int i = 0; i < objects; i++) {
		p = start + (size_t)i * s->size;
		if (s->ctor)
			s->ctor(p);
		set_freepointer(s, p, i + 1 < objects ? p + s->size : NULL);
	}
	kasan_poison_new_slab(&s->kasan_info, start, s->size, objects);
	slab->freelist_counters.first = start;
	slab->freelist_counters.second = SLAB_COUNTERS(objects, objects, 0);
	/* inuse == objects until the caller takes what it needs (alloc_from_new_slab) */
	__atomic_fetch_or(&page->flags, PG_slab, __ATOMIC_RELEASE);
	stat(s, ALLOC_SLAB);
	return slab;
}

/*
 * The cache's list of all its slabs lets introspection walk them without scanning the page
 * arena. Not in the kernel; the lock is a bare spin bit because new_slab() also runs in
 * kmalloc_nolock() context, where a lockdep-tracked spinlock would be a BAD_CONTEXT.
 */
static void all_slabs_update(struct kmem_cache *s, struct slab *slab, bool add)
{
	while (__atomic_exchange_n(&s->all_slabs_lock, 1, __ATOMIC_ACQUIRE))
		;
	if (add)
		list_add_tail(&slab->all_list, &s->all_slabs);
	else
		list_del(&slab->all_list);
	__atomic_store_n(&s->all_slabs_lock, 0, __ATOMIC_RELEASE);
}

static struct slab *new_slab(struct kmem_cache *s, gfp_t flags, int node)
{
	struct slab *slab = allocate_slab(s, flags, slab_alloc_nid(s, node));

	if (slab) {
		inc_slabs_node(s, slab_nid(slab), SLAB_OBJECTS(slab->freelist_counters.second));
		all_slabs_update(s, slab, true);
	}
	return slab;
}

static void __free_slab(struct kmem_cache *s, struct slab *slab)
{
	struct page *page = slab_page(slab);
	unsigned int order = page->order;

	kasan_unpoison_pages(page_address(page), PAGE_SIZE << order);
	__atomic_fetch_and(&page->flags, ~PG_slab, __ATOMIC_RELEASE);
	__free_pages(page, order);
}

static void rcu_free_slab(struct rcu_head *h)
{
	struct slab *slab = container_of(h, struct slab, rcu_head);

	__free_slab(slab->slab_cache, slab);
}

static void free_slab(struct kmem_cache *s, struct slab *slab)
{
	if (unlikely(s->flags & SLAB_TYPESAFE_BY_RCU)) {
		__atomic_fetch_or(&slab->flags, BIT(SL_rcu_free), __ATOMIC_RELAXED);
		call_rcu(&slab->rcu_head, rcu_free_slab);
	}
	else
		__free_slab(s, slab);
}

static void discard_slab(struct kmem_cache *s, struct slab *slab)
{
	all_slabs_update(s, slab, false);
	dec_slabs_node(s, slab_nid(slab), SLAB_OBJECTS(slab->freelist_counters.second));
	free_slab(s, slab);
	stat(s, FREE_SLAB);
}

/* ------------------------------------------------------------------------------------
 * Node partial lists.
 */
static inline void __add_partial(struct kmem_cache_node *n, struct slab *slab, bool tail)
{
	WRITE_ONCE(n->nr_partial, n->nr_partial + 1);
	if (tail)
		list_add_tail(&slab->slab_list, &n->partial);
	else
		list_add(&slab->slab_list, &n->partial);
	slab_set_partial(slab);
}

static inline void add_partial(struct kmem_cache_node *n, struct slab *slab, bool tail)
{
	lockdep_assert_held(&n->list_lock);
	__add_partial(n, slab, tail);
}

static inline void remove_partial(struct kmem_cache_node *n, struct slab *slab)
{
	lockdep_assert_held(&n->list_lock);
	list_del(&slab->slab_list);
	slab_clear_partial(slab);
	WRITE_ONCE(n->nr_partial, n->nr_partial - 1);
}

/*
 * Take list_lock, or try to when !allow_spin. list_lock is always taken with interrupts
 * off, as in the kernel (spin_lock_irqsave(&n->list_lock, flags)): frees from interrupts
 * and RCU callbacks take it too.
 */
static inline bool node_list_lock(struct kmem_cache_node *n, bool allow_spin,
				  unsigned long *flags)
{
	if (likely(allow_spin) || SLAB_BUG(nolock_list_lock_spins)) {
		spin_lock_irqsave(&n->list_lock, *flags);
		return true;
	}
	return spin_trylock_irqsave(&n->list_lock, *flags);
}

/* ------------------------------------------------------------------------------------
 * Sheaves and barns.
 */
static struct node_barn *get_barn_node(struct kmem_cache *s, int node)
{
	struct kmem_cache_node *n = get_node(s, node);

	return n ? n->barn : NULL;
}

/*
 * The barn of the current CPU's memory node. NULL on a memoryless node: callers back off
 * to the slab paths (fix for bug B5, "NULL barn on memoryless nodes").
 */
static struct node_barn *get_barn(struct kmem_cache *s)
{
	if (SLAB_BUG(memoryless_node_barn) && !get_node(s, numa_mem_id())) {
		/* The pre-fix code dereferenced get_node()->barn unconditionally. */
		report_simple(REPORT_BUG, __func__,
			      "NULL pointer dereference: no kmem_cache_node (and no barn) for memoryless node %d of cpu %d in %s",
			      numa_mem_id(), smp_processor_id(), s->name);
		return NULL;
	}
	return get_barn_node(s, numa_mem_id());
}

static struct slab_sheaf *__alloc_empty_sheaf(struct kmem_cache *s, gfp_t gfp,
					      unsigned int capacity)
{
	struct slab_sheaf *sheaf;

	might_alloc(gfp, __func__);
	if (should_fail(FAULT_SHEAF_ALLOC))
		return NULL;
	sheaf = platform_zalloc(sizeof(*sheaf) + sizeof(void *) * capacity);
	sheaf->cache = s;
	sheaf->capacity = capacity;
	sheaf->node = NUMA_NO_NODE;
	INIT_LIST_HEAD(&sheaf->prefill_list);
	return sheaf;
}

static struct slab_sheaf *alloc_empty_sheaf(struct kmem_cache *s, gfp_t gfp)
{
	struct slab_sheaf *sheaf = __alloc_empty_sheaf(s, gfp, s->sheaf_capacity);

	if (sheaf) {
		atomic_inc(&s->sheaves_alive);
		stat(s, SHEAF_ALLOC);
	}
	return sheaf;
}

static void free_empty_sheaf(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	WARN_ON(sheaf->size);
	atomic_dec(&s->sheaves_alive);
	platform_free(sheaf);
	stat(s, SHEAF_FREE);
}

static void barn_init(struct node_barn *barn)
{
	spin_lock_init_named(&barn->lock, "barn->lock");
	INIT_LIST_HEAD(&barn->sheaves_full);
	INIT_LIST_HEAD(&barn->sheaves_empty);
	barn->nr_full = 0;
	barn->nr_empty = 0;
}

static void barn_put_empty_sheaf(struct node_barn *barn, struct slab_sheaf *sheaf)
{
	unsigned long flags;

	spin_lock_irqsave(&barn->lock, flags);
	list_add(&sheaf->barn_list, &barn->sheaves_empty);
	WRITE_ONCE(barn->nr_empty, barn->nr_empty + 1);
	spin_unlock_irqrestore(&barn->lock, flags);
}

static void barn_put_full_sheaf(struct node_barn *barn, struct slab_sheaf *sheaf)
{
	unsigned long flags;

	kasan_history_objs(&sheaf->cache->kasan_info, sheaf->objects, sheaf->size,
			   KASAN_EV_SHEAF_TO_BARN);
	spin_lock_irqsave(&barn->lock, flags);
	list_add(&sheaf->barn_list, &barn->sheaves_full);
	WRITE_ONCE(barn->nr_full, barn->nr_full + 1);
	spin_unlock_irqrestore(&barn->lock, flags);
}

static bool barn_lock(struct node_barn *barn, bool allow_spin)
{
	if (likely(allow_spin)) {
		spin_lock(&barn->lock);
		return true;
	}
	return spin_trylock(&barn->lock);
}

static struct slab_sheaf *barn_get_empty_sheaf(struct node_barn *barn, bool allow_spin)
{
	struct slab_sheaf *empty = NULL;

	if (!data_race(barn->nr_empty))
		return NULL;
	if (!barn_lock(barn, allow_spin))
		return NULL;
	if (likely(barn->nr_empty)) {
		empty = list_first_entry(&barn->sheaves_empty, struct slab_sheaf, barn_list);
		list_del(&empty->barn_list);
		WRITE_ONCE(barn->nr_empty, barn->nr_empty - 1);
	}
	spin_unlock(&barn->lock);
	return empty;
}

static struct slab_sheaf *barn_get_full_or_empty_sheaf(struct node_barn *barn)
{
	struct slab_sheaf *sheaf = NULL;
	unsigned long flags;

	if (!data_race(barn->nr_full) && !data_race(barn->nr_empty))
		return NULL;
	spin_lock_irqsave(&barn->lock, flags);
	if (barn->nr_full) {
		sheaf = list_first_entry(&barn->sheaves_full, struct slab_sheaf, barn_list);
		list_del(&sheaf->barn_list);
		WRITE_ONCE(barn->nr_full, barn->nr_full - 1);
	} else if (barn->nr_empty) {
		sheaf = list_first_entry(&barn->sheaves_empty, struct slab_sheaf, barn_list);
		list_del(&sheaf->barn_list);
		WRITE_ONCE(barn->nr_empty, barn->nr_empty - 1);
	}
	spin_unlock_irqrestore(&barn->lock, flags);
	return sheaf;
}

/* Exchange an empty sheaf for a full one; the empty one goes in ignoring the limit. */
static struct slab_sheaf *barn_replace_empty_sheaf(struct node_barn *barn,
						   struct slab_sheaf *empty, bool allow_spin)
{
	struct slab_sheaf *full = NULL;

	if (!data_race(barn->nr_full))
		return NULL;
	if (!barn_lock(barn, allow_spin))
		return NULL;
	if (likely(barn->nr_full)) {
		full = list_first_entry(&barn->sheaves_full, struct slab_sheaf, barn_list);
		list_del(&full->barn_list);
		list_add(&empty->barn_list, &barn->sheaves_empty);
		WRITE_ONCE(barn->nr_full, barn->nr_full - 1);
		WRITE_ONCE(barn->nr_empty, barn->nr_empty + 1);
	}
	spin_unlock(&barn->lock);
	return full;
}

/* Exchange a full sheaf for an empty one: -E2BIG over the full limit, -ENOMEM without an
 * empty sheaf, -EBUSY when !allow_spin and the lock is contended. */
static struct slab_sheaf *barn_replace_full_sheaf(struct node_barn *barn,
						  struct slab_sheaf *full, bool allow_spin)
{
	struct slab_sheaf *empty;

	if (data_race(barn->nr_full) >= MAX_FULL_SHEAVES)
		return (struct slab_sheaf *)(long)-E2BIG;
	if (!data_race(barn->nr_empty))
		return (struct slab_sheaf *)(long)-ENOMEM;
	if (!barn_lock(barn, allow_spin))
		return (struct slab_sheaf *)(long)-EBUSY;
	if (likely(barn->nr_empty)) {
		empty = list_first_entry(&barn->sheaves_empty, struct slab_sheaf, barn_list);
		list_del(&empty->barn_list);
		kasan_history_objs(&full->cache->kasan_info, full->objects, full->size,
				   KASAN_EV_SHEAF_TO_BARN);
		list_add(&full->barn_list, &barn->sheaves_full);
		WRITE_ONCE(barn->nr_empty, barn->nr_empty - 1);
		WRITE_ONCE(barn->nr_full, barn->nr_full + 1);
	} else {
		empty = (struct slab_sheaf *)(long)-ENOMEM;
	}
	spin_unlock(&barn->lock);
	return empty;
}

static inline bool IS_ERR(const void *p)
{
	return (unsigned long)p >= (unsigned long)-4095;
}
static inline long PTR_ERR(const void *p)
{
	return (long)p;
}

/* Objects moving into a sheaf stop being "free on a slab" for KASAN's shadow. */
static inline void sheaf_objects_state(struct kmem_cache *s, void **p, unsigned int n,
				       enum kasan_state state)
{
	for (unsigned int i = 0; i < n; i++)
		kasan_set_state(&s->kasan_info, p[i], state);
}

/* ------------------------------------------------------------------------------------
 * Refill: get objects from partial slabs of the local node, then other nodes, then new
 * slabs (7.0 refill_objects()).
 */
static void __slab_free(struct kmem_cache *s, struct slab *slab, void *head, void *tail,
			int cnt);

/* Take every free object of an isolated slab: freelist -> NULL, inuse = objects. */
static void *get_freelist_nofreeze(struct kmem_cache *s, struct slab *slab)
{
	double_word_t old, new;

	do {
		old = slab_read_fc(slab);
		new.first = NULL;
		new.second = SLAB_COUNTERS(SLAB_OBJECTS(old.second), SLAB_OBJECTS(old.second), 0);
	} while (!slab_update_freelist(s, slab, old, new));
	return old.first;
}

/* Isolate partial slabs with at least `min` (and about at most `max`) free objects,
 * skipping reserve slabs `gfp` may not use. */
static unsigned int get_partial_node_bulk(struct kmem_cache *s, struct kmem_cache_node *n,
					  struct list_head *isolated, unsigned int min,
					  unsigned int max, gfp_t gfp, bool allow_spin)
{
	struct slab *slab, *next;
	unsigned int got = 0;
	unsigned long flags = 0;

	if (!n || !data_race(n->nr_partial))
		return 0;
	if (!node_list_lock(n, allow_spin, &flags))
		return 0;
	list_for_each_entry_safe(slab, next, &n->partial, slab_list) {
		unsigned long c = READ_ONCE(slab->freelist_counters.second);
		unsigned int free = SLAB_OBJECTS(c) - SLAB_INUSE(c);

		if (!pfmemalloc_match(slab, gfp))
			continue;
		if (got >= min && got + free > max)
			break;
		remove_partial(n, slab);
		list_add_tail(&slab->slab_list, isolated);
		got += free;
		if (got >= max)
			break;
	}
	spin_unlock_irqrestore(&n->list_lock, flags);
	return got;
}

/* Return an isolated slab we did not touch, or discard it if empty and enough partials. */
static void putback_isolated_slab(struct kmem_cache *s, struct kmem_cache_node *n,
				  struct slab *slab)
{
	unsigned long c, flags;

	spin_lock_irqsave(&n->list_lock, flags);
	c = READ_ONCE(slab->freelist_counters.second);
	if (SLAB_INUSE(c) == 0 && n->nr_partial >= s->min_partial) {
		spin_unlock_irqrestore(&n->list_lock, flags);
		discard_slab(s, slab);
		return;
	}
	if (SLAB_INUSE(c) == SLAB_OBJECTS(c)) {
		/* filled up by nobody: a slab with no free object stays off lists */
		spin_unlock_irqrestore(&n->list_lock, flags);
		return;
	}
	add_partial(n, slab, false);
	spin_unlock_irqrestore(&n->list_lock, flags);
}

static unsigned int __refill_objects_node(struct kmem_cache *s, void **p, gfp_t gfp,
					  unsigned int min, unsigned int max,
					  struct kmem_cache_node *n, bool allow_spin)
{
	struct list_head isolated;
	struct slab *slab, *next;
	unsigned int refilled = 0;

	INIT_LIST_HEAD(&isolated);
	if (!get_partial_node_bulk(s, n, &isolated, min, max, gfp, allow_spin))
		return 0;
	sched_point(SP_refill_isolated);

	list_for_each_entry_safe(slab, next, &isolated, slab_list) {
		void *object, *surplus_tail = NULL;
		int surplus = 0;

		list_del_init(&slab->slab_list);
		if (refilled >= max) {
			putback_isolated_slab(s, n, slab);
			continue;
		}
		object = get_freelist_nofreeze(s, slab);
		while (object && refilled < max) {
			p[refilled++] = object;
			object = get_freepointer(s, object);
		}
		if (object) {
			/* concurrent frees gave more than we need: hand the rest back */
			void *head = object;

			for (void *o = object; o; o = get_freepointer(s, o)) {
				surplus_tail = o;
				surplus++;
			}
			__slab_free(s, slab, head, surplus_tail, surplus);
		}
		/* A fully taken slab is on no list, as a full slab should be. A slab that got
		 * objects back through __slab_free was re-listed there (was_full). */
	}
	return refilled;
}

/* Other nodes, trylock only ("use trylock for remote node object refills"). */
static unsigned int __refill_objects_any(struct kmem_cache *s, void **p, gfp_t gfp,
					 unsigned int min, unsigned int max, int local)
{
	unsigned int refilled = 0;
	int nid;

	for (int i = 1; i < (int)nr_node_ids && refilled < min; i++) {
		struct kmem_cache_node *n;

		nid = (local + i) % (int)nr_node_ids;
		n = get_node(s, nid);
		if (!n || data_race(n->nr_partial) <= s->min_partial)
			continue;
		refilled += __refill_objects_node(s, p + refilled, gfp,
						  min > refilled ? min - refilled : 0,
						  max - refilled, n, false);
	}
	return refilled;
}

/* A fresh slab is private: take up to `count` objects without cmpxchg; the rest of the
 * slab goes to the partial list (there is no cpu slab any more). */
static unsigned int alloc_from_new_slab(struct kmem_cache *s, struct slab *slab, void **p,
					unsigned int count, bool allow_spin)
{
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	unsigned int objects = SLAB_OBJECTS(slab->freelist_counters.second);
	unsigned long flags;
	void *object = slab->freelist_counters.first;
	unsigned int taken = 0;

	while (object && taken < count) {
		p[taken++] = object;
		object = get_freepointer(s, object);
	}
	slab->freelist_counters.first = object;
	slab->freelist_counters.second = SLAB_COUNTERS(taken, objects, 0);
	if (object) {
		if (!node_list_lock(n, allow_spin, &flags)) {
			/* free_new_slab_nolock(): cannot list it, give everything back */
			slab->freelist_counters.first = NULL;
			for (unsigned int i = taken; i-- > 0;) {
				set_freepointer(s, p[i], slab->freelist_counters.first);
				slab->freelist_counters.first = p[i];
			}
			slab->freelist_counters.second = SLAB_COUNTERS(0, objects, 0);
			discard_slab(s, slab);
			return 0;
		}
		add_partial(n, slab, false);
		spin_unlock_irqrestore(&n->list_lock, flags);
	}
	return taken;
}

static unsigned int refill_objects(struct kmem_cache *s, void **p, gfp_t gfp, unsigned int min,
				   unsigned int max)
{
	int local = numa_mem_id();
	unsigned int refilled;

	if (WARN_ON(!gfpflags_allow_spinning(gfp)))
		return 0;

	refilled = __refill_objects_node(s, p, gfp, min, max, get_node(s, local), true);
	if (refilled < min)
		refilled += __refill_objects_any(s, p + refilled, gfp, min - refilled,
						 max - refilled, local);
	while (refilled < min) {
		struct slab *slab = new_slab(s, gfp, local);

		if (!slab)
			break;
		refilled += alloc_from_new_slab(s, slab, p + refilled, max - refilled, true);
		sched_point(SP_refill_new_slab);
	}
	return refilled;
}

static int refill_sheaf(struct kmem_cache *s, struct slab_sheaf *sheaf, gfp_t gfp)
{
	unsigned int to_fill = sheaf->capacity - sheaf->size;
	unsigned int filled;

	if (!to_fill)
		return 0;
	filled = refill_objects(s, &sheaf->objects[sheaf->size], gfp, to_fill, to_fill);
	sheaf_objects_state(s, &sheaf->objects[sheaf->size], filled, KASAN_STATE_IN_SHEAF);
	kasan_history_objs(&s->kasan_info, &sheaf->objects[sheaf->size], filled, KASAN_EV_REFILL);
	sheaf->size += filled;
	stat_add(s, SHEAF_REFILL, filled);
	return filled == to_fill ? 0 : -ENOMEM;
}

/* ------------------------------------------------------------------------------------
 * Allocation from per-CPU sheaves.
 */
static void __pcs_install_empty_sheaf(struct kmem_cache *s, struct slub_percpu_sheaves *pcs,
				      struct slab_sheaf *empty, struct node_barn *barn);
static void sheaf_flush_unused(struct kmem_cache *s, struct slab_sheaf *sheaf);

/*
 * Called with pcs locked and main empty. Returns the locked pcs with a non-empty main, or
 * NULL with the lock dropped. The task may run on another CPU when it returns.
 */
static struct slub_percpu_sheaves *__pcs_replace_empty_main(struct kmem_cache *s,
		struct slub_percpu_sheaves *pcs, gfp_t gfp)
{
	struct slab_sheaf *empty = NULL, *full;
	struct node_barn *barn;
	bool can_alloc, allow_spin = gfpflags_allow_spinning(gfp);

	lockdep_assert_held(&pcs->lock);

	if (!cache_has_sheaves(s)) {
		local_unlock(&pcs->lock);
		return NULL;
	}
	if (pcs->spare && pcs->spare->size > 0) {
		struct slab_sheaf *tmp = pcs->main;

		pcs->main = pcs->spare;
		pcs->spare = tmp;
		return pcs;
	}

	barn = get_barn(s);
	if (!barn) {
		local_unlock(&pcs->lock);
		return NULL;
	}

	full = barn_replace_empty_sheaf(barn, pcs->main, allow_spin);
	if (full) {
		stat(s, BARN_GET);
		pcs->main = full;
		return pcs;
	}
	stat(s, BARN_GET_FAIL);

	can_alloc = gfpflags_allow_blocking(gfp);
	if (can_alloc) {
		if (pcs->spare) {
			empty = pcs->spare;
			pcs->spare = NULL;
		} else {
			empty = barn_get_empty_sheaf(barn, true);
		}
	}
	local_unlock(&pcs->lock);
	sched_point(SP_replace_empty_unlocked);

	if (!can_alloc)
		return NULL;

	if (empty) {
		if (!refill_sheaf(s, empty, gfp | __GFP_NOMEMALLOC)) {
			full = empty;
		} else {
			/* "memory is low": give back what the failed refill got, drop the sheaf */
			sheaf_flush_unused(s, empty);
			free_empty_sheaf(s, empty);
		}
	} else {
		full = alloc_empty_sheaf(s, gfp);
		if (full && refill_sheaf(s, full, gfp | __GFP_NOMEMALLOC)) {
			sheaf_flush_unused(s, full);
			free_empty_sheaf(s, full);
			full = NULL;
		}
	}
	if (!full)
		return NULL;

	/* We may be on another CPU now. */
	sched_point(SP_replace_empty_relock);
	local_lock(&s->cpu_sheaves[smp_processor_id()].lock);
	/* the seeded bug forgets that the task may have migrated while the lock was off */
	if (!SLAB_BUG(replace_empty_stale_pcs))
		pcs = this_cpu_ptr(s->cpu_sheaves);
	barn = get_barn(s);

	if (pcs->main->size == 0) {
		if (!pcs->spare)
			pcs->spare = pcs->main;
		else if (barn)
			barn_put_empty_sheaf(barn, pcs->main);
		else
			free_empty_sheaf(s, pcs->main);
		pcs->main = full;
		return pcs;
	}
	if (!pcs->spare) {
		pcs->spare = full;
		return pcs;
	}
	if (pcs->spare->size == 0) {
		if (barn)
			barn_put_empty_sheaf(barn, pcs->spare);
		else
			free_empty_sheaf(s, pcs->spare);
		pcs->spare = full;
		return pcs;
	}
	if (barn) {
		barn_put_full_sheaf(barn, full);
		stat(s, BARN_PUT);
	} else {
		sheaf_flush_unused(s, full);
		free_empty_sheaf(s, full);
	}
	return pcs;
}

static void *alloc_from_pcs(struct kmem_cache *s, gfp_t gfp, int node)
{
	struct slub_percpu_sheaves *pcs;
	void *object;
	bool node_requested = node != NUMA_NO_NODE;

	if (node_requested && node != numa_mem_id()) {
		stat(s, ALLOC_NODE_MISMATCH);
		return NULL;
	}
	if (!local_trylock(&s->cpu_sheaves[smp_processor_id()].lock))
		return NULL;
	pcs = this_cpu_ptr(s->cpu_sheaves);

	if (unlikely(pcs->main->size == 0)) {
		pcs = __pcs_replace_empty_main(s, pcs, gfp);
		if (unlikely(!pcs))
			return NULL;
	}
	object = pcs->main->objects[pcs->main->size - 1];
	if (unlikely(node_requested && page_to_nid(virt_to_page(object)) != node)) {
		local_unlock(&pcs->lock);
		stat(s, ALLOC_NODE_MISMATCH);
		return NULL;
	}
	pcs->main->size--;
	local_unlock(&pcs->lock);
	stat(s, ALLOC_FASTPATH);
	return object;
}

/* Bulk: copy batches out of main, swapping in spare or a barn full sheaf; no refill. */
static unsigned int alloc_from_pcs_bulk(struct kmem_cache *s, size_t size, void **p)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	unsigned int allocated = 0, batch;

next_batch:
	if (!local_trylock(&s->cpu_sheaves[smp_processor_id()].lock))
		return allocated;
	pcs = this_cpu_ptr(s->cpu_sheaves);

	if (unlikely(pcs->main->size == 0)) {
		struct node_barn *barn;
		struct slab_sheaf *full;

		if (pcs->spare && pcs->spare->size > 0) {
			struct slab_sheaf *tmp = pcs->main;

			pcs->main = pcs->spare;
			pcs->spare = tmp;
			goto do_alloc;
		}
		barn = cache_has_sheaves(s) ? get_barn(s) : NULL;
		if (!barn) {
			local_unlock(&pcs->lock);
			return allocated;
		}
		full = barn_replace_empty_sheaf(barn, pcs->main, true);
		if (full) {
			stat(s, BARN_GET);
			pcs->main = full;
			goto do_alloc;
		}
		stat(s, BARN_GET_FAIL);
		local_unlock(&pcs->lock);
		return allocated;
	}
do_alloc:
	main = pcs->main;
	batch = min(size - allocated, (size_t)main->size);
	main->size -= batch;
	memcpy(p + allocated, main->objects + main->size, batch * sizeof(void *));
	local_unlock(&pcs->lock);
	kasan_history_objs(&s->kasan_info, p + allocated, batch, KASAN_EV_ALLOC_SHEAF);
	stat_add(s, ALLOC_FASTPATH, batch);
	allocated += batch;
	if (allocated < size) {
		sched_point(SP_alloc_bulk_batch);
		goto next_batch;
	}
	return allocated;
}

/* ------------------------------------------------------------------------------------
 * Slow path: a single object from a partial slab or a new slab (7.0 ___slab_alloc).
 */
static void *get_from_partial_node(struct kmem_cache *s, struct kmem_cache_node *n,
				   gfp_t gfp, bool allow_spin)
{
	struct slab *slab, *next;
	void *object = NULL;
	unsigned long flags;

	if (!n || !data_race(n->nr_partial))
		return NULL;
	if (!node_list_lock(n, allow_spin, &flags))
		return NULL;
	list_for_each_entry_safe(slab, next, &n->partial, slab_list) {
		double_word_t old, new;

		if (!pfmemalloc_match(slab, gfp))
			continue;
		do {
			old = slab_read_fc(slab);
			object = old.first;
			if (!object)
				break;
			new.first = get_freepointer(s, object);
			new.second = SLAB_COUNTERS(SLAB_INUSE(old.second) + 1,
						   SLAB_OBJECTS(old.second), 0);
		} while (!slab_update_freelist(s, slab, old, new));
		if (!object)
			continue;
		if (!new.first)
			remove_partial(n, slab);
		break;
	}
	spin_unlock_irqrestore(&n->list_lock, flags);
	return object;
}

static void *get_from_any_partial(struct kmem_cache *s, int local, gfp_t gfp, bool allow_spin)
{
	for (int i = 1; i < (int)nr_node_ids; i++) {
		int nid = (local + i) % (int)nr_node_ids;
		struct kmem_cache_node *n = get_node(s, nid);
		void *object;

		if (!n || data_race(n->nr_partial) <= s->min_partial)
			continue;
		object = get_from_partial_node(s, n, gfp, allow_spin);
		if (object)
			return object;
	}
	return NULL;
}

/*
 * A node given without __GFP_THISNODE: the first pass keeps to it, its partial slabs and
 * then a new slab there (the kernel's try_thisnode, with GFP_NOWAIT | __GFP_THISNODE, or
 * gfp | __GFP_THISNODE when !allow_spin); only the second pass takes other nodes' partial
 * slabs and pages.
 *
 * Unlike the kernel, the first pass keeps the caller's __GFP_NOMEMALLOC: the kernel's
 * GFP_NOWAIT | __GFP_THISNODE drops it, so a caller that forbade the reserves but runs in
 * a PF_MEMALLOC task gets a reserve slab's object (the thisnode_drops_nomemalloc bug),
 * which kmalloc_reserve() then does not mark as pfmemalloc.
 */
static void *___slab_alloc(struct kmem_cache *s, gfp_t gfp, int node)
{
	bool allow_spin = gfpflags_allow_spinning(gfp);
	bool thisnode = node != NUMA_NO_NODE;
	bool try_thisnode = thisnode && !(gfp & __GFP_THISNODE);
	int target = thisnode ? node : numa_mem_id();
	gfp_t pass_gfp = gfp;
	struct slab *slab;
	void *object;

	stat(s, ALLOC_SLOWPATH);
	if (try_thisnode) {
		pass_gfp = (allow_spin ? GFP_NOWAIT : gfp) | __GFP_THISNODE;
		if (!SLAB_BUG(thisnode_drops_nomemalloc))
			pass_gfp |= gfp & __GFP_NOMEMALLOC;
	}
retry:
	object = get_from_partial_node(s, get_node(s, target), pass_gfp, allow_spin);
	if (object)
		return object;
	if (!thisnode || !(pass_gfp & __GFP_THISNODE)) {
		object = get_from_any_partial(s, target, pass_gfp, allow_spin);
		if (object)
			return object;
	}
	slab = new_slab(s, pass_gfp, target);
	if (!slab && try_thisnode) {
		try_thisnode = false;
		pass_gfp = gfp;
		goto retry;
	}
	if (!slab)
		return NULL;
	if (!alloc_from_new_slab(s, slab, &object, 1, allow_spin))
		return NULL;
	return object;
}

static bool slab_pre_alloc_hook(struct kmem_cache *s, gfp_t gfp)
{
	might_alloc(gfp, __func__);
	if (kasan_enabled() && gfpflags_allow_blocking(gfp))
		kasan_quarantine_reduce();
	return true;
}

static void slab_post_alloc_hook(struct kmem_cache *s, gfp_t gfp, size_t size, void **p)
{
	for (size_t i = 0; i < size; i++) {
		kasan_slab_alloc(&s->kasan_info, p[i]);
		if (gfp & __GFP_ZERO)
			memset(p[i], 0, s->object_size);
	}
}

void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node, size_t orig_size)
{
	void *object;

	if (!slab_pre_alloc_hook(s, gfp))
		return NULL;
	object = alloc_from_pcs(s, gfp, node);
	if (object) {
		kasan_history_at(&s->kasan_info, object, KASAN_EV_ALLOC_SHEAF, "alloc_from_pcs");
	} else {
		object = ___slab_alloc(s, SLAB_BUG(slowpath_nomemalloc) ? gfp | __GFP_NOMEMALLOC : gfp,
				       node);
		if (object)
			kasan_history_at(&s->kasan_info, object, KASAN_EV_ALLOC_SLAB,
					 "___slab_alloc");
	}
	if (object)
		slab_post_alloc_hook(s, gfp, 1, &object);
	return object;
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	return slab_alloc_node(s, gfp, NUMA_NO_NODE, s->object_size);
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	if (node != NUMA_NO_NODE && (node < 0 || node >= (int)nr_node_ids)) {
		WARN(1, "kmem_cache_alloc_node: invalid node %d", node);
		return NULL;
	}
	return slab_alloc_node(s, gfp, node, s->object_size);
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	return kmem_cache_alloc(s, gfp | __GFP_ZERO);
}

static void __kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p);

/* All or nothing, the rest after sheaves (7.0 __kmem_cache_alloc_bulk). */
static unsigned int __kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t size,
					    void **p)
{
	unsigned int got;

	stat(s, ALLOC_SLOWPATH);
	got = refill_objects(s, p, gfp, (unsigned int)size, (unsigned int)size);
	kasan_history_objs(&s->kasan_info, p, got, KASAN_EV_ALLOC_SLAB);
	if (got < size) {
		__kmem_cache_free_bulk(s, got, p);
		return 0;
	}
	return got;
}

int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t size, void **p)
{
	unsigned int i = 0;

	if (!size)
		return 0;
	if (!slab_pre_alloc_hook(s, gfp))
		return 0;
	if (cache_has_sheaves(s))
		i = alloc_from_pcs_bulk(s, size, p);
	if (i < size && !__kmem_cache_alloc_bulk(s, gfp, size - i, p + i)) {
		if (i) {
			/* undo: the pcs objects go back through the normal free */
			slab_post_alloc_hook(s, 0, i, p);
			kmem_cache_free_bulk(s, i, p);
		}
		return 0;
	}
	slab_post_alloc_hook(s, gfp, size, p);
	return (int)size;
}

/* ------------------------------------------------------------------------------------
 * Freeing to slabs.
 */

/*
 * Lockless free of a chain head..tail of cnt objects of one slab (7.0 __slab_free).
 * The list_lock is taken speculatively before the cmpxchg when the free may need a list
 * change: the slab becomes empty, or was full (and so is on no list).
 */
static void __slab_free(struct kmem_cache *s, struct slab *slab, void *head, void *tail,
			int cnt)
{
	struct kmem_cache_node *n = NULL;
	double_word_t old, new;
	bool was_full, on_node_partial = false;
	unsigned long flags = 0;
	/* seeded bug free_no_list_lock: list state sampled and changed without list_lock */
	bool take_lock = !SLAB_BUG(free_no_list_lock);

	for (;;) {
		unsigned int inuse;

		if (n && take_lock)
			spin_unlock_irqrestore(&n->list_lock, flags);
		n = NULL;
		old = slab_read_fc(slab);
		was_full = old.first == NULL;
		set_freepointer(s, tail, old.first);
		inuse = SLAB_INUSE(old.second) - cnt;
		new.first = head;
		new.second = SLAB_COUNTERS(inuse, SLAB_OBJECTS(old.second), 0);
		if (!inuse || was_full) {
			n = get_node(s, slab_nid(slab));
			if (take_lock)
				spin_lock_irqsave(&n->list_lock, flags);
			on_node_partial = slab_test_partial(slab);
		}
		sched_point(SP_slab_free_before_cmpxchg);
		if (slab_update_freelist(s, slab, old, new))
			break;
		if (n && take_lock) {
			spin_unlock_irqrestore(&n->list_lock, flags);
			n = NULL;
		}
		sched_point(SP_slab_free_retry);
	}

	if (!n)
		return;		/* no list action needed */

	if (!was_full && !on_node_partial) {
		/* isolated by a refill: its owner re-adds or discards it */
		if (take_lock)
			spin_unlock_irqrestore(&n->list_lock, flags);
		return;
	}
	if (SLAB_INUSE(new.second) == 0 && n->nr_partial >= s->min_partial) {
		if (!was_full) {
			remove_partial(n, slab);
			stat(s, FREE_REMOVE_PARTIAL);
		}
		if (take_lock)
			spin_unlock_irqrestore(&n->list_lock, flags);
		discard_slab(s, slab);
		return;
	}
	if (was_full) {
		add_partial(n, slab, true);
		stat(s, FREE_ADD_PARTIAL);
	}
	if (take_lock)
		spin_unlock_irqrestore(&n->list_lock, flags);
}

/*
 * Free objects to their slabs, grouping objects of one slab into a chain
 * (build_detached_freelist with a lookahead, as the kernel). No free hooks: the objects
 * already passed them.
 */
static void __kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p)
{
	while (size) {
		struct slab *slab = virt_to_slab(p[size - 1]);
		void *head = p[--size], *tail = head;
		int cnt = 1, lookahead = 3;

		kasan_set_state(&s->kasan_info, head, KASAN_STATE_FREE);
		for (size_t i = size; i-- > 0 && lookahead;) {
			if (virt_to_slab(p[i]) != slab) {
				lookahead--;
				continue;
			}
			void *obj = p[i];

			kasan_set_state(&s->kasan_info, obj, KASAN_STATE_FREE);
			set_freepointer(s, obj, head);
			head = obj;
			cnt++;
			p[i] = p[--size];
			lookahead = 3;
		}
		__slab_free(s, slab, head, tail, cnt);
	}
}

/* Flush a detached sheaf (or a dead CPU's) to slabs. */
static void sheaf_flush_unused(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	if (!sheaf->size)
		return;
	stat_add(s, SHEAF_FLUSH, sheaf->size);
	kasan_history_objs(&s->kasan_info, sheaf->objects, sheaf->size, KASAN_EV_SHEAF_FLUSHED);
	__kmem_cache_free_bulk(s, sheaf->size, sheaf->objects);
	sheaf->size = 0;
}

/*
 * Flush main in batches; the lock is dropped while freeing to slabs. Returns whether
 * anything was flushed.
 */
static bool sheaf_flush_main(struct kmem_cache *s)
{
	struct slub_percpu_sheaves *pcs;
	void *objects[PCS_BATCH_MAX];
	unsigned int batch, remaining;
	bool ret = false;

	do {
		if (!local_trylock(&s->cpu_sheaves[smp_processor_id()].lock))
			return ret;
		pcs = this_cpu_ptr(s->cpu_sheaves);
		batch = min(PCS_BATCH_MAX, pcs->main->size);
		pcs->main->size -= batch;
		memcpy(objects, pcs->main->objects + pcs->main->size, batch * sizeof(void *));
		remaining = pcs->main->size;
		local_unlock(&pcs->lock);

		kasan_history_objs(&s->kasan_info, objects, batch, KASAN_EV_SHEAF_FLUSHED);
		__kmem_cache_free_bulk(s, batch, objects);
		stat_add(s, SHEAF_FLUSH, batch);
		ret = true;
	} while (remaining);
	return ret;
}

/* Install an empty sheaf while main is full (or was, before the lock was dropped). */
static void __pcs_install_empty_sheaf(struct kmem_cache *s, struct slub_percpu_sheaves *pcs,
				      struct slab_sheaf *empty, struct node_barn *barn)
{
	lockdep_assert_held(&pcs->lock);

	if (!pcs->spare) {
		pcs->spare = pcs->main;
		pcs->main = empty;
		return;
	}
	if (pcs->main->size < s->sheaf_capacity) {
		barn_put_empty_sheaf(barn, empty);
		return;
	}
	if (pcs->spare->size < s->sheaf_capacity) {
		struct slab_sheaf *tmp = pcs->spare;

		pcs->spare = pcs->main;
		pcs->main = tmp;
		barn_put_empty_sheaf(barn, empty);
		return;
	}
	barn_put_full_sheaf(barn, pcs->main);
	stat(s, BARN_PUT);
	pcs->main = empty;
}

/*
 * Called with pcs locked and main full. Returns the locked pcs with room in main, or
 * NULL with the lock dropped.
 */
static struct slub_percpu_sheaves *__pcs_replace_full_main(struct kmem_cache *s,
		struct slub_percpu_sheaves *pcs, bool allow_spin)
{
	struct slab_sheaf *empty;
	struct node_barn *barn;
	bool put_fail;

restart:
	lockdep_assert_held(&pcs->lock);

	if (!cache_has_sheaves(s)) {
		local_unlock(&pcs->lock);
		return NULL;
	}
	barn = get_barn(s);
	if (!barn) {
		local_unlock(&pcs->lock);
		return NULL;
	}
	put_fail = false;

	if (!pcs->spare) {
		empty = barn_get_empty_sheaf(barn, allow_spin);
		if (empty) {
			pcs->spare = pcs->main;
			pcs->main = empty;
			return pcs;
		}
		goto alloc_empty;
	}
	if (pcs->spare->size < s->sheaf_capacity) {
		struct slab_sheaf *tmp = pcs->spare;

		pcs->spare = pcs->main;
		pcs->main = tmp;
		return pcs;
	}

	empty = barn_replace_full_sheaf(barn, pcs->main, allow_spin);
	if (!IS_ERR(empty)) {
		stat(s, BARN_PUT);
		pcs->main = empty;
		return pcs;
	}
	if (PTR_ERR(empty) == -E2BIG && allow_spin) {
		/* Since the barn is full, flush the spare and reuse it as the empty. */
		struct slab_sheaf *to_flush = pcs->spare;

		stat(s, BARN_PUT_FAIL);
		pcs->spare = NULL;
		local_unlock(&pcs->lock);
		sched_point(SP_replace_full_spare_flush);
		sheaf_flush_unused(s, to_flush);
		empty = to_flush;
		goto got_empty;
	}
	put_fail = true;

alloc_empty:
	local_unlock(&pcs->lock);
	sched_point(SP_replace_full_unlocked);

	/*
	 * kfree_nolock() cannot allocate a sheaf or flush (bug B9 was exactly this: a
	 * sheaf allocation with spinlocks from NMI context).
	 */
	if (!allow_spin && !SLAB_BUG(nolock_alloc_sheaf))
		return NULL;

	empty = alloc_empty_sheaf(s, GFP_NOWAIT);
	if (empty)
		goto got_empty;

	if (put_fail)
		stat(s, BARN_PUT_FAIL);
	if (!allow_spin || !sheaf_flush_main(s))
		return NULL;
	sched_point(SP_replace_full_relock);
	if (!local_trylock(&s->cpu_sheaves[smp_processor_id()].lock))
		return NULL;
	pcs = this_cpu_ptr(s->cpu_sheaves);
	/* Preempted or migrated meanwhile, main may be full again. */
	if (pcs->main->size == s->sheaf_capacity)
		goto restart;
	return pcs;

got_empty:
	sched_point(SP_replace_full_relock);
	if (!local_trylock(&s->cpu_sheaves[smp_processor_id()].lock)) {
		barn = get_barn(s);
		if (barn)
			barn_put_empty_sheaf(barn, empty);
		else
			free_empty_sheaf(s, empty);
		return NULL;
	}
	pcs = this_cpu_ptr(s->cpu_sheaves);
	barn = get_barn(s);
	if (!barn) {
		/* migrated to a CPU of a memoryless node */
		local_unlock(&pcs->lock);
		free_empty_sheaf(s, empty);
		return NULL;
	}
	__pcs_install_empty_sheaf(s, pcs, empty, barn);
	return pcs;
}

static bool free_to_pcs(struct kmem_cache *s, void *object, bool allow_spin)
{
	struct slub_percpu_sheaves *pcs;

	if (!local_trylock(&s->cpu_sheaves[smp_processor_id()].lock))
		return false;
	pcs = this_cpu_ptr(s->cpu_sheaves);

	if (unlikely(pcs->main->size == s->sheaf_capacity)) {
		pcs = __pcs_replace_full_main(s, pcs, allow_spin);
		if (unlikely(!pcs))
			return false;
	}
	kasan_set_state(&s->kasan_info, object, KASAN_STATE_IN_SHEAF);
	kasan_history(&s->kasan_info, object, KASAN_EV_FREE_MAIN);
	pcs->main->objects[pcs->main->size++] = object;
	local_unlock(&pcs->lock);
	stat(s, FREE_FASTPATH);
	return true;
}

/*
 * The free hooks: validate the free (double/invalid free are reported and the free is
 * dropped), then KASAN. Returns true if the object should be freed now.
 */
static bool slab_free_hook(struct kmem_cache *s, void *x, bool after_rcu_delay,
			   bool no_quarantine)
{
	bool still_accessible = (s->flags & SLAB_TYPESAFE_BY_RCU) && !after_rcu_delay;

	if (!after_rcu_delay && !kasan_check_free(&s->kasan_info, x, "kmem_cache_free"))
		return false;
	return !kasan_slab_free(&s->kasan_info, x, still_accessible, no_quarantine);
}

/* An object of this CPU's memory node, not from reserves, may go to the percpu sheaves:
 * a reserve object cached there would serve any allocation. */
static inline bool can_free_to_pcs(struct slab *slab)
{
	return slab_nid(slab) == numa_mem_id() &&
	       (likely(!slab_test_pfmemalloc(slab)) || SLAB_BUG(pfmemalloc_to_pcs));
}

static void do_slab_free_slowpath(struct kmem_cache *s, struct slab *slab, void *object)
{
	kasan_set_state(&s->kasan_info, object, KASAN_STATE_FREE);
	kasan_history(&s->kasan_info, object, KASAN_EV_FREE_SLAB);
	__slab_free(s, slab, object, object, 1);
	stat(s, FREE_SLOWPATH);
}

void slab_free(struct kmem_cache *s, struct slab *slab, void *object)
{
	if (!slab_free_hook(s, object, false, false))
		return;
	if (likely(can_free_to_pcs(slab)) && free_to_pcs(s, object, true))
		return;
	do_slab_free_slowpath(s, slab, object);
}

/* After the RCU grace period: hooks run now (kfree_rcu classic path). */
void slab_free_after_rcu(struct kmem_cache *s, void *object)
{
	struct slab *slab = virt_to_slab(object);

	if (!slab_free_hook(s, object, true, false))
		return;
	if (likely(can_free_to_pcs(slab)) && free_to_pcs(s, object, true))
		return;
	do_slab_free_slowpath(s, slab, object);
}

/* The kasan_cache release callback: a quarantined object goes back to its slab,
 * bypassing sheaves (qlink_free -> ___cache_free). */
static void slab_kasan_release(struct kasan_cache *kc, void *object)
{
	struct kmem_cache *s = container_of(kc, struct kmem_cache, kasan_info);

	__slab_free(s, virt_to_slab(object), object, object, 1);
}

/* The slab of an object a user frees; NULL, with an INVALID_FREE report, for a pointer
 * that is not the start of a slab object. */
struct slab *virt_to_slab_checked(const void *x, const char *func)
{
	struct slab *slab = virt_to_slab(x);

	if (!slab) {
		report_begin(REPORT_INVALID_FREE, func, "free of a pointer that is not a slab object");
		report_detail("  object: %p", x);
		report_end();
		return NULL;
	}
	if (nearest_obj(slab->slab_cache, slab, x) != x) {
		report_begin(REPORT_INVALID_FREE, func, "pointer is not the start of an object");
		report_detail("  cache: %s", slab->slab_cache->name);
		report_detail("  object: %p offset %ld", x,
			      (long)((const char *)x - (char *)nearest_obj(slab->slab_cache, slab, x)));
		report_end();
		return NULL;
	}
	return slab;
}

/*
 * Identify the cache of a pointer a user frees; NULL (and a report) if it is none. As the
 * kernel's cache_from_obj(), a free into the wrong cache is reported and the object's own
 * cache is returned, so the object is still freed where it belongs.
 */
static struct kmem_cache *cache_from_obj(struct kmem_cache *s, void *x, const char *func)
{
	struct slab *slab = virt_to_slab_checked(x, func);

	if (!slab)
		return NULL;
	if (s && slab->slab_cache != s) {
		report_begin(REPORT_INVALID_FREE, func, "wrong slab cache: %s but object is from %s",
			     s->name, slab->slab_cache->name);
		report_detail("  object: %p", x);
		report_end();
	}
	return slab->slab_cache;
}

void kmem_cache_free(struct kmem_cache *s, void *x)
{
	struct kmem_cache *cachep;

	if (!x)
		return;
	cachep = cache_from_obj(s, x, __func__);
	if (!cachep)
		return;
	slab_free(cachep, virt_to_slab(x), x);
}

/* free_to_pcs_bulk: hooks per object, remote objects freed directly, the rest into main. */
static void free_to_pcs_bulk(struct kmem_cache *s, size_t size, void **p)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main, *empty;
	void *remote[PCS_BATCH_MAX];
	unsigned int remote_nr = 0, batch, i = 0, j = 0;
	struct node_barn *barn;

	while (i < size) {
		struct slab *slab = virt_to_slab(p[i]);

		if (!slab_free_hook(s, p[i], false, false)) {
			p[i] = p[--size];
			continue;
		}
		if (unlikely(!can_free_to_pcs(slab))) {
			remote[remote_nr++] = p[i];
			p[i] = p[--size];
			if (remote_nr >= PCS_BATCH_MAX) {
				sheaf_objects_state(s, remote, remote_nr, KASAN_STATE_FREE);
				kasan_history_objs(&s->kasan_info, remote, remote_nr,
						   KASAN_EV_FREE_SLAB);
				__kmem_cache_free_bulk(s, remote_nr, remote);
				remote_nr = 0;
			}
			continue;
		}
		i++;
	}

next_batch:
	if (j >= size)
		goto flush_remote;
	if (!local_trylock(&s->cpu_sheaves[smp_processor_id()].lock))
		goto fallback;
	pcs = this_cpu_ptr(s->cpu_sheaves);

	if (likely(pcs->main->size < s->sheaf_capacity))
		goto do_free;
	barn = get_barn(s);
	if (!barn)
		goto no_empty;
	if (!pcs->spare) {
		empty = barn_get_empty_sheaf(barn, true);
		if (!empty)
			goto no_empty;
		pcs->spare = pcs->main;
		pcs->main = empty;
		goto do_free;
	}
	if (pcs->spare->size < s->sheaf_capacity) {
		struct slab_sheaf *tmp = pcs->spare;

		pcs->spare = pcs->main;
		pcs->main = tmp;
		goto do_free;
	}
	empty = barn_replace_full_sheaf(barn, pcs->main, true);
	if (IS_ERR(empty)) {
		stat(s, BARN_PUT_FAIL);
		goto no_empty;
	}
	stat(s, BARN_PUT);
	pcs->main = empty;

do_free:
	main = pcs->main;
	batch = min(size - j, s->sheaf_capacity - main->size);
	sheaf_objects_state(s, p + j, batch, KASAN_STATE_IN_SHEAF);
	kasan_history_objs(&s->kasan_info, p + j, batch, KASAN_EV_FREE_MAIN);
	memcpy(main->objects + main->size, p + j, batch * sizeof(void *));
	main->size += batch;
	local_unlock(&pcs->lock);
	stat_add(s, FREE_FASTPATH, batch);
	j += batch;
	sched_point(SP_free_bulk_batch);
	goto next_batch;

no_empty:
	local_unlock(&pcs->lock);
	sched_point(SP_free_bulk_batch);
fallback:
	/* no empty sheaf obtainable: the rest goes to slabs */
	sheaf_objects_state(s, p + j, size - j, KASAN_STATE_FREE);
	kasan_history_objs(&s->kasan_info, p + j, size - j, KASAN_EV_FREE_SLAB);
	__kmem_cache_free_bulk(s, size - j, p + j);
	stat_add(s, FREE_SLOWPATH, size - j);
flush_remote:
	if (remote_nr) {
		sheaf_objects_state(s, remote, remote_nr, KASAN_STATE_FREE);
		kasan_history_objs(&s->kasan_info, remote, remote_nr, KASAN_EV_FREE_SLAB);
		__kmem_cache_free_bulk(s, remote_nr, remote);
	}
}

void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p)
{
	if (!size)
		return;
	/* Callers may mix caches (kfree_bulk) when s is NULL: free one by one. */
	for (size_t i = 0; i < size; i++) {
		struct kmem_cache *cachep = cache_from_obj(s, p[i], __func__);

		/* a bulk free goes into one cache's sheaves: objects of another are dropped */
		if (!cachep || (s && cachep != s)) {
			p[i] = p[--size];
			i--;
		}
	}
	if (!s || !cache_has_sheaves(s)) {
		for (size_t i = 0; i < size; i++)
			slab_free(virt_to_slab(p[i])->slab_cache, virt_to_slab(p[i]), p[i]);
		return;
	}
	free_to_pcs_bulk(s, size, p);
}

/* ------------------------------------------------------------------------------------
 * kfree_rcu() batching through the per-CPU rcu_free sheaf.
 */

/*
 * Run the free hooks that kfree_rcu() deferred past the grace period. Objects KASAN takes
 * into quarantine leave the sheaf (last pointer moved into the slot). The rest are now
 * plain cached objects.
 */
static bool __rcu_free_sheaf_prepare(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	bool pfmemalloc = false;
	unsigned int i = 0;

	atomic_sub(&s->rcu_objects_in_flight, (long)sheaf->size);
	atomic_dec(&s->rcu_sheaves_in_flight);
	while (i < sheaf->size) {
		void *obj = sheaf->objects[i];

		if (!slab_free_hook(s, obj, true, false)) {
			sheaf->objects[i] = sheaf->objects[--sheaf->size];
			continue;
		}
		kasan_set_state(&s->kasan_info, obj, KASAN_STATE_IN_SHEAF);
		if (slab_test_pfmemalloc(virt_to_slab(obj)))
			pfmemalloc = true;
		i++;
	}
	return pfmemalloc;
}

/* Teardown callback: flush everything to slabs and free the sheaf. */
static void rcu_free_sheaf_nobarn(struct rcu_head *head)
{
	struct slab_sheaf *sheaf = container_of(head, struct slab_sheaf, rcu_head);
	struct kmem_cache *s = sheaf->cache;

	kasan_history_objs(&s->kasan_info, sheaf->objects, sheaf->size, KASAN_EV_RCU_CB);
	__rcu_free_sheaf_prepare(s, sheaf);
	sheaf_flush_unused(s, sheaf);
	free_empty_sheaf(s, sheaf);
}

/* Normal callback: the (nearly) full sheaf goes back into circulation through the barn. */
static void rcu_free_sheaf(struct rcu_head *head)
{
	struct slab_sheaf *sheaf = container_of(head, struct slab_sheaf, rcu_head);
	struct kmem_cache *s = sheaf->cache;
	struct node_barn *barn;

	kasan_history_objs(&s->kasan_info, sheaf->objects, sheaf->size, KASAN_EV_RCU_CB);
	if (__rcu_free_sheaf_prepare(s, sheaf))
		goto flush;
	barn = get_barn_node(s, sheaf->node);
	if (!barn)
		goto flush;
	if (!sheaf->size)
		goto empty;
	if (data_race(barn->nr_full) < MAX_FULL_SHEAVES) {
		stat(s, BARN_PUT);
		barn_put_full_sheaf(barn, sheaf);
		return;
	}
	stat(s, BARN_PUT_FAIL);
flush:
	sheaf_flush_unused(s, sheaf);
	barn = get_barn_node(s, sheaf->node);
empty:
	if (barn && data_race(barn->nr_empty) < MAX_EMPTY_SHEAVES) {
		barn_put_empty_sheaf(barn, sheaf);
		return;
	}
	free_empty_sheaf(s, sheaf);
}

static void __submit_rcu_sheaf(struct kmem_cache *s, struct slab_sheaf *sheaf,
			       rcu_callback_t func, const char *where)
{
	atomic_inc(&s->rcu_sheaves_in_flight);
	atomic_add(&s->rcu_objects_in_flight, (long)sheaf->size);
	kasan_history_objs_at(&s->kasan_info, sheaf->objects, sheaf->size,
			      func == rcu_free_sheaf_nobarn ? KASAN_EV_CALL_RCU_NOBARN :
			      KASAN_EV_CALL_RCU, where);
	call_rcu(&sheaf->rcu_head, func);
}

/* `where` (the caller) names the call_rcu in object histories */
#define submit_rcu_sheaf(s, sheaf, func) __submit_rcu_sheaf(s, sheaf, func, __func__)

bool __kfree_rcu_sheaf(struct kmem_cache *s, void *obj)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *rcu_sheaf;

	if (!local_trylock(&s->cpu_sheaves[smp_processor_id()].lock))
		goto fail;
	pcs = this_cpu_ptr(s->cpu_sheaves);

	if (unlikely(!pcs->rcu_free)) {
		struct slab_sheaf *empty;
		struct node_barn *barn;

		if (pcs->spare && pcs->spare->size == 0) {
			pcs->rcu_free = pcs->spare;
			pcs->spare = NULL;
			goto do_free;
		}
		barn = get_barn(s);
		if (!barn) {
			local_unlock(&pcs->lock);
			goto fail;
		}
		empty = barn_get_empty_sheaf(barn, true);
		if (empty) {
			pcs->rcu_free = empty;
			goto do_free;
		}
		local_unlock(&pcs->lock);
		sched_point(SP_kfree_rcu_unlocked);

		empty = alloc_empty_sheaf(s, GFP_NOWAIT);
		if (!empty)
			goto fail;
		sched_point(SP_kfree_rcu_relock);
		if (!local_trylock(&s->cpu_sheaves[smp_processor_id()].lock)) {
			barn_put_empty_sheaf(barn, empty);
			goto fail;
		}
		pcs = this_cpu_ptr(s->cpu_sheaves);
		/* while the lock was dropped another task, or an interrupt, may have installed
		 * an rcu_free sheaf: the seeded bug does not look */
		if (unlikely(pcs->rcu_free) && !SLAB_BUG(kfree_rcu_relock_no_recheck)) {
			barn = get_barn(s);
			if (barn)
				barn_put_empty_sheaf(barn, empty);
			else
				free_empty_sheaf(s, empty);
		} else {
			pcs->rcu_free = empty;
		}
	}

do_free:
	rcu_sheaf = pcs->rcu_free;
	kasan_set_state(&s->kasan_info, obj, KASAN_STATE_RCU_PENDING);
	kasan_history(&s->kasan_info, obj, KASAN_EV_KFREE_RCU_SHEAF);
	rcu_sheaf->objects[rcu_sheaf->size++] = obj;
	if (likely(rcu_sheaf->size < s->sheaf_capacity)) {
		rcu_sheaf = NULL;
	} else {
		pcs->rcu_free = NULL;
		rcu_sheaf->node = numa_mem_id();
		kasan_history_objs(&s->kasan_info, rcu_sheaf->objects, rcu_sheaf->size,
				   KASAN_EV_RCU_SHEAF_FULL);
	}
	/* Before local_unlock, so a concurrent flush_rcu_sheaf cannot miss it. */
	if (rcu_sheaf) {
		sched_point(SP_kfree_rcu_before_call_rcu);
		submit_rcu_sheaf(s, rcu_sheaf, rcu_free_sheaf);
	}
	local_unlock(&pcs->lock);
	sched_point(SP_kfree_rcu_after_unlock);
	stat(s, FREE_RCU_SHEAF);
	return true;
fail:
	stat(s, FREE_RCU_SHEAF_FAIL);
	return false;
}

/*
 * The per-CPU flush works of flush_rcu_sheaves_on_cache() and flush_all_cpus_locked(), as
 * the kernel's DEFINE_PER_CPU(struct slub_flush_work, slub_flush): one item per CPU, used
 * by one flush at a time (flush_lock), INIT_WORK()ed again by each.
 */
struct slub_flush_work {
	struct work_struct work;
	struct kmem_cache *s;
	bool skip;
};

static DEFINE_MUTEX(flush_lock);
static struct slub_flush_work slub_flush[MAX_CPUS];

/*
 * The flush_rcu_sheaf work: runs on the CPU it was queued to (or, queued to a CPU that
 * went offline, on whichever CPU the unbound worker is on) and flushes *that* CPU's
 * rcu_free sheaf.
 */
static void flush_rcu_sheaf(struct work_struct *w)
{
	struct slub_flush_work *sfw = container_of(w, struct slub_flush_work, work);
	struct kmem_cache *s = sfw->s;
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *rcu_free;

	local_lock(&s->cpu_sheaves[smp_processor_id()].lock);
	pcs = this_cpu_ptr(s->cpu_sheaves);
	rcu_free = pcs->rcu_free;
	pcs->rcu_free = NULL;
	local_unlock(&pcs->lock);
	if (rcu_free) {
		kasan_history_objs(&s->kasan_info, rcu_free->objects, rcu_free->size,
				   KASAN_EV_RCU_SHEAF_DETACHED);
		sched_point(SP_flush_rcu_sheaf_before_call_rcu);
		submit_rcu_sheaf(s, rcu_free, rcu_free_sheaf_nobarn);
		sched_point(SP_flush_rcu_sheaf_after_call_rcu);
	}
}

/*
 * Needs cpus_read_lock so the set of online CPUs cannot change under us: the assertion is
 * the one the fix for bug B2 added; the caller that forgot the lock is the seeded bug.
 * Without it a CPU may go down between the two walks: its work is then run by an unbound
 * worker on another CPU (or not yet at all: the second walk skips offline CPUs) while its
 * rcu_free sheaf waits for slub_cpu_dead().
 */
void flush_rcu_sheaves_on_cache(struct kmem_cache *s)
{
	struct slub_flush_work *sfw;
	int cpu;

	lockdep_assert_cpus_held();

	mutex_lock(&flush_lock);
	for_each_online_cpu(cpu) {
		sfw = &slub_flush[cpu];
		/*
		 * We don't check if the rcu_free sheaf exists: a racing __kfree_rcu_sheaf()
		 * might have just removed it. Running flush_rcu_sheaf() on the CPU makes sure
		 * that __kfree_rcu_sheaf() finished its call_rcu().
		 */
		INIT_WORK(&sfw->work, flush_rcu_sheaf);
		sfw->s = s;
		queue_work_on(cpu, &sfw->work);
		sched_point(SP_flush_rcu_queue_walk);
	}
	for_each_online_cpu(cpu) {
		sfw = &slub_flush[cpu];
		flush_work(&sfw->work);
		sched_point(SP_flush_rcu_flush_walk);
	}
	mutex_unlock(&flush_lock);
}

void flush_all_rcu_sheaves(void)
{
	struct kmem_cache *s;

	cpus_read_lock();
	mutex_lock(&slab_mutex);
	list_for_each_entry(s, &slab_caches, list) {
		if (cache_has_sheaves(s))
			flush_rcu_sheaves_on_cache(s);
		sched_point(SP_flush_all_rcu_sheaves_cache);
	}
	mutex_unlock(&slab_mutex);
	cpus_read_unlock();
	sched_point(SP_flush_all_rcu_sheaves_before_barrier);
	rcu_barrier();
}

/* ------------------------------------------------------------------------------------
 * Flushing per-CPU sheaves: shrink, destroy, hotplug.
 */

/* pcs_flush_all(): everything of the CPU the flush_cpu_sheaves work runs on. */
static void pcs_flush_all(struct kmem_cache *s)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *spare, *rcu_free;
	void *objects[PCS_BATCH_MAX];
	unsigned int batch;

	local_lock(&s->cpu_sheaves[smp_processor_id()].lock);
	pcs = this_cpu_ptr(s->cpu_sheaves);
	spare = pcs->spare;
	pcs->spare = NULL;
	rcu_free = pcs->rcu_free;
	pcs->rcu_free = NULL;
	local_unlock(&pcs->lock);
	sched_point(SP_pcs_flush_all_detached);

	if (spare) {
		sheaf_flush_unused(s, spare);
		free_empty_sheaf(s, spare);
	}
	if (rcu_free) {
		kasan_history_objs(&s->kasan_info, rcu_free->objects, rcu_free->size,
				   KASAN_EV_RCU_SHEAF_DETACHED);
		submit_rcu_sheaf(s, rcu_free, rcu_free_sheaf_nobarn);
		sched_point(SP_pcs_flush_all_after_call_rcu);
	}

	/*
	 * sheaf_flush_main(), in batches with the lock dropped while freeing; a blocking
	 * local_lock rather than its trylock, so another task of this CPU (stress) cannot make
	 * the flush skip main. The task is preemptible between batches (a migrated kworker
	 * goes on with its new CPU's main, as the kernel's unbound worker would).
	 */
	do {
		local_lock(&s->cpu_sheaves[smp_processor_id()].lock);
		pcs = this_cpu_ptr(s->cpu_sheaves);
		batch = min(PCS_BATCH_MAX, pcs->main->size);
		pcs->main->size -= batch;
		memcpy(objects, pcs->main->objects + pcs->main->size, batch * sizeof(void *));
		local_unlock(&pcs->lock);
		sched_point(SP_pcs_flush_all_batch);
		kasan_history_objs(&s->kasan_info, objects, batch, KASAN_EV_SHEAF_FLUSHED);
		__kmem_cache_free_bulk(s, batch, objects);
		stat_add(s, SHEAF_FLUSH, batch);
	} while (batch);
}

static void flush_cpu_sheaves(struct work_struct *w)
{
	struct slub_flush_work *sfw = container_of(w, struct slub_flush_work, work);

	if (cache_has_sheaves(sfw->s))
		pcs_flush_all(sfw->s);
}

/*
 * The kernel reads these racily before queueing the flush work; we check under the target
 * CPU's lock, which the work takes anyway, so TSan sees no race.
 */
static bool has_pcs_used(int cpu, struct kmem_cache *s)
{
	struct slub_percpu_sheaves *pcs = per_cpu_ptr(s->cpu_sheaves, cpu);
	bool used;

	local_lock(&pcs->lock);
	used = pcs->spare || pcs->rcu_free || pcs->main->size;
	local_unlock(&pcs->lock);
	return used;
}

static void flush_all_cpus_locked(struct kmem_cache *s)
{
	struct slub_flush_work *sfw;
	int cpu;

	lockdep_assert_cpus_held();
	if (!cache_has_sheaves(s))
		return;
	mutex_lock(&flush_lock);
	for_each_online_cpu(cpu) {
		sfw = &slub_flush[cpu];
		if (!has_pcs_used(cpu, s)) {
			sfw->skip = true;
			sched_point(SP_flush_all_queue_walk);
			continue;
		}
		INIT_WORK(&sfw->work, flush_cpu_sheaves);
		sfw->skip = false;
		sfw->s = s;
		queue_work_on(cpu, &sfw->work);
		sched_point(SP_flush_all_queue_walk);
	}
	for_each_online_cpu(cpu) {
		sfw = &slub_flush[cpu];
		if (sfw->skip)
			continue;
		flush_work(&sfw->work);
		sched_point(SP_flush_all_flush_walk);
	}
	mutex_unlock(&flush_lock);
}

static void flush_all(struct kmem_cache *s)
{
	cpus_read_lock();
	flush_all_cpus_locked(s);
	cpus_read_unlock();
}

/* A dead CPU: nobody runs there, so its pcs is flushed without its lock. */
static void __pcs_flush_all_cpu(struct kmem_cache *s, unsigned int cpu)
{
	struct slub_percpu_sheaves *pcs = per_cpu_ptr(s->cpu_sheaves, cpu);

	if (pcs->spare) {
		sheaf_flush_unused(s, pcs->spare);
		free_empty_sheaf(s, pcs->spare);
		pcs->spare = NULL;
	}
	if (pcs->rcu_free) {
		kasan_history_objs(&s->kasan_info, pcs->rcu_free->objects, pcs->rcu_free->size,
				   KASAN_EV_RCU_SHEAF_DETACHED);
		submit_rcu_sheaf(s, pcs->rcu_free, rcu_free_sheaf_nobarn);
		pcs->rcu_free = NULL;
	}
	sheaf_flush_unused(s, pcs->main);
}

int slub_cpu_dead(unsigned int cpu)
{
	struct kmem_cache *s;

	mutex_lock(&slab_mutex);
	list_for_each_entry(s, &slab_caches, list) {
		if (cache_has_sheaves(s))
			__pcs_flush_all_cpu(s, cpu);
		sched_point(SP_slub_cpu_dead_cache);
	}
	mutex_unlock(&slab_mutex);
	return 0;
}

/* pcs structures exist for all possible CPUs from creation: nothing to do. */
int slub_cpu_setup(unsigned int cpu)
{
	return 0;
}

/* Flush the full sheaves of a barn to slabs and free every sheaf. */
static void barn_shrink(struct kmem_cache *s, struct node_barn *barn)
{
	struct list_head full_list, empty_list;
	struct slab_sheaf *sheaf, *next;
	unsigned long flags;

	INIT_LIST_HEAD(&full_list);
	INIT_LIST_HEAD(&empty_list);
	spin_lock_irqsave(&barn->lock, flags);
	list_splice_init(&barn->sheaves_full, &full_list);
	WRITE_ONCE(barn->nr_full, 0);
	list_splice_init(&barn->sheaves_empty, &empty_list);
	WRITE_ONCE(barn->nr_empty, 0);
	spin_unlock_irqrestore(&barn->lock, flags);

	list_for_each_entry_safe(sheaf, next, &full_list, barn_list) {
		sheaf_flush_unused(s, sheaf);
		free_empty_sheaf(s, sheaf);
	}
	list_for_each_entry_safe(sheaf, next, &empty_list, barn_list)
		free_empty_sheaf(s, sheaf);
}

/*
 * Every barn before any partial list. The kernel (__kmem_cache_shutdown,
 * __kmem_cache_do_shrink) shrinks node N's barn just before node N's partial list, but a
 * barn can hold objects of other nodes' slabs (a sheaf prefilled on one node and returned
 * on another, or refilled from a remote node, goes to the local barn): node 0's slabs then
 * still look used when node 0 is checked, and destroy reports a leak that is not one.
 * The fuzzer found this; it is a candidate upstream report.
 */
static void barn_shrink_all(struct kmem_cache *s)
{
	struct kmem_cache_node *n;
	int node;

	for_each_kmem_cache_node(s, node, n)
		if (n->barn)
			barn_shrink(s, n->barn);
}

#define SHRINK_PROMOTE_MAX 32

/* Discard empty partial slabs; order the rest so the fullest are at the head. */
static int __kmem_cache_do_shrink(struct kmem_cache *s)
{
	struct kmem_cache_node *n;
	unsigned long flags;
	struct list_head discard, promote[SHRINK_PROMOTE_MAX];
	struct slab *slab, *t;
	int node, ret = 0;

	if (!SLAB_BUG(shutdown_barn_per_node))
		barn_shrink_all(s);
	for_each_kmem_cache_node(s, node, n) {
		if (SLAB_BUG(shutdown_barn_per_node) && n->barn)
			barn_shrink(s, n->barn);
		INIT_LIST_HEAD(&discard);
		for (int i = 0; i < SHRINK_PROMOTE_MAX; i++)
			INIT_LIST_HEAD(promote + i);

		spin_lock_irqsave(&n->list_lock, flags);
		list_for_each_entry_safe(slab, t, &n->partial, slab_list) {
			unsigned long c = READ_ONCE(slab->freelist_counters.second);
			int free = (int)(SLAB_OBJECTS(c) - SLAB_INUSE(c));

			if (free == (int)SLAB_OBJECTS(c)) {
				remove_partial(n, slab);
				list_add(&slab->slab_list, &discard);
				/* remove_partial() cleared SL_partial; the slab is ours now */
			} else if (free <= SHRINK_PROMOTE_MAX) {
				list_move(&slab->slab_list, promote + free - 1);
			}
		}
		for (int i = SHRINK_PROMOTE_MAX - 1; i >= 0; i--) {
			while (!list_empty(promote + i)) {
				struct list_head *e = promote[i].prev;

				list_del(e);
				list_add(e, &n->partial);
			}
		}
		spin_unlock_irqrestore(&n->list_lock, flags);

		list_for_each_entry_safe(slab, t, &discard, slab_list)
			discard_slab(s, slab);
		if (atomic_read(&n->nr_slabs))
			ret = 1;
		sched_point(SP_shrink_node);
	}
	return ret;
}

int __kmem_cache_shrink(struct kmem_cache *s)
{
	flush_all(s);
	return __kmem_cache_do_shrink(s);
}

bool __kmem_cache_empty(struct kmem_cache *s)
{
	struct kmem_cache_node *n;
	int node;

	/* lockless, as the kernel's: a quarantine reducer may be freeing an object of this
	 * cache right now (kasan_cache_shutdown's caller); its slab still counts in nr_slabs,
	 * so a stale nr_partial cannot make a cache with objects look empty */
	for_each_kmem_cache_node(s, node, n)
		if (READ_ONCE(n->nr_partial) || atomic_read(&n->nr_slabs))
			return false;
	return true;
}

/* Report a partial slab that still has objects at shutdown (list_slab_objects). */
#define LEAK_HISTORIES	3
static void list_slab_objects(struct kmem_cache *s, struct slab *slab, const char *text)
{
	void *addr = slab_address(slab);
	unsigned long c = slab->freelist_counters.second;
	unsigned int objects = SLAB_OBJECTS(c), shown = 0;

	report_begin(REPORT_SLAB_LEAK, "__kmem_cache_shutdown", "%s", text);
	report_detail("  cache: %s", s->name);
	report_detail("  slab: %p objects=%u used=%u node=%d", addr, objects, SLAB_INUSE(c),
		      slab_nid(slab));
	for (unsigned int i = 0; i < objects && shown < 8; i++) {
		void *p = (char *)addr + (size_t)i * s->size;
		enum kasan_state st = kasan_get_state(&s->kasan_info, p);

		if (st == KASAN_STATE_FREE)
			continue;
		report_detail("  Object %p @offset=%zu state=%s", p, (size_t)i * s->size,
			      kasan_state_name(st));
		shown++;
	}
	/* the histories of the first few listed (recorded only with history on) */
	for (unsigned int i = 0, nr = 0; i < objects && nr < LEAK_HISTORIES; i++) {
		void *p = (char *)addr + (size_t)i * s->size;

		if (kasan_get_state(&s->kasan_info, p) == KASAN_STATE_FREE)
			continue;
		kasan_report_history(&s->kasan_info, p);
		nr++;
	}
	report_end();
}

/* Attempt to free all partial slabs; report those that still have objects. */
static void free_partial(struct kmem_cache *s, struct kmem_cache_node *n)
{
	struct list_head discard;
	struct slab *slab, *h;
	unsigned long flags;

	INIT_LIST_HEAD(&discard);
	spin_lock_irqsave(&n->list_lock, flags);
	list_for_each_entry_safe(slab, h, &n->partial, slab_list) {
		if (!SLAB_INUSE(slab->freelist_counters.second)) {
			remove_partial(n, slab);
			list_add(&slab->slab_list, &discard);
		} else {
			list_slab_objects(s, slab,
				"Objects remaining on __kmem_cache_shutdown()");
		}
	}
	spin_unlock_irqrestore(&n->list_lock, flags);

	list_for_each_entry_safe(slab, h, &discard, slab_list)
		discard_slab(s, slab);
}

int __kmem_cache_shutdown(struct kmem_cache *s)
{
	struct kmem_cache_node *n;
	int node;

	flush_all_cpus_locked(s);
	sched_point(SP_shutdown_after_flush);

	/* we might have rcu sheaves in flight */
	if (cache_has_sheaves(s))
		rcu_barrier();
	sched_point(SP_shutdown_after_rcu_barrier);

	if (!SLAB_BUG(shutdown_barn_per_node))
		barn_shrink_all(s);
	for_each_kmem_cache_node(s, node, n) {
		if (SLAB_BUG(shutdown_barn_per_node) && n->barn)
			barn_shrink(s, n->barn);
		free_partial(s, n);
		if (n->nr_partial || atomic_read(&n->nr_slabs))
			return 1;
	}
	return 0;
}

static void pcs_destroy(struct kmem_cache *s)
{
	int cpu;

	if (!s->cpu_sheaves)
		return;
	for_each_possible_cpu(cpu) {
		struct slub_percpu_sheaves *pcs = per_cpu_ptr(s->cpu_sheaves, cpu);

		/* can happen when unwinding a failed create */
		if (!pcs->main)
			continue;
		WARN_ON(pcs->spare);
		WARN_ON(pcs->rcu_free);
		if (!WARN_ON(pcs->main->size) && pcs->main != &bootstrap_sheaf)
			free_empty_sheaf(s, pcs->main);
		pcs->main = NULL;
	}
	free_percpu(s->cpu_sheaves);
	s->cpu_sheaves = NULL;
}

static void free_kmem_cache_nodes(struct kmem_cache *s)
{
	struct kmem_cache_node *n;
	int node;

	for_each_kmem_cache_node(s, node, n) {
		if (n->barn) {
			WARN_ON(n->barn->nr_full);
			WARN_ON(n->barn->nr_empty);
			platform_free(n->barn);
		}
		s->node[node] = NULL;
		platform_free(n);
	}
}

void __kmem_cache_release(struct kmem_cache *s)
{
	pcs_destroy(s);
	free_kmem_cache_nodes(s);
	free_percpu(s->cpu_stats);
	s->cpu_stats = NULL;
}

/* ------------------------------------------------------------------------------------
 * Prefilled sheaves (the maple tree's guaranteed allocations).
 */
static void prefill_track(struct kmem_cache *s, struct slab_sheaf *sheaf, bool lent)
{
	spin_lock(&s->prefill_lock);
	if (lent)
		list_add_tail(&sheaf->prefill_list, &s->prefilled);
	else
		list_del_init(&sheaf->prefill_list);
	spin_unlock(&s->prefill_lock);
}

/* Refill a lent sheaf to full capacity without the reserves; if that fails and the caller
 * may use them, with them, and remember it: the sheaf is then not reused when returned. */
static int __prefill_sheaf_pfmemalloc(struct kmem_cache *s, struct slab_sheaf *sheaf, gfp_t gfp)
{
	int ret = refill_sheaf(s, sheaf, gfp | __GFP_NOMEMALLOC);

	if (likely(!ret || !gfp_pfmemalloc_allowed(gfp)))
		return ret;
	ret = refill_sheaf(s, sheaf, gfp);
	sheaf->pfmemalloc = true;
	return ret;
}

/* Flush and free a sheaf that will not be reused; oversize ones bypass the counters. */
static void sheaf_discard(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	sheaf_flush_unused(s, sheaf);
	if (sheaf->oversize)
		platform_free(sheaf);
	else
		free_empty_sheaf(s, sheaf);
}

struct slab_sheaf *kmem_cache_prefill_sheaf(struct kmem_cache *s, gfp_t gfp, unsigned int size)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *sheaf = NULL;
	struct node_barn *barn;

	if (unlikely(!size))
		return NULL;

	if (unlikely(size > s->sheaf_capacity)) {
		sheaf = __alloc_empty_sheaf(s, gfp, size);
		if (!sheaf)
			return NULL;
		sheaf->oversize = true;
		stat(s, SHEAF_PREFILL_OVERSIZE);
		if (!__kmem_cache_alloc_bulk(s, gfp, size, sheaf->objects)) {
			platform_free(sheaf);
			return NULL;
		}
		sheaf_objects_state(s, sheaf->objects, size, KASAN_STATE_IN_SHEAF);
		sheaf->size = size;
		prefill_track(s, sheaf, true);
		return sheaf;
	}

	local_lock(&s->cpu_sheaves[smp_processor_id()].lock);
	pcs = this_cpu_ptr(s->cpu_sheaves);
	if (pcs->spare) {
		sheaf = pcs->spare;
		pcs->spare = NULL;
		stat(s, SHEAF_PREFILL_FAST);
	} else {
		barn = get_barn(s);
		stat(s, SHEAF_PREFILL_SLOW);
		if (barn)
			sheaf = barn_get_full_or_empty_sheaf(barn);
		if (sheaf && sheaf->size)
			stat(s, BARN_GET);
		else
			stat(s, BARN_GET_FAIL);
	}
	local_unlock(&pcs->lock);
	sched_point(SP_prefill_unlocked);

	if (!sheaf)
		sheaf = alloc_empty_sheaf(s, gfp);
	if (sheaf) {
		sheaf->capacity = s->sheaf_capacity;
		sheaf->pfmemalloc = false;
		if (sheaf->size < size && __prefill_sheaf_pfmemalloc(s, sheaf, gfp)) {
			sheaf_discard(s, sheaf);
			return NULL;
		}
		prefill_track(s, sheaf, true);
	}
	return sheaf;
}

void kmem_cache_return_sheaf(struct kmem_cache *s, gfp_t gfp, struct slab_sheaf *sheaf)
{
	struct slub_percpu_sheaves *pcs;
	struct node_barn *barn;

	prefill_track(s, sheaf, false);
	if (unlikely(sheaf->oversize || sheaf->pfmemalloc)) {
		sheaf_discard(s, sheaf);
		return;
	}

	local_lock(&s->cpu_sheaves[smp_processor_id()].lock);
	pcs = this_cpu_ptr(s->cpu_sheaves);
	barn = get_barn(s);
	if (!pcs->spare) {
		pcs->spare = sheaf;	/* as-is, possibly partially filled */
		sheaf = NULL;
		stat(s, SHEAF_RETURN_FAST);
	}
	local_unlock(&pcs->lock);
	if (!sheaf)
		return;
	sched_point(SP_return_sheaf_unlocked);

	stat(s, SHEAF_RETURN_SLOW);
	/*
	 * Refill so it can be a full barn sheaf; if that fails it goes away. Unlike the
	 * kernel, which refills with the caller's gfp, without the reserves: a barn sheaf
	 * serves any allocation, so a PF_MEMALLOC caller's refill must not fill it from
	 * reserve slabs (the return_sheaf_refill_reserves bug).
	 */
	if (!SLAB_BUG(return_sheaf_refill_reserves))
		gfp |= __GFP_NOMEMALLOC;
	if (!barn || data_race(barn->nr_full) >= MAX_FULL_SHEAVES ||
	    refill_sheaf(s, sheaf, gfp)) {
		sheaf_discard(s, sheaf);
		return;
	}
	barn_put_full_sheaf(barn, sheaf);
	stat(s, BARN_PUT);
}

int kmem_cache_refill_sheaf(struct kmem_cache *s, gfp_t gfp, struct slab_sheaf **sheafp,
			    unsigned int size)
{
	struct slab_sheaf *sheaf;

	if (!sheafp || !*sheafp)
		return -EINVAL;
	sheaf = *sheafp;
	if (sheaf->size >= size)
		return 0;

	if (likely(sheaf->capacity >= size)) {
		if (likely(!sheaf->oversize))
			return __prefill_sheaf_pfmemalloc(s, sheaf, gfp);
		/* oversize: bulk-fill to capacity */
		if (!__kmem_cache_alloc_bulk(s, gfp, sheaf->capacity - sheaf->size,
					     &sheaf->objects[sheaf->size]))
			return -ENOMEM;
		sheaf_objects_state(s, &sheaf->objects[sheaf->size],
				    sheaf->capacity - sheaf->size, KASAN_STATE_IN_SHEAF);
		sheaf->size = sheaf->capacity;
		return 0;
	}

	/* A bigger sheaf is needed: prefill a new one, return the old one. */
	sheaf = kmem_cache_prefill_sheaf(s, gfp, size);
	if (!sheaf)
		return -ENOMEM;
	kmem_cache_return_sheaf(s, gfp, *sheafp);
	*sheafp = sheaf;
	return 0;
}

void *kmem_cache_alloc_from_sheaf(struct kmem_cache *s, gfp_t gfp, struct slab_sheaf *sheaf)
{
	void *ret;

	if (sheaf->size == 0)
		return NULL;
	ret = sheaf->objects[--sheaf->size];
	kasan_history(&s->kasan_info, ret, KASAN_EV_ALLOC_PREFILLED);
	slab_post_alloc_hook(s, gfp, 1, &ret);
	return ret;
}

unsigned int kmem_cache_sheaf_size(struct slab_sheaf *sheaf)
{
	return sheaf->size;
}

/* ------------------------------------------------------------------------------------
 * kmalloc_nolock() / kfree_nolock(): any context, NMI included. allow_spin = false:
 * every spinlock a trylock, no sheaf allocation, no refill.
 */
void *kmalloc_nolock_noprof(size_t size, gfp_t gfp_flags, int node)
{
	gfp_t alloc_gfp = (gfp_flags & (__GFP_ZERO | __GFP_ACCOUNT | __GFP_NO_OBJ_EXT)) | __GFP_NOWARN;
	struct kmem_cache *s;
	bool can_retry = true;
	void *ret;

	if (WARN_ON(gfp_flags & ~(__GFP_ACCOUNT | __GFP_ZERO | __GFP_NO_OBJ_EXT)))
		return NULL;
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return NULL;
retry:
	s = kmalloc_cache_for(size);
	if (!s)
		return NULL;
	/* slab_lock() could be interrupted by an NMI on this CPU */
	if (!system_has_freelist_aba())
		return NULL;

	ret = alloc_from_pcs(s, alloc_gfp, node);
	if (!ret)
		ret = ___slab_alloc(s, alloc_gfp, node);
	if (!ret && can_retry) {
		/* likely this CPU was interrupted holding this bucket's locks: next bucket */
		size = s->object_size + 1;
		can_retry = false;
		if (size <= KMALLOC_MAX_CACHE_SIZE) {
			sched_point(SP_kmalloc_nolock_retry);
			goto retry;
		}
	}
	if (ret)
		slab_post_alloc_hook(s, alloc_gfp, 1, &ret);
	return ret;
}

/* Push onto this CPU's deferred list; the "irq_work" runs when not in an interrupt. */
static void defer_free(struct kmem_cache *s, void *object)
{
	struct defer_free *df = &defer_free_objects[smp_processor_id()];
	void *old;

	kasan_set_state(&s->kasan_info, object, KASAN_STATE_DEFERRED);
	kasan_history(&s->kasan_info, object, KASAN_EV_DEFERRED);
	atomic_inc(&s->deferred_objects);
	/* llist_add through the object's free pointer slot; the cache is found later from
	 * the slab, as free_deferred_objects() does */
	old = __atomic_load_n(&df->head, __ATOMIC_RELAXED);
	do {
		set_freepointer(s, object, old);
	} while (!__atomic_compare_exchange_n(&df->head, &old, object, false,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

void run_deferred_frees(int cpu)
{
	struct defer_free *df = &defer_free_objects[cpu];
	void *object = __atomic_exchange_n(&df->head, NULL, __ATOMIC_ACQUIRE);

	while (object) {
		struct slab *slab = virt_to_slab(object);
		struct kmem_cache *s = slab->slab_cache;
		void *next = get_freepointer(s, object);

		atomic_dec(&s->deferred_objects);
		kasan_set_state(&s->kasan_info, object, KASAN_STATE_FREE);
		kasan_history(&s->kasan_info, object, KASAN_EV_DEFERRED_RUN);
		__slab_free(s, slab, object, object, 1);
		stat(s, FREE_SLOWPATH);
		object = next;
	}
}

void defer_free_barrier(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		run_deferred_frees(cpu);
}

void slab_free_nolock(struct kmem_cache *s, struct slab *slab, void *object)
{
	if (!kasan_check_free(&s->kasan_info, object, "kfree_nolock"))
		return;
	/* kasan_slab_free(..., no_quarantine=true) never keeps the object */
	kasan_slab_free(&s->kasan_info, object, s->flags & SLAB_TYPESAFE_BY_RCU, true);
	if (can_free_to_pcs(slab) && free_to_pcs(s, object, false))
		return;
	defer_free(s, object);
	/* irq_work: runs as soon as we are back in an interruptible context */
	if (!in_interrupt())
		run_deferred_frees(smp_processor_id());
}

/* ------------------------------------------------------------------------------------
 * Cache creation.
 */
static unsigned int fls_u(unsigned int x)
{
	return x ? 32 - (unsigned int)__builtin_clz(x) : 0;
}

static unsigned int ilog2_u(unsigned int x)
{
	return fls_u(x) - 1;
}

/* calc_slab_order(): smallest order whose waste is at most 1/fract of the slab. */
static unsigned int calc_slab_order(unsigned int size, unsigned int min_order,
				    unsigned int max_order, unsigned int fract)
{
	for (unsigned int order = min_order; order <= max_order; order++) {
		unsigned long slab_size = PAGE_SIZE << order;
		unsigned long rem = slab_size % size;

		if (rem <= slab_size / fract)
			return order;
	}
	return max_order;
}

static unsigned int calculate_order(unsigned int size)
{
	unsigned int min_objects = 4 * (fls_u(nr_cpu_ids) + 1);
	unsigned int min_order = 0;

	while (min_order < SLUB_MAX_ORDER &&
	       (PAGE_SIZE << min_order) < (unsigned long)min_objects * size)
		min_order++;
	while (min_order > 0 && oo_objects_of(min_order, size) > 0x7fff)
		min_order--;
	for (unsigned int fract = 16; fract > 1; fract /= 2) {
		unsigned int order = calc_slab_order(size, 0, min_order, fract);

		if (order <= min_order)
			return order;
	}
	return min_order;
}

/*
 * calculate_sheaf_capacity(): 0 for debug and NOLEAKTRACE caches; else a base by object
 * size grown so the sheaf fills its kmalloc bucket (with the kernel's 32-byte sheaf
 * header on 64-bit: 60, 28, 12, 4), and at least what the creator asked for.
 */
unsigned int calculate_sheaf_capacity(struct kmem_cache *s, struct kmem_cache_args *args)
{
	unsigned int capacity, bytes, bucket;

	if (s->flags & (SLAB_DEBUG_FLAGS | SLAB_NOLEAKTRACE))
		return 0;
	if (s->size >= PAGE_SIZE)
		capacity = 4;
	else if (s->size >= 1024)
		capacity = 12;
	else if (s->size >= 256)
		capacity = 26;
	else
		capacity = 60;
	bytes = 32 + capacity * 8;
	bucket = 1u << fls_u(bytes - 1);
	capacity = (bucket - 32) / 8;
	return max(capacity, args ? args->sheaf_capacity : 0u);
}

/*
 * calculate_sizes(): object, then the free pointer outside the object when the object must
 * keep its contents while free (ctor, SLAB_TYPESAFE_BY_RCU) unless the creator gave
 * freeptr_offset; else the free pointer in the middle of the object. KASAN metadata last.
 */
static bool calculate_sizes(struct kmem_cache *s, struct kmem_cache_args *args)
{
	unsigned int size = ALIGN(s->object_size, (unsigned int)sizeof(void *));

	s->inuse = size;
	if (((s->flags & SLAB_TYPESAFE_BY_RCU) || s->ctor) &&
	    !(args && args->use_freeptr_offset)) {
		s->offset = size;
		size += sizeof(void *);
	} else if (args && args->use_freeptr_offset) {
		s->offset = args->freeptr_offset;
	} else {
		s->offset = (s->object_size / 2) & ~(unsigned int)(sizeof(void *) - 1);
	}
	kasan_cache_create(&s->kasan_info, s->name, s->object_size, &size,
			   s->flags & SLAB_TYPESAFE_BY_RCU, slab_kasan_release);
	size = ALIGN(size, s->align);
	s->size = size;
	if (size > (PAGE_SIZE << SLUB_MAX_ORDER))
		return false;
	s->oo_order = calculate_order(size);
	s->oo_objects = oo_objects_of(s->oo_order, size);
	s->min_order = 0;
	while ((PAGE_SIZE << s->min_order) < size)
		s->min_order++;
	s->min_objects = oo_objects_of(s->min_order, size);
	return s->oo_objects > 0;
}

static bool init_kmem_cache_nodes(struct kmem_cache *s)
{
	int node;

	for_each_node_with_memory(node) {
		struct kmem_cache_node *n = platform_zalloc(sizeof(*n));

		spin_lock_init_named(&n->list_lock, "n->list_lock");
		INIT_LIST_HEAD(&n->partial);
		INIT_LIST_HEAD(&n->full);
		if (cache_has_sheaves(s)) {
			n->barn = platform_zalloc(sizeof(*n->barn));
			barn_init(n->barn);
		}
		s->node[node] = n;
	}
	return true;
}

static bool init_percpu_sheaves(struct kmem_cache *s)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct slub_percpu_sheaves *pcs = per_cpu_ptr(s->cpu_sheaves, cpu);

		local_trylock_init(&pcs->lock);
		if (!cache_has_sheaves(s)) {
			pcs->main = &bootstrap_sheaf;
			continue;
		}
		pcs->main = alloc_empty_sheaf(s, GFP_KERNEL);
		if (!pcs->main)
			return false;
	}
	return true;
}

static unsigned int calculate_alignment(slab_flags_t flags, unsigned int align,
					unsigned int size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = L1_CACHE_BYTES;

		while (size <= ralign / 2)
			ralign /= 2;
		align = max(align, ralign);
	}
	align = max(align, (unsigned int)ARCH_KMALLOC_MINALIGN);
	return ALIGN(align, (unsigned int)sizeof(void *));
}

int do_kmem_cache_create(struct kmem_cache *s, const char *name, unsigned int size,
			 struct kmem_cache_args *args, slab_flags_t flags)
{
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->object_size = size;
	s->flags = flags;
	s->ctor = args ? args->ctor : NULL;
	s->align = calculate_alignment(flags, args ? args->align : 0, size);
	s->useroffset = args ? args->useroffset : 0;
	s->usersize = args ? args->usersize : 0;
	INIT_LIST_HEAD(&s->list);
	INIT_LIST_HEAD(&s->prefilled);
	INIT_LIST_HEAD(&s->all_slabs);
	spin_lock_init_named(&s->prefill_lock, "s->prefill_lock");

	if (!calculate_sizes(s, args))
		return -EINVAL;
	s->sheaf_capacity = calculate_sheaf_capacity(s, args);
	s->min_partial = clamp(ilog2_u(s->size) / 2, (unsigned int)MIN_PARTIAL,
			       (unsigned int)MAX_PARTIAL);

	s->cpu_stats = alloc_percpu(struct kmem_cache_stats);
	s->cpu_sheaves = alloc_percpu(struct slub_percpu_sheaves);
	if (!init_kmem_cache_nodes(s) || !init_percpu_sheaves(s)) {
		__kmem_cache_release(s);
		return -ENOMEM;
	}
	return 0;
}
