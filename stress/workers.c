// SPDX-License-Identifier: GPL-2.0
/*
 * Workers: ops drawn from the op table by the op language's generator, run by a table of
 * run functions over each actor's own handles, with content tags, KASAN shadow checks,
 * published typesafe objects for the RCU readers and a hand-off queue between workers.
 *
 * Generation: a worker picks a kind by weight, then hands op_decode_one() random bytes
 * whose first byte is that kind's opcode (the CPU bits random), restricted to that kind:
 * the arguments (cache, object, sizes, gfp, node, counts) are the generator's choice over
 * the worker's pstate. Ops in another context than task context and misuse are drawn
 * again (the worker pstates have machine.misuse = 0; a `free cN oM` into another cache is
 * the one misuse the candidate sets still let through).
 *
 * Ownership: an object belongs to the actor whose pstate has it live. A hand-off moves it:
 * the giver marks it freed in its pstate (a phantom op, not logged), the taker binds a
 * fresh local handle to the same global handle; in the trace the later free is simply an
 * op on another CPU naming that global handle.
 */
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "stress.h"
#include "slab_introspect.h"
#include "platform.h"
#include "kasan.h"
#include "report.h"

static __thread uint64_t cur_seq = ~0ULL;

long stress_report_context(void)
{
	return cur_seq == ~0ULL ? -1 : (long)cur_seq;
}

void stress_ctor(void *obj)
{
	__atomic_store_n((uint64_t *)obj, SLAB_CTOR_MAGIC, __ATOMIC_RELAXED);
}

/* ---- handle maps ------------------------------------------------------------------------ */

static void *grow(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t c = *cap ? *cap : 64;

	while (c < need)
		c *= 2;
	if (c == *cap)
		return p;
	p = realloc(p, (size_t)c * elem);
	if (!p)
		abort();
	memset((char *)p + (size_t)*cap * elem, 0, (size_t)(c - *cap) * elem);
	*cap = c;
	return p;
}

static struct aobj *obj_slot(struct actor *a, uint32_t h)
{
	if (h >= a->cap_obj)
		a->obj = grow(a->obj, &a->cap_obj, h + 1, sizeof(a->obj[0]));
	return &a->obj[h];
}

static struct asheaf *sheaf_slot(struct actor *a, uint32_t h)
{
	if (h >= a->cap_sheaf)
		a->sheaf = grow(a->sheaf, &a->cap_sheaf, h + 1, sizeof(a->sheaf[0]));
	return &a->sheaf[h];
}

static struct acache *cache_slot(struct actor *a, uint32_t h)
{
	if (h >= a->cap_cache)
		a->cache = grow(a->cache, &a->cap_cache, h + 1, sizeof(a->cache[0]));
	return &a->cache[h];
}

void actor_init(struct actor *a, enum actor_kind kind, int idx, const char *name)
{
	a->kind = kind;
	a->idx = idx;
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->rng = slab_rng_seed(opt.seed, kind == ACT_WORKER ? (unsigned int)idx : 1000u + kind);
	a->dyn_cache = -1;
}

/* A state change the program does not see: apply it to the actor's pstate only. */
static void phantom(struct actor *a, const struct op *op)
{
	prog_apply(&a->st, op);
}

static void phantom_drop(struct actor *a, uint32_t h)
{
	struct op op = { .kind = OP_FREE, .obj = h, .node = -1 };

	if (pstate_obj(&a->st, h)->kind != OK_CACHE)
		op.kind = OP_KFREE;
	phantom(a, &op);
	a->obj[h].p = NULL;
}

void actor_reset(struct actor *a, bool with_dyn)
{
	struct op dyn = { 0 };
	struct kmem_cache *dyn_s = NULL;

	if (with_dyn && a->dyn_cache >= 0 && a->cache[a->dyn_cache].s) {
		dyn = a->cache[a->dyn_cache].create;
		dyn_s = a->cache[a->dyn_cache].s;
	}
	pstate_init(&a->st, &stress_machine);
	if (a->obj)
		memset(a->obj, 0, a->cap_obj * sizeof(a->obj[0]));
	if (a->sheaf)
		memset(a->sheaf, 0, a->cap_sheaf * sizeof(a->sheaf[0]));
	if (a->cache)
		memset(a->cache, 0, a->cap_cache * sizeof(a->cache[0]));
	for (uint32_t i = 0; i < NR_SHARED; i++) {
		struct acache *c = cache_slot(a, i);

		prog_apply(&a->st, &shared_create[i]);
		c->s = shared_caches[i];
		c->g = i;
		c->create = shared_create[i];
	}
	a->live = a->sheaves = 0;
	if (dyn_s) {
		/* the destroy thread's cache lives on: c<NR_SHARED> of the new epoch */
		struct acache *c = cache_slot(a, NR_SHARED);

		dyn.dst = NR_SHARED;
		prog_apply(&a->st, &dyn);
		c->s = dyn_s;
		c->g = NR_SHARED;
		c->create = dyn;
		a->dyn_cache = NR_SHARED;
		head_add(&dyn);
	} else if (with_dyn) {
		a->dyn_cache = -1;
	}
}

/* ---- checks ------------------------------------------------------------------------------ */

static bool tag_ok(struct actor *a, const struct aobj *o, const char *where)
{
	int bad = slab_tag_check(o->p, o->size, o->ctor, o->tag, o->typesafe);

	if (bad < 0)
		return true;
	pthread_mutex_lock(&print_lock);
	fprintf(stderr,
		"slab-stress: CONTENT MISMATCH at %s by %s: object o%u = %p size %u: byte %d is %#x, want %#x\n",
		where, a->name, o->g, o->p, o->size, bad, ((const uint8_t *)o->p)[bad],
		bad == 0 && o->ctor ? 0x01 : slab_tag_byte(o->tag, (unsigned int)bad));
	pthread_mutex_unlock(&print_lock);
	stress_fail("STRESS_CONTENT in %s", where);
	return false;
}

/* The object we own must be ALLOCATED in KASAN's shadow before we give it back. */
static bool shadow_ok(struct actor *a, const struct aobj *o, const char *where)
{
	struct kmem_cache *s = virt_to_cache(o->p);
	enum kasan_state st = s ? kasan_get_state(slab_kasan_info(s), o->p) : NR_KASAN_STATES;

	if (st == KASAN_STATE_ALLOCATED)
		return true;
	pthread_mutex_lock(&print_lock);
	fprintf(stderr, "slab-stress: SHADOW STATE at %s by %s: object o%u = %p is %s, not allocated\n",
		where, a->name, o->g, o->p, s ? kasan_state_name(st) : "not a slab object");
	pthread_mutex_unlock(&print_lock);
	stress_fail("STRESS_SHADOW in %s", where);
	return false;
}

/* ---- RCU slots ------------------------------------------------------------------------- */

static void slot_write(int k, void *p, uint64_t tag)
{
	struct rcu_slot *s = &rcu_slots[k];

	/* a seqcount with sequentially consistent accesses (no fences: TSan has none) */
	__atomic_add_fetch(&s->gen, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->ptr, p, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->tag, tag, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&s->gen, 1, __ATOMIC_SEQ_CST);
}

static void unpublish(struct aobj *o)
{
	if (o->slot >= 0) {
		slot_write(o->slot, NULL, 0);
		o->slot = -1;
	}
}

/* Publish a fresh typesafe object of a shared cache in one of the worker's free slots. */
static void maybe_publish(struct actor *a, struct aobj *o)
{
	int base;

	if (a->kind != ACT_WORKER || !o->typesafe || slab_rng_below(&a->rng, 4))
		return;
	base = a->idx * SLOTS_PER_THREAD;
	for (int k = 0; k < SLOTS_PER_THREAD; k++) {
		if (!__atomic_load_n(&rcu_slots[base + k].ptr, __ATOMIC_RELAXED)) {
			slot_write(base + k, o->p, o->tag);
			o->slot = (int16_t)(base + k);
			return;
		}
	}
}

/* ---- binding results -------------------------------------------------------------------- */

struct bind_info {
	uint32_t size;
	bool ctor, typesafe;
};

static struct bind_info cache_bind_info(struct actor *a, uint32_t cache)
{
	const struct pcache *pc = pstate_cache(&a->st, cache);
	struct bind_info b = { .size = (uint32_t)pc->size, .ctor = pc->flags & CF_CTOR,
			       .typesafe = pc->flags & CF_TYPESAFE };

	return b;
}

static void bind(struct actor *a, uint32_t h, void *p, struct bind_info b)
{
	struct aobj *o = obj_slot(a, h);

	if (!p) {
		a->nulls++;
		phantom_drop(a, h);
		return;
	}
	o->p = p;
	o->size = b.size;
	o->ctor = b.ctor;
	o->typesafe = b.typesafe;
	o->slot = -1;
	o->tag = slab_rng_next(&a->rng);
	slab_tag_write(p, o->size, o->ctor, o->tag, o->typesafe);
	__atomic_add_fetch(&a->live, 1, __ATOMIC_RELAXED);
	maybe_publish(a, o);
}

/* Take object h out of the actor's hands after the checks; NULL if a check failed. */
static void *obj_take(struct actor *a, uint32_t h, const char *where)
{
	struct aobj *o = &a->obj[h];
	void *p = o->p;
	bool ok;

	if (!p)
		return NULL;
	unpublish(o);
	ok = tag_ok(a, o, where) && shadow_ok(a, o, where);
	o->p = NULL;
	__atomic_sub_fetch(&a->live, 1, __ATOMIC_RELAXED);
	return ok ? p : NULL;
}

static struct kmem_cache *cache_of(struct actor *a, uint32_t h)
{
	return h < a->cap_cache ? a->cache[h].s : NULL;
}

static struct kmem_cache *obj_cache(struct actor *a, uint32_t h)
{
	return cache_of(a, (uint32_t)pstate_obj(&a->st, h)->cache);
}

/* An allocation without the right to the reserves got no object of a reserve slab (the
 * model's PFMEMALLOC rule, checked live: the replay may not reach the same watermarks). */
static void reserves_ok(struct actor *a, const struct op *op, const void *p, bool reserves)
{
	if (!p || reserves || !slab_object_pfmemalloc(p))
		return;
	pthread_mutex_lock(&print_lock);
	fprintf(stderr, "slab-stress: PFMEMALLOC by %s: %s without the right to the reserves got %p of a reserve slab\n",
		a->name, op_name((enum op_kind)op->kind), p);
	pthread_mutex_unlock(&print_lock);
	stress_fail("MODEL_PFMEMALLOC in %s", op_name((enum op_kind)op->kind));
}

static bool op_reserves(const struct op *op)
{
	return gfp_pfmemalloc_allowed(exec_gfp(op));
}

/* ---- the run table ------------------------------------------------------------------------ */

static const char *const dyn_name = "stress-dyn";
static const char *const shared_names[NR_SHARED] = { "stress-norm", "stress-rcu", "stress-sheaf" };

static void run_create(struct actor *a, const struct op *op)
{
	struct kmem_cache_args args = { .align = (unsigned int)op->align,
					 .sheaf_capacity = (unsigned int)op->capacity };
	slab_flags_t flags;
	struct kmem_cache *s;

	if (op->flags & CF_CTOR)
		args.ctor = stress_ctor;
	flags = exec_slab_flags(op);
	s = kmem_cache_create(a->kind == ACT_DRIVER && op->dst < NR_SHARED ? shared_names[op->dst] :
			      dyn_name, (unsigned int)op->size, &args, flags);
	cache_slot(a, op->dst)->s = s;
	a->cache[op->dst].create = *op;
	if (!s)
		stress_fail("STRESS_CREATE in kmem_cache_create");
}

static void run_alloc(struct actor *a, const struct op *op)
{
	struct kmem_cache *s = cache_of(a, op->cache);
	void *p = op->kind == OP_ALLOC_NODE ? kmem_cache_alloc_node(s, exec_gfp(op), op->node) :
					      kmem_cache_alloc(s, exec_gfp(op));

	reserves_ok(a, op, p, op_reserves(op));
	bind(a, op->dst, p, cache_bind_info(a, op->cache));
}

static void run_alloc_bulk(struct actor *a, const struct op *op)
{
	void *arr[PROG_MAX_LIST];
	int got = kmem_cache_alloc_bulk(cache_of(a, op->cache), exec_gfp(op), (size_t)op->n, arr);

	if (got != 0 && got != op->n) {
		stress_fail("STRESS_BULK in kmem_cache_alloc_bulk");
		got = 0;	/* leave them: the report says enough */
	}
	for (int i = 0; i < op->n; i++) {
		reserves_ok(a, op, got ? arr[i] : NULL, op_reserves(op));
		bind(a, op->dst + (uint32_t)i, got ? arr[i] : NULL, cache_bind_info(a, op->cache));
	}
}

static void run_free(struct actor *a, const struct op *op)
{
	struct kmem_cache *s = op->has_cache ? cache_of(a, op->cache) : obj_cache(a, op->obj);
	void *p = obj_take(a, op->obj, "free");

	if (p)
		kmem_cache_free(s, p);
}

static void run_free_bulk(struct actor *a, const struct op *op)
{
	void *arr[PROG_MAX_LIST];
	int n = 0;

	for (int i = 0; i < op->nlist; i++) {
		void *p = obj_take(a, op->list[i], "free_bulk");

		if (p)
			arr[n++] = p;
	}
	if (n == op->nlist)
		kmem_cache_free_bulk(cache_of(a, op->cache), (size_t)n, arr);
}

static void run_kfree_rcu(struct actor *a, const struct op *op)
{
	unsigned int off = a->obj[op->obj].ctor ? 8 : 0;
	char *p = obj_take(a, op->obj, "kfree_rcu");

	if (p)
		kvfree_call_rcu((struct rcu_head *)(p + off), p);
}

static void run_kmalloc(struct actor *a, const struct op *op)
{
	struct bind_info b = { .size = (uint32_t)op->size };
	void *p = kmalloc((size_t)op->size, exec_gfp(op));

	reserves_ok(a, op, p, op_reserves(op));
	bind(a, op->dst, p, b);
}

static void run_kfree(struct actor *a, const struct op *op)
{
	void *p = obj_take(a, op->obj, "kfree");

	if (p)
		kfree(p);
}

static void run_prefill(struct actor *a, const struct op *op)
{
	struct slab_sheaf *sh = kmem_cache_prefill_sheaf(cache_of(a, op->cache), exec_gfp(op),
							 (unsigned int)op->n);
	struct asheaf *s = sheaf_slot(a, op->dst);

	s->p = sh;
	s->reserves = op_reserves(op);
	if (!sh) {
		struct op ret = { .kind = OP_RETURN_SHEAF, .sheaf = op->dst, .node = -1 };

		a->nulls++;
		phantom(a, &ret);
		return;
	}
	a->sheaves++;
}

static uint32_t sheaf_cache(struct actor *a, uint32_t sh)
{
	return a->st.sheaf[sh].cache;
}

static void run_alloc_from_sheaf(struct actor *a, const struct op *op)
{
	uint32_t c = sheaf_cache(a, op->sheaf);
	void *p = kmem_cache_alloc_from_sheaf(cache_of(a, c), exec_gfp(op), a->sheaf[op->sheaf].p);

	reserves_ok(a, op, p, a->sheaf[op->sheaf].reserves);
	bind(a, op->dst, p, cache_bind_info(a, c));
}

static void run_refill(struct actor *a, const struct op *op)
{
	struct asheaf *s = &a->sheaf[op->sheaf];

	s->reserves |= op_reserves(op);
	kmem_cache_refill_sheaf(cache_of(a, sheaf_cache(a, op->sheaf)), exec_gfp(op), &s->p,
				(unsigned int)op->n);
}

static void run_return_sheaf(struct actor *a, const struct op *op)
{
	struct asheaf *s = &a->sheaf[op->sheaf];

	kmem_cache_return_sheaf(cache_of(a, sheaf_cache(a, op->sheaf)), exec_gfp(op), s->p);
	s->p = NULL;
	a->sheaves--;
}

static void run_shrink(struct actor *a, const struct op *op)
{
	kmem_cache_shrink(cache_of(a, op->cache));
}

static void run_destroy(struct actor *a, const struct op *op)
{
	kmem_cache_destroy(cache_of(a, op->cache));
	a->cache[op->cache].s = NULL;
}

static void run_barrier(struct actor *a, const struct op *op)
{
	if (op->has_cache)
		kvfree_rcu_barrier_on_cache(cache_of(a, op->cache));
	else
		kvfree_rcu_barrier();
}

static void run_read(struct actor *a, const struct op *op)
{
	tag_ok(a, &a->obj[op->obj], "read");
}

static void run_write(struct actor *a, const struct op *op)
{
	struct aobj *o = &a->obj[op->obj];

	if (!tag_ok(a, o, "write"))
		return;
	unpublish(o);
	o->tag = slab_rng_next(&a->rng);
	slab_tag_write(o->p, o->size, o->ctor, o->tag, o->typesafe);
}

static void run_memalloc_enter(struct actor *a, const struct op *op)
{
	memalloc_noreclaim_save();
}

static void run_memalloc_leave(struct actor *a, const struct op *op)
{
	memalloc_noreclaim_restore(0);
}

static void run_pressure(struct actor *a, const struct op *op)
{
	page_alloc_set_pressure(op->node, (unsigned long)op->n);
}

/* gp / rcu_cb: what the driver saw liburcu do; nothing to run. */
static void run_observed(struct actor *a, const struct op *op)
{
}

static void (*const run[NR_OP_KINDS])(struct actor *, const struct op *) = {
	[OP_CREATE] = run_create,
	[OP_ALLOC] = run_alloc,
	[OP_ALLOC_NODE] = run_alloc,
	[OP_ALLOC_BULK] = run_alloc_bulk,
	[OP_FREE] = run_free,
	[OP_FREE_BULK] = run_free_bulk,
	[OP_KFREE_RCU] = run_kfree_rcu,
	[OP_KMALLOC] = run_kmalloc,
	[OP_KFREE] = run_kfree,
	[OP_PREFILL] = run_prefill,
	[OP_ALLOC_FROM_SHEAF] = run_alloc_from_sheaf,
	[OP_REFILL] = run_refill,
	[OP_RETURN_SHEAF] = run_return_sheaf,
	[OP_SHRINK] = run_shrink,
	[OP_DESTROY] = run_destroy,
	[OP_BARRIER] = run_barrier,
	[OP_GP] = run_observed,
	[OP_RCU_CB] = run_observed,
	[OP_READ] = run_read,
	[OP_WRITE] = run_write,
	[OP_MEMALLOC_ENTER] = run_memalloc_enter,
	[OP_MEMALLOC_LEAVE] = run_memalloc_leave,
	[OP_PRESSURE] = run_pressure,
};

/* ---- executing one op ------------------------------------------------------------------- */

/* Source handles local -> global; the result gets fresh global handles. */
static void to_global(struct actor *a, const struct op *op, struct op *g)
{
	const struct op_desc *d = &op_table[op->kind];

	*g = *op;
	for (int i = 0; i < d->nargs; i++) {
		const struct arg_desc *ad = &d->args[i];

		switch ((enum arg_type)ad->type) {
		case ARG_CACHE:
			if (!(ad->flags & ARGF_OPTIONAL) || op->has_cache)
				g->cache = a->cache[op->cache].g;
			break;
		case ARG_OBJ:
			g->obj = a->obj[op->obj].g;
			break;
		case ARG_OBJ_LIST:
			for (int k = 0; k < op->nlist; k++)
				g->list[k] = a->obj[op->list[k]].g;
			break;
		case ARG_SHEAF:
			g->sheaf = a->sheaf[op->sheaf].g;
			break;
		default:
			break;
		}
	}
	switch ((enum op_result)d->result) {
	case RES_CACHE:
		g->dst = global_cache_take();
		cache_slot(a, op->dst)->g = g->dst;
		break;
	case RES_SHEAF:
		g->dst = global_sheaf_take();
		sheaf_slot(a, op->dst)->g = g->dst;
		break;
	case RES_OBJ:
	case RES_OBJS: {
		uint32_t n = d->result == RES_OBJS ? (uint32_t)op->n : 1;

		g->dst = global_obj_take(n);
		obj_slot(a, op->dst + n - 1);
		for (uint32_t i = 0; i < n; i++) {
			memset(&a->obj[op->dst + i], 0, sizeof(a->obj[0]));
			a->obj[op->dst + i].g = g->dst + i;
			a->obj[op->dst + i].slot = -1;
		}
		break;
	}
	default:
		break;
	}
}

/* actor_exec() on the CPU the caller occupies. */
static bool exec_occupied(struct actor *a, struct op *op)
{
	char err[160];
	struct op g;

	op->cpu = (uint8_t)smp_processor_id();
	if (!run[op->kind] || prog_check(&a->st, op, err, sizeof(err))) {
		pthread_mutex_lock(&print_lock);
		fprintf(stderr, "slab-stress: %s built an invalid %s op: %s\n", a->name,
			op_name((enum op_kind)op->kind), run[op->kind] ? err : "no run function");
		pthread_mutex_unlock(&print_lock);
		stress_fail("STRESS_DRIVER in %s", op_name((enum op_kind)op->kind));
		return false;
	}
	to_global(a, op, &g);
	prog_apply(&a->st, op);
	cur_seq = log_append(a, &g);
	run[op->kind](a, op);
	cur_seq = ~0ULL;
	a->op_count[op->kind]++;
	__atomic_add_fetch(&a->ops, 1, __ATOMIC_RELAXED);
	return true;
}

bool actor_exec(struct actor *a, struct op *op)
{
	bool ok;

	cpu_occupy();
	ok = exec_occupied(a, op);
	cpu_unoccupy();
	return ok;
}

/* One CPU for the three ops: the task's PF_MEMALLOC and the log's memalloc_enter name the
 * same CPU, and no other actor's op runs there in between. */
bool actor_exec_memalloc(struct actor *a, struct op *op)
{
	struct op enter = { .kind = OP_MEMALLOC_ENTER, .node = -1 };
	struct op leave = { .kind = OP_MEMALLOC_LEAVE, .node = -1 };
	bool ok;

	cpu_occupy();
	ok = exec_occupied(a, &enter);
	if (ok) {
		ok = exec_occupied(a, op);
		ok = exec_occupied(a, &leave) && ok;
	}
	cpu_unoccupy();
	return ok;
}

void actor_give_back(struct actor *a)
{
	for (uint32_t h = 0; h < a->st.nr_obj && h < a->cap_obj; h++) {
		struct op op = { .kind = OP_FREE, .obj = h, .node = -1 };

		if (!a->obj[h].p || pstate_obj(&a->st, h)->state != OS_LIVE)
			continue;
		if (pstate_obj(&a->st, h)->kind != OK_CACHE)
			op.kind = OP_KFREE;
		actor_exec(a, &op);
	}
	for (uint32_t h = 0; h < a->st.nr_sheaf && h < a->cap_sheaf; h++) {
		struct op op = { .kind = OP_RETURN_SHEAF, .sheaf = h, .node = -1 };

		if (a->sheaf[h].p && a->st.sheaf[h].alive)
			actor_exec(a, &op);
	}
}

void actor_adopt(struct actor *a, const struct handoff *h)
{
	struct op ph = { .kind = h->okind == OK_CACHE ? OP_ALLOC : OP_KMALLOC, .cache = h->cache,
			 .size = (int32_t)h->o.size, .dst = a->st.next_obj, .node = -1 };
	struct aobj *o = obj_slot(a, ph.dst);

	phantom(a, &ph);
	*o = h->o;
	o->slot = -1;
	__atomic_add_fetch(&a->live, 1, __ATOMIC_RELAXED);
	a->handoffs_in++;
}

/* ---- hand-off --------------------------------------------------------------------------- */

static void handoff_push(struct actor *a)
{
	struct handoff h;
	uint32_t n = a->st.nr_obj;

	if (!n)
		return;
	for (int tries = 0; tries < 8; tries++) {
		uint32_t k = slab_rng_below(&a->rng, n);
		const struct pobj *po = pstate_obj(&a->st, k);

		if (k >= a->cap_obj || !a->obj[k].p || po->state != OS_LIVE)
			continue;
		if (po->kind == OK_CACHE && (po->cache < 0 || po->cache >= NR_SHARED))
			continue;
		pthread_mutex_lock(&handoff_lock);
		if (handoff_nr >= HANDOFF_MAX) {
			pthread_mutex_unlock(&handoff_lock);
			return;
		}
		unpublish(&a->obj[k]);
		if (!tag_ok(a, &a->obj[k], "handoff")) {
			pthread_mutex_unlock(&handoff_lock);
			return;
		}
		h.o = a->obj[k];
		h.okind = po->kind;
		h.cache = (uint32_t)(po->kind == OK_CACHE ? po->cache : 0);
		handoff_q[handoff_nr++] = h;
		pthread_mutex_unlock(&handoff_lock);
		phantom_drop(a, k);
		__atomic_sub_fetch(&a->live, 1, __ATOMIC_RELAXED);
		a->handoffs_out++;
		return;
	}
}

static void handoff_pop(struct actor *a)
{
	struct handoff h;

	pthread_mutex_lock(&handoff_lock);
	if (!handoff_nr) {
		pthread_mutex_unlock(&handoff_lock);
		return;
	}
	unsigned int i = slab_rng_below(&a->rng, handoff_nr);

	h = handoff_q[i];
	handoff_q[i] = handoff_q[--handoff_nr];
	pthread_mutex_unlock(&handoff_lock);
	actor_adopt(a, &h);
}

/* ---- the generator ---------------------------------------------------------------------- */

/*
 * Kinds a worker draws, with weights (per mille of the draws). No `barrier`: the
 * deterministic model checks a kvfree_rcu_barrier_on_cache() at once (MODEL_BARRIER),
 * so a seeded barrier bug would replay with another signature than the stress run's;
 * barriers come from kmem_cache_destroy (destroy thread) and the quiescent points.
 */
static const struct { uint8_t kind; uint16_t weight; } worker_mix[] = {
	{ OP_ALLOC, 200 },	{ OP_ALLOC_NODE, 50 },	{ OP_ALLOC_BULK, 40 },
	{ OP_FREE, 230 },	{ OP_FREE_BULK, 50 },	{ OP_KFREE_RCU, 60 },
	{ OP_KMALLOC, 90 },	{ OP_KFREE, 100 },	{ OP_PREFILL, 15 },
	{ OP_ALLOC_FROM_SHEAF, 60 }, { OP_REFILL, 8 },	{ OP_RETURN_SHEAF, 20 },
	{ OP_SHRINK, 5 },	{ OP_READ, 40 },	{ OP_WRITE, 30 },
};

static bool kind_allowed(const struct actor *a, unsigned int kind)
{
	const struct op_desc *d = &op_table[kind];

	if ((d->result == RES_OBJ || d->result == RES_OBJS) && a->live >= HELD_MAX)
		return false;
	if (kind == OP_PREFILL && a->sheaves >= SHEAVES_MAX)
		return false;
	return true;
}

static bool gen_op(struct actor *a, struct op *op)
{
	uint8_t bytes[48];
	unsigned int total = 0;

	for (unsigned int i = 0; i < sizeof(worker_mix) / sizeof(worker_mix[0]); i++)
		total += worker_mix[i].weight;
	for (int tries = 0; tries < 8; tries++) {
		unsigned int r = slab_rng_below(&a->rng, total), kind = OP_ALLOC;

		for (unsigned int i = 0; i < sizeof(worker_mix) / sizeof(worker_mix[0]); i++) {
			if (r < worker_mix[i].weight) {
				kind = worker_mix[i].kind;
				break;
			}
			r -= worker_mix[i].weight;
		}
		if (!kind_allowed(a, kind))
			continue;
		slab_rng_bytes(&a->rng, bytes, sizeof(bytes));
		bytes[0] = (uint8_t)((op_table[kind].opcode & 31) | (bytes[0] & 0xe0));
		if (!op_decode_one(&a->st, bytes, sizeof(bytes), 1ull << kind, op))
			continue;
		a->st.pending_ctx = -1;
		if (op->ctx != CTX_TASK || prog_is_misuse(&a->st, op))
			continue;
		/* kfree_rcu writes its rcu_head with plain stores into memory the RCU readers
		 * of typesafe objects may be reading: those objects are freed, not kfree_rcu'd */
		if (op->kind == OP_KFREE_RCU && a->obj[op->obj].typesafe)
			continue;
		return true;
	}
	return false;
}

/* ---- the worker thread ------------------------------------------------------------------ */

void op_begin(void)
{
	pthread_rwlock_rdlock(&world);
}

void op_end(void)
{
	pthread_rwlock_unlock(&world);
}

void check_reports(struct actor *a)
{
	int n = report_count();

	if (n == a->seen_reports)
		return;
	a->seen_reports = n;
	request_stop();
}

static void worker_step(struct actor *a)
{
	unsigned int r = slab_rng_below(&a->rng, 100);
	struct op op;

	op_begin();
	if (r < 3)
		handoff_push(a);
	else if (r < 6)
		handoff_pop(a);
	else if (gen_op(a, &op)) {
		/* the first --reclaimers workers reclaim: every op in PF_MEMALLOC context */
		if ((unsigned int)a->idx < opt.reclaimers)
			actor_exec_memalloc(a, &op);
		else
			actor_exec(a, &op);
	}
	op_end();
}

/*
 * A finished worker stays parked until the process exits instead of being joined: the op
 * language's generator keeps per-thread scratch buffers (static __thread candidate sets
 * in op_decode_one) that nothing frees, and LeakSanitizer counts the buffers of exited
 * threads as leaks. The driver waits for every worker to park.
 */
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static unsigned int parked;

static void worker_park(void)
{
	pthread_mutex_lock(&park_lock);
	parked++;
	pthread_cond_broadcast(&park_cond);
	for (;;)
		pthread_cond_wait(&park_cond, &park_lock);
}

void workers_wait_parked(unsigned int n)
{
	pthread_mutex_lock(&park_lock);
	while (parked < n)
		pthread_cond_wait(&park_cond, &park_lock);
	pthread_mutex_unlock(&park_lock);
}

void *worker_main(void *arg)
{
	struct actor *a = arg;
	unsigned long n = 0;

	task_init(&a->task, a->name, a->idx % (int)opt.cpus);
	task_switch(&a->task);
	rcu_thread_online();
	while (!stopping()) {
		worker_step(a);
		if ((++n & 63) == 0)
			check_reports(a);
	}
	check_reports(a);
	rcu_thread_offline();
	task_exit(&a->task);
	worker_park();
	return NULL;
}
