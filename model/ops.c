// SPDX-License-Identifier: GPL-2.0
/*
 * The operation language: static validity, binary decoder/encoder, text parser/printer.
 * See ops.h for the forms. Nothing here touches the allocator.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "rcu.h"

const size_t prog_quarantine_sizes[PROG_NR_QSIZES] = {
	1 << 20, 4 << 10, 8 << 10, 16 << 10, 64 << 10, 256 << 10, 512 << 10, 2 << 20,
};
static const char *const qsize_names[PROG_NR_QSIZES] = {
	"1M", "4K", "8K", "16K", "64K", "256K", "512K", "2M",
};

static const char *const op_names[NR_OP_KINDS] = {
	[OP_CREATE] = "create",
	[OP_ALLOC] = "alloc",
	[OP_ALLOC_NODE] = "alloc_node",
	[OP_ALLOC_BULK] = "alloc_bulk",
	[OP_FREE] = "free",
	[OP_FREE_BULK] = "free_bulk",
	[OP_KFREE_RCU] = "kfree_rcu",
	[OP_KMALLOC] = "kmalloc",
	[OP_KFREE] = "kfree",
	[OP_KMALLOC_NOLOCK] = "kmalloc_nolock",
	[OP_KFREE_NOLOCK] = "kfree_nolock",
	[OP_PREFILL] = "prefill",
	[OP_ALLOC_FROM_SHEAF] = "alloc_from_sheaf",
	[OP_REFILL] = "refill",
	[OP_RETURN_SHEAF] = "return_sheaf",
	[OP_SHRINK] = "shrink",
	[OP_DESTROY] = "destroy",
	[OP_BARRIER] = "barrier",
	[OP_CPU_DOWN] = "cpu_down",
	[OP_CPU_UP] = "cpu_up",
	[OP_MIGRATE] = "migrate",
	[OP_IRQ] = "irq",
	[OP_GP] = "gp",
	[OP_RCU_CB] = "rcu_cb",
	[OP_QUARANTINE_REDUCE] = "quarantine_reduce",
	[OP_FAULT] = "fault",
	[OP_READ] = "read",
	[OP_WRITE] = "write",
	[OP_IRQ_WORK] = "irq_work",
};

static const char *const gfp_names[NR_GFPC] = { "kernel", "nowait", "atomic" };
static const char *const cf_names[] = { "typesafe_by_rcu", "hwcache_align", "no_merge",
					"debug", "ctor" };

const char *op_name(enum op_kind kind)
{
	return kind < NR_OP_KINDS ? op_names[kind] : "?";
}

void machine_default(struct machine *m)
{
	memset(m, 0, sizeof(*m));
	m->cpus = 4;
	m->nodes = 1;
	m->kasan = 1;
}

void program_init(struct program *p)
{
	p->nr_ops = 0;
	machine_default(&p->m);
	p->expect[0] = p->bug[0] = p->expect_bug[0] = 0;
}

/* ------------------------------------------------------------------ static state */

void pstate_init(struct pstate *st, const struct machine *m)
{
	st->m = *m;
	st->online = (uint8_t)((1u << m->cpus) - 1);
	st->pending_ctx = -1;
	st->pending_cpu = -1;
	st->next_obj = st->next_cache = st->next_sheaf = 0;
	memset(st->obj, 0, sizeof(st->obj));
	memset(st->cache, 0, sizeof(st->cache));
	memset(st->sheaf, 0, sizeof(st->sheaf));
}

static int nr_online(const struct pstate *st)
{
	return __builtin_popcount(st->online);
}

unsigned int prog_rcu_head_offset(const struct pstate *st, uint16_t obj)
{
	/* a ctor cache keeps its constructed state in word 0 */
	if (st->obj[obj].kind == OK_CACHE && (st->cache[st->obj[obj].cache].flags & CF_CTOR))
		return 8;
	return 0;
}

static bool rcu_fits(const struct pstate *st, uint16_t obj)
{
	return st->obj[obj].size >= prog_rcu_head_offset(st, obj) + sizeof(struct rcu_head);
}

static bool ctx_allows(const struct op *op)
{
	if (op->ctx == CTX_TASK)
		return true;
	switch (op->kind) {
	case OP_KMALLOC_NOLOCK:
	case OP_KFREE_NOLOCK:
	case OP_READ:
	case OP_WRITE:
		return true;
	case OP_ALLOC:
	case OP_ALLOC_NODE:
	case OP_ALLOC_BULK:
	case OP_KMALLOC:
		return op->ctx == CTX_IRQ && op->gfp != GFPC_KERNEL;
	case OP_FREE:
	case OP_FREE_BULK:
	case OP_KFREE:
	case OP_KFREE_RCU:
		return op->ctx == CTX_IRQ;
	default:
		return false;
	}
}

static bool obj_free_slot(const struct pstate *st, unsigned int h)
{
	return h < PROG_MAX_OBJS && st->obj[h].state != OS_LIVE && st->obj[h].state != OS_RCU &&
	       st->obj[h].state != OS_ORPHAN;
}

/* A free of `h` of kind `kind`: live, or a deliberate double free of a freed object. */
static bool freeable(const struct pstate *st, unsigned int h, bool cache_obj, bool dfree)
{
	if (h >= PROG_MAX_OBJS)
		return false;
	bool kind_ok = cache_obj ? st->obj[h].kind == OK_CACHE : st->obj[h].kind != OK_CACHE;
	if (!kind_ok)
		return false;
	if (st->obj[h].state == OS_LIVE)
		return true;
	return dfree && st->obj[h].state == OS_FREED;
}

#define FAIL(...) do { snprintf(err, len, __VA_ARGS__); return -1; } while (0)

int prog_check(const struct pstate *st, const struct op *op, char *err, size_t len)
{
	if (op->kind >= NR_OP_KINDS)
		FAIL("unknown op");
	if (op->cpu >= st->m.cpus)
		FAIL("cpu%u does not exist (cpus=%u)", op->cpu, st->m.cpus);
	if (!(st->online & (1u << op->cpu)))
		FAIL("cpu%u is offline", op->cpu);
	if (op->ctx > CTX_NMI || op->gfp >= NR_GFPC)
		FAIL("bad context or gfp");
	if (!ctx_allows(op))
		FAIL("%s%s is not allowed in %s context", op_name(op->kind),
		     op->gfp == GFPC_KERNEL && op->ctx == CTX_IRQ ? " with gfp=kernel" : "",
		     op->ctx == CTX_NMI ? "nmi" : "irq");

	switch (op->kind) {
	case OP_CREATE:
		if (op->size < 8 || op->size > PROG_MAX_SIZE)
			FAIL("size must be 8..%d", PROG_MAX_SIZE);
		if (op->align && (op->align < 8 || op->align > 512 || (op->align & (op->align - 1))))
			FAIL("align must be 0 or a power of two in 8..512");
		if (op->capacity > 255)
			FAIL("capacity must be 0..255");
		if (op->flags & ~CF_ALL)
			FAIL("unknown create flags");
		if (op->dst >= PROG_MAX_CACHES)
			FAIL("cache handles are c0..c%d", PROG_MAX_CACHES - 1);
		if (st->cache[op->dst].alive)
			FAIL("c%u is still alive", op->dst);
		return 0;
	case OP_ALLOC:
	case OP_ALLOC_NODE:
	case OP_ALLOC_BULK:
	case OP_PREFILL:
	case OP_SHRINK:
	case OP_DESTROY:
		if (op->cache >= PROG_MAX_CACHES || !st->cache[op->cache].alive)
			FAIL("c%u is not a live cache", op->cache);
		break;
	case OP_BARRIER:
		if (!op->all && (op->cache >= PROG_MAX_CACHES || !st->cache[op->cache].alive))
			FAIL("c%u is not a live cache", op->cache);
		return 0;
	default:
		break;
	}

	switch (op->kind) {
	case OP_ALLOC_NODE:
		if (op->node < -1 || op->node >= st->m.nodes)
			FAIL("node must be -1..%d", st->m.nodes - 1);
		/* fall through */
	case OP_ALLOC:
		if (!obj_free_slot(st, op->dst))
			FAIL("o%u is still bound (or out of range o0..o%d)", op->dst, PROG_MAX_OBJS - 1);
		return 0;
	case OP_ALLOC_BULK:
		if (op->n < 1 || op->n > PROG_MAX_LIST)
			FAIL("alloc_bulk allocates 1..%d objects", PROG_MAX_LIST);
		for (unsigned int i = 0; i < op->n; i++)
			if (!obj_free_slot(st, op->dst + i))
				FAIL("o%u is still bound (or out of range)", op->dst + i);
		return 0;
	case OP_FREE:
		if (!freeable(st, op->obj, true, true))
			FAIL("o%u is not a live (or freed) cache object", op->obj);
		if (st->obj[op->obj].state == OS_LIVE && !st->cache[st->obj[op->obj].cache].alive)
			FAIL("cache of o%u was destroyed", op->obj);
		if (st->obj[op->obj].state == OS_FREED && !st->cache[st->obj[op->obj].cache].alive)
			FAIL("cache of o%u was destroyed", op->obj);
		return 0;
	case OP_FREE_BULK:
		if (op->cache >= PROG_MAX_CACHES || !st->cache[op->cache].alive)
			FAIL("c%u is not a live cache", op->cache);
		if (op->nlist < 1 || op->nlist > PROG_MAX_LIST)
			FAIL("free_bulk frees 1..%d objects", PROG_MAX_LIST);
		for (int i = 0; i < op->nlist; i++) {
			uint16_t h = op->list[i];
			if (h >= PROG_MAX_OBJS || st->obj[h].state != OS_LIVE ||
			    st->obj[h].kind != OK_CACHE || st->obj[h].cache != op->cache)
				FAIL("o%u is not a live object of c%u", h, op->cache);
			for (int j = 0; j < i; j++)
				if (op->list[j] == h)
					FAIL("o%u listed twice", h);
		}
		return 0;
	case OP_KFREE_RCU:
		if (op->obj >= PROG_MAX_OBJS || st->obj[op->obj].state != OS_LIVE)
			FAIL("o%u is not live", op->obj);
		if (!rcu_fits(st, op->obj))
			FAIL("o%u is too small for an rcu_head (%zu bytes)", op->obj,
			     sizeof(struct rcu_head));
		return 0;
	case OP_KMALLOC:
	case OP_KMALLOC_NOLOCK:
		if (op->size < 1 || op->size > PROG_MAX_SIZE)
			FAIL("size must be 1..%d", PROG_MAX_SIZE);
		if (op->kind == OP_KMALLOC_NOLOCK && (op->node < -1 || op->node >= st->m.nodes))
			FAIL("node must be -1..%d", st->m.nodes - 1);
		if (!obj_free_slot(st, op->dst))
			FAIL("o%u is still bound (or out of range)", op->dst);
		return 0;
	case OP_KFREE:
		if (!freeable(st, op->obj, false, true))
			FAIL("o%u is not a live (or freed) kmalloc object", op->obj);
		return 0;
	case OP_KFREE_NOLOCK:
		if (op->obj >= PROG_MAX_OBJS || st->obj[op->obj].state != OS_LIVE ||
		    st->obj[op->obj].kind != OK_NOLOCK)
			FAIL("o%u is not a live kmalloc_nolock object", op->obj);
		return 0;
	case OP_PREFILL:
		if (op->n > 255)
			FAIL("prefill size must be 0..255");
		if (op->dst >= PROG_MAX_SHEAVES || st->sheaf[op->dst].alive || st->sheaf[op->dst].orphan)
			FAIL("s%u is still lent out (or out of range s0..s%d)", op->dst,
			     PROG_MAX_SHEAVES - 1);
		return 0;
	case OP_ALLOC_FROM_SHEAF:
	case OP_REFILL:
	case OP_RETURN_SHEAF:
		if (op->sheaf >= PROG_MAX_SHEAVES || !st->sheaf[op->sheaf].alive)
			FAIL("s%u is not a lent sheaf", op->sheaf);
		if (op->kind == OP_REFILL && op->n > 255)
			FAIL("refill size must be 0..255");
		if (op->kind == OP_ALLOC_FROM_SHEAF && !obj_free_slot(st, op->dst))
			FAIL("o%u is still bound (or out of range)", op->dst);
		return 0;
	case OP_CPU_DOWN:
		if (op->target >= st->m.cpus || !(st->online & (1u << op->target)))
			FAIL("cpu%u is not online", op->target);
		if (op->target == op->cpu)
			FAIL("a CPU cannot take itself down; run cpu_down from another CPU");
		if (nr_online(st) < 2)
			FAIL("the last online CPU cannot go down");
		return 0;
	case OP_CPU_UP:
		if (op->target >= st->m.cpus || (st->online & (1u << op->target)))
			FAIL("cpu%u is not an offline CPU", op->target);
		return 0;
	case OP_MIGRATE:
		if (op->target >= st->m.cpus || !(st->online & (1u << op->target)))
			FAIL("cpu%u is not online", op->target);
		return 0;
	case OP_FAULT:
		if (op->target > 1 || op->all > FAULT_PATTERN)
			FAIL("bad fault site or mode");
		if (op->all == FAULT_NEXT && op->n > 255)
			FAIL("next= must be 0..255");
		if (op->all == FAULT_PATTERN && op->flags > 0xffff)
			FAIL("pattern= is 16 bits");
		return 0;
	case OP_READ:
	case OP_WRITE:
		if (op->obj >= PROG_MAX_OBJS || st->obj[op->obj].state != OS_LIVE)
			FAIL("o%u is not live", op->obj);
		return 0;
	case OP_IRQ:
		FAIL("irq is a prefix in the text form");
	default:
		return 0;
	}
}

static void bind_obj(struct pstate *st, unsigned int h, enum obj_kind kind, uint16_t cache,
		     uint16_t size)
{
	st->obj[h].state = OS_LIVE;
	st->obj[h].kind = kind;
	st->obj[h].cache = cache;
	st->obj[h].size = size;
	if (h + 1 > st->next_obj)
		st->next_obj = h + 1;
}

void prog_apply(struct pstate *st, const struct op *op)
{
	uint16_t csize = op->cache < PROG_MAX_CACHES ? st->cache[op->cache].size : 0;

	switch (op->kind) {
	case OP_CREATE:
		st->cache[op->dst].alive = true;
		st->cache[op->dst].size = op->size;
		st->cache[op->dst].flags = op->flags;
		if (op->dst + 1 > st->next_cache)
			st->next_cache = op->dst + 1;
		break;
	case OP_ALLOC:
	case OP_ALLOC_NODE:
		bind_obj(st, op->dst, OK_CACHE, op->cache, csize);
		break;
	case OP_ALLOC_BULK:
		for (unsigned int i = 0; i < op->n; i++)
			bind_obj(st, op->dst + i, OK_CACHE, op->cache, csize);
		break;
	case OP_ALLOC_FROM_SHEAF: {
		uint16_t c = st->sheaf[op->sheaf].cache;
		bind_obj(st, op->dst, OK_CACHE, c, st->cache[c].size);
		break;
	}
	case OP_KMALLOC:
		bind_obj(st, op->dst, OK_KMALLOC, 0, op->size);
		break;
	case OP_KMALLOC_NOLOCK:
		bind_obj(st, op->dst, OK_NOLOCK, 0, op->size);
		break;
	case OP_FREE:
	case OP_KFREE:
	case OP_KFREE_NOLOCK:
		st->obj[op->obj].state = OS_FREED;
		break;
	case OP_FREE_BULK:
		for (int i = 0; i < op->nlist; i++)
			st->obj[op->list[i]].state = OS_FREED;
		break;
	case OP_KFREE_RCU:
		st->obj[op->obj].state = OS_RCU;
		break;
	case OP_PREFILL:
		st->sheaf[op->dst].alive = true;
		st->sheaf[op->dst].cache = op->cache;
		if (op->dst + 1 > st->next_sheaf)
			st->next_sheaf = op->dst + 1;
		break;
	case OP_RETURN_SHEAF:
		st->sheaf[op->sheaf].alive = false;
		break;
	case OP_DESTROY:
		st->cache[op->cache].alive = false;
		/* live objects of a destroyed cache can no longer be named; a freed one
		 * cannot be double-freed either */
		for (unsigned int h = 0; h < st->next_obj; h++) {
			if (st->obj[h].kind != OK_CACHE || st->obj[h].cache != op->cache)
				continue;
			if (st->obj[h].state == OS_LIVE)
				st->obj[h].state = OS_ORPHAN;
			else if (st->obj[h].state == OS_FREED)
				st->obj[h].state = OS_NONE;
		}
		for (int s = 0; s < PROG_MAX_SHEAVES; s++)
			if (st->sheaf[s].alive && st->sheaf[s].cache == op->cache) {
				st->sheaf[s].alive = false;
				st->sheaf[s].orphan = true;
			}
		break;
	case OP_CPU_DOWN:
		st->online &= (uint8_t)~(1u << op->target);
		break;
	case OP_CPU_UP:
		st->online |= (uint8_t)(1u << op->target);
		break;
	default:
		break;
	}
}

int program_validate(const struct program *p, int *bad_op, char *err, size_t len)
{
	static __thread struct pstate st;

	pstate_init(&st, &p->m);
	for (int i = 0; i < p->nr_ops; i++) {
		if (prog_check(&st, &p->ops[i], err, len)) {
			*bad_op = i;
			return -1;
		}
		prog_apply(&st, &p->ops[i]);
	}
	return 0;
}

/* ------------------------------------------------------------------ binary form */

/*
 * Candidate lists, in handle order: the decoder picks candidates[sel % n], the encoder
 * writes the index of the wanted one. Both build the list with the same function.
 */
struct cands {
	int n;
	uint16_t v[PROG_MAX_OBJS];
};

enum cand_set { C_CACHES, C_SHEAVES, C_FREE_OBJ, C_FREE_OBJ_DF, C_KFREE_OBJ, C_KFREE_OBJ_DF,
		C_RCU_OBJ, C_NOLOCK_OBJ, C_LIVE_OBJ, C_BULK_OBJ, C_ONLINE, C_ONLINE_OTHER,
		C_OFFLINE };

static void cands_build(const struct pstate *st, enum cand_set set, unsigned int arg,
			struct cands *c)
{
	c->n = 0;
	switch (set) {
	case C_CACHES:
		for (int i = 0; i < PROG_MAX_CACHES; i++)
			if (st->cache[i].alive)
				c->v[c->n++] = i;
		return;
	case C_SHEAVES:
		for (int i = 0; i < PROG_MAX_SHEAVES; i++)
			if (st->sheaf[i].alive)
				c->v[c->n++] = i;
		return;
	case C_ONLINE:
	case C_ONLINE_OTHER:
	case C_OFFLINE:
		for (unsigned int i = 0; i < st->m.cpus; i++) {
			bool on = st->online & (1u << i);
			if (set == C_OFFLINE ? !on : on && !(set == C_ONLINE_OTHER && i == arg))
				c->v[c->n++] = i;
		}
		return;
	default:
		break;
	}
	/* objects: live ones first, then (double-free sets) freed ones */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && set != C_FREE_OBJ_DF && set != C_KFREE_OBJ_DF)
			break;
		for (unsigned int h = 0; h < st->next_obj && h < PROG_MAX_OBJS; h++) {
			const __typeof__(st->obj[0]) *o = &st->obj[h];
			bool ok;

			if (o->state != (pass ? OS_FREED : OS_LIVE))
				continue;
			switch (set) {
			case C_FREE_OBJ:
			case C_FREE_OBJ_DF:
				ok = o->kind == OK_CACHE && st->cache[o->cache].alive;
				break;
			case C_KFREE_OBJ:
			case C_KFREE_OBJ_DF:
				ok = o->kind != OK_CACHE;
				break;
			case C_RCU_OBJ:
				ok = rcu_fits(st, h);
				break;
			case C_NOLOCK_OBJ:
				ok = o->kind == OK_NOLOCK;
				break;
			case C_BULK_OBJ:
				ok = o->kind == OK_CACHE && o->cache == arg;
				break;
			default:
				ok = true;
				break;
			}
			if (ok)
				c->v[c->n++] = h;
		}
	}
}

static int cands_find(const struct cands *c, unsigned int v)
{
	for (int i = 0; i < c->n; i++)
		if (c->v[i] == v)
			return i;
	return -1;
}

struct reader {
	const uint8_t *p;
	size_t len, pos;
};

static uint8_t rd(struct reader *r)
{
	return r->pos < r->len ? r->p[r->pos++] : 0;
}

/* A selector: one byte, two when there are more than 256 candidates. */
static int rd_sel(struct reader *r, const struct cands *c)
{
	unsigned int v = rd(r);

	if (c->n > 256)
		v |= (unsigned int)rd(r) << 8;
	return c->n ? (int)(v % (unsigned int)c->n) : -1;
}

struct writer {
	uint8_t *p;
	size_t cap, pos;
	bool overflow;
};

static void wr(struct writer *w, unsigned int v)
{
	if (w->pos < w->cap)
		w->p[w->pos++] = (uint8_t)v;
	else
		w->overflow = true;
}

static void wr_sel(struct writer *w, const struct cands *c, int idx)
{
	wr(w, (unsigned int)idx & 0xff);
	if (c->n > 256)
		wr(w, (unsigned int)idx >> 8);
}

#define BIN_KIND_MASK 31

static void decode_header(struct reader *r, const struct decode_opts *o, struct machine *m)
{
	uint8_t b0 = rd(r), b1 = rd(r);

	m->cpus = 1 + (b0 & 7);
	m->nodes = 1 + ((b0 >> 3) & 3);
	m->kasan = !(b0 & 0x20);
	m->memoryless = b1 & ((1u << m->nodes) - 1) & 0xf;
	if (m->memoryless == (1u << m->nodes) - 1)
		m->memoryless &= (uint8_t)~1u;	/* node 0 keeps its memory */
	m->qidx = (b1 >> 4) & 7;
	m->double_free = o && o->allow_double_free && (b1 & 0x80);
}

/*
 * The nolock ops run in any context, NMI above all, so they carry it in a byte of their
 * own: one byte turns a kfree_nolock into an NMI one, where an irq prefix would have to be
 * inserted at the right place. An irq prefix, when present, wins.
 */
static bool ctx_in_op(const struct op *op)
{
	return op->kind == OP_KMALLOC_NOLOCK || op->kind == OP_KFREE_NOLOCK;
}

static void rd_ctx(struct reader *r, struct op *op)
{
	uint8_t v = rd(r) % (CTX_NMI + 1);	/* enum op_ctx, as the encoder writes it */

	if (op->ctx == CTX_TASK)
		op->ctx = v;
}

/* One op from the reader; false if it was skipped (no valid candidate). */
static bool decode_op(struct reader *r, struct pstate *st, struct op *op)
{
	static __thread struct cands c;
	uint8_t b = rd(r);
	bool df = st->m.double_free;
	int i;

	memset(op, 0, sizeof(*op));
	op->kind = (uint8_t)((b & BIN_KIND_MASK) % NR_OP_KINDS);
	cands_build(st, C_ONLINE, 0, &c);
	op->cpu = (uint8_t)c.v[(b >> 5) % c.n];
	if (st->pending_ctx >= 0) {
		op->ctx = (uint8_t)st->pending_ctx;
		op->cpu = (uint8_t)st->pending_cpu;
		st->pending_ctx = -1;
	}
	op->node = -1;

	switch (op->kind) {
	case OP_CREATE: {
		unsigned int v = rd(r);
		v |= (unsigned int)rd(r) << 8;
		op->size = (uint16_t)(8 + v % (PROG_MAX_SIZE - 7));
		uint8_t a = rd(r) % 8;
		op->align = a ? (uint16_t)(8u << (a - 1)) : 0;
		op->flags = rd(r) & CF_ALL;
		op->capacity = rd(r);
		if (st->next_cache >= PROG_MAX_CACHES)
			return false;
		op->dst = st->next_cache;
		break;
	}
	case OP_ALLOC:
	case OP_ALLOC_NODE:
	case OP_ALLOC_BULK:
	case OP_PREFILL:
	case OP_SHRINK:
	case OP_DESTROY:
		cands_build(st, C_CACHES, 0, &c);
		i = rd_sel(r, &c);
		if (op->kind == OP_ALLOC_NODE)
			op->node = (int16_t)(rd(r) % (st->m.nodes + 1u));
		if (op->node == st->m.nodes)
			op->node = -1;
		if (op->kind == OP_ALLOC_BULK || op->kind == OP_PREFILL)
			op->n = rd(r);
		if (op->kind == OP_ALLOC_BULK)
			op->n = 1 + op->n % PROG_MAX_LIST;
		if (op->kind <= OP_ALLOC_BULK)
			op->gfp = rd(r) % NR_GFPC;
		if (i < 0)
			return false;
		op->cache = c.v[i];
		if (op->kind <= OP_ALLOC_BULK) {
			if (op->ctx == CTX_IRQ && op->gfp == GFPC_KERNEL)
				op->gfp = GFPC_ATOMIC;
			op->dst = st->next_obj;
			if (op->dst + (op->kind == OP_ALLOC_BULK ? op->n : 1) > PROG_MAX_OBJS)
				return false;
		} else if (op->kind == OP_PREFILL) {
			if (st->next_sheaf >= PROG_MAX_SHEAVES)
				return false;
			op->dst = st->next_sheaf;
		}
		break;
	case OP_FREE:
	case OP_KFREE:
	case OP_KFREE_RCU:
	case OP_KFREE_NOLOCK:
	case OP_READ:
	case OP_WRITE: {
		enum cand_set set = op->kind == OP_FREE ? (df ? C_FREE_OBJ_DF : C_FREE_OBJ) :
				    op->kind == OP_KFREE ? (df ? C_KFREE_OBJ_DF : C_KFREE_OBJ) :
				    op->kind == OP_KFREE_RCU ? C_RCU_OBJ :
				    op->kind == OP_KFREE_NOLOCK ? C_NOLOCK_OBJ : C_LIVE_OBJ;
		cands_build(st, set, 0, &c);
		i = rd_sel(r, &c);
		if (op->kind == OP_KFREE_NOLOCK)
			rd_ctx(r, op);
		if (i < 0)
			return false;
		op->obj = c.v[i];
		break;
	}
	case OP_FREE_BULK: {
		static __thread struct cands objs;
		cands_build(st, C_CACHES, 0, &c);
		i = rd_sel(r, &c);
		unsigned int n = 1 + rd(r) % PROG_MAX_LIST;
		if (i < 0)
			return false;
		op->cache = c.v[i];
		cands_build(st, C_BULK_OBJ, op->cache, &objs);
		if (!objs.n)
			return false;
		if (n > (unsigned int)objs.n)
			n = objs.n;
		for (unsigned int k = 0; k < n; k++) {
			int j = rd_sel(r, &objs);
			op->list[k] = objs.v[j];
			memmove(&objs.v[j], &objs.v[j + 1], (objs.n - j - 1) * sizeof(objs.v[0]));
			objs.n--;
		}
		op->nlist = (uint8_t)n;
		break;
	}
	case OP_KMALLOC:
	case OP_KMALLOC_NOLOCK: {
		unsigned int v = rd(r);
		v |= (unsigned int)rd(r) << 8;
		op->size = (uint16_t)(1 + v % PROG_MAX_SIZE);
		if (op->kind == OP_KMALLOC) {
			op->gfp = rd(r) % NR_GFPC;
			if (op->ctx == CTX_IRQ && op->gfp == GFPC_KERNEL)
				op->gfp = GFPC_ATOMIC;
		} else {
			op->node = (int16_t)(rd(r) % (st->m.nodes + 1u));
			if (op->node == st->m.nodes)
				op->node = -1;
			rd_ctx(r, op);
		}
		op->dst = st->next_obj;
		if (op->dst >= PROG_MAX_OBJS)
			return false;
		break;
	}
	case OP_ALLOC_FROM_SHEAF:
	case OP_REFILL:
	case OP_RETURN_SHEAF:
		cands_build(st, C_SHEAVES, 0, &c);
		i = rd_sel(r, &c);
		if (op->kind == OP_ALLOC_FROM_SHEAF)
			op->gfp = rd(r) % NR_GFPC;
		if (op->kind == OP_REFILL)
			op->n = rd(r);
		if (i < 0)
			return false;
		op->sheaf = c.v[i];
		if (op->kind == OP_ALLOC_FROM_SHEAF) {
			op->dst = st->next_obj;
			if (op->dst >= PROG_MAX_OBJS)
				return false;
		}
		break;
	case OP_BARRIER: {
		uint8_t v = rd(r);
		op->all = v & 1;
		if (!op->all) {
			cands_build(st, C_CACHES, 0, &c);
			if (!c.n)
				return false;
			op->cache = c.v[(v >> 1) % c.n];
		}
		break;
	}
	case OP_CPU_DOWN:
	case OP_CPU_UP:
	case OP_MIGRATE:
		cands_build(st, op->kind == OP_CPU_DOWN ? C_ONLINE_OTHER :
			    op->kind == OP_CPU_UP ? C_OFFLINE : C_ONLINE, op->cpu, &c);
		i = rd_sel(r, &c);
		if (i < 0)
			return false;
		op->target = (uint8_t)c.v[i];
		break;
	case OP_IRQ:
		st->pending_ctx = (rd(r) & 1) ? CTX_NMI : CTX_IRQ;
		st->pending_cpu = (int8_t)op->cpu;
		return false;
	case OP_RCU_CB:
		op->all = rd(r) & 1;
		break;
	case OP_FAULT: {
		uint8_t v = rd(r);
		op->target = v & 1;
		op->all = (v >> 1) & 1;
		if (op->all == FAULT_NEXT) {
			op->n = rd(r);
		} else {
			op->flags = rd(r);
			op->flags |= (uint32_t)rd(r) << 8;
		}
		break;
	}
	default:
		break;
	}
	return true;
}

void program_decode(const uint8_t *data, size_t size, const struct decode_opts *o,
		    struct program *p)
{
	static __thread struct pstate st;
	static __thread char err[128];
	struct reader r = { data, size, 0 };

	program_init(p);
	decode_header(&r, o, &p->m);
	pstate_init(&st, &p->m);
	while (r.pos < r.len && p->nr_ops < PROG_MAX_OPS) {
		struct op *op = &p->ops[p->nr_ops];

		if (!decode_op(&r, &st, op))
			continue;
		/* context rules, cpu hotplug limits and the rest: one statement in prog_check */
		if (prog_check(&st, op, err, sizeof(err)))
			continue;
		prog_apply(&st, op);
		p->line[p->nr_ops] = 0;
		p->nr_ops++;
	}
}

static bool program_has_double_free(const struct program *p)
{
	static __thread struct pstate st;

	pstate_init(&st, &p->m);
	for (int i = 0; i < p->nr_ops; i++) {
		const struct op *op = &p->ops[i];

		if ((op->kind == OP_FREE || op->kind == OP_KFREE) &&
		    st.obj[op->obj].state == OS_FREED)
			return true;
		prog_apply(&st, op);
	}
	return false;
}

long program_encode(const struct program *in, uint8_t *buf, size_t cap)
{
	static __thread struct program p;
	static __thread struct pstate st;
	static __thread struct cands c, objs;
	struct writer w = { buf, cap, 0, false };
	int bad;
	char err[128];

	if (program_validate(in, &bad, err, sizeof(err)))
		return -1;
	p = *in;
	program_canonicalize(&p);
	p.m.double_free = program_has_double_free(&p);

	wr(&w, (p.m.cpus - 1u) | ((p.m.nodes - 1u) << 3) | (p.m.kasan ? 0 : 0x20));
	wr(&w, (p.m.memoryless & 0xf) | ((p.m.qidx & 7u) << 4) | (p.m.double_free ? 0x80 : 0));
	pstate_init(&st, &p.m);

	for (int k = 0; k < p.nr_ops; k++) {
		const struct op *op = &p.ops[k];
		int i;

		if (op->ctx != CTX_TASK && !ctx_in_op(op)) {
			cands_build(&st, C_ONLINE, 0, &c);
			wr(&w, OP_IRQ | ((unsigned int)cands_find(&c, op->cpu) << 5));
			wr(&w, op->ctx == CTX_NMI);
		}
		cands_build(&st, C_ONLINE, 0, &c);
		wr(&w, op->kind | (op->ctx == CTX_TASK || ctx_in_op(op) ?
				   (unsigned int)cands_find(&c, op->cpu) << 5 : 0));

		switch (op->kind) {
		case OP_CREATE: {
			unsigned int v = op->size - 8u;
			wr(&w, v & 0xff);
			wr(&w, v >> 8);
			wr(&w, op->align ? (unsigned int)__builtin_ctz(op->align) - 2 : 0);
			wr(&w, op->flags);
			wr(&w, op->capacity);
			break;
		}
		case OP_ALLOC:
		case OP_ALLOC_NODE:
		case OP_ALLOC_BULK:
		case OP_PREFILL:
		case OP_SHRINK:
		case OP_DESTROY:
			cands_build(&st, C_CACHES, 0, &c);
			wr_sel(&w, &c, cands_find(&c, op->cache));
			if (op->kind == OP_ALLOC_NODE)
				wr(&w, op->node < 0 ? st.m.nodes : (unsigned int)op->node);
			if (op->kind == OP_ALLOC_BULK)
				wr(&w, op->n - 1u);
			if (op->kind == OP_PREFILL)
				wr(&w, op->n);
			if (op->kind <= OP_ALLOC_BULK)
				wr(&w, op->gfp);
			break;
		case OP_FREE:
		case OP_KFREE:
		case OP_KFREE_RCU:
		case OP_KFREE_NOLOCK:
		case OP_READ:
		case OP_WRITE: {
			bool df = st.m.double_free;
			enum cand_set set = op->kind == OP_FREE ? (df ? C_FREE_OBJ_DF : C_FREE_OBJ) :
					    op->kind == OP_KFREE ? (df ? C_KFREE_OBJ_DF : C_KFREE_OBJ) :
					    op->kind == OP_KFREE_RCU ? C_RCU_OBJ :
					    op->kind == OP_KFREE_NOLOCK ? C_NOLOCK_OBJ : C_LIVE_OBJ;
			cands_build(&st, set, 0, &c);
			wr_sel(&w, &c, cands_find(&c, op->obj));
			if (op->kind == OP_KFREE_NOLOCK)
				wr(&w, op->ctx);
			break;
		}
		case OP_FREE_BULK:
			cands_build(&st, C_CACHES, 0, &c);
			wr_sel(&w, &c, cands_find(&c, op->cache));
			wr(&w, op->nlist - 1u);
			cands_build(&st, C_BULK_OBJ, op->cache, &objs);
			for (int j = 0; j < op->nlist; j++) {
				i = cands_find(&objs, op->list[j]);
				wr_sel(&w, &objs, i);
				memmove(&objs.v[i], &objs.v[i + 1], (objs.n - i - 1) * sizeof(objs.v[0]));
				objs.n--;
			}
			break;
		case OP_KMALLOC:
		case OP_KMALLOC_NOLOCK:
			wr(&w, (op->size - 1u) & 0xff);
			wr(&w, (op->size - 1u) >> 8);
			if (op->kind == OP_KMALLOC)
				wr(&w, op->gfp);
			else
				wr(&w, op->node < 0 ? st.m.nodes : (unsigned int)op->node);
			if (op->kind == OP_KMALLOC_NOLOCK)
				wr(&w, op->ctx);
			break;
		case OP_ALLOC_FROM_SHEAF:
		case OP_REFILL:
		case OP_RETURN_SHEAF:
			cands_build(&st, C_SHEAVES, 0, &c);
			wr_sel(&w, &c, cands_find(&c, op->sheaf));
			if (op->kind == OP_ALLOC_FROM_SHEAF)
				wr(&w, op->gfp);
			if (op->kind == OP_REFILL)
				wr(&w, op->n);
			break;
		case OP_BARRIER:
			if (op->all) {
				wr(&w, 1);
			} else {
				cands_build(&st, C_CACHES, 0, &c);
				wr(&w, (unsigned int)cands_find(&c, op->cache) << 1);
			}
			break;
		case OP_CPU_DOWN:
		case OP_CPU_UP:
		case OP_MIGRATE:
			cands_build(&st, op->kind == OP_CPU_DOWN ? C_ONLINE_OTHER :
				    op->kind == OP_CPU_UP ? C_OFFLINE : C_ONLINE, op->cpu, &c);
			wr_sel(&w, &c, cands_find(&c, op->target));
			break;
		case OP_RCU_CB:
			wr(&w, op->all);
			break;
		case OP_FAULT:
			wr(&w, op->target | (op->all << 1));
			if (op->all == FAULT_NEXT) {
				wr(&w, op->n);
			} else {
				wr(&w, op->flags & 0xff);
				wr(&w, (op->flags >> 8) & 0xff);
			}
			break;
		default:
			break;
		}
		prog_apply(&st, op);
	}
	return w.overflow ? -1 : (long)w.pos;
}

void program_canonicalize(struct program *p)
{
	static __thread struct pstate st;
	int omap[PROG_MAX_OBJS], cmap[PROG_MAX_CACHES], smap[PROG_MAX_SHEAVES];
	int no = 0, nc = 0, ns = 0;

	for (int i = 0; i < PROG_MAX_OBJS; i++)
		omap[i] = i;
	for (int i = 0; i < PROG_MAX_CACHES; i++)
		cmap[i] = i;
	for (int i = 0; i < PROG_MAX_SHEAVES; i++)
		smap[i] = i;
	pstate_init(&st, &p->m);
	for (int k = 0; k < p->nr_ops; k++) {
		struct op *op = &p->ops[k];

		/* sources through the current bindings */
		op->cache = (uint16_t)cmap[op->cache % PROG_MAX_CACHES];
		op->obj = (uint16_t)omap[op->obj % PROG_MAX_OBJS];
		op->sheaf = (uint16_t)smap[op->sheaf % PROG_MAX_SHEAVES];
		for (int j = 0; j < op->nlist; j++)
			op->list[j] = (uint16_t)omap[op->list[j] % PROG_MAX_OBJS];
		/* destinations get the next fresh names */
		switch (op->kind) {
		case OP_CREATE:
			cmap[op->dst] = nc;
			op->dst = (uint16_t)nc++;
			break;
		case OP_PREFILL:
			smap[op->dst] = ns;
			op->dst = (uint16_t)ns++;
			break;
		case OP_ALLOC:
		case OP_ALLOC_NODE:
		case OP_ALLOC_FROM_SHEAF:
		case OP_KMALLOC:
		case OP_KMALLOC_NOLOCK:
			omap[op->dst] = no;
			op->dst = (uint16_t)no++;
			break;
		case OP_ALLOC_BULK: {
			int first = no;
			for (int j = 0; j < op->n; j++)
				omap[op->dst + j] = no++;
			op->dst = (uint16_t)first;
			break;
		}
		default:
			break;
		}
		if (!(op->kind == OP_CREATE || op->kind == OP_ALLOC || op->kind == OP_ALLOC_NODE ||
		      op->kind == OP_ALLOC_BULK || op->kind == OP_KMALLOC ||
		      op->kind == OP_KMALLOC_NOLOCK || op->kind == OP_PREFILL ||
		      op->kind == OP_ALLOC_FROM_SHEAF))
			op->dst = 0;
	}
}

/* Fields an op of each kind uses; the rest are don't-care for equality. */
static bool op_equal(const struct op *a, const struct op *b)
{
	if (a->kind != b->kind || a->cpu != b->cpu || a->ctx != b->ctx)
		return false;
	switch (a->kind) {
	case OP_CREATE:
		return a->size == b->size && a->align == b->align && a->flags == b->flags &&
		       a->capacity == b->capacity && a->dst == b->dst;
	case OP_ALLOC:
		return a->cache == b->cache && a->gfp == b->gfp && a->dst == b->dst;
	case OP_ALLOC_NODE:
		return a->cache == b->cache && a->gfp == b->gfp && a->dst == b->dst &&
		       a->node == b->node;
	case OP_ALLOC_BULK:
		return a->cache == b->cache && a->gfp == b->gfp && a->dst == b->dst && a->n == b->n;
	case OP_FREE:
	case OP_KFREE:
	case OP_KFREE_RCU:
	case OP_KFREE_NOLOCK:
	case OP_READ:
	case OP_WRITE:
		return a->obj == b->obj;
	case OP_FREE_BULK:
		return a->cache == b->cache && a->nlist == b->nlist &&
		       !memcmp(a->list, b->list, a->nlist * sizeof(a->list[0]));
	case OP_KMALLOC:
		return a->size == b->size && a->gfp == b->gfp && a->dst == b->dst;
	case OP_KMALLOC_NOLOCK:
		return a->size == b->size && a->node == b->node && a->dst == b->dst;
	case OP_PREFILL:
		return a->cache == b->cache && a->n == b->n && a->dst == b->dst;
	case OP_ALLOC_FROM_SHEAF:
		return a->sheaf == b->sheaf && a->gfp == b->gfp && a->dst == b->dst;
	case OP_REFILL:
		return a->sheaf == b->sheaf && a->n == b->n;
	case OP_RETURN_SHEAF:
		return a->sheaf == b->sheaf;
	case OP_SHRINK:
	case OP_DESTROY:
		return a->cache == b->cache;
	case OP_BARRIER:
		return a->all == b->all && (a->all || a->cache == b->cache);
	case OP_CPU_DOWN:
	case OP_CPU_UP:
	case OP_MIGRATE:
		return a->target == b->target;
	case OP_RCU_CB:
		return a->all == b->all;
	case OP_FAULT:
		return a->target == b->target && a->all == b->all &&
		       (a->all == FAULT_NEXT ? a->n == b->n : a->flags == b->flags);
	default:
		return true;
	}
}

bool program_equal(const struct program *a, const struct program *b)
{
	if (a->nr_ops != b->nr_ops || a->m.cpus != b->m.cpus || a->m.nodes != b->m.nodes ||
	    a->m.memoryless != b->m.memoryless || a->m.kasan != b->m.kasan ||
	    a->m.qidx != b->m.qidx)
		return false;
	for (int i = 0; i < a->nr_ops; i++)
		if (!op_equal(&a->ops[i], &b->ops[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------------ text form */

struct sbuf {
	char *p;
	size_t len, pos;
};

static void sb(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;

	if (s->pos >= s->len)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(s->p + s->pos, s->len - s->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->pos += (size_t)n;
}

void machine_format(const struct machine *m, char *buf, size_t len)
{
	struct sbuf s = { buf, len, 0 };

	buf[0] = 0;
	sb(&s, "machine cpus=%u nodes=%u memoryless=", m->cpus, m->nodes);
	if (!m->memoryless)
		sb(&s, "none");
	for (int n = 0, first = 1; n < PROG_MAX_NODES; n++)
		if (m->memoryless & (1u << n)) {
			sb(&s, "%s%d", first ? "" : ",", n);
			first = 0;
		}
	sb(&s, " kasan=%s quarantine=%s", m->kasan ? "on" : "off", qsize_names[m->qidx & 7]);
}

void op_format(const struct op *op, char *buf, size_t len)
{
	struct sbuf s = { buf, len, 0 };

	buf[0] = 0;
	sb(&s, "cpu%u %s%s", op->cpu, op->ctx == CTX_IRQ ? "irq " : op->ctx == CTX_NMI ? "nmi " : "",
	   op_name(op->kind));
	switch (op->kind) {
	case OP_CREATE:
		sb(&s, " size=%u", op->size);
		if (op->align)
			sb(&s, " align=%u", op->align);
		if (op->flags) {
			sb(&s, " flags=");
			for (unsigned int i = 0, first = 1; i < ARRAY_SIZE(cf_names); i++)
				if (op->flags & (1u << i)) {
					sb(&s, "%s%s", first ? "" : "|", cf_names[i]);
					first = 0;
				}
		}
		if (op->capacity)
			sb(&s, " capacity=%u", op->capacity);
		sb(&s, " -> c%u", op->dst);
		break;
	case OP_ALLOC:
	case OP_ALLOC_NODE:
	case OP_ALLOC_BULK:
		sb(&s, " c%u", op->cache);
		if (op->kind == OP_ALLOC_NODE)
			sb(&s, " node=%d", op->node);
		if (op->gfp)
			sb(&s, " gfp=%s", gfp_names[op->gfp]);
		if (op->kind == OP_ALLOC_BULK && op->n > 1)
			sb(&s, " -> o%u..o%u", op->dst, op->dst + op->n - 1);
		else
			sb(&s, " -> o%u", op->dst);
		break;
	case OP_FREE:
	case OP_KFREE:
	case OP_KFREE_RCU:
	case OP_KFREE_NOLOCK:
	case OP_READ:
	case OP_WRITE:
		sb(&s, " o%u", op->obj);
		break;
	case OP_FREE_BULK:
		sb(&s, " c%u", op->cache);
		for (int i = 0; i < op->nlist; i++)
			sb(&s, " o%u", op->list[i]);
		break;
	case OP_KMALLOC:
		sb(&s, " size=%u", op->size);
		if (op->gfp)
			sb(&s, " gfp=%s", gfp_names[op->gfp]);
		sb(&s, " -> o%u", op->dst);
		break;
	case OP_KMALLOC_NOLOCK:
		sb(&s, " size=%u", op->size);
		if (op->node >= 0)
			sb(&s, " node=%d", op->node);
		sb(&s, " -> o%u", op->dst);
		break;
	case OP_PREFILL:
		sb(&s, " c%u n=%u -> s%u", op->cache, op->n, op->dst);
		break;
	case OP_ALLOC_FROM_SHEAF:
		sb(&s, " s%u", op->sheaf);
		if (op->gfp)
			sb(&s, " gfp=%s", gfp_names[op->gfp]);
		sb(&s, " -> o%u", op->dst);
		break;
	case OP_REFILL:
		sb(&s, " s%u n=%u", op->sheaf, op->n);
		break;
	case OP_RETURN_SHEAF:
		sb(&s, " s%u", op->sheaf);
		break;
	case OP_SHRINK:
	case OP_DESTROY:
		sb(&s, " c%u", op->cache);
		break;
	case OP_BARRIER:
		if (!op->all)
			sb(&s, " c%u", op->cache);
		break;
	case OP_CPU_DOWN:
	case OP_CPU_UP:
	case OP_MIGRATE:
		sb(&s, " cpu%u", op->target);
		break;
	case OP_RCU_CB:
		if (op->all)
			sb(&s, " all");
		break;
	case OP_FAULT:
		sb(&s, " %s", op->target ? "sheaf" : "page");
		if (op->all == FAULT_NEXT)
			sb(&s, " next=%u", op->n);
		else
			sb(&s, " pattern=0x%x", op->flags);
		break;
	default:
		break;
	}
}

void program_print(const struct program *p, FILE *out)
{
	char buf[256];

	machine_format(&p->m, buf, sizeof(buf));
	fprintf(out, "%s\n", buf);
	if (p->expect[0])
		fprintf(out, "# expect: %s\n", p->expect);
	if (p->bug[0])
		fprintf(out, "# bug: %s\n", p->bug);
	if (p->expect_bug[0])
		fprintf(out, "# expect-with-bug: %s\n", p->expect_bug);
	for (int i = 0; i < p->nr_ops; i++) {
		op_format(&p->ops[i], buf, sizeof(buf));
		fprintf(out, "%s\n", buf);
	}
}

bool program_is_text(const uint8_t *data, size_t size)
{
	size_t i = 0;

	for (size_t k = 0; k < size; k++)
		if (!data[k] || (data[k] < 0x20 && data[k] != '\n' && data[k] != '\t' &&
				 data[k] != '\r') || data[k] >= 0x7f)
			return false;
	while (i < size && isspace(data[i]))
		i++;
	if (i == size)
		return size > 0;
	return data[i] == '#' || !strncmp((const char *)data + i, "machine", size - i < 7 ? size - i : 7) ||
	       (size - i >= 3 && !strncmp((const char *)data + i, "cpu", 3));
}

/* ---- parser ---- */

#define MAX_TOKS 40
struct tok {
	const char *s;
	int len;
	int col;	/* 1-based */
};

struct perr {
	char *buf;
	size_t len;
	int line;
};

static int perror_at(struct perr *pe, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int perror_at(struct perr *pe, int col, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(pe->buf, pe->len, "%d:%d: ", pe->line, col);

	if (n < 0 || (size_t)n >= pe->len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(pe->buf + n, pe->len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static bool tok_is(const struct tok *t, const char *s)
{
	return (int)strlen(s) == t->len && !memcmp(t->s, s, (size_t)t->len);
}

/* Parse an unsigned number (decimal, 0x, 0b) that fills the token range [s, s+len). */
static bool parse_num(const char *s, int len, long *out)
{
	char buf[40];
	char *end;
	int base = 10;

	if (len <= 0 || len >= (int)sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)len);
	buf[len] = 0;
	const char *b = buf;
	bool neg = false;
	if (*b == '-') {
		neg = true;
		b++;
	}
	if (b[0] == '0' && (b[1] == 'x' || b[1] == 'X')) {
		base = 16;
		b += 2;
	} else if (b[0] == '0' && (b[1] == 'b' || b[1] == 'B')) {
		base = 2;
		b += 2;
	}
	if (!*b || !isalnum((unsigned char)*b))
		return false;
	long v = strtol(b, &end, base);
	if (*end || v > 1000000000L)
		return false;
	*out = neg ? -v : v;
	return true;
}

/* A handle "c3" / "o12" / "s0" / "cpu2": the prefix then a number. */
static bool parse_handle(const struct tok *t, const char *prefix, long *out)
{
	int pl = (int)strlen(prefix);

	if (t->len <= pl || memcmp(t->s, prefix, (size_t)pl) || !isdigit((unsigned char)t->s[pl]))
		return false;
	return parse_num(t->s + pl, t->len - pl, out) && *out >= 0;
}

static int parse_machine(struct tok *tk, int nt, struct machine *m, struct perr *pe)
{
	for (int i = 1; i < nt; i++) {
		const char *eq = memchr(tk[i].s, '=', (size_t)tk[i].len);
		long v;

		if (!eq)
			return perror_at(pe, tk[i].col, "expected key=value");
		int kl = (int)(eq - tk[i].s);
		const char *val = eq + 1;
		int vl = tk[i].len - kl - 1;
		int vcol = tk[i].col + kl + 1;

		if (kl == 4 && !memcmp(tk[i].s, "cpus", 4)) {
			if (!parse_num(val, vl, &v) || v < 1 || v > PROG_MAX_CPUS)
				return perror_at(pe, vcol, "cpus must be 1..%d", PROG_MAX_CPUS);
			m->cpus = (uint8_t)v;
		} else if (kl == 5 && !memcmp(tk[i].s, "nodes", 5)) {
			if (!parse_num(val, vl, &v) || v < 1 || v > PROG_MAX_NODES)
				return perror_at(pe, vcol, "nodes must be 1..%d", PROG_MAX_NODES);
			m->nodes = (uint8_t)v;
		} else if (kl == 10 && !memcmp(tk[i].s, "memoryless", 10)) {
			m->memoryless = 0;
			if (vl == 4 && !memcmp(val, "none", 4))
				continue;
			const char *p = val, *end = val + vl;
			while (p < end) {
				const char *c = memchr(p, ',', (size_t)(end - p));
				if (!c)
					c = end;
				if (!parse_num(p, (int)(c - p), &v) || v < 0 || v >= PROG_MAX_NODES)
					return perror_at(pe, vcol + (int)(p - val),
							 "memoryless is `none` or a list of nodes 0..%d",
							 PROG_MAX_NODES - 1);
				m->memoryless |= (uint8_t)(1u << v);
				p = c + 1;
			}
		} else if (kl == 5 && !memcmp(tk[i].s, "kasan", 5)) {
			if (vl == 2 && !memcmp(val, "on", 2))
				m->kasan = 1;
			else if (vl == 3 && !memcmp(val, "off", 3))
				m->kasan = 0;
			else
				return perror_at(pe, vcol, "kasan is on or off");
		} else if (kl == 10 && !memcmp(tk[i].s, "quarantine", 10)) {
			int q = -1;
			for (int k = 0; k < PROG_NR_QSIZES; k++)
				if ((int)strlen(qsize_names[k]) == vl &&
				    !strncasecmp(val, qsize_names[k], (size_t)vl))
					q = k;
			if (q < 0 && parse_num(val, vl, &v))
				for (int k = 0; k < PROG_NR_QSIZES; k++)
					if ((size_t)v == prog_quarantine_sizes[k])
						q = k;
			if (q < 0)
				return perror_at(pe, vcol, "quarantine is one of 4K 8K 16K 64K 256K 512K 1M 2M");
			m->qidx = (uint8_t)q;
		} else if (kl == 11 && !memcmp(tk[i].s, "double_free", 11)) {
			/* accepted for symmetry; the parser derives it from the ops */
		} else {
			return perror_at(pe, tk[i].col, "unknown machine key `%.*s`", kl, tk[i].s);
		}
	}
	if (m->memoryless & ~((1u << m->nodes) - 1))
		return perror_at(pe, tk[0].col, "memoryless names a node >= nodes=%u", m->nodes);
	if (m->memoryless == (1u << m->nodes) - 1)
		return perror_at(pe, tk[0].col, "at least one node must have memory");
	return 0;
}

static int lookup_kind(const struct tok *t)
{
	for (int k = 0; k < NR_OP_KINDS; k++)
		if (k != OP_IRQ && tok_is(t, op_names[k]))
			return k;
	return -1;
}

/* key=value argument: returns the value token range, or NULL if t is not key=... */
static const char *kv(const struct tok *t, const char *key, int *vl)
{
	int kl = (int)strlen(key);

	if (t->len <= kl || memcmp(t->s, key, (size_t)kl) || t->s[kl] != '=')
		return NULL;
	*vl = t->len - kl - 1;
	return t->s + kl + 1;
}

static int parse_op(struct tok *tk, int nt, struct op *op, const struct pstate *st,
		    struct perr *pe)
{
	int i = 0;
	long v;
	bool seen_dst = false, got_size = false, got_n = false, got_fault_mode = false;
	int ncache = 0, nobj = 0, nsheaf = 0, ncpu = 0;
	int site = -1;

	memset(op, 0, sizeof(*op));
	op->node = -1;
	if (i < nt && parse_handle(&tk[i], "cpu", &v)) {
		if (v >= PROG_MAX_CPUS)
			return perror_at(pe, tk[i].col, "cpu%ld: CPUs are cpu0..cpu%d", v, PROG_MAX_CPUS - 1);
		op->cpu = (uint8_t)v;
		i++;
	}
	if (i < nt && (tok_is(&tk[i], "irq") || tok_is(&tk[i], "nmi"))) {
		op->ctx = tok_is(&tk[i], "irq") ? CTX_IRQ : CTX_NMI;
		i++;
	}
	if (i >= nt)
		return perror_at(pe, tk[nt - 1].col + tk[nt - 1].len, "expected an op name");
	int kind = lookup_kind(&tk[i]);
	if (kind < 0)
		return perror_at(pe, tk[i].col, "unknown op `%.*s`", tk[i].len, tk[i].s);
	op->kind = (uint8_t)kind;
	int opcol = tk[i].col;
	i++;

	for (; i < nt; i++) {
		struct tok *t = &tk[i];
		const char *val;
		int vl;

		if (tok_is(t, "->")) {
			if (i + 1 >= nt)
				return perror_at(pe, t->col + 2, "expected a handle after ->");
			if (i + 2 < nt)
				return perror_at(pe, tk[i + 2].col, "one result after ->");
			struct tok *d = &tk[i + 1];
			const char *dots = NULL;
			for (int k = 0; k + 1 < d->len; k++)
				if (d->s[k] == '.' && d->s[k + 1] == '.')
					dots = d->s + k;
			char want = op->kind == OP_CREATE ? 'c' : op->kind == OP_PREFILL ? 's' : 'o';
			struct tok first = *d;
			if (dots)
				first.len = (int)(dots - d->s);
			char pfx[2] = { want, 0 };
			if (!parse_handle(&first, pfx, &v))
				return perror_at(pe, d->col, "expected a %c handle", want);
			op->dst = (uint16_t)(v > 0xffff ? 0xffff : v);
			if (op->kind == OP_ALLOC_BULK && !got_n)
				op->n = 1;
			if (dots) {
				struct tok last = { dots + 2, d->len - first.len - 2,
						    d->col + first.len + 2 };
				long e;
				if (op->kind != OP_ALLOC_BULK)
					return perror_at(pe, d->col, "a range of results is for alloc_bulk");
				if (!parse_handle(&last, "o", &e) || e < v)
					return perror_at(pe, last.col, "expected oN..oM with M >= N");
				if (e - v + 1 > PROG_MAX_LIST)
					return perror_at(pe, d->col, "alloc_bulk allocates 1..%d objects",
							 PROG_MAX_LIST);
				op->n = (uint16_t)(e - v + 1);
			}
			seen_dst = true;
			break;
		}
		if (parse_handle(t, "cpu", &v)) {
			if (ncpu++ || v >= PROG_MAX_CPUS)
				return perror_at(pe, t->col, "unexpected CPU argument");
			op->target = (uint8_t)v;
		} else if (parse_handle(t, "c", &v)) {
			if (ncache++ || v >= PROG_MAX_CACHES)
				return perror_at(pe, t->col, "unexpected cache argument (c0..c%d)",
						 PROG_MAX_CACHES - 1);
			op->cache = (uint16_t)v;
		} else if (parse_handle(t, "o", &v)) {
			if (v >= PROG_MAX_OBJS)
				return perror_at(pe, t->col, "object handles are o0..o%d", PROG_MAX_OBJS - 1);
			if (op->kind == OP_FREE_BULK) {
				if (op->nlist >= PROG_MAX_LIST)
					return perror_at(pe, t->col, "free_bulk frees 1..%d objects",
							 PROG_MAX_LIST);
				op->list[op->nlist++] = (uint16_t)v;
			} else if (nobj++) {
				return perror_at(pe, t->col, "unexpected object argument");
			}
			op->obj = (uint16_t)v;
		} else if (parse_handle(t, "s", &v)) {
			if (nsheaf++ || v >= PROG_MAX_SHEAVES)
				return perror_at(pe, t->col, "unexpected sheaf argument (s0..s%d)",
						 PROG_MAX_SHEAVES - 1);
			op->sheaf = (uint16_t)v;
		} else if (tok_is(t, "all")) {
			op->all = 1;
		} else if (tok_is(t, "page") || tok_is(t, "sheaf")) {
			site = tok_is(t, "sheaf");
		} else if ((val = kv(t, "size", &vl))) {
			if (!parse_num(val, vl, &v) || v < 0 || v > 0xffff)
				return perror_at(pe, t->col + 5, "bad size");
			op->size = (uint16_t)v;
			got_size = true;
		} else if ((val = kv(t, "align", &vl))) {
			if (!parse_num(val, vl, &v) || v < 0 || v > 0xffff)
				return perror_at(pe, t->col + 6, "bad align");
			op->align = (uint16_t)v;
		} else if ((val = kv(t, "capacity", &vl))) {
			if (!parse_num(val, vl, &v) || v < 0 || v > 255)
				return perror_at(pe, t->col + 9, "capacity must be 0..255");
			op->capacity = (uint16_t)v;
		} else if ((val = kv(t, "node", &vl))) {
			if (!parse_num(val, vl, &v) || v < -1 || v >= PROG_MAX_NODES)
				return perror_at(pe, t->col + 5, "node must be -1..%d", PROG_MAX_NODES - 1);
			op->node = (int16_t)v;
		} else if ((val = kv(t, "n", &vl)) || (val = kv(t, "next", &vl))) {
			int off = t->s[1] == '=' ? 2 : 5;
			if (!parse_num(val, vl, &v) || v < 0 || v > 255)
				return perror_at(pe, t->col + off, "count must be 0..255");
			op->n = (uint16_t)v;
			got_n = true;
			if (off == 5) {
				op->all = FAULT_NEXT;
				got_fault_mode = true;
			}
		} else if ((val = kv(t, "pattern", &vl))) {
			if (!parse_num(val, vl, &v) || v < 0 || v > 0xffff)
				return perror_at(pe, t->col + 8, "pattern is 16 bits");
			op->flags = (uint32_t)v;
			op->all = FAULT_PATTERN;
			got_fault_mode = true;
		} else if ((val = kv(t, "gfp", &vl))) {
			int g = -1;
			for (int k = 0; k < NR_GFPC; k++)
				if ((int)strlen(gfp_names[k]) == vl && !memcmp(val, gfp_names[k], (size_t)vl))
					g = k;
			if (g < 0)
				return perror_at(pe, t->col + 4, "gfp is kernel, nowait or atomic");
			op->gfp = (uint8_t)g;
		} else if ((val = kv(t, "flags", &vl))) {
			const char *p = val, *end = val + vl;
			while (p < end) {
				const char *bar = memchr(p, '|', (size_t)(end - p));
				if (!bar)
					bar = end;
				int f = -1;
				for (unsigned int k = 0; k < ARRAY_SIZE(cf_names); k++)
					if ((long)strlen(cf_names[k]) == bar - p &&
					    !memcmp(p, cf_names[k], (size_t)(bar - p)))
						f = (int)k;
				if (bar - p == 4 && !memcmp(p, "none", 4))
					f = 31;
				if (f < 0)
					return perror_at(pe, t->col + 6 + (int)(p - val),
							 "unknown flag `%.*s` (typesafe_by_rcu hwcache_align no_merge debug ctor)",
							 (int)(bar - p), p);
				if (f != 31)
					op->flags |= 1u << f;
				p = bar + 1;
			}
		} else {
			return perror_at(pe, t->col, "unexpected argument `%.*s`", t->len, t->s);
		}
	}

	/* which arguments each op needs */
	bool needs_dst = op->kind == OP_CREATE || op->kind == OP_ALLOC || op->kind == OP_ALLOC_NODE ||
			 op->kind == OP_ALLOC_BULK || op->kind == OP_KMALLOC ||
			 op->kind == OP_KMALLOC_NOLOCK || op->kind == OP_PREFILL ||
			 op->kind == OP_ALLOC_FROM_SHEAF;
	if (needs_dst && !seen_dst)
		return perror_at(pe, tk[nt - 1].col + tk[nt - 1].len, "%s needs a result: -> handle",
				 op_names[op->kind]);
	if (!needs_dst && seen_dst)
		return perror_at(pe, opcol, "%s has no result", op_names[op->kind]);
	bool want_cache = op->kind == OP_ALLOC || op->kind == OP_ALLOC_NODE ||
			  op->kind == OP_ALLOC_BULK || op->kind == OP_FREE_BULK ||
			  op->kind == OP_PREFILL || op->kind == OP_SHRINK || op->kind == OP_DESTROY;
	bool want_obj = op->kind == OP_FREE || op->kind == OP_KFREE || op->kind == OP_KFREE_RCU ||
			op->kind == OP_KFREE_NOLOCK || op->kind == OP_READ || op->kind == OP_WRITE;
	bool want_sheaf = op->kind == OP_ALLOC_FROM_SHEAF || op->kind == OP_REFILL ||
			  op->kind == OP_RETURN_SHEAF;
	bool want_cpu = op->kind == OP_CPU_DOWN || op->kind == OP_CPU_UP || op->kind == OP_MIGRATE;

	if (want_cache != (ncache > 0) && op->kind != OP_BARRIER)
		return perror_at(pe, opcol, want_cache ? "%s needs a cache (cN)" :
				 "%s takes no cache argument", op_names[op->kind]);
	if (op->kind == OP_BARRIER)
		op->all = ncache == 0;
	if (want_obj != (nobj > 0) && op->kind != OP_FREE_BULK)
		return perror_at(pe, opcol, want_obj ? "%s needs an object (oN)" :
				 "%s takes no object argument", op_names[op->kind]);
	if (op->kind == OP_FREE_BULK && !op->nlist)
		return perror_at(pe, opcol, "free_bulk needs objects");
	if (want_sheaf != (nsheaf > 0))
		return perror_at(pe, opcol, want_sheaf ? "%s needs a sheaf (sN)" :
				 "%s takes no sheaf argument", op_names[op->kind]);
	if (want_cpu != (ncpu > 0))
		return perror_at(pe, opcol, want_cpu ? "%s needs a target cpuN" :
				 "%s takes no CPU argument", op_names[op->kind]);
	if ((op->kind == OP_CREATE || op->kind == OP_KMALLOC || op->kind == OP_KMALLOC_NOLOCK) &&
	    !got_size)
		return perror_at(pe, opcol, "%s needs size=", op_names[op->kind]);
	if ((op->kind == OP_PREFILL || op->kind == OP_REFILL) && !got_n)
		return perror_at(pe, opcol, "%s needs n=", op_names[op->kind]);
	if (op->kind == OP_FAULT) {
		if (site < 0)
			return perror_at(pe, opcol, "fault needs a site: page or sheaf");
		if (!got_fault_mode)
			return perror_at(pe, opcol, "fault needs next=N or pattern=BITS");
		op->target = (uint8_t)site;
	} else if (site >= 0) {
		return perror_at(pe, opcol, "page/sheaf is a fault argument");
	}
	if (op->all && op->kind != OP_RCU_CB && op->kind != OP_BARRIER && op->kind != OP_FAULT)
		return perror_at(pe, opcol, "`all` is an rcu_cb argument");

	char msg[160];
	if (prog_check(st, op, msg, sizeof(msg)))
		return perror_at(pe, opcol, "%s", msg);
	return 0;
}

static void copy_directive(char *dst, size_t cap, const char *s, int len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if ((size_t)len >= cap)
		len = (int)cap - 1;
	memcpy(dst, s, (size_t)len);
	dst[len] = 0;
}

int program_parse(const char *text, size_t len, struct program *p, char *err, size_t errlen)
{
	static __thread struct pstate st;
	struct perr pe = { err, errlen, 0 };
	struct tok tk[MAX_TOKS];
	size_t pos = 0;
	bool machine_seen = false;

	program_init(p);
	pstate_init(&st, &p->m);
	while (pos < len) {
		const char *line = text + pos;
		size_t ll = 0;

		while (pos + ll < len && text[pos + ll] != '\n')
			ll++;
		pos += ll + 1;
		pe.line++;
		if (ll && line[ll - 1] == '\r')
			ll--;

		/* directives and comments */
		size_t k = 0;
		while (k < ll && isspace((unsigned char)line[k]))
			k++;
		if (k < ll && line[k] == '#') {
			const char *c = line + k + 1;
			int cl = (int)(ll - k - 1);
			while (cl > 0 && *c == ' ') {
				c++;
				cl--;
			}
			static const struct { const char *key; size_t off; size_t cap; } dirs[] = {
				{ "expect:", offsetof(struct program, expect), PROG_SIG_LEN },
				{ "bug:", offsetof(struct program, bug), 64 },
				{ "expect-with-bug:", offsetof(struct program, expect_bug), PROG_SIG_LEN },
			};
			for (unsigned int d = 0; d < ARRAY_SIZE(dirs); d++) {
				int dl = (int)strlen(dirs[d].key);
				if (cl >= dl && !memcmp(c, dirs[d].key, (size_t)dl))
					copy_directive((char *)p + dirs[d].off, dirs[d].cap, c + dl, cl - dl);
			}
			continue;
		}
		for (size_t h = k; h < ll; h++)
			if (line[h] == '#') {
				ll = h;
				break;
			}

		int nt = 0;
		for (size_t j = 0; j < ll;) {
			if (isspace((unsigned char)line[j])) {
				j++;
				continue;
			}
			if (nt == MAX_TOKS)
				return perror_at(&pe, (int)j + 1, "line too long");
			tk[nt].s = line + j;
			tk[nt].col = (int)j + 1;
			while (j < ll && !isspace((unsigned char)line[j]))
				j++;
			tk[nt].len = (int)(line + j - tk[nt].s);
			for (int c = 0; c < tk[nt].len; c++)
				if ((unsigned char)tk[nt].s[c] < 0x20 || (unsigned char)tk[nt].s[c] >= 0x7f)
					return perror_at(&pe, tk[nt].col + c, "unexpected byte 0x%02x",
							 (unsigned char)tk[nt].s[c]);
			nt++;
		}
		if (!nt)
			continue;
		if (tok_is(&tk[0], "machine")) {
			if (machine_seen || p->nr_ops)
				return perror_at(&pe, 1, "the machine line comes once, before the ops");
			machine_seen = true;
			if (parse_machine(tk, nt, &p->m, &pe))
				return -1;
			pstate_init(&st, &p->m);
			continue;
		}
		if (p->nr_ops == PROG_MAX_OPS)
			return perror_at(&pe, 1, "more than %d ops", PROG_MAX_OPS);
		struct op *op = &p->ops[p->nr_ops];
		if (parse_op(tk, nt, op, &st, &pe))
			return -1;
		prog_apply(&st, op);
		p->line[p->nr_ops++] = pe.line;
	}
	p->m.double_free = program_has_double_free(p);
	return 0;
}
