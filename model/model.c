// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow model. Objects are kept in an array indexed by program handle; every scan
 * is in handle order, so decisions never depend on where the allocator put things.
 * Addresses are only compared (overlap, reuse), never used to order or choose.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

struct model model;

#define MODEL_RULE_DESC(name, desc) [RULE_##name] = { #name, desc },
const struct model_rule_desc model_rules[NR_MODEL_RULES] = { MODEL_RULES(MODEL_RULE_DESC) };
#undef MODEL_RULE_DESC

/* Grow a handle-indexed table to cover h; new entries are zeroed. */
static void *table_slot(void *base, unsigned int *nr, unsigned int *cap, unsigned int h,
			size_t elem)
{
	if (h >= *cap) {
		unsigned int c = *cap ? *cap : 64;

		while (c <= h)
			c *= 2;
		base = realloc(base, (size_t)c * elem);
		if (!base)
			abort();
		*cap = c;
	}
	if (h >= *nr) {
		memset((char *)base + (size_t)*nr * elem, 0, (size_t)(h + 1 - *nr) * elem);
		*nr = h + 1;
	}
	return base;
}

struct model_obj *model_obj(unsigned int h)
{
	model.obj = table_slot(model.obj, &model.nr_obj, &model.cap_obj, h, sizeof(model.obj[0]));
	return &model.obj[h];
}

struct model_cache *model_cache(unsigned int h)
{
	model.cache = table_slot(model.cache, &model.nr_cache, &model.cap_cache, h,
				 sizeof(model.cache[0]));
	return &model.cache[h];
}

struct model_sheaf *model_sheaf(unsigned int h)
{
	model.sheaf = table_slot(model.sheaf, &model.nr_sheaf, &model.cap_sheaf, h,
				 sizeof(model.sheaf[0]));
	return &model.sheaf[h];
}

void model_ctor(void *obj)
{
	*(uint64_t *)obj = SLAB_CTOR_MAGIC;
}

void model_reset(void)
{
	/* the tables keep their memory; entries are zeroed as handles come into use */
	model.nr_obj = model.nr_cache = model.nr_sheaf = 0;
	model.nr_leaked = 0;
	memset(model.reader_depth, 0, sizeof(model.reader_depth));
	model.barrier_broken = 0;
	model.events = 0;
	model.rcu_in_call = 0;
	model.clock = 0;
	model.tag_rng = slab_rng_seed(0x9e3779b9u, 0);
	model.op_index = -1;
	model.opname = "setup";
	model.pcs_top.op = LONG_MIN;
}

void model_begin_op(long index, const char *opname)
{
	model.op_index = index;
	model.opname = opname;
}

static char fail_msg[REPORT_MSG_LEN];

/* The report kind of each rule, "MODEL_<rule>", registered with the platform once. */
int model_report_kind(enum model_rule rule)
{
	static int kinds[NR_MODEL_RULES];
	static bool ready;

	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		char name[REPORT_KIND_LEN];

		for (int r = 0; r < NR_MODEL_RULES; r++) {
			snprintf(name, sizeof(name), "MODEL_%s", model_rules[r].name);
			kinds[r] = report_kind_register(name);
		}
		__atomic_store_n(&ready, true, __ATOMIC_RELEASE);
	}
	return kinds[rule];
}

int model_report_count(void)
{
	int n = 0;

	for (int r = 0; r < NR_MODEL_RULES; r++)
		n += report_count_kind(model_report_kind((enum model_rule)r));
	return n;
}

void model_fail_begin(enum model_rule rule, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	report_begin(model_report_kind(rule), model.opname, "%s", fail_msg);
}

void model_fail_end(void)
{
	report_end();
}

void model_fail(enum model_rule rule, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	report_begin(model_report_kind(rule), model.opname, "%s", fail_msg);
	report_end();
}

/* ------------------------------------------------------------------ content tags */

/* Tags: the shared scheme (slab_rng.h), one 64-bit tag per object from the model's stream. */
static void tag_write(struct model_obj *o)
{
	o->tag = slab_rng_next(&model.tag_rng);
	slab_tag_write(o->ptr, o->size, o->ctor, o->tag, false);
}

static int tag_check(const struct model_obj *o)
{
	return slab_tag_check(o->ptr, o->size, o->ctor, o->tag, false);
}

void model_obj_check_node(int h, int node, bool spilled)
{
	const struct model_obj *o = model_obj((unsigned int)h);
	const struct page *page;

	if (o->state != MO_LIVE || node == NUMA_NO_NODE || spilled || !node_state_memory(node))
		return;
	page = virt_to_page(o->ptr);
	if (page && page_to_nid(page) != node)
		model_fail(RULE_NODE, "o%d = %p asked for node %d, is on node %d", h, o->ptr, node,
			   page_to_nid(page));
}

bool model_free_takes_pcs(struct kmem_cache *s, const void *ptr)
{
	const struct page *page = virt_to_page(ptr);

	/* free_to_pcs() takes only objects of this CPU's memory node, not of the reserves
	 * (can_free_to_pcs()). Asked before the free: a reserve object freed to its slab can
	 * empty it, and the slab discarded leaves a page no longer marked pfmemalloc. */
	return !(model.alone || kasan_enabled() || in_nmi() || !slab_sheaf_capacity(s) || !page ||
		 page_to_nid(page) != numa_mem_id() || slab_object_pfmemalloc(ptr));
}

void model_freed_to_pcs(struct kmem_cache *s, const void *ptr, bool took)
{
	model.pcs_top.op = LONG_MIN;
	if (!took)
		return;
	model.pcs_top.op = model.op_index;
	model.pcs_top.cpu = smp_processor_id();
	model.pcs_top.s = s;
	model.pcs_top.ptr = ptr;
}

void model_obj_check_pcs_top(int h)
{
	const struct model_obj *o = model_obj((unsigned int)h);

	if (model.pcs_top.op != model.op_index - 1 || model.pcs_top.cpu != smp_processor_id() ||
	    o->state != MO_LIVE || o->s != model.pcs_top.s || o->ptr == model.pcs_top.ptr)
		return;
	model_fail(RULE_LIFO, "o%d = %p: op %ld freed %p on cpu %d into its main sheaf, the next allocation there gave another object",
		   h, o->ptr, model.pcs_top.op, model.pcs_top.ptr, model.pcs_top.cpu);
}

void model_obj_check_reserves(int h, bool reserves)
{
	const struct model_obj *o = model_obj((unsigned int)h);

	if (o->state != MO_LIVE || reserves || !slab_object_pfmemalloc(o->ptr))
		return;
	model_fail(RULE_PFMEMALLOC, "o%d = %p is of a reserve (pfmemalloc) slab of %s; %s may not use the reserves",
		   h, o->ptr, kmem_cache_name(o->s), model.opname);
}

void model_sheaf_check_reserves(int h, bool reserves)
{
	struct model_sheaf *sh = model_sheaf((unsigned int)h);
	unsigned int n;

	if (sh->state != MC_ALIVE)
		return;
	sh->reserves |= reserves;
	if (sh->reserves)
		return;
	n = slab_sheaf_pfmemalloc_objects(sh->sheaf);
	if (n)
		model_fail(RULE_PFMEMALLOC, "s%d: %u of its %u objects are of reserve (pfmemalloc) slabs; %s may not use the reserves",
			   h, n, sh->size, model.opname);
}

bool model_obj_content_ok(int h, const char *what)
{
	struct model_obj *o = &model.obj[h];
	int bad = tag_check(o);

	if (bad < 0)
		return true;
	model_fail_begin(RULE_CONTENT, "o%d: byte %d changed before %s", h, bad, what);
	report_detail("  object: %p (%u bytes, cache %s)", o->ptr, o->size,
		      o->s ? kmem_cache_name(o->s) : "?");
	report_detail("  byte %d: 0x%02x, written 0x%02x", bad, ((uint8_t *)o->ptr)[bad],
		      bad == 0 && o->ctor ? (uint8_t)SLAB_CTOR_MAGIC : slab_tag_byte(o->tag, (unsigned int)bad));
	model_fail_end();
	return false;
}

void model_obj_write(int h)
{
	tag_write(&model.obj[h]);
}

/* ------------------------------------------------------------------ caches */

unsigned int model_expect_align(unsigned int size, unsigned int align, unsigned int flags)
{
	unsigned int a = 8;

	/* calculate_alignment(): a cache line, halved while the object fits twice */
	if (flags & CF_HWCACHE) {
		unsigned int ralign = L1_CACHE_BYTES;
		while (size <= ralign / 2)
			ralign /= 2;
		if (ralign > a)
			a = ralign;
	}
	if (align > a)
		a = align;
	return a;
}

/* find_mergeable() never merges a ctor, SLAB_TYPESAFE_BY_RCU, SLAB_NO_MERGE or debug cache. */
static bool cache_mergeable(const struct model_cache *c)
{
	return !(c->flags & (CF_CTOR | CF_TYPESAFE | CF_NO_MERGE | CF_DEBUG));
}

/*
 * A new cache c (handle h) shares its kmem_cache only with caches it may merge with. (Not
 * checked: that it merges where it may. Whether an identical cache is taken depends on the
 * stride and free-pointer placement find_mergeable() compares, KASAN metadata included.)
 */
static void check_merge(int h, const struct model_cache *c)
{
	for (unsigned int j = 0; j < model.nr_cache; j++) {
		const struct model_cache *o = &model.cache[j];

		if ((int)j == h || o->state != MC_ALIVE || o->s != c->s)
			continue;
		if (!cache_mergeable(c) || !cache_mergeable(o)) {
			model_fail(RULE_MERGE, "c%d (flags 0x%x) is the same cache as c%u (flags 0x%x): one of them may not merge",
				   h, c->flags, j, o->flags);
			return;
		}
	}
}

void model_cache_created(int h, struct kmem_cache *s, const struct op *op, const char *null_rule)
{
	struct model_cache *c = model_cache((unsigned int)h);

	memset(c, 0, sizeof(*c));
	c->size = op->size;
	c->align = op->align;
	c->flags = op->flags;
	c->capacity = op->capacity;
	c->expect_align = model_expect_align(op->size, op->align, op->flags);
	if (!s) {
		c->state = MC_FAILED;
		if (!null_rule)
			model_fail(RULE_NULL, "kmem_cache_create(size=%d) returned NULL with no fault injected",
				   op->size);
		return;
	}
	c->state = MC_ALIVE;
	c->s = s;
	check_merge(h, c);
	if (kmem_cache_size(s) < (unsigned int)op->size)
		model_fail(RULE_SIZE, "c%d: object_size %u < requested %d", h, kmem_cache_size(s), op->size);
}

/* ------------------------------------------------------------------ objects */

static bool overlaps(const struct model_obj *o, const char *p, unsigned int size)
{
	const char *q = o->ptr;

	return p < q + (o->size ? o->size : 1) && q < p + (size ? size : 1);
}

void model_obj_alloced(int h, enum obj_kind kind, int mcache, struct kmem_cache *expect_s,
		       void *ptr, unsigned int size, const char *null_rule)
{
	struct model_obj *o = model_obj((unsigned int)h);

	memset(o, 0, sizeof(*o));
	o->kind = (uint8_t)kind;
	o->mcache = mcache;
	o->size = (uint16_t)size;
	o->s = expect_s;
	if (!ptr) {
		o->state = MO_NULL;
		if (!null_rule)
			model_fail(RULE_NULL, "o%d: NULL from %s with no rule allowing it (no fault injected)",
				   h, model.opname);
		return;
	}
	o->ptr = ptr;
	o->state = MO_LIVE;
	o->ctor = mcache >= 0 && (model.cache[mcache].flags & CF_CTOR);

	unsigned int align = mcache >= 0 ? model.cache[mcache].expect_align : ARCH_KMALLOC_MINALIGN;
	if ((uintptr_t)ptr & (align - 1))
		model_fail(RULE_ALIGN, "o%d = %p is not %u-byte aligned", h, ptr, align);

	struct kmem_cache *vs = virt_to_cache(ptr);
	if (vs != expect_s && !(kind == OK_NOLOCK && vs && expect_s &&
				vs == kmalloc_cache_for(kmem_cache_size(expect_s) + 1))) {
		model_fail_begin(RULE_CACHE, "o%d = %p: virt_to_cache() is %s, allocated from %s", h, ptr,
				 vs ? kmem_cache_name(vs) : "NULL",
				 expect_s ? kmem_cache_name(expect_s) : "no cache");
		model_fail_end();
		o->state = MO_ORPHAN;
		return;
	}
	o->s = vs;
	if (slab_object_start(ptr) != ptr)
		model_fail(RULE_CACHE, "o%d = %p is not the start of an object (%p)", h, ptr,
			   slab_object_start(ptr));
	if (ksize(ptr) < size)
		model_fail(RULE_SIZE, "o%d: ksize %zu < requested %u", h, ksize(ptr), size);
	if (o->ctor && *(uint64_t *)ptr != SLAB_CTOR_MAGIC)
		model_fail(RULE_CTOR, "o%d = %p of c%d is not in its constructed state", h, ptr, mcache);

	/* disjoint from every live and every RCU-pending object, in handle order */
	for (unsigned int i = 0; i < model.nr_obj; i++) {
		struct model_obj *x = &model.obj[i];

		if ((int)i == h || (x->state != MO_LIVE && x->state != MO_RCU && x->state != MO_ORPHAN))
			continue;
		if (!overlaps(x, ptr, size))
			continue;
		if (x->state == MO_RCU) {
			if (poll_state_synchronize_rcu(x->gp)) {
				/* grace period over: its memory may be handed out again */
				x->state = MO_FREED;
				continue;
			}
			model_fail_begin(RULE_RCU_REUSE, "o%d = %p reuses o%u, kfree_rcu'd in grace period %lu not yet ended",
					 h, ptr, i, x->gp);
			report_detail("  completed grace periods: %lu", rcu_completed_gp());
			model_fail_end();
		} else {
			model_fail_begin(RULE_OVERLAP, "o%d = %p overlaps live o%u = %p", h, ptr, i, x->ptr);
			report_detail("  sizes: %u and %u", size, x->size);
			model_fail_end();
		}
		return;
	}
	tag_write(o);
}

void model_obj_freeing(int h)
{
	model_obj_content_ok(h, "free");
	model.obj[h].state = MO_FREEING;
	model.obj[h].free_clock = ++model.clock;
}

void model_obj_freed(int h)
{
	model.obj[h].state = MO_FREED;
	model.obj[h].freed_at = model.op_index;
}

void model_obj_rcu_freed(int h)
{
	model.obj[h].state = MO_RCU;
	model.obj[h].gp = get_state_synchronize_rcu();
	model.obj[h].rcu_seq = ULONG_MAX;
	model.obj[h].freed_at = model.op_index;
	model.obj[h].free_clock = ++model.clock;
	model.rcu_in_call++;
	model.events++;
}

void model_obj_rcu_returned(int h)
{
	model.obj[h].rcu_seq = ++model.events;
	model.rcu_in_call--;
}

void model_reader_locked(int cpu)
{
	if (!model.reader_depth[cpu]++) {
		model.reader_since[cpu] = model.op_index;
		model.reader_clock[cpu] = ++model.clock;
	}
}

void model_reader_unlocked(int cpu)
{
	model.reader_depth[cpu]--;
}

bool model_reader_protects(int cpu, int h)
{
	/* the reader began before the free did: the grace period must wait for it */
	return model.reader_depth[cpu] && model.reader_clock[cpu] < model.obj[h].free_clock;
}

bool model_obj_slot_intact(int h)
{
	struct model_obj *o = &model.obj[h];

	if ((o->state != MO_FREED && o->state != MO_RCU) || !o->s || virt_to_cache(o->ptr) != o->s ||
	    slab_object_start(o->ptr) != o->ptr)
		return false;
	for (unsigned int i = 0; i < model.nr_obj; i++) {
		struct model_obj *x = &model.obj[i];
		if ((int)i != h && (x->state == MO_LIVE || x->state == MO_RCU || x->state == MO_ORPHAN) &&
		    x->ptr == o->ptr)
			return false;
	}
	/* an object taken into a lent sheaf is not free either: the allocator sees it as
	 * in-sheaf, which kasan_check_free() reports like any non-allocated state */
	return true;
}

/* ------------------------------------------------------------------ sheaves */

void model_sheaf_lent(int h, struct slab_sheaf *sheaf, int mcache, unsigned int want,
		      const char *null_rule)
{
	struct model_sheaf *sh = model_sheaf((unsigned int)h);

	sh->mcache = mcache;
	sh->sheaf = sheaf;
	sh->reserves = false;
	if (!sheaf) {
		sh->state = MC_FAILED;
		if (!null_rule)
			model_fail(RULE_NULL, "s%d: prefill(n=%u) returned NULL with no fault injected", h, want);
		return;
	}
	sh->state = MC_ALIVE;
	sh->size = kmem_cache_sheaf_size(sheaf);
	if (sh->size < want)
		model_fail(RULE_SHEAF, "s%d: prefilled sheaf holds %u objects, %u asked", h, sh->size, want);
}

void model_sheaf_refilled(int h, struct slab_sheaf *sheaf, int err, unsigned int want,
			  const char *err_rule)
{
	struct model_sheaf *sh = &model.sheaf[h];

	sh->sheaf = sheaf;
	if (!sheaf) {
		model_fail(RULE_SHEAF, "s%d: refill lost the sheaf (err %d)", h, err);
		sh->state = MC_FAILED;
		return;
	}
	sh->size = kmem_cache_sheaf_size(sheaf);
	if (err) {
		if (!err_rule)
			model_fail(RULE_NULL, "s%d: refill(n=%u) failed with %d, no fault injected", h, want, err);
		return;
	}
	if (sh->size < want)
		model_fail(RULE_SHEAF, "s%d: refilled sheaf holds %u objects, %u asked", h, sh->size, want);
}

void model_sheaf_returned(int h)
{
	model.sheaf[h].state = MC_GONE;
}

void model_sheaf_alloced(int h)
{
	struct model_sheaf *sh = &model.sheaf[h];
	unsigned int now = kmem_cache_sheaf_size(sh->sheaf);

	if (now + 1 != sh->size)
		model_fail(RULE_SHEAF, "s%d: alloc_from_sheaf took the size from %u to %u", h, sh->size, now);
	sh->size = now;
}

/* ------------------------------------------------------------------ caches: checks */

static void count_model(struct kmem_cache *s, unsigned long *live, unsigned long *rcu,
			unsigned long *lent)
{
	*live = *rcu = *lent = 0;
	for (unsigned int i = 0; i < model.nr_obj; i++) {
		const struct model_obj *o = &model.obj[i];
		if (o->s != s)
			continue;
		if (o->state == MO_LIVE || o->state == MO_ORPHAN)
			(*live)++;
		else if (o->state == MO_RCU)
			(*rcu)++;
	}
	for (unsigned int i = 0; i < model.nr_sheaf; i++) {
		const struct model_sheaf *sh = &model.sheaf[i];
		if (sh->state == MC_ALIVE && model.cache[sh->mcache].s == s)
			*lent += sh->size;
	}
}

unsigned long model_live_objects(struct kmem_cache *s)
{
	unsigned long live, rcu, lent;

	count_model(s, &live, &rcu, &lent);
	return live + lent;
}

void model_check_cache(struct kmem_cache *s)
{
	struct slab_object_counts c;
	struct slab_cache_info info;
	unsigned long live, rcu, lent;

	validate_slab_cache_counts(s, &c);	/* findings are SLAB_CORRUPT reports of their own */
	slab_cache_info(s, &info);
	count_model(s, &live, &rcu, &lent);

	unsigned long sum = c.on_freelist + c.in_pcs + c.in_rcu_free + c.in_rcu_flight + c.in_barn +
			    c.in_prefilled + c.quarantined + c.deferred + c.allocated;
	if (sum != info.total_objects) {
		model_fail_begin(RULE_COUNTS, "%s: objects by place sum to %lu, total_objects %lu",
				 kmem_cache_name(s), sum, info.total_objects);
		report_detail("  freelist %lu pcs %lu rcu_free %lu rcu_flight %lu barn %lu prefilled %lu quarantined %lu deferred %lu allocated %lu",
			      c.on_freelist, c.in_pcs, c.in_rcu_free, c.in_rcu_flight, c.in_barn,
			      c.in_prefilled, c.quarantined, c.deferred, c.allocated);
		model_fail_end();
		return;
	}
	if (c.allocated < live || c.allocated > live + rcu) {
		model_fail_begin(RULE_COUNTS, "%s: %lu objects allocated, the model has %lu live and %lu RCU-pending",
				 kmem_cache_name(s), c.allocated, live, rcu);
		model_fail_end();
		return;
	}
	if (c.in_prefilled != lent) {
		model_fail(RULE_COUNTS, "%s: %lu objects in lent sheaves, the model lent %lu",
			   kmem_cache_name(s), c.in_prefilled, lent);
		return;
	}
	long sheaves = (long)slab_stat(s, SHEAF_ALLOC) - (long)slab_stat(s, SHEAF_FREE);
	if (sheaves != (long)info.sheaves_alive)
		model_fail(RULE_STATS, "%s: SHEAF_ALLOC - SHEAF_FREE = %ld, sheaves alive %lu",
			   kmem_cache_name(s), sheaves, info.sheaves_alive);
}

/* A set of caches, in the order first added (handle order: no address decides). */
struct cache_set {
	int n, cap;
	struct kmem_cache **v;
};

static void add_unique(struct cache_set *set, struct kmem_cache *s)
{
	for (int i = 0; i < set->n; i++)
		if (set->v[i] == s)
			return;
	if (set->n == set->cap) {
		set->cap = set->cap ? 2 * set->cap : 16;
		set->v = realloc(set->v, (size_t)set->cap * sizeof(set->v[0]));
		if (!set->v)
			abort();
	}
	set->v[set->n++] = s;
}

int model_caches(struct kmem_cache *const **out)
{
	static struct cache_set set;

	set.n = 0;
	for (unsigned int h = 0; h < model.nr_cache; h++)
		if (model.cache[h].state == MC_ALIVE)
			add_unique(&set, model.cache[h].s);
	for (unsigned int i = 0; i < model.nr_obj; i++) {
		const struct model_obj *o = &model.obj[i];
		if (o->s && (o->state == MO_LIVE || o->state == MO_RCU || o->state == MO_FREED) &&
		    !model_cache_is_leaked(o->s))
			add_unique(&set, o->s);
	}
	*out = set.v;
	return set.n;
}

static bool alone(void)
{
	return !model.alone || model.alone();
}

unsigned long model_barrier_begin(void)
{
	return ++model.events;
}

void model_after_barrier(struct kmem_cache *s, unsigned long from)
{
	static struct cache_set set;
	struct kmem_cache **v;
	int n;

	/* caches with kfree_rcu'd objects the barrier must have waited for */
	set.n = 0;
	if (s)
		add_unique(&set, s);
	else
		for (unsigned int i = 0; i < model.nr_obj; i++)
			if (model.obj[i].state == MO_RCU && model.obj[i].s)
				add_unique(&set, model.obj[i].s);
	v = set.v;
	n = set.n;
	for (int i = 0; i < n; i++) {
		struct kmem_cache *x = v[i];
		struct slab_object_counts c;

		/* the totals are the barrier's only if no kfree_rcu ran alongside it: none
		 * started or returned since it began, none is still inside the call */
		if (model.events != from || model.rcu_in_call)
			break;
		slab_count_objects(x, &c);
		if (c.in_rcu_free || c.in_rcu_flight) {
			model.barrier_broken++;
			model_fail_begin(RULE_BARRIER, "%s: %lu objects in rcu_free sheaves and %lu in flight after %s returned",
					 kmem_cache_name(x), c.in_rcu_free, c.in_rcu_flight,
					 s ? "kvfree_rcu_barrier_on_cache()" : "kvfree_rcu_barrier()");
			report_detail("  barrier broken: %lu", model.barrier_broken);
			model_fail_end();
			return;
		}
	}
	for (unsigned int i = 0; i < model.nr_obj; i++) {
		struct model_obj *o = &model.obj[i];

		/* kfree_rcu'd while the barrier ran (another task), or not yet returned: not
		 * its to wait for */
		if (o->state != MO_RCU || (s && o->s != s) || o->rcu_seq > from)
			continue;
		if (virt_to_cache(o->ptr) == o->s && slab_object_start(o->ptr) == o->ptr &&
		    kasan_get_state(slab_kasan_info(o->s), o->ptr) == KASAN_STATE_RCU_PENDING) {
			model.barrier_broken++;
			model_fail_begin(RULE_BARRIER, "o%u = %p is still RCU-pending after %s returned", i,
					 o->ptr, s ? "kvfree_rcu_barrier_on_cache()" : "kvfree_rcu_barrier()");
			report_detail("  barrier broken: %lu", model.barrier_broken);
			model_fail_end();
			return;
		}
		o->state = MO_FREED;
	}
}

bool model_cache_in_list(struct kmem_cache *s)
{
	struct kmem_cache *x;

	for_each_slab_cache(x)
		if (x == s)
			return true;
	return false;
}

bool model_cache_is_leaked(struct kmem_cache *s)
{
	for (int i = 0; i < model.nr_leaked; i++)
		if (model.leaked[i] == s)
			return true;
	return false;
}

bool model_destroy_expects_leak(int h, bool *alias)
{
	struct kmem_cache *s = model.cache[h].s;

	/*
	 * Another reference keeps the cache: a second live handle merged into it, or a
	 * kmalloc cache it was merged into (those are never destroyed). The model knows every
	 * cache the program created, so this needs no walk of the cache.
	 */
	*alias = !strncmp(kmem_cache_name(s), "kmalloc-", 8);
	for (unsigned int i = 0; i < model.nr_cache && !*alias; i++)
		*alias = (int)i != h && model.cache[i].state == MC_ALIVE && model.cache[i].s == s;
	return !*alias && model_live_objects(s) > 0;
}

static unsigned long pages_held(void)
{
	struct slab_cache_info info;
	unsigned long pages = 0;
	struct kmem_cache *x;

	for_each_slab_cache(x) {
		if (!model_cache_is_leaked(x)) {
			slab_cache_info(x, &info);
			pages += info.pages;
		}
	}
	for (int i = 0; i < model.nr_leaked; i++) {
		slab_cache_info(model.leaked[i], &info);
		pages += info.pages;
	}
	return pages;
}

void model_check_pages(enum model_rule rule)
{
	/* slabs of SLAB_TYPESAFE_BY_RCU caches wait for a grace period before their pages go */
	if (rcu_pending_callbacks(-1))
		return;
	unsigned long held = pages_held(), used = pages_in_use();
	if (held != used)
		model_fail(rule, "pages_in_use() is %lu, the caches hold %lu", used, held);
}

void model_after_destroy(int h, bool leaked, bool alias)
{
	struct model_cache *c = &model.cache[h];
	struct kmem_cache *s = c->s;

	c->state = MC_GONE;
	for (unsigned int i = 0; i < model.nr_obj; i++) {
		struct model_obj *o = &model.obj[i];
		if (o->mcache != h || o->kind != OK_CACHE)
			continue;
		if (o->state == MO_LIVE)
			o->state = MO_ORPHAN;
		else if ((o->state == MO_RCU && !alias) || o->state == MO_FREED || o->state == MO_NULL)
			o->state = MO_NONE;
	}
	/* an alias going away leaves its lent sheaves lent from the cache that lives on */
	if (alias)
		return;
	for (unsigned int i = 0; i < model.nr_sheaf; i++)
		if (model.sheaf[i].state == MC_ALIVE && model.cache[model.sheaf[i].mcache].s == s)
			model.sheaf[i].state = MC_GONE;
	if (leaked) {
		if (model.nr_leaked == model.cap_leaked) {
			model.cap_leaked = model.cap_leaked ? 2 * model.cap_leaked : 16;
			model.leaked = realloc(model.leaked, (size_t)model.cap_leaked * sizeof(*model.leaked));
			if (!model.leaked)
				abort();
		}
		model.leaked[model.nr_leaked++] = s;
		return;
	}
	/* the cache is gone: nothing of it may stay in quarantine, no page may stay held */
	for (unsigned int i = 0; i < model.nr_obj; i++)
		if (model.obj[i].s == s && model.obj[i].state != MO_ORPHAN)
			model.obj[i].s = NULL;
	unsigned long q = 0;
	struct kmem_cache *x;

	for_each_slab_cache(x)
		q += kasan_quarantine_objects(slab_kasan_info(x));
	for (int i = 0; i < model.nr_leaked; i++)
		if (!model_cache_in_list(model.leaked[i]))
			q += kasan_quarantine_objects(slab_kasan_info(model.leaked[i]));
	/* its pages are checked with everyone's at the end (pages_in_use() == leaked) */
	if (q != kasan_quarantine_objects(NULL))
		model_fail(RULE_DESTROY, "quarantine holds %lu objects of no live cache after destroy",
			   kasan_quarantine_objects(NULL) - q);
}

void model_after_shrink(struct kmem_cache *s)
{
	struct slab_object_counts c;
	struct slab_cache_info info;
	unsigned long live, rcu, lent;

	/* another task's alloc or free of the cache may be half done */
	if (!alone())
		return;
	slab_count_objects(s, &c);
	slab_cache_info(s, &info);
	count_model(s, &live, &rcu, &lent);
	/* every slab still held must be pinned by an object someone still owns */
	if (info.nr_slabs > live + rcu + lent + c.deferred) {
		model_fail_begin(RULE_SHRINK, "%s: %lu slabs held after shrink, at most %lu objects pin slabs",
				 kmem_cache_name(s), info.nr_slabs, live + rcu + lent + c.deferred);
		report_detail("  model: live %lu rcu-pending %lu in lent sheaves %lu", live, rcu, lent);
		report_detail("  allocator: freelist %lu pcs %lu rcu_free %lu rcu_flight %lu barn %lu prefilled %lu quarantined %lu deferred %lu allocated %lu",
			      c.on_freelist, c.in_pcs, c.in_rcu_free, c.in_rcu_flight, c.in_barn,
			      c.in_prefilled, c.quarantined, c.deferred, c.allocated);
		model_fail_end();
	}
}
