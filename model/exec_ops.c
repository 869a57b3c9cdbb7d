// SPDX-License-Identifier: GPL-2.0
/*
 * The run function of every op: the allocator call, then what happened, told to the
 * model through its hooks. A misuse op (a double free, a free into another cache, an
 * access to a freed object) runs inside an expectation window for the report the kernel
 * gives it; where the model cannot know that a report must come (the memory was reused,
 * or a reader may legitimately see it), it runs only when the answer is certain.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "exec_ops.h"
#include "model.h"
#include "slab.h"
#include "slab_introspect.h"

gfp_t exec_gfp(const struct op *op)
{
	static const gfp_t gfp[NR_GFPC] = {
		[GFPC_KERNEL] = GFP_KERNEL,
		[GFPC_NOWAIT] = GFP_NOWAIT,
		[GFPC_ATOMIC] = GFP_ATOMIC,
		[GFPC_MEMALLOC] = GFP_KERNEL | __GFP_MEMALLOC,
		[GFPC_NOMEMALLOC] = GFP_KERNEL | __GFP_NOMEMALLOC,
		[GFPC_ATOMIC_MEMALLOC] = GFP_ATOMIC | __GFP_MEMALLOC,
	};

	return gfp[op->gfp % NR_GFPC];
}

/* Whether the op's allocations may use the reserves, in the context it runs in. */
static bool op_reserves(const struct op *op)
{
	return gfp_pfmemalloc_allowed(exec_gfp(op));
}

#define NULL_RULE(faults, reserves) (exec_faults(reserves) != (faults) ? "fault" : NULL)

static void trace_ptr(int h)
{
	const struct model_obj *o = &model.obj[h];

	if (o->state == MO_NULL)
		exec_trace("        o%d = NULL\n", h);
	else
		exec_trace("        o%d = %p (%s%s)\n", h, o->ptr, o->s ? kmem_cache_name(o->s) : "?",
			   slab_object_pfmemalloc(o->ptr) ? ", pfmemalloc" : "");
}

static struct kmem_cache *cache_of(unsigned int h)
{
	return h < model.nr_cache && model.cache[h].state == MC_ALIVE ? model.cache[h].s : NULL;
}

/* An allocation that returned NULL, or was skipped because its cache or sheaf was NULL,
 * leaves the handle bound in the program but not live here. */
static bool obj_usable(unsigned int h)
{
	if (h >= model.nr_obj || model.obj[h].state != MO_LIVE) {
		exec_skip("o%u was never allocated (NULL)", h);
		return false;
	}
	return true;
}

slab_flags_t exec_slab_flags(const struct op *op)
{
	slab_flags_t flags = 0;

	if (op->flags & CF_TYPESAFE)
		flags |= SLAB_TYPESAFE_BY_RCU;
	if (op->flags & CF_HWCACHE)
		flags |= SLAB_HWCACHE_ALIGN;
	if (op->flags & CF_NO_MERGE)
		flags |= SLAB_NO_MERGE;
	if (op->flags & CF_DEBUG)
		flags |= SLAB_DEBUG_FLAGS;
	return flags;
}

void exec_create(const struct op *op)
{
	unsigned long faults = exec_faults(false);
	struct kmem_cache_args args;
	slab_flags_t flags;
	struct kmem_cache *s;

	memset(&args, 0, sizeof(args));
	args.align = (unsigned int)op->align;
	args.sheaf_capacity = (unsigned int)op->capacity;
	if (op->flags & CF_CTOR)
		args.ctor = model_ctor;
	flags = exec_slab_flags(op);
	s = kmem_cache_create(exec_cache_name(op->dst), (unsigned int)op->size, &args, flags);
	model_cache_created((int)op->dst, s, op, NULL_RULE(faults, false));
	exec_trace("        c%u = %s\n", op->dst, s ? kmem_cache_name(s) : "NULL");
}

/* Whether the page allocator failed or served another node since `any` (exec_faults(false))
 * and `fallbacks` were read: an allocation on a node may then give an object of another. */
static bool node_spilled(unsigned long any, unsigned long fallbacks)
{
	return exec_faults(false) != any || page_alloc_fallbacks() != fallbacks;
}

static void alloc_one(const struct op *op, bool on_node)
{
	bool reserves = op_reserves(op);
	unsigned long faults = exec_faults(reserves), any = exec_faults(false);
	unsigned long fallbacks = page_alloc_fallbacks();
	struct kmem_cache *s = cache_of(op->cache);
	void *p;

	if (!s) {
		exec_skip("c%u was never created (NULL)", op->cache);
		return;
	}
	p = on_node ? kmem_cache_alloc_node(s, exec_gfp(op), op->node) :
		      kmem_cache_alloc(s, exec_gfp(op));
	model_obj_alloced((int)op->dst, OK_CACHE, (int)op->cache, s, p,
			  model.cache[op->cache].size, NULL_RULE(faults, reserves));
	model_obj_check_reserves((int)op->dst, reserves);
	if (on_node)
		model_obj_check_node((int)op->dst, op->node, node_spilled(any, fallbacks));
	else
		model_obj_check_pcs_top((int)op->dst);
	trace_ptr((int)op->dst);
}

void exec_alloc(const struct op *op)
{
	alloc_one(op, false);
}

void exec_alloc_node(const struct op *op)
{
	alloc_one(op, true);
}

/* kmem_cache_zalloc(): an object whose bytes are all zero. */
void exec_zalloc(const struct op *op)
{
	bool reserves = op_reserves(op);
	unsigned long faults = exec_faults(reserves);
	struct kmem_cache *s = cache_of(op->cache);
	const uint8_t *p;
	unsigned int size;

	if (!s) {
		exec_skip("c%u was never created (NULL)", op->cache);
		return;
	}
	p = kmem_cache_zalloc(s, exec_gfp(op));
	size = model.cache[op->cache].size;
	for (unsigned int i = 0; p && i < size; i++)
		if (p[i]) {
			model_fail(RULE_CONTENT, "zalloc of c%u: byte %u is 0x%02x, not zero", op->cache, i, p[i]);
			return;
		}
	model_obj_alloced((int)op->dst, OK_CACHE, (int)op->cache, s, (void *)p, size,
			  NULL_RULE(faults, reserves));
	model_obj_check_reserves((int)op->dst, reserves);
	model_obj_check_pcs_top((int)op->dst);
	trace_ptr((int)op->dst);
}

void exec_alloc_bulk(const struct op *op)
{
	bool reserves = op_reserves(op);
	unsigned long faults = exec_faults(reserves);
	struct kmem_cache *s = cache_of(op->cache);
	void *arr[PROG_MAX_LIST];
	int got;

	if (!s) {
		exec_skip("c%u was never created (NULL)", op->cache);
		return;
	}
	got = kmem_cache_alloc_bulk(s, exec_gfp(op), (size_t)op->n, arr);
	if (got != 0 && got != op->n) {
		model_fail(RULE_NULL, "alloc_bulk(%d) returned %d: all or nothing", op->n, got);
		return;
	}
	if (!got && !NULL_RULE(faults, reserves)) {
		model_fail(RULE_NULL, "alloc_bulk(%d) failed with no fault injected", op->n);
		return;
	}
	for (int i = 0; i < op->n; i++) {
		model_obj_alloced((int)op->dst + i, OK_CACHE, (int)op->cache, s, got ? arr[i] : NULL,
				  model.cache[op->cache].size, "fault");
		model_obj_check_reserves((int)op->dst + i, reserves);
		trace_ptr((int)op->dst + i);
	}
}

/* A free of a freed object: exactly one DOUBLE_FREE, if the slot is still free to see. */
static void double_free(const struct op *op, void (*do_free)(struct model_obj *o))
{
	struct model_obj *o = &model.obj[op->obj];
	int n;

	if (!model_obj_slot_intact((int)op->obj)) {
		exec_skip("the memory of o%u is in use again or gone", op->obj);
		return;
	}
	exec_expect_begin(REPORT_DOUBLE_FREE);
	do_free(o);
	n = exec_expect_end();
	if (n != 1)
		model_fail(RULE_DOUBLE_FREE_EXPECTED, "double free of o%u gave %d DOUBLE_FREE reports",
			   op->obj, n);
}

static void free_into_own(struct model_obj *o)
{
	kmem_cache_free(o->s, o->ptr);
}

static void free_kfree(struct model_obj *o)
{
	kfree(o->ptr);
}

static void free_nolock(struct model_obj *o)
{
	kfree_nolock(o->ptr);
}

/* to_pcs: the free takes the percpu sheaves' path (not kfree_nolock()). */
static void free_obj(const struct op *op, void (*do_free)(struct model_obj *o), bool to_pcs)
{
	unsigned int h = op->obj;
	unsigned long faults = exec_faults(false);

	if (h < model.nr_obj && model.obj[h].state == MO_FREED) {
		double_free(op, do_free);
		return;
	}
	if (!obj_usable(h))
		return;
	to_pcs = to_pcs && model_free_takes_pcs(model.obj[h].s, model.obj[h].ptr);
	model_obj_freeing((int)h);
	do_free(&model.obj[h]);
	model_obj_freed((int)h);
	if (to_pcs)
		model_freed_to_pcs(model.obj[h].s, model.obj[h].ptr, exec_faults(false) == faults);
}

void exec_free(const struct op *op)
{
	struct model_obj *o = op->obj < model.nr_obj ? &model.obj[op->obj] : NULL;
	struct kmem_cache *into;
	int n;

	if (!op->has_cache || !o || o->state != MO_LIVE) {
		free_obj(op, free_into_own, true);
		return;
	}
	/* kmem_cache_free(cN, oM): cache_from_obj() reports a cache that is not the
	 * object's own (a merged alias is the same cache) and frees it where it belongs */
	if (!(into = cache_of(op->cache))) {
		exec_skip("c%u was never created (NULL)", op->cache);
		return;
	}
	model_obj_freeing((int)op->obj);
	exec_expect_begin(REPORT_INVALID_FREE);
	kmem_cache_free(into, o->ptr);
	n = exec_expect_end();
	model_obj_freed((int)op->obj);
	if (n != (into != o->s))
		model_fail(RULE_INVALID_FREE_EXPECTED, "kmem_cache_free(%s) of o%u from %s gave %d INVALID_FREE reports",
			   kmem_cache_name(into), op->obj, kmem_cache_name(o->s), n);
}

void exec_kfree(const struct op *op)
{
	free_obj(op, free_kfree, true);
}

void exec_kfree_nolock(const struct op *op)
{
	free_obj(op, free_nolock, false);
}

void exec_free_bulk(const struct op *op)
{
	struct kmem_cache *s = cache_of(op->cache);
	void *arr[PROG_MAX_LIST];
	size_t n = 0;

	if (!s) {
		exec_skip("c%u was never created (NULL)", op->cache);
		return;
	}
	for (int i = 0; i < op->nlist; i++) {
		unsigned int h = op->list[i];
		if (!obj_usable(h))
			continue;
		model_obj_freeing((int)h);
		arr[n++] = model.obj[h].ptr;
	}
	if (n)
		kmem_cache_free_bulk(s, n, arr);
	for (int i = 0; i < op->nlist; i++)
		if (model.obj[op->list[i]].state == MO_FREEING)
			model_obj_freed((int)op->list[i]);
}

static void kfree_rcu_call(struct model_obj *o)
{
	kvfree_call_rcu((struct rcu_head *)((char *)o->ptr + (o->ctor ? 8 : 0)), o->ptr);
}

void exec_kfree_rcu(const struct op *op)
{
	struct model_obj *o;

	if (op->obj < model.nr_obj && model.obj[op->obj].state == MO_FREED) {
		/* kvfree_call_rcu() checks the object before it enters any batch */
		double_free(op, kfree_rcu_call);
		return;
	}
	if (!obj_usable(op->obj))
		return;
	o = &model.obj[op->obj];
	model_obj_freeing((int)op->obj);
	model_obj_rcu_freed((int)op->obj);
	kfree_rcu_call(o);
	model_obj_rcu_returned((int)op->obj);
	exec_trace("        o%u pending until grace period %lu\n", op->obj, o->gp);
}

/* kmalloc caches are made on first use, which nothing that may not sleep may do (an
 * interrupt, an RCU reader, a spinlock held; kmalloc_cache_for()): NULL is then right; so
 * it is for an interrupt that arrived while its task holds locks (the nolock paths only
 * trylock: contention, which the fiber scheduler makes). */
static const char *kmalloc_null_rule(bool existed, unsigned long faults, bool reserves)
{
	if (!existed && (in_interrupt() || rcu_read_lock_held() || !task_preemptible(current)))
		return "first_use_in_atomic";
	if (in_interrupt() && current->preempt_count)
		return "nolock_contention";
	return NULL_RULE(faults, reserves);
}

void exec_kmalloc(const struct op *op)
{
	bool reserves = op_reserves(op);
	unsigned long faults = exec_faults(reserves);
	bool existed = kmalloc_cache_lookup((size_t)op->size);
	void *p = kmalloc((size_t)op->size, exec_gfp(op));
	struct kmem_cache *s = kmalloc_cache_lookup((size_t)op->size);

	if (!s && p)
		model_fail(RULE_CACHE, "kmalloc(%d) returned an object of a cache that does not exist",
			   op->size);
	model_obj_alloced((int)op->dst, OK_KMALLOC, -1, s, s ? p : NULL, (unsigned int)op->size,
			  kmalloc_null_rule(existed, faults, reserves));
	model_obj_check_reserves((int)op->dst, reserves);
	model_obj_check_pcs_top((int)op->dst);
	trace_ptr((int)op->dst);
}

void exec_kmalloc_nolock(const struct op *op)
{
	bool reserves = gfp_pfmemalloc_allowed(0);
	unsigned long faults = exec_faults(reserves), any = exec_faults(false);
	unsigned long fallbacks = page_alloc_fallbacks();
	bool existed = kmalloc_cache_lookup((size_t)op->size);
	void *p = kmalloc_nolock((size_t)op->size, 0, op->node);
	struct kmem_cache *s = kmalloc_cache_lookup((size_t)op->size);

	if (!s && p)
		model_fail(RULE_CACHE, "kmalloc_nolock(%d) returned an object of a cache that does not exist",
			   op->size);
	/* without cmpxchg16b, slab_lock() could be held by the task an NMI interrupted */
	model_obj_alloced((int)op->dst, OK_NOLOCK, -1, s, s ? p : NULL, (unsigned int)op->size,
			  system_has_freelist_aba() ? kmalloc_null_rule(existed, faults, reserves) :
			  "nolock_without_cmpxchg");
	model_obj_check_reserves((int)op->dst, reserves);
	model_obj_check_node((int)op->dst, op->node, node_spilled(any, fallbacks));
	trace_ptr((int)op->dst);
}

void exec_prefill(const struct op *op)
{
	bool reserves = op_reserves(op);
	unsigned long faults = exec_faults(reserves);
	struct kmem_cache *s = cache_of(op->cache);
	struct slab_sheaf *sh;

	if (!s) {
		exec_skip("c%u was never created (NULL)", op->cache);
		return;
	}
	sh = kmem_cache_prefill_sheaf(s, GFP_KERNEL, (unsigned int)op->n);
	if (op->n == 0 && sh)
		model_fail(RULE_SHEAF, "prefill(n=0) returned a sheaf");
	model_sheaf_lent((int)op->dst, sh, (int)op->cache, (unsigned int)op->n,
			 op->n == 0 ? "prefill_zero" : NULL_RULE(faults, reserves));
	model_sheaf_check_reserves((int)op->dst, reserves);
	exec_trace("        s%u = %s (%u objects)\n", op->dst, sh ? "sheaf" : "NULL",
		   model.sheaf[op->dst].size);
}

/* The lent sheaf of handle h, or NULL (and the op skipped) if it was never lent. */
static struct model_sheaf *lent_sheaf(unsigned int h)
{
	if (h >= model.nr_sheaf || model.sheaf[h].state != MC_ALIVE) {
		exec_skip("s%u was never lent (NULL)", h);
		return NULL;
	}
	return &model.sheaf[h];
}

void exec_alloc_from_sheaf(const struct op *op)
{
	struct model_sheaf *sh = lent_sheaf(op->sheaf);
	struct kmem_cache *s;
	bool empty;
	void *p;

	if (!sh)
		return;
	s = model.cache[sh->mcache].s;
	empty = sh->size == 0;
	p = kmem_cache_alloc_from_sheaf(s, exec_gfp(op), sh->sheaf);
	if (empty && p)
		model_fail(RULE_SHEAF, "alloc_from_sheaf on an empty sheaf returned an object");
	model_obj_alloced((int)op->dst, OK_CACHE, sh->mcache, s, p, model.cache[sh->mcache].size,
			  empty ? "sheaf_empty" : NULL);
	/* a sheaf filled from the reserves serves the one who lent it, whatever gfp */
	model_obj_check_reserves((int)op->dst, sh->reserves);
	if (p && !empty)
		model_sheaf_alloced((int)op->sheaf);
	trace_ptr((int)op->dst);
}

void exec_refill(const struct op *op)
{
	bool reserves = op_reserves(op);
	unsigned long faults = exec_faults(reserves);
	struct model_sheaf *sh = lent_sheaf(op->sheaf);
	struct slab_sheaf *x;
	int err;

	if (!sh)
		return;
	x = sh->sheaf;
	err = kmem_cache_refill_sheaf(model.cache[sh->mcache].s, GFP_KERNEL, &x, (unsigned int)op->n);
	model_sheaf_refilled((int)op->sheaf, x, err, (unsigned int)op->n, NULL_RULE(faults, reserves));
	model_sheaf_check_reserves((int)op->sheaf, reserves);
	exec_trace("        refill: %d, s%u holds %u\n", err, op->sheaf, sh->size);
}

void exec_return_sheaf(const struct op *op)
{
	struct model_sheaf *sh = lent_sheaf(op->sheaf);

	if (!sh)
		return;
	kmem_cache_return_sheaf(model.cache[sh->mcache].s, GFP_KERNEL, sh->sheaf);
	model_sheaf_returned((int)op->sheaf);
}

void exec_shrink(const struct op *op)
{
	struct kmem_cache *s = cache_of(op->cache);

	if (!s) {
		exec_skip("c%u was never created (NULL)", op->cache);
		return;
	}
	kmem_cache_shrink(s);
	model_after_shrink(s);
}

void exec_destroy_cache(int h)
{
	bool alias, expect_leak = model_destroy_expects_leak(h, &alias);
	struct kmem_cache *s = model.cache[h].s;
	unsigned long live = model_live_objects(s);

	/* only the expected leak report may come; any other stops the program here */
	if (expect_leak)
		exec_expect_begin(REPORT_SLAB_LEAK);
	kmem_cache_destroy(s);
	if (expect_leak && !exec_expect_end())
		model_fail(RULE_LEAK_EXPECTED, "destroy of c%d with %lu live objects gave no SLAB_LEAK report",
			   h, live);
	exec_trace("        %s\n", alias ? "alias: refcount dropped" :
		   expect_leak ? "cache leaked (live objects)" : "destroyed");
	model_after_destroy(h, expect_leak, alias);
}

void exec_destroy(const struct op *op)
{
	if (!cache_of(op->cache)) {
		exec_skip("c%u was never created (NULL)", op->cache);
		return;
	}
	exec_destroy_cache((int)op->cache);
}

void exec_barrier(const struct op *op)
{
	struct kmem_cache *s;
	unsigned long from;

	if (!op->has_cache) {
		from = model_barrier_begin();
		kvfree_rcu_barrier();
		model_after_barrier(NULL, from);
		return;
	}
	if (!(s = cache_of(op->cache))) {
		exec_skip("c%u was never created (NULL)", op->cache);
		return;
	}
	from = model_barrier_begin();
	kvfree_rcu_barrier_on_cache(s);
	model_after_barrier(s, from);
}

void exec_cpu_down(const struct op *op)
{
	int rc;

	/* with tasks interleaved, another task's hotplug may have come first */
	if (!cpu_online(op->target) || num_online_cpus() < 2) {
		exec_skip("cpu%u is offline or the last one online", op->target);
		return;
	}
	rc = cpu_down(op->target);
	/* while it waited for the hotplug lock, another task's hotplug may have come first */
	if (rc && sched_active() && (rc == -EINVAL || rc == -EBUSY))
		exec_skip("cpu%u went down (or became the last one) meanwhile", op->target);
	else if (rc)
		model_fail(RULE_HOTPLUG, "cpu_down(%u) failed with %d", op->target, rc);
}

void exec_cpu_up(const struct op *op)
{
	int rc;

	if (cpu_online(op->target)) {
		exec_skip("cpu%u is online already", op->target);
		return;
	}
	rc = cpu_up(op->target);
	if (rc && sched_active() && rc == -EINVAL)
		exec_skip("cpu%u came up meanwhile", op->target);
	else if (rc)
		model_fail(RULE_HOTPLUG, "cpu_up(%u) failed with %d", op->target, rc);
}

void exec_migrate(const struct op *op)
{
	task_migrate(current, op->target);
}

void exec_gp(const struct op *op)
{
	bool ended = rcu_gp_advance();

	exec_trace("        grace period %s, completed %lu\n", ended ? "ended" : "blocked",
		   rcu_completed_gp());
}

void exec_rcu_cb(const struct op *op)
{
	unsigned int n = rcu_invoke_callbacks(op->word ? -1 : op->cpu);

	exec_trace("        %u callbacks ran\n", n);
}

void exec_quarantine_reduce(const struct op *op)
{
	kasan_quarantine_reduce();
}

void exec_irq_work(const struct op *op)
{
	run_deferred_frees(op->cpu);
}

void exec_fault(const struct op *op)
{
	enum fault_site site = op->word ? FAULT_SHEAF_ALLOC : FAULT_PAGE_ALLOC;

	/* both may be armed: the counter is consumed first, then the pattern */
	if (op->pattern)
		fault_fail_pattern(site, (uint64_t)op->pattern, 16);
	if (op->n || !op->pattern)
		fault_fail_next(site, (unsigned int)op->n);
}

void exec_rcu_read_lock(const struct op *op)
{
	rcu_read_lock();
	model_reader_locked(op->cpu);
}

void exec_rcu_read_unlock(const struct op *op)
{
	rcu_read_unlock();
	model_reader_unlocked(op->cpu);
}

/* An access to a live object: KASAN must allow it and the content must be ours. */
static void access_live(const struct op *op, bool write)
{
	struct model_obj *o = &model.obj[op->obj];
	bool typesafe = o->mcache >= 0 && (model.cache[o->mcache].flags & CF_TYPESAFE);

	if (typesafe)
		rcu_read_lock();
	if (kasan_check_access(slab_kasan_info(o->s), o->ptr, o->size, write, op_name(op->kind)) &&
	    model_obj_content_ok((int)op->obj, op_name(op->kind)) && write)
		model_obj_write((int)op->obj);
	if (typesafe)
		rcu_read_unlock();
}

/*
 * An access to an object that was freed (or kfree_rcu'd): how many USE_AFTER_FREE reports
 * KASAN must give, -1 when either answer is right.
 */
static int access_expect(const struct op *op, const struct model_obj *o)
{
	bool typesafe = o->mcache >= 0 && (model.cache[o->mcache].flags & CF_TYPESAFE);
	bool reader = model.reader_depth[op->cpu] > 0;

	if (o->state == MO_RCU && o->rcu_seq == ULONG_MAX)
		return -1;	/* its kfree_rcu is still inside the call (preempted, or an
				 * interrupt's): KASAN may not have marked it yet */
	if (o->state == MO_RCU) {
		/* pending until the grace period ends: a reader may still look at it */
		if (!reader)
			return 1;
		return poll_state_synchronize_rcu(o->gp) ? -1 : 0;
	}
	/* a reader may see a freed SLAB_TYPESAFE_BY_RCU object (its slot stays an object of
	 * the cache); in the quarantine it may be reported even so */
	if (typesafe && reader)
		return -1;
	return 1;
}

static void access_freed(const struct op *op, bool write)
{
	struct model_obj *o = &model.obj[op->obj];
	bool typesafe = o->mcache >= 0 && (model.cache[o->mcache].flags & CF_TYPESAFE);
	int want, n;

	if (!write && typesafe && model_reader_protects(op->cpu, (int)op->obj)) {
		/* freed while this reader held rcu_read_lock(): the memory must still be an
		 * object of the cache, in its constructed state, and readable */
		struct kmem_cache *vs = virt_to_cache(o->ptr);

		if (vs != o->s || slab_object_start(o->ptr) != o->ptr) {
			model_fail(RULE_TYPESAFE, "o%u = %p: %s inside rcu_read_lock() since op %ld, freed at op %ld",
				   op->obj, o->ptr, vs ? "now an object of another cache" : "no longer a slab object",
				   model.reader_since[op->cpu], o->freed_at);
			return;
		}
		kasan_check_access(slab_kasan_info(o->s), o->ptr, o->size, false, op_name(op->kind));
		if (o->ctor && *(const uint64_t *)o->ptr != SLAB_CTOR_MAGIC)
			model_fail(RULE_TYPESAFE, "o%u = %p: not in its constructed state inside rcu_read_lock()",
				   op->obj, o->ptr);
		return;
	}
	if (!model_obj_slot_intact((int)op->obj)) {
		exec_skip("the memory of o%u is in use again or gone", op->obj);
		return;
	}
	want = access_expect(op, o);
	/* only KASAN's check: the bytes themselves are not ours to touch */
	exec_expect_begin(REPORT_USE_AFTER_FREE);
	kasan_check_access(slab_kasan_info(o->s), o->ptr, o->size, write, op_name(op->kind));
	n = exec_expect_end();
	if (want >= 0 && n != want)
		model_fail(RULE_USE_AFTER_FREE_EXPECTED, "%s of %s o%u gave %d USE_AFTER_FREE reports, %d expected",
			   op_name(op->kind), o->state == MO_RCU ? "kfree_rcu'd" : "freed", op->obj, n, want);
}

static void access(const struct op *op, bool write)
{
	unsigned int h = op->obj;

	if (h < model.nr_obj && (model.obj[h].state == MO_FREED || model.obj[h].state == MO_RCU)) {
		access_freed(op, write);
		return;
	}
	if (obj_usable(h))
		access_live(op, write);
}

void exec_read(const struct op *op)
{
	access(op, false);
}

void exec_write(const struct op *op)
{
	access(op, true);
}

/* Depth is the op language's: enter and leave do not nest (op_table.c). */
void exec_memalloc_enter(const struct op *op)
{
	memalloc_noreclaim_save();
}

void exec_memalloc_leave(const struct op *op)
{
	memalloc_noreclaim_restore(0);
}

void exec_pressure(const struct op *op)
{
	int nid = op->node == NUMA_NO_NODE ? numa_mem_id() : op->node;
	unsigned long held = page_alloc_set_pressure(nid, (unsigned long)op->n);
	struct node_watermarks wm;

	node_watermarks(nid, &wm);
	exec_trace("        node %d: others hold %lu pages, %lu free (min %lu low %lu high %lu)\n",
		   nid, held, node_pages_free(nid), wm.min, wm.low, wm.high);
}
