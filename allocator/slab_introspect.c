// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only introspection and validate_slab_cache(): where every object of a cache is,
 * and whether the allocator's structures agree with each other and with KASAN's shadow.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "slab_internal.h"

static const char *const stat_names[NR_SLUB_STAT_ITEMS] = {
	"alloc_fastpath", "alloc_slowpath", "free_rcu_sheaf", "free_rcu_sheaf_fail",
	"free_fastpath", "free_slowpath", "free_add_partial", "free_remove_partial",
	"alloc_slab", "alloc_node_mismatch", "free_slab", "order_fallback",
	"cmpxchg_double_fail", "sheaf_flush", "sheaf_refill", "sheaf_alloc", "sheaf_free",
	"barn_get", "barn_get_fail", "barn_put", "barn_put_fail", "sheaf_prefill_fast",
	"sheaf_prefill_slow", "sheaf_prefill_oversize", "sheaf_return_fast",
	"sheaf_return_slow",
};

const char *slab_stat_name(enum stat_item item)
{
	return item < NR_SLUB_STAT_ITEMS ? stat_names[item] : "?";
}

unsigned int slab_sheaf_capacity(const struct kmem_cache *s)
{
	return cache_has_sheaves(s) ? s->sheaf_capacity : 0;
}

unsigned long slab_stat_cpu(const struct kmem_cache *s, enum stat_item item, int cpu)
{
	return atomic_read(&per_cpu_ptr(s->cpu_stats, cpu)->stat[item]);
}

unsigned long slab_stat(const struct kmem_cache *s, enum stat_item item)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += slab_stat_cpu(s, item, cpu);
	return sum;
}

struct kmem_cache *virt_to_cache(const void *x)
{
	struct slab *slab = virt_to_slab(x);

	return slab ? slab->slab_cache : NULL;
}

void *slab_object_start(const void *x)
{
	struct slab *slab = virt_to_slab(x);

	return slab ? nearest_obj(slab->slab_cache, slab, x) : NULL;
}

bool slab_object_pfmemalloc(const void *x)
{
	struct slab *slab = virt_to_slab(x);

	/* SL_partial changes beside it with atomic ops on other CPUs */
	return slab && (__atomic_load_n(&slab->flags, __ATOMIC_RELAXED) & BIT(SL_pfmemalloc));
}

unsigned int slab_sheaf_pfmemalloc_objects(const struct slab_sheaf *sheaf)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < sheaf->size; i++)
		n += slab_object_pfmemalloc(sheaf->objects[i]);
	return n;
}

struct kasan_cache *slab_kasan_info(struct kmem_cache *s)
{
	return &s->kasan_info;
}

unsigned int slab_nr_caches(void)
{
	unsigned int n = 0;
	struct kmem_cache *s;

	list_for_each_entry(s, &slab_caches, list)
		n++;
	return n;
}

struct kmem_cache *slab_cache_at(unsigned int i)
{
	struct kmem_cache *s;

	list_for_each_entry(s, &slab_caches, list)
		if (i-- == 0)
			return s;
	return NULL;
}

struct kmem_cache *slab_cache_next(const struct kmem_cache *prev)
{
	const struct list_head *next = prev ? prev->list.next : slab_caches.next;

	return next == &slab_caches ? NULL : list_entry(next, struct kmem_cache, list);
}

static void count_slab_pages(struct page *head, void *arg)
{
	if (head->flags & PG_slab)
		*(unsigned long *)arg += 1UL << head->order;
}

unsigned long slab_pages_total(void)
{
	unsigned long pages = 0;

	page_alloc_walk(count_slab_pages, &pages);
	return pages;
}

/* ------------------------------------------------------------------------------------
 * The walk behind slab_count_objects() and validate_slab_cache().
 */
struct slab_mark {
	struct slab *slab;
	char *addr;		/* slab_address(), once per walk */
	unsigned int objects;
	unsigned char *seen;	/* one byte per object: how many places hold it */
};

struct cache_walk {
	struct kmem_cache *s;
	bool report;
	int findings;
	struct slab_mark *slabs;
	unsigned char *seen_buf;
	unsigned int nr_slabs;
	long node_slabs[MAX_NUMNODES], node_objects[MAX_NUMNODES];
	struct slab_object_counts counts;
};

static void finding(struct cache_walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void finding(struct cache_walk *w, const char *fmt, ...)
{
	char msg[REPORT_MSG_LEN];
	va_list ap;

	w->findings++;
	if (!w->report)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_begin(REPORT_SLAB_CORRUPT, "validate_slab_cache", "%s", msg);
	report_detail("  cache: %s", w->s->name);
	report_end();
}

/* Every slab of the cache, with one byte per object to count the places holding it. */
static void collect_slabs(struct cache_walk *w)
{
	struct slab *slab;
	size_t total = 0, off = 0;

	list_for_each_entry(slab, &w->s->all_slabs, all_list) {
		w->nr_slabs++;
		total += SLAB_OBJECTS(slab->freelist_counters.second);
	}
	if (!w->nr_slabs)
		return;
	w->slabs = malloc(w->nr_slabs * sizeof(*w->slabs));
	w->seen_buf = calloc(total, 1);
	w->nr_slabs = 0;
	list_for_each_entry(slab, &w->s->all_slabs, all_list) {
		unsigned int objects = SLAB_OBJECTS(slab->freelist_counters.second);

		w->slabs[w->nr_slabs].slab = slab;
		w->slabs[w->nr_slabs].addr = slab_address(slab);
		w->slabs[w->nr_slabs].objects = objects;
		w->slabs[w->nr_slabs].seen = w->seen_buf + off;
		slab->walk_mark = w->nr_slabs;
		off += objects;
		w->nr_slabs++;
		w->node_slabs[slab_nid(slab)]++;
		w->node_objects[slab_nid(slab)] += objects;
	}
}

/* A slab this walk collected, or NULL: one that is not on the cache's list of slabs (its
 * walk_mark is then stale or garbage, and names another slab or none). */
static struct slab_mark *find_mark(struct cache_walk *w, const struct slab *slab)
{
	unsigned int i = slab->walk_mark;

	return i < w->nr_slabs && w->slabs[i].slab == slab ? &w->slabs[i] : NULL;
}

/* nearest_obj() with the walk's copy of the slab's address */
static void *mark_nearest_obj(struct cache_walk *w, struct slab_mark *m, struct slab *slab,
			      const void *obj)
{
	unsigned int idx;

	if (!m)
		return nearest_obj(w->s, slab, obj);
	idx = (unsigned int)(((const char *)obj - m->addr) / w->s->size);
	if (idx >= m->objects)
		idx = m->objects - 1;
	return m->addr + (size_t)idx * w->s->size;
}

/* Mark one object as held by `place`; check it is a real object of this cache in the
 * expected shadow state and held once. */
static void mark_object(struct cache_walk *w, void *obj, const char *place,
			enum kasan_state expect, enum kasan_state expect2)
{
	struct slab *slab = virt_to_slab(obj);
	struct slab_mark *m;
	enum kasan_state st;
	unsigned int idx;

	if (!slab || slab->slab_cache != w->s) {
		finding(w, "%s holds %p which is not an object of this cache", place, obj);
		return;
	}
	m = find_mark(w, slab);
	if (mark_nearest_obj(w, m, slab, obj) != obj) {
		finding(w, "%s holds %p which is not the start of an object", place, obj);
		return;
	}
	if (!m) {
		finding(w, "%s holds %p of an unknown slab", place, obj);
		return;
	}
	idx = (unsigned int)(((char *)obj - m->addr) / w->s->size);
	if (m->seen[idx]++) {
		finding(w, "object %p is in more than one place (again in %s)", obj, place);
		return;
	}
	st = kasan_get_state(&w->s->kasan_info, obj);
	if (st != expect && st != expect2)
		finding(w, "object %p in %s has shadow state %s", obj, place, kasan_state_name(st));
}

/* Sheaves that serve any allocation (percpu main and spare, the barn, a lent sheaf not
 * filled from reserves) must hold no object of a reserve slab. */
enum sheaf_use { SHEAF_ANY_USER, SHEAF_MAY_HOLD_RESERVES };

static void mark_sheaf(struct cache_walk *w, struct slab_sheaf *sheaf, const char *place,
		       unsigned long *count, enum kasan_state expect, enum sheaf_use use)
{
	if (!sheaf)
		return;
	if (sheaf->size > sheaf->capacity) {
		finding(w, "%s sheaf size %u > capacity %u", place, sheaf->size, sheaf->capacity);
		return;
	}
	for (unsigned int i = 0; i < sheaf->size; i++) {
		mark_object(w, sheaf->objects[i], place, expect, expect);
		if (use == SHEAF_ANY_USER && slab_object_pfmemalloc(sheaf->objects[i]))
			finding(w, "%s holds %p of a reserve (pfmemalloc) slab", place,
				sheaf->objects[i]);
	}
	*count += sheaf->size;
}

static void walk_slabs(struct cache_walk *w)
{
	struct kmem_cache *s = w->s;

	for (unsigned int i = 0; i < w->nr_slabs; i++) {
		struct slab *slab = w->slabs[i].slab;
		unsigned long c = slab->freelist_counters.second;
		unsigned int objects = SLAB_OBJECTS(c), inuse = SLAB_INUSE(c), nfree = 0;
		void *addr = w->slabs[i].addr;

		if (inuse > objects)
			finding(w, "slab %p inuse %u > objects %u", addr, inuse, objects);
		for (void *p = slab->freelist_counters.first; p; p = get_freepointer(s, p)) {
			if (virt_to_slab(p) != slab || mark_nearest_obj(w, &w->slabs[i], slab, p) != p) {
				finding(w, "slab %p freelist points to %p outside the slab", addr, p);
				break;
			}
			if (++nfree > objects) {
				finding(w, "slab %p freelist loops", addr);
				break;
			}
			mark_object(w, p, "slab freelist", KASAN_STATE_FREE, KASAN_STATE_FREE);
		}
		if (nfree <= objects && nfree != objects - inuse)
			finding(w, "slab %p freelist has %u objects but objects - inuse = %u",
				addr, nfree, objects - inuse);
		w->counts.on_freelist += nfree;
		if (slab_order(slab) != s->oo_order && slab_order(slab) != s->min_order)
			finding(w, "slab %p has order %u", addr, slab_order(slab));
	}
}

static void walk_nodes(struct cache_walk *w)
{
	struct kmem_cache *s = w->s;
	struct kmem_cache_node *n;
	int node;

	for (node = 0; node < (int)nr_node_ids; node++) {
		n = get_node(s, node);
		if (!n) {
			if (w->node_slabs[node])
				finding(w, "%ld slabs on node %d which has no kmem_cache_node",
					w->node_slabs[node], node);
			continue;
		}
		unsigned long nr = 0;
		struct slab *slab;

		list_for_each_entry(slab, &n->partial, slab_list) {
			unsigned long c = slab->freelist_counters.second;

			nr++;
			if (!find_mark(w, slab))
				finding(w, "node %d partial list holds a slab not of this cache", node);
			if (!(slab->flags & BIT(SL_partial)))
				finding(w, "slab on node %d partial list without SL_partial", node);
			if (slab_nid(slab) != node)
				finding(w, "slab of node %d on node %d partial list", slab_nid(slab), node);
			if (SLAB_INUSE(c) >= SLAB_OBJECTS(c))
				finding(w, "full slab on node %d partial list", node);
			if (nr > (unsigned long)w->nr_slabs)
				break;
		}
		if (nr != n->nr_partial)
			finding(w, "node %d nr_partial %lu but the list has %lu", node, n->nr_partial, nr);
		if (atomic_read(&n->nr_slabs) != w->node_slabs[node])
			finding(w, "node %d nr_slabs %ld but %ld slabs exist", node,
				atomic_read(&n->nr_slabs), w->node_slabs[node]);
		if (atomic_read(&n->total_objects) != w->node_objects[node])
			finding(w, "node %d total_objects %ld but slabs hold %ld", node,
				atomic_read(&n->total_objects), w->node_objects[node]);
		if (n->barn) {
			struct slab_sheaf *sheaf;
			unsigned int full = 0, empty = 0;

			list_for_each_entry(sheaf, &n->barn->sheaves_full, barn_list) {
				full++;
				mark_sheaf(w, sheaf, "barn full sheaf", &w->counts.in_barn,
					   KASAN_STATE_IN_SHEAF, SHEAF_ANY_USER);
			}
			list_for_each_entry(sheaf, &n->barn->sheaves_empty, barn_list) {
				empty++;
				if (sheaf->size)
					finding(w, "barn empty list holds a sheaf of size %u", sheaf->size);
				mark_sheaf(w, sheaf, "barn empty sheaf", &w->counts.in_barn,
					   KASAN_STATE_IN_SHEAF, SHEAF_ANY_USER);
			}
			if (full != n->barn->nr_full || empty != n->barn->nr_empty)
				finding(w, "node %d barn counts full %u empty %u, lists %u %u", node,
					n->barn->nr_full, n->barn->nr_empty, full, empty);
		}
	}
	/* slabs not on the partial list must not claim to be */
	for (unsigned int i = 0; i < w->nr_slabs; i++) {
		struct slab *slab = w->slabs[i].slab;

		if ((slab->flags & BIT(SL_partial)) && !get_node(s, slab_nid(slab)))
			finding(w, "slab with SL_partial on a node without kmem_cache_node");
	}
}

static void walk_sheaves(struct cache_walk *w)
{
	struct kmem_cache *s = w->s;
	struct slab_sheaf *sheaf;
	int cpu;

	if (s->cpu_sheaves) {
		for_each_possible_cpu(cpu) {
			struct slub_percpu_sheaves *pcs = per_cpu_ptr(s->cpu_sheaves, cpu);

			if (!pcs->main) {
				finding(w, "cpu %d has no main sheaf", cpu);
				continue;
			}
			mark_sheaf(w, pcs->main, "percpu main sheaf", &w->counts.in_pcs,
				   KASAN_STATE_IN_SHEAF, SHEAF_ANY_USER);
			mark_sheaf(w, pcs->spare, "percpu spare sheaf", &w->counts.in_pcs,
				   KASAN_STATE_IN_SHEAF, SHEAF_ANY_USER);
			/* kfree_rcu() takes any object; rcu_free_sheaf() flushes reserve ones */
			mark_sheaf(w, pcs->rcu_free, "percpu rcu_free sheaf", &w->counts.in_rcu_free,
				   KASAN_STATE_RCU_PENDING, SHEAF_MAY_HOLD_RESERVES);
			if (!cpu_online(cpu) && (pcs->main->size || pcs->spare || pcs->rcu_free))
				finding(w, "offline cpu %d still holds sheaves", cpu);
		}
	}
	list_for_each_entry(sheaf, &s->prefilled, prefill_list)
		mark_sheaf(w, sheaf, "prefilled sheaf", &w->counts.in_prefilled,
			   KASAN_STATE_IN_SHEAF,
			   sheaf->pfmemalloc || sheaf->oversize ? SHEAF_MAY_HOLD_RESERVES : SHEAF_ANY_USER);
}

/* Objects nobody lists: owned by users, the quarantine, an rcu callback or a deferred
 * free list; the shadow state says which. */
static void walk_unplaced(struct cache_walk *w)
{
	struct kmem_cache *s = w->s;

	for (unsigned int i = 0; i < w->nr_slabs; i++) {
		unsigned int objects = w->slabs[i].objects;
		char *addr = w->slabs[i].addr;

		for (unsigned int j = 0; j < objects; j++) {
			void *obj = addr + (size_t)j * s->size;

			if (w->slabs[i].seen[j])
				continue;
			switch (kasan_get_state(&s->kasan_info, obj)) {
			case KASAN_STATE_ALLOCATED:
				w->counts.allocated++;
				break;
			case KASAN_STATE_QUARANTINED:
				w->counts.quarantined++;
				break;
			case KASAN_STATE_RCU_PENDING:
				w->counts.in_rcu_flight++;
				break;
			case KASAN_STATE_DEFERRED:
				w->counts.deferred++;
				break;
			default:
				finding(w, "object %p is in no place but its shadow state is %s", obj,
					kasan_state_name(kasan_get_state(&s->kasan_info, obj)));
			}
		}
	}
}

static int walk_cache(struct kmem_cache *s, bool report, struct slab_object_counts *out)
{
	struct cache_walk w = { .s = s, .report = report };

	collect_slabs(&w);
	walk_slabs(&w);
	walk_nodes(&w);
	walk_sheaves(&w);
	walk_unplaced(&w);
	if (w.counts.quarantined != kasan_quarantine_objects(&s->kasan_info))
		finding(&w, "%lu objects quarantined by shadow state, the quarantine holds %lu",
			w.counts.quarantined, kasan_quarantine_objects(&s->kasan_info));
	free(w.seen_buf);
	free(w.slabs);
	if (out)
		*out = w.counts;
	return w.findings;
}

void slab_count_objects(const struct kmem_cache *s, struct slab_object_counts *c)
{
	walk_cache((struct kmem_cache *)s, false, c);
}

int validate_slab_cache(struct kmem_cache *s)
{
	return walk_cache(s, true, NULL);
}

int validate_slab_cache_counts(struct kmem_cache *s, struct slab_object_counts *c)
{
	return walk_cache(s, true, c);
}

int validate_all_caches(void)
{
	struct kmem_cache *s;
	int findings = 0;

	list_for_each_entry(s, &slab_caches, list)
		findings += validate_slab_cache(s);
	return findings;
}

void slab_cache_info(const struct kmem_cache *s, struct slab_cache_info *info)
{
	struct kmem_cache_node *n;
	int node;

	memset(info, 0, sizeof(*info));
	info->name = s->name;
	info->object_size = s->object_size;
	info->size = s->size;
	info->align = s->align;
	info->offset = s->offset;
	info->order = s->oo_order;
	info->objects_per_slab = s->oo_objects;
	info->sheaf_capacity = s->sheaf_capacity;
	info->min_partial = s->min_partial;
	info->flags = s->flags;
	info->refcount = s->refcount;
	info->has_ctor = s->ctor != NULL;
	for_each_kmem_cache_node(s, node, n) {
		info->nr_slabs += atomic_read(&n->nr_slabs);
		info->total_objects += atomic_read(&n->total_objects);
		info->nr_partial += n->nr_partial;
		if (n->barn) {
			info->barn_full += n->barn->nr_full;
			info->barn_empty += n->barn->nr_empty;
		}
	}
	info->sheaves_alive = atomic_read(&s->sheaves_alive);
	info->rcu_sheaves_in_flight = atomic_read(&s->rcu_sheaves_in_flight);
	{
		struct slab_sheaf *sheaf;

		list_for_each_entry(sheaf, &s->prefilled, prefill_list)
			info->prefilled_out++;
	}
	{
		struct slab *slab;

		list_for_each_entry(slab, &s->all_slabs, all_list) {
			info->pages += 1UL << slab_order(slab);
			info->objects_in_use += SLAB_INUSE(slab->freelist_counters.second);
		}
	}
}
