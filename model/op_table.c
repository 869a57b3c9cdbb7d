// SPDX-License-Identifier: GPL-2.0
/*
 * The op table and the one statement of which programs are valid.
 *
 * An op is one entry below. Its arguments say which handles it takes (and from which
 * candidate set), which integers (range, default, binary encoding), words and gfp it has;
 * its result says which handle it binds. prog_check() checks an op against that
 * description plus the entry's own `check` rule; prog_apply() binds its result and
 * consumes its handles the same way. The text parser, the decoder, the encoder, the
 * minimiser and the generators all go through these two functions and cands_build().
 */
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "exec_ops.h"
#include "rcu.h"

const size_t prog_quarantine_sizes[PROG_NR_QSIZES] = {
	1 << 20, 4 << 10, 8 << 10, 16 << 10, 64 << 10, 256 << 10, 512 << 10, 2 << 20,
};
const char *const prog_quarantine_names[PROG_NR_QSIZES] = {
	"1M", "4K", "8K", "16K", "64K", "256K", "512K", "2M",
};

static const char *const cf_words[] = { "typesafe_by_rcu", "hwcache_align", "no_merge", "debug",
					"ctor" };
static const char *const fault_sites[] = { "page", "sheaf" };
static const char *const rcu_cb_words[] = { NULL, "all" };
static const char *const irq_words[] = { "irq", "nmi" };

/* Argument shorthands: what each entry is made of. */
#define F(field) ((uint16_t)offsetof(struct op, field))
#define A_CACHE			{ .type = ARG_CACHE }
#define A_CACHE_OPT		{ .type = ARG_CACHE, .flags = ARGF_OPTIONAL }
#define A_OBJ(s)		{ .type = ARG_OBJ, .set = (s) }
#define A_SHEAF			{ .type = ARG_SHEAF }
#define A_CPU(s)		{ .type = ARG_CPU, .set = (s) }
#define A_GFP			{ .type = ARG_GFP, .flags = ARGF_OPTIONAL }
#define A_INT(k, f, lo, hi, d, e, fl) \
	{ .type = ARG_INT, .key = (k), .field = F(f), .min = (lo), .max = (hi), .def = (d), \
	  .enc = (e), .flags = (fl) }
#define A_NODE			A_INT("node", node, -1, PROG_MAX_NODES - 1, -1, ENC_NODE, ARGF_OPTIONAL)
#define A_WORDS(w, fl)		{ .type = ARG_WORD, .words = (w), .nwords = ARRAY_SIZE(w), .flags = (fl) }
#define A_CTX			{ .type = ARG_CTX }
#define ARGS(...)		.args = { __VA_ARGS__ }, \
				.nargs = sizeof((struct arg_desc[]){ __VA_ARGS__ }) / sizeof(struct arg_desc)

static const char *check_cpu_down(const struct pstate *st, const struct op *op);
static const char *check_migrate(const struct pstate *st, const struct op *op);
static const char *check_create(const struct pstate *st, const struct op *op);
static const char *check_unlock(const struct pstate *st, const struct op *op);
static const char *check_zalloc(const struct pstate *st, const struct op *op);
static const char *check_memalloc_enter(const struct pstate *st, const struct op *op);
static const char *check_memalloc_leave(const struct pstate *st, const struct op *op);
static const char *check_pressure(const struct pstate *st, const struct op *op);
static void apply_memalloc(struct pstate *st, const struct op *op);
static void apply_destroy(struct pstate *st, const struct op *op);
static void apply_read_lock(struct pstate *st, const struct op *op);
static void apply_read_unlock(struct pstate *st, const struct op *op);

const struct op_desc op_table[NR_OP_KINDS] = {
	[OP_CREATE] = { .name = "create", .opcode = 0, .result = RES_CACHE, .simpler = -1,
		ARGS(A_INT("size", size, 8, PROG_MAX_SIZE, 0, ENC_U16, 0),
		     A_INT("align", align, 0, 512, 0, ENC_POW2, ARGF_OPTIONAL),
		     { .type = ARG_FLAGS, .words = cf_words, .nwords = ARRAY_SIZE(cf_words) },
		     A_INT("capacity", capacity, 0, 255, 0, ENC_U8, ARGF_OPTIONAL)),
		.check = check_create, .run = exec_create },
	[OP_ALLOC] = { .name = "alloc", .opcode = 1, .result = RES_OBJ, .ctx = CTXF_IRQ_NOWAIT,
		.simpler = -1, ARGS(A_CACHE, A_GFP), .run = exec_alloc },
	[OP_ALLOC_NODE] = { .name = "alloc_node", .opcode = 2, .result = RES_OBJ,
		.ctx = CTXF_IRQ_NOWAIT, .simpler = OP_ALLOC, ARGS(A_CACHE, A_NODE, A_GFP),
		.run = exec_alloc_node },
	[OP_ALLOC_BULK] = { .name = "alloc_bulk", .opcode = 3, .result = RES_OBJS,
		.ctx = CTXF_IRQ_NOWAIT, .simpler = -1,
		ARGS(A_CACHE, A_INT("n", n, 1, PROG_MAX_LIST, 1, ENC_U8, ARGF_TEXT_RANGE), A_GFP),
		.run = exec_alloc_bulk },
	[OP_FREE] = { .name = "free", .opcode = 4, .ctx = CTXF_IRQ, .simpler = -1,
		ARGS(A_CACHE_OPT, A_OBJ(SET_FREE)), .run = exec_free },
	[OP_FREE_BULK] = { .name = "free_bulk", .opcode = 5, .ctx = CTXF_IRQ, .simpler = -1,
		ARGS(A_CACHE, { .type = ARG_OBJ_LIST, .set = SET_BULK }), .run = exec_free_bulk },
	[OP_KFREE_RCU] = { .name = "kfree_rcu", .opcode = 6, .ctx = CTXF_IRQ, .simpler = -1,
		ARGS(A_OBJ(SET_RCU)), .run = exec_kfree_rcu },
	[OP_KMALLOC] = { .name = "kmalloc", .opcode = 7, .result = RES_OBJ, .ctx = CTXF_IRQ_NOWAIT,
		.simpler = -1, ARGS(A_INT("size", size, 1, PROG_MAX_SIZE, 0, ENC_U16, 0), A_GFP),
		.run = exec_kmalloc },
	[OP_KFREE] = { .name = "kfree", .opcode = 8, .ctx = CTXF_IRQ, .simpler = -1,
		ARGS(A_OBJ(SET_KFREE)), .run = exec_kfree },
	/* The nolock ops run in any context, NMI above all, so they carry it in a byte of
	 * their own: one byte turns a kfree_nolock into an NMI one. */
	[OP_KMALLOC_NOLOCK] = { .name = "kmalloc_nolock", .opcode = 9, .result = RES_OBJ,
		.ctx = CTXF_IRQ | CTXF_NMI, .simpler = -1,
		ARGS(A_INT("size", size, 1, PROG_MAX_SIZE, 0, ENC_U16, 0), A_NODE, A_CTX),
		.run = exec_kmalloc_nolock },
	[OP_KFREE_NOLOCK] = { .name = "kfree_nolock", .opcode = 10, .ctx = CTXF_IRQ | CTXF_NMI,
		.simpler = -1, ARGS(A_OBJ(SET_NOLOCK), A_CTX), .run = exec_kfree_nolock },
	[OP_PREFILL] = { .name = "prefill", .opcode = 11, .result = RES_SHEAF, .simpler = -1,
		ARGS(A_CACHE, A_INT("n", n, 0, 255, 0, ENC_U8, ARGF_ALWAYS)),
		.run = exec_prefill },
	[OP_ALLOC_FROM_SHEAF] = { .name = "alloc_from_sheaf", .opcode = 12, .result = RES_OBJ,
		.simpler = -1, ARGS(A_SHEAF, A_GFP), .run = exec_alloc_from_sheaf },
	[OP_REFILL] = { .name = "refill", .opcode = 13, .simpler = -1,
		ARGS(A_SHEAF, A_INT("n", n, 0, 255, 0, ENC_U8, ARGF_ALWAYS)), .run = exec_refill },
	[OP_RETURN_SHEAF] = { .name = "return_sheaf", .opcode = 14, .simpler = -1,
		ARGS({ .type = ARG_SHEAF, .flags = ARGF_CONSUME }),
		.run = exec_return_sheaf },
	[OP_SHRINK] = { .name = "shrink", .opcode = 15, .simpler = -1, ARGS(A_CACHE),
		.run = exec_shrink },
	[OP_DESTROY] = { .name = "destroy", .opcode = 16, .flags = OPF_WAITS_GP, .simpler = -1,
		ARGS({ .type = ARG_CACHE, .flags = ARGF_CONSUME }), .apply = apply_destroy,
		.run = exec_destroy },
	[OP_BARRIER] = { .name = "barrier", .opcode = 17, .flags = OPF_WAITS_GP, .simpler = -1,
		ARGS(A_CACHE_OPT), .run = exec_barrier },
	[OP_CPU_DOWN] = { .name = "cpu_down", .opcode = 18, .flags = OPF_WAITS_GP, .simpler = -1,
		ARGS(A_CPU(SET_ONLINE_OTHER)), .check = check_cpu_down, .run = exec_cpu_down },
	[OP_CPU_UP] = { .name = "cpu_up", .opcode = 19, .flags = OPF_WAITS_GP, .simpler = -1,
		ARGS(A_CPU(SET_OFFLINE)), .run = exec_cpu_up },
	[OP_MIGRATE] = { .name = "migrate", .opcode = 20, .simpler = -1,
		ARGS(A_CPU(SET_MIGRATE)), .check = check_migrate, .run = exec_migrate },
	/* binary only: the next op runs in interrupt (or NMI) context on this CPU */
	[OP_IRQ] = { .name = "irq", .opcode = 21, .flags = OPF_PREFIX, .simpler = -1,
		ARGS(A_WORDS(irq_words, 0)) },
	[OP_GP] = { .name = "gp", .opcode = 22, .simpler = -1, .run = exec_gp },
	[OP_RCU_CB] = { .name = "rcu_cb", .opcode = 23, .simpler = -1,
		ARGS(A_WORDS(rcu_cb_words, ARGF_OPTIONAL)), .run = exec_rcu_cb },
	[OP_QUARANTINE_REDUCE] = { .name = "quarantine_reduce", .opcode = 24, .simpler = -1,
		.run = exec_quarantine_reduce },
	[OP_FAULT] = { .name = "fault", .opcode = 25, .simpler = -1,
		ARGS(A_WORDS(fault_sites, 0),
		     A_INT("next", n, 0, 255, 0, ENC_U8, ARGF_OPTIONAL),
		     A_INT("pattern", pattern, 0, 0xffff, 0, ENC_U16, ARGF_OPTIONAL | ARGF_HEX)),
		.run = exec_fault },
	[OP_READ] = { .name = "read", .opcode = 26, .ctx = CTXF_IRQ | CTXF_NMI, .simpler = -1,
		ARGS(A_OBJ(SET_READ)), .run = exec_read },
	[OP_WRITE] = { .name = "write", .opcode = 27, .ctx = CTXF_IRQ | CTXF_NMI, .simpler = -1,
		ARGS(A_OBJ(SET_WRITE)), .run = exec_write },
	/* run this CPU's deferred kfree_nolock frees */
	[OP_IRQ_WORK] = { .name = "irq_work", .opcode = 28, .simpler = -1, .run = exec_irq_work },
	/* a reader section spanning ops on this CPU's task */
	[OP_RCU_READ_LOCK] = { .name = "rcu_read_lock", .opcode = 29, .flags = OPF_READER,
		.simpler = -1,
		.apply = apply_read_lock, .run = exec_rcu_read_lock },
	[OP_RCU_READ_UNLOCK] = { .name = "rcu_read_unlock", .opcode = 30, .flags = OPF_READER,
		.simpler = -1,
		.check = check_unlock, .apply = apply_read_unlock, .run = exec_rcu_read_unlock },
	[OP_ZALLOC] = { .name = "zalloc", .opcode = 31, .result = RES_OBJ, .ctx = CTXF_IRQ_NOWAIT,
		.simpler = OP_ALLOC, ARGS(A_CACHE, A_GFP), .check = check_zalloc, .run = exec_zalloc },
	/* this CPU's task reclaims from here on (memalloc_noreclaim_save(): PF_MEMALLOC) */
	[OP_MEMALLOC_ENTER] = { .name = "memalloc_enter", .opcode = 32, .simpler = -1,
		.check = check_memalloc_enter, .apply = apply_memalloc, .run = exec_memalloc_enter },
	[OP_MEMALLOC_LEAVE] = { .name = "memalloc_leave", .opcode = 33, .simpler = -1,
		.check = check_memalloc_leave, .apply = apply_memalloc, .run = exec_memalloc_leave },
	/* other users now hold `pages` pages of the node (default: this CPU's memory node) */
	[OP_PRESSURE] = { .name = "pressure", .opcode = 34, .simpler = -1,
		ARGS(A_NODE, A_INT("pages", n, 0, PROG_MAX_PAGES, 0, ENC_U16, ARGF_ALWAYS)),
		.check = check_pressure, .run = exec_pressure },
};

const char *op_name(enum op_kind kind)
{
	return (unsigned int)kind < NR_OP_KINDS ? op_table[kind].name : "?";
}

int op_kind_of_opcode(unsigned int opcode)
{
	static int8_t map[OP_MAX_OPCODE + 1];
	static bool ready;

	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		int8_t m[OP_MAX_OPCODE + 1];

		memset(m, -1, sizeof(m));
		for (int k = 0; k < NR_OP_KINDS; k++)
			m[op_table[k].opcode] = (int8_t)k;
		memcpy(map, m, sizeof(map));
		__atomic_store_n(&ready, true, __ATOMIC_RELEASE);
	}
	return opcode <= OP_MAX_OPCODE ? map[opcode] : -1;
}

void machine_default(struct machine *m)
{
	memset(m, 0, sizeof(*m));
	m->cpus = 4;
	m->nodes = 1;
	m->kasan = 1;
}

/* ------------------------------------------------------------------ programs */

static void *grow(void *p, int *cap, int need, size_t elem)
{
	int c = *cap ? *cap : 16;

	while (c < need)
		c *= 2;
	if (c == *cap)
		return p;
	p = realloc(p, (size_t)c * elem);
	if (!p)
		abort();
	*cap = c;
	return p;
}

void program_init(struct program *p)
{
	memset(p, 0, sizeof(*p));
	machine_default(&p->m);
}

const char *const sched_action_names[NR_SCHED_ACTIONS] = {
	[ACT_SWITCH] = "switch", [ACT_MIGRATE] = "migrate", [ACT_IRQ] = "irq",
	[ACT_CPU_DOWN] = "cpu_down", [ACT_CPU_UP] = "cpu_up", [ACT_GP] = "gp",
	[ACT_RCU_CB] = "rcu_cb", [ACT_WORK] = "work",
};

void program_free(struct program *p)
{
	free(p->ops);
	free(p->line);
	free(p->dec);
	program_init(p);
}

void program_clear(struct program *p)
{
	p->nr_ops = 0;
	p->nr_dec = 0;
	machine_default(&p->m);
	p->expect[0] = p->bug[0] = p->expect_bug[0] = 0;
}

static void program_reserve(struct program *p, int n)
{
	if (n <= p->cap_ops)
		return;
	int cap = p->cap_ops;
	p->ops = grow(p->ops, &cap, n, sizeof(p->ops[0]));
	p->line = realloc(p->line, (size_t)cap * sizeof(p->line[0]));
	if (!p->line)
		abort();
	p->cap_ops = cap;
}

void program_copy(struct program *dst, const struct program *src)
{
	program_reserve(dst, src->nr_ops);
	dst->m = src->m;
	dst->nr_ops = src->nr_ops;
	if (src->nr_ops) {	/* an empty program may have no array at all */
		memcpy(dst->ops, src->ops, (size_t)src->nr_ops * sizeof(src->ops[0]));
		memcpy(dst->line, src->line, (size_t)src->nr_ops * sizeof(src->line[0]));
	}
	if (src->nr_dec > dst->cap_dec)
		dst->dec = grow(dst->dec, &dst->cap_dec, src->nr_dec, sizeof(dst->dec[0]));
	dst->nr_dec = src->nr_dec;
	if (src->nr_dec)
		memcpy(dst->dec, src->dec, (size_t)src->nr_dec * sizeof(src->dec[0]));
	memcpy(dst->expect, src->expect, sizeof(dst->expect));
	memcpy(dst->bug, src->bug, sizeof(dst->bug));
	memcpy(dst->expect_bug, src->expect_bug, sizeof(dst->expect_bug));
}

struct op *program_append(struct program *p)
{
	program_reserve(p, p->nr_ops + 1);
	memset(&p->ops[p->nr_ops], 0, sizeof(p->ops[0]));
	p->ops[p->nr_ops].node = -1;
	p->line[p->nr_ops] = 0;
	return &p->ops[p->nr_ops++];
}

struct decision *program_append_decision(struct program *p)
{
	if (p->nr_dec == p->cap_dec)
		p->dec = grow(p->dec, &p->cap_dec, p->nr_dec + 1, sizeof(p->dec[0]));
	memset(&p->dec[p->nr_dec], 0, sizeof(p->dec[0]));
	return &p->dec[p->nr_dec++];
}

void program_remove_decision(struct program *p, int i)
{
	memmove(&p->dec[i], &p->dec[i + 1], (size_t)(p->nr_dec - i - 1) * sizeof(p->dec[0]));
	p->nr_dec--;
}

void program_remove(struct program *p, int start, int len)
{
	memmove(&p->ops[start], &p->ops[start + len],
		(size_t)(p->nr_ops - start - len) * sizeof(p->ops[0]));
	memmove(&p->line[start], &p->line[start + len],
		(size_t)(p->nr_ops - start - len) * sizeof(p->line[0]));
	p->nr_ops -= len;
}

/* ------------------------------------------------------------------ static state */

static const struct pobj no_obj;
static const struct pcache no_cache;
static const struct psheaf no_sheaf;

void pstate_init(struct pstate *st, const struct machine *m)
{
	if (st->obj)
		memset(st->obj, 0, st->nr_obj * sizeof(st->obj[0]));
	if (st->cache)
		memset(st->cache, 0, st->nr_cache * sizeof(st->cache[0]));
	if (st->sheaf)
		memset(st->sheaf, 0, st->nr_sheaf * sizeof(st->sheaf[0]));
	st->m = *m;
	st->online = (uint8_t)((1u << m->cpus) - 1);
	st->pending_ctx = -1;
	st->pending_cpu = -1;
	st->readers = 0;
	st->memalloc = 0;
	memset(st->reader_depth, 0, sizeof(st->reader_depth));
	memset(st->reader_since, 0, sizeof(st->reader_since));
	st->seq = 0;
	st->next_obj = st->next_cache = st->next_sheaf = 0;
	st->nr_obj = st->nr_cache = st->nr_sheaf = 0;
}

void pstate_free(struct pstate *st)
{
	free(st->obj);
	free(st->cache);
	free(st->sheaf);
	memset(st, 0, sizeof(*st));
}

/* Make room for handle h (entries past the old end start zeroed). */
#define PSTATE_SLOT(st, arr, nr, cap, h) do {						\
	if ((h) >= (st)->nr) {								\
		if ((h) >= (st)->cap) {							\
			int c = (int)(st)->cap;						\
			(st)->arr = grow((st)->arr, &c, (int)(h) + 1, sizeof((st)->arr[0])); \
			(st)->cap = (uint32_t)c;					\
		}									\
		memset(&(st)->arr[(st)->nr], 0, ((h) + 1 - (st)->nr) * sizeof((st)->arr[0])); \
		(st)->nr = (h) + 1;							\
	}										\
} while (0)

const struct pobj *pstate_obj(const struct pstate *st, uint32_t h)
{
	return h < st->nr_obj ? &st->obj[h] : &no_obj;
}

const struct pcache *pstate_cache(const struct pstate *st, uint32_t h)
{
	return h < st->nr_cache ? &st->cache[h] : &no_cache;
}

static const struct psheaf *pstate_sheaf(const struct pstate *st, uint32_t h)
{
	return h < st->nr_sheaf ? &st->sheaf[h] : &no_sheaf;
}

unsigned int prog_rcu_head_offset(const struct pstate *st, uint32_t obj)
{
	const struct pobj *o = pstate_obj(st, obj);

	/* a ctor cache keeps its constructed state in word 0 */
	if (o->kind == OK_CACHE && (pstate_cache(st, (uint32_t)o->cache)->flags & CF_CTOR))
		return 8;
	return 0;
}

static bool rcu_fits(const struct pstate *st, uint32_t obj)
{
	return (size_t)pstate_obj(st, obj)->size >=
	       prog_rcu_head_offset(st, obj) + sizeof(struct rcu_head);
}

/* An object whose memory may still be named: its cache (if any) still exists. */
static bool obj_nameable(const struct pstate *st, const struct pobj *o)
{
	return o->kind != OK_CACHE || pstate_cache(st, (uint32_t)o->cache)->alive;
}

static bool typesafe(const struct pstate *st, const struct pobj *o)
{
	return o->kind == OK_CACHE && (pstate_cache(st, (uint32_t)o->cache)->flags & CF_TYPESAFE);
}

/* Whether op reads its object (the one access a typesafe reader may make). */
static bool op_reads(const struct op *op)
{
	const struct op_desc *d = &op_table[op->kind];

	for (int i = 0; i < d->nargs; i++)
		if (d->args[i].type == ARG_OBJ && d->args[i].set == SET_READ)
			return true;
	return false;
}

/* A reader on op's CPU that opened before object o was freed: SLAB_TYPESAFE_BY_RCU
 * keeps the memory an object of its cache for that reader. */
static bool protected_read(const struct pstate *st, const struct op *op, const struct pobj *o)
{
	return op_reads(op) && o->state == OS_FREED && typesafe(st, o) &&
	       st->reader_depth[op->cpu] && st->reader_since[op->cpu] <= o->freed_at;
}

/* Whether handle h is a candidate for argument a of op (the op's earlier arguments set). */
static bool cand_ok(const struct pstate *st, const struct op *op, const struct arg_desc *a,
		    uint32_t h)
{
	bool misuse = st->m.misuse;
	const struct pobj *o;

	switch ((enum arg_type)a->type) {
	case ARG_CACHE:
		return pstate_cache(st, h)->alive;
	case ARG_SHEAF:
		return pstate_sheaf(st, h)->alive;
	case ARG_CPU:
		if (h >= st->m.cpus)
			return false;
		switch ((enum arg_set)a->set) {
		case SET_OFFLINE:
			return !(st->online & (1u << h));
		case SET_ONLINE_OTHER:
			return (st->online & (1u << h)) && h != op->cpu;
		case SET_MIGRATE:
			return (st->online & (1u << h)) && !st->reader_depth[h] &&
			       !(st->memalloc & (1u << h));
		default:
			return st->online & (1u << h);
		}
	case ARG_OBJ:
	case ARG_OBJ_LIST:
		break;
	default:
		return false;
	}
	o = pstate_obj(st, h);
	if (!obj_nameable(st, o))
		return false;
	switch ((enum arg_set)a->set) {
	case SET_FREE:
		if (op->has_cache)	/* into a given cache: its own, or (misuse) another */
			return o->state == OS_LIVE && o->kind != OK_NOLOCK &&
			       (misuse || (o->kind == OK_CACHE && (uint32_t)o->cache == op->cache));
		return o->kind == OK_CACHE && (o->state == OS_LIVE || (misuse && o->state == OS_FREED));
	case SET_KFREE:
		return o->kind != OK_CACHE && (o->state == OS_LIVE || (misuse && o->state == OS_FREED));
	case SET_NOLOCK:
		return o->kind == OK_NOLOCK && o->state == OS_LIVE;
	case SET_RCU:
		return (o->state == OS_LIVE || (misuse && o->state == OS_FREED)) && rcu_fits(st, h);
	case SET_READ:
	case SET_WRITE:
		if (o->state == OS_LIVE || protected_read(st, op, o))
			return true;
		if (!misuse || (o->state != OS_FREED && o->state != OS_RCU))
			return false;
		/* a write through a reader's stale pointer would corrupt the memory's new
		 * owner without any report: not a misuse the model can expect */
		return !(a->set == SET_WRITE && typesafe(st, o) && st->reader_depth[op->cpu]);
	case SET_BULK:
		return o->kind == OK_CACHE && o->state == OS_LIVE && (uint32_t)o->cache == op->cache;
	default:
		return false;
	}
}

static uint32_t handle_space(const struct pstate *st, const struct arg_desc *a)
{
	switch ((enum arg_type)a->type) {
	case ARG_CACHE:
		return st->nr_cache;
	case ARG_SHEAF:
		return st->nr_sheaf;
	case ARG_CPU:
		return st->m.cpus;
	default:
		return st->nr_obj;
	}
}

void cands_build(const struct pstate *st, const struct op *op, const struct arg_desc *a,
		 struct cands *c)
{
	uint32_t n = handle_space(st, a);

	c->n = 0;
	if ((int)n > c->cap)
		c->v = grow(c->v, &c->cap, (int)n, sizeof(c->v[0]));
	/* objects: live ones first, then freed ones, so misuse sits behind the common case;
	 * only misuse and a typesafe reader's read take a freed object at all */
	int passes = a->type == ARG_OBJ && (st->m.misuse || a->set == SET_READ) ? 2 : 1;

	for (int pass = 0; pass < passes; pass++) {
		for (uint32_t h = 0; h < n; h++) {
			bool live = a->type != ARG_OBJ || st->obj[h].state == OS_LIVE;

			if (live == (pass == 0) && cand_ok(st, op, a, h))
				c->v[c->n++] = h;
		}
	}
}

void cands_free(struct cands *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------ validity */

static int nr_online(const struct pstate *st)
{
	return __builtin_popcount(st->online);
}

/* Contexts: interrupt and NMI by the entry's flags; inside a reader section the op must
 * not sleep, as in interrupt context. */
static const char *ctx_check(const struct pstate *st, const struct op *op)
{
	const struct op_desc *d = &op_table[op->kind];
	bool reader_op = d->flags & OPF_READER;
	bool atomic = op->ctx != CTX_TASK || (st->reader_depth[op->cpu] && !reader_op);

	if (op->ctx == CTX_NMI)
		return d->ctx & CTXF_NMI ? NULL : "is not allowed in nmi context";
	if (!atomic)
		return NULL;
	if (d->ctx & (CTXF_IRQ | CTXF_NMI))
		return NULL;
	if ((d->ctx & CTXF_IRQ_NOWAIT) && !gfpc_may_sleep(op->gfp))
		return NULL;
	if (op->ctx == CTX_TASK)
		return d->ctx & CTXF_IRQ_NOWAIT ? "with gfp=kernel may sleep inside rcu_read_lock()" :
						 "may sleep inside rcu_read_lock()";
	return d->ctx & CTXF_IRQ_NOWAIT ? "with gfp=kernel is not allowed in irq context" :
					 "is not allowed in irq context";
}

#define FAIL(...) do { snprintf(err, len, __VA_ARGS__); return -1; } while (0)

static const char *const handle_prefix[] = {
	[ARG_CACHE] = "c", [ARG_OBJ] = "o", [ARG_OBJ_LIST] = "o", [ARG_SHEAF] = "s", [ARG_CPU] = "cpu",
};

uint32_t op_arg_handle(const struct op *op, const struct arg_desc *a)
{
	switch ((enum arg_type)a->type) {
	case ARG_CACHE:
		return op->cache;
	case ARG_SHEAF:
		return op->sheaf;
	case ARG_CPU:
		return op->target;
	default:
		return op->obj;
	}
}

static const char *set_what(const struct arg_desc *a)
{
	switch ((enum arg_set)a->set) {
	case SET_FREE: return "a live cache object (a freed one needs misuse)";
	case SET_KFREE: return "a live kmalloc object";
	case SET_NOLOCK: return "a live kmalloc_nolock object";
	case SET_RCU: return "a live object with room for an rcu_head";
	case SET_READ:
	case SET_WRITE: return "a live object";
	case SET_BULK: return "a live object of the cache";
	case SET_ONLINE: return "an online CPU";
	case SET_ONLINE_OTHER: return "another online CPU";
	case SET_OFFLINE: return "an offline CPU";
	case SET_MIGRATE: return "an online CPU with no open rcu_read_lock() and not in memalloc context";
	default: break;
	}
	return a->type == ARG_CACHE ? "a live cache" : a->type == ARG_SHEAF ? "a lent sheaf" : "valid";
}

static int result_check(const struct pstate *st, const struct op *op, char *err, size_t len)
{
	const struct op_desc *d = &op_table[op->kind];
	int n = d->result == RES_OBJS ? op->n : 1;

	switch ((enum op_result)d->result) {
	case RES_CACHE:
		if (pstate_cache(st, op->dst)->alive)
			FAIL("c%u is still alive", op->dst);
		return 0;
	case RES_SHEAF:
		if (pstate_sheaf(st, op->dst)->alive || pstate_sheaf(st, op->dst)->orphan)
			FAIL("s%u is still lent out", op->dst);
		return 0;
	case RES_OBJ:
	case RES_OBJS:
		if (op->dst + (uint64_t)n > UINT32_MAX)
			FAIL("object handles too large");
		for (int i = 0; i < n; i++) {
			uint8_t s = pstate_obj(st, op->dst + (uint32_t)i)->state;
			if (s == OS_LIVE || s == OS_RCU || s == OS_ORPHAN)
				FAIL("o%u is still bound", op->dst + (uint32_t)i);
		}
		return 0;
	default:
		return 0;
	}
}

int prog_check(const struct pstate *st, const struct op *op, char *err, size_t len)
{
	const struct op_desc *d;
	const char *why;

	if (op->kind >= NR_OP_KINDS || (op_table[op->kind].flags & OPF_PREFIX))
		FAIL("unknown op");
	d = &op_table[op->kind];
	if (op->cpu >= st->m.cpus)
		FAIL("cpu%u does not exist (cpus=%u)", op->cpu, st->m.cpus);
	if (!(st->online & (1u << op->cpu)))
		FAIL("cpu%u is offline", op->cpu);
	if (op->ctx >= NR_CTX || op->gfp >= NR_GFPC)
		FAIL("bad context or gfp");
	if ((why = ctx_check(st, op)))
		FAIL("%s %s", d->name, why);
	if ((d->flags & OPF_WAITS_GP) && st->readers)
		FAIL("%s waits for a grace period while an rcu_read_lock() section is open", d->name);

	for (int i = 0; i < d->nargs; i++) {
		const struct arg_desc *a = &d->args[i];

		switch ((enum arg_type)a->type) {
		case ARG_CACHE:
		case ARG_OBJ:
		case ARG_SHEAF:
		case ARG_CPU:
			if (a->type == ARG_CACHE && (a->flags & ARGF_OPTIONAL) && !op->has_cache)
				break;
			if (!cand_ok(st, op, a, op_arg_handle(op, a)))
				FAIL("%s%u is not %s", handle_prefix[a->type], op_arg_handle(op, a),
				     set_what(a));
			break;
		case ARG_OBJ_LIST:
			if (op->nlist < 1 || op->nlist > PROG_MAX_LIST)
				FAIL("%s takes 1..%d objects", d->name, PROG_MAX_LIST);
			for (int k = 0; k < op->nlist; k++) {
				if (!cand_ok(st, op, a, op->list[k]))
					FAIL("o%u is not %s", op->list[k], set_what(a));
				for (int j = 0; j < k; j++)
					if (op->list[j] == op->list[k])
						FAIL("o%u listed twice", op->list[k]);
			}
			break;
		case ARG_INT: {
			int32_t v = op_field_get(op, a);
			int32_t hi = a->enc == ENC_NODE ? st->m.nodes - 1 : a->max;

			if (v < a->min || v > hi)
				FAIL("%s must be %d..%d", a->key, a->min, hi);
			if (a->enc == ENC_POW2 && v && (v < 8 || (v & (v - 1))))
				FAIL("%s must be 0 or a power of two in 8..%d", a->key, a->max);
			break;
		}
		case ARG_FLAGS:
			if ((uint32_t)op->flags & ~((1u << a->nwords) - 1))
				FAIL("unknown flags");
			break;
		case ARG_WORD:
			if (op->word >= a->nwords)
				FAIL("bad word");
			break;
		case ARG_GFP:
		case ARG_CTX:
			break;
		}
	}
	if (result_check(st, op, err, len))
		return -1;
	if (d->check && (why = d->check(st, op)))
		FAIL("%s", why);
	return 0;
}

static const char *check_create(const struct pstate *st, const struct op *op)
{
	return op->flags & ~(int32_t)CF_ALL ? "unknown create flags" : NULL;
}

static const char *check_cpu_down(const struct pstate *st, const struct op *op)
{
	if (nr_online(st) < 2)
		return "the last online CPU cannot go down";
	return NULL;
}

static const char *check_migrate(const struct pstate *st, const struct op *op)
{
	if (st->memalloc & (1u << op->cpu))
		return "a task in memalloc context does not migrate";
	return st->reader_depth[op->cpu] ? "a task inside rcu_read_lock() does not migrate" : NULL;
}

static const char *check_memalloc_enter(const struct pstate *st, const struct op *op)
{
	return st->memalloc & (1u << op->cpu) ? "memalloc_enter inside memalloc context" : NULL;
}

static const char *check_memalloc_leave(const struct pstate *st, const struct op *op)
{
	return st->memalloc & (1u << op->cpu) ? NULL : "memalloc_leave without memalloc_enter";
}

static const char *check_pressure(const struct pstate *st, const struct op *op)
{
	if (op->node >= (int)st->m.nodes)
		return "pressure names a node >= nodes";
	if (op->node >= 0 && (st->m.memoryless & (1u << op->node)))
		return "pressure on a node without memory";
	return NULL;
}

static const char *check_zalloc(const struct pstate *st, const struct op *op)
{
	/* __GFP_ZERO would wipe what the constructor built */
	return pstate_cache(st, op->cache)->flags & CF_CTOR ? "zalloc of a ctor cache" : NULL;
}

static const char *check_unlock(const struct pstate *st, const struct op *op)
{
	return st->reader_depth[op->cpu] ? NULL : "rcu_read_unlock() without rcu_read_lock()";
}

/* ------------------------------------------------------------------ state changes */

static void leave_live(struct pstate *st, uint32_t h, uint8_t to)
{
	PSTATE_SLOT(st, obj, nr_obj, cap_obj, h);
	if (st->obj[h].state == OS_LIVE) {
		st->obj[h].state = to;
		st->obj[h].freed_at = st->seq;
	}
}

static void bind_obj(struct pstate *st, uint32_t h, enum obj_kind kind, int32_t cache,
		     int32_t size)
{
	PSTATE_SLOT(st, obj, nr_obj, cap_obj, h);
	st->obj[h].state = OS_LIVE;
	st->obj[h].kind = (uint8_t)kind;
	st->obj[h].cache = cache;
	st->obj[h].size = size;
	st->obj[h].freed_at = 0;
	if (h + 1 > st->next_obj)
		st->next_obj = h + 1;
}

static bool has_arg(const struct op_desc *d, enum arg_type t)
{
	for (int i = 0; i < d->nargs; i++)
		if (d->args[i].type == t)
			return true;
	return false;
}

/* What an object bound by this op is: the sheaf's cache, the op's cache, or kmalloc. */
static void bind_result(struct pstate *st, const struct op *op)
{
	const struct op_desc *d = &op_table[op->kind];
	int n = d->result == RES_OBJS ? op->n : 1;
	enum obj_kind kind = OK_CACHE;
	int32_t cache = -1, size;

	switch ((enum op_result)d->result) {
	case RES_CACHE:
		PSTATE_SLOT(st, cache, nr_cache, cap_cache, op->dst);
		st->cache[op->dst].alive = true;
		st->cache[op->dst].size = op->size;
		st->cache[op->dst].flags = op->flags;
		if (op->dst + 1 > st->next_cache)
			st->next_cache = op->dst + 1;
		return;
	case RES_SHEAF:
		PSTATE_SLOT(st, sheaf, nr_sheaf, cap_sheaf, op->dst);
		st->sheaf[op->dst].alive = true;
		st->sheaf[op->dst].orphan = false;
		st->sheaf[op->dst].cache = op->cache;
		if (op->dst + 1 > st->next_sheaf)
			st->next_sheaf = op->dst + 1;
		return;
	case RES_OBJ:
	case RES_OBJS:
		break;
	default:
		return;
	}
	if (has_arg(d, ARG_SHEAF))
		cache = (int32_t)pstate_sheaf(st, op->sheaf)->cache;
	else if (has_arg(d, ARG_CACHE))
		cache = (int32_t)op->cache;
	else
		kind = has_arg(d, ARG_CTX) ? OK_NOLOCK : OK_KMALLOC;
	size = kind == OK_CACHE ? pstate_cache(st, (uint32_t)cache)->size : op->size;
	for (int i = 0; i < n; i++)
		bind_obj(st, op->dst + (uint32_t)i, kind, kind == OK_CACHE ? cache : 0, size);
}

void prog_apply(struct pstate *st, const struct op *op)
{
	const struct op_desc *d = &op_table[op->kind];

	for (int i = 0; i < d->nargs; i++) {
		const struct arg_desc *a = &d->args[i];

		switch ((enum arg_type)a->type) {
		case ARG_OBJ:
			if (a->set == SET_RCU)
				leave_live(st, op->obj, OS_RCU);
			else if (a->set != SET_READ && a->set != SET_WRITE)
				leave_live(st, op->obj, OS_FREED);
			break;
		case ARG_OBJ_LIST:
			for (int k = 0; k < op->nlist; k++)
				leave_live(st, op->list[k], OS_FREED);
			break;
		case ARG_SHEAF:
			if (a->flags & ARGF_CONSUME)	/* return_sheaf gives it back */
				st->sheaf[op->sheaf].alive = false;
			break;
		case ARG_CPU:
			if (a->set == SET_ONLINE_OTHER)
				st->online &= (uint8_t)~(1u << op->target);
			else if (a->set == SET_OFFLINE)
				st->online |= (uint8_t)(1u << op->target);
			break;
		default:
			break;
		}
	}
	bind_result(st, op);
	if (d->apply)
		d->apply(st, op);
	st->seq++;
}

static void apply_destroy(struct pstate *st, const struct op *op)
{
	st->cache[op->cache].alive = false;
	/* live objects of a destroyed cache can no longer be named; a freed one cannot be
	 * double-freed either */
	for (uint32_t h = 0; h < st->nr_obj; h++) {
		struct pobj *o = &st->obj[h];

		if (o->kind != OK_CACHE || (uint32_t)o->cache != op->cache)
			continue;
		if (o->state == OS_LIVE)
			o->state = OS_ORPHAN;
		else if (o->state == OS_FREED)
			o->state = OS_NONE;
	}
	for (uint32_t s = 0; s < st->nr_sheaf; s++)
		if (st->sheaf[s].alive && st->sheaf[s].cache == op->cache) {
			st->sheaf[s].alive = false;
			st->sheaf[s].orphan = true;
		}
}

static void apply_memalloc(struct pstate *st, const struct op *op)
{
	st->memalloc ^= (uint8_t)(1u << op->cpu);
}

static void apply_read_lock(struct pstate *st, const struct op *op)
{
	if (!st->reader_depth[op->cpu]++) {
		st->reader_since[op->cpu] = st->seq;
		st->readers++;
	}
}

static void apply_read_unlock(struct pstate *st, const struct op *op)
{
	if (!--st->reader_depth[op->cpu])
		st->readers--;
}

bool prog_is_misuse(const struct pstate *st, const struct op *op)
{
	const struct op_desc *d = &op_table[op->kind];

	for (int i = 0; i < d->nargs; i++) {
		const struct arg_desc *a = &d->args[i];
		const struct pobj *o;

		if (a->type != ARG_OBJ)
			continue;
		o = pstate_obj(st, op->obj);
		if (o->state != OS_LIVE && !protected_read(st, op, o))
			return true;
		/* a free into another cache handle (it may be the same cache, merged: the
		 * executor knows) */
		if (op->has_cache && a->set == SET_FREE &&
		    (o->kind != OK_CACHE || (uint32_t)o->cache != op->cache))
			return true;
	}
	return false;
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

bool program_has_misuse(const struct program *p)
{
	static __thread struct pstate st;
	struct machine m = p->m;

	m.misuse = 1;
	pstate_init(&st, &m);
	for (int i = 0; i < p->nr_ops; i++) {
		if (prog_is_misuse(&st, &p->ops[i]))
			return true;
		prog_apply(&st, &p->ops[i]);
	}
	return false;
}

/* ------------------------------------------------------------------ names, equality */

struct hmap {
	int n, cap;
	uint32_t *v;
};

static uint32_t hmap_get(struct hmap *m, uint32_t h)
{
	return h < (uint32_t)m->n ? m->v[h] : h;
}

static void hmap_set(struct hmap *m, uint32_t h, uint32_t to)
{
	if ((int)h >= m->n) {
		m->v = grow(m->v, &m->cap, (int)h + 1, sizeof(m->v[0]));
		for (int i = m->n; i <= (int)h; i++)
			m->v[i] = (uint32_t)i;
		m->n = (int)h + 1;
	}
	m->v[h] = to;
}

void program_canonicalize(struct program *p)
{
	static __thread struct hmap om, cm, sm;
	uint32_t no = 0, nc = 0, ns = 0;

	om.n = cm.n = sm.n = 0;
	for (int k = 0; k < p->nr_ops; k++) {
		struct op *op = &p->ops[k];
		const struct op_desc *d = &op_table[op->kind];
		int n = d->result == RES_OBJS ? op->n : 1;

		/* sources through the current bindings */
		for (int i = 0; i < d->nargs; i++) {
			switch ((enum arg_type)d->args[i].type) {
			case ARG_CACHE:
				op->cache = hmap_get(&cm, op->cache);
				break;
			case ARG_OBJ:
				op->obj = hmap_get(&om, op->obj);
				break;
			case ARG_OBJ_LIST:
				for (int j = 0; j < op->nlist; j++)
					op->list[j] = hmap_get(&om, op->list[j]);
				break;
			case ARG_SHEAF:
				op->sheaf = hmap_get(&sm, op->sheaf);
				break;
			default:
				break;
			}
		}
		/* destinations get the next fresh names */
		switch ((enum op_result)d->result) {
		case RES_CACHE:
			hmap_set(&cm, op->dst, nc);
			op->dst = nc++;
			break;
		case RES_SHEAF:
			hmap_set(&sm, op->dst, ns);
			op->dst = ns++;
			break;
		case RES_OBJ:
		case RES_OBJS: {
			uint32_t first = no;
			for (int j = 0; j < n; j++)
				hmap_set(&om, op->dst + (uint32_t)j, no++);
			op->dst = first;
			break;
		}
		default:
			op->dst = 0;
			break;
		}
	}
}

/* Fields an op's description names; the rest are don't-care. */
bool op_equal(const struct op *a, const struct op *b)
{
	const struct op_desc *d;

	if (a->kind != b->kind || a->cpu != b->cpu || a->ctx != b->ctx)
		return false;
	d = &op_table[a->kind];
	if (d->result != RES_NONE && a->dst != b->dst)
		return false;
	for (int i = 0; i < d->nargs; i++) {
		const struct arg_desc *x = &d->args[i];

		switch ((enum arg_type)x->type) {
		case ARG_CACHE:
			if (a->has_cache != b->has_cache)
				return false;
			if ((a->has_cache || !(x->flags & ARGF_OPTIONAL)) && a->cache != b->cache)
				return false;
			break;
		case ARG_OBJ:
			if (a->obj != b->obj)
				return false;
			break;
		case ARG_OBJ_LIST:
			if (a->nlist != b->nlist ||
			    memcmp(a->list, b->list, a->nlist * sizeof(a->list[0])))
				return false;
			break;
		case ARG_SHEAF:
			if (a->sheaf != b->sheaf)
				return false;
			break;
		case ARG_CPU:
			if (a->target != b->target)
				return false;
			break;
		case ARG_INT:
			if (op_field_get(a, x) != op_field_get(b, x))
				return false;
			break;
		case ARG_GFP:
			if (a->gfp != b->gfp)
				return false;
			break;
		case ARG_FLAGS:
			if (a->flags != b->flags)
				return false;
			break;
		case ARG_WORD:
			if (a->word != b->word)
				return false;
			break;
		case ARG_CTX:
			break;
		}
	}
	return true;
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
