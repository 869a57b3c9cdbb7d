// SPDX-License-Identifier: GPL-2.0
/*
 * The binary form of programs, for fuzzers. Every byte string decodes to a valid program.
 *
 * Layout:
 *   header, 2 bytes (3 with memory pressure):
 *     byte 0: bits 0-2 cpus-1, bits 3-4 nodes-1, bit 5 KASAN off, bit 6 no double-word
 *             cmpxchg (the slab_lock() fallback), bit 7 memory pressure: byte 2 follows
 *     byte 1: bits 0-3 memoryless node mask (never every node: node 0 then keeps its
 *             memory), bits 4-6 quarantine size index, bit 7 misuse allowed
 *     byte 2: bits 0-2 the page budget per node, bits 3-5 the min watermark, indexes into
 *             bin_pages[] and bin_min_free[] (min at most a quarter of the budget)
 *   then ops until the input ends or PROG_BIN_MAX_OPS ops were decoded. An op is
 *     op byte: bits 0-4 the opcode (31: escape, the next byte e gives opcode 31 + e),
 *              bits 5-7 the CPU, taken modulo the online CPUs
 *     then its arguments in the order of its op_table[] entry:
 *       cache, object, sheaf, CPU   a selector: one byte (two, little-endian, when there
 *                                   are more than 256 candidates) taken modulo the
 *                                   candidates in handle order; an optional cache has
 *                                   "none" as candidate 0
 *       object list                 a count byte (1 + b % 16, at most the candidates),
 *                                   then a selector per object, without replacement
 *       integer                     ENC_U8 one byte, ENC_U16 two (little-endian), both
 *                                   min + v % (max - min + 1); ENC_POW2 one byte, k = b % 8
 *                                   gives 0 or 8 << (k - 1); ENC_NODE one byte, b %
 *                                   (nodes + 1), where nodes means NUMA_NO_NODE
 *       gfp, word                   one byte, modulo the choices
 *       flags                       one byte, masked to the known flags
 *       context                     one byte, modulo 3 (task, irq, nmi); an irq prefix wins
 *   The `irq` prefix (binary only) makes the next op run in interrupt context on its CPU,
 *   or NMI context when its word byte is odd. An op decoded in interrupt context, or on
 *   a CPU inside rcu_read_lock(), with a gfp that sleeps gets gfp=atomic instead
 *   (atomic_memalloc for memalloc).
 *   An op whose handle argument has no candidate, whose opcode is unused, or that the
 *   validity rules refuse, is skipped after its bytes were read.
 */
#include <string.h>
#include "ops.h"

struct reader {
	const uint8_t *p;
	size_t len, pos;
};

static uint8_t rd(struct reader *r)
{
	return r->pos < r->len ? r->p[r->pos++] : 0;
}

/* A selector over n choices: one byte, two when there are more than 256. */
static int rd_sel(struct reader *r, int n)
{
	unsigned int v = rd(r);

	if (n > 256)
		v |= (unsigned int)rd(r) << 8;
	return n ? (int)(v % (unsigned int)n) : -1;
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

static void wr_sel(struct writer *w, int n, int idx)
{
	wr(w, (unsigned int)idx & 0xff);
	if (n > 256)
		wr(w, (unsigned int)idx >> 8);
}

static int cands_find(const struct cands *c, uint32_t v)
{
	for (int i = 0; i < c->n; i++)
		if (c->v[i] == v)
			return i;
	return -1;
}

/* Budgets small enough that programs of a few dozen ops reach the watermarks. */
static const uint16_t bin_pages[8] = { 64, 128, 256, 512, 1024, 2048, 4096, PROG_MAX_PAGES };
static const uint16_t bin_min_free[8] = { 4, 8, 16, 32, 64, 128, 1, 0 };

static int index_of(const uint16_t *v, uint16_t x)
{
	for (int i = 0; i < 8; i++)
		if (v[i] == x)
			return i;
	return -1;
}

static void decode_header(struct reader *r, struct machine *m)
{
	uint8_t b0 = rd(r), b1 = rd(r);

	m->cpus = 1 + (b0 & 7);
	m->nodes = 1 + ((b0 >> 3) & 3);
	m->kasan = !(b0 & 0x20);
	m->nocmpxchg = !!(b0 & 0x40);
	m->memoryless = b1 & ((1u << m->nodes) - 1) & 0xf;
	if (m->memoryless == (1u << m->nodes) - 1)
		m->memoryless &= (uint8_t)~1u;
	m->qidx = (b1 >> 4) & 7;
	m->misuse = !!(b1 & 0x80);
	if (b0 & 0x80) {
		uint8_t b2 = rd(r);

		m->pages = bin_pages[b2 & 7];
		m->min_free = bin_min_free[(b2 >> 3) & 7];
		if (m->min_free > m->pages / 4)
			m->min_free = (uint16_t)(m->pages / 4);
	}
}

/* The machine's pressure settings as header byte 2, or -1 if it has none or the binary
 * form cannot say them. */
static int pressure_byte(const struct machine *m)
{
	int p, f;

	if (!m->pages && !m->min_free)
		return -1;
	p = index_of(bin_pages, m->pages ? m->pages : PROG_MAX_PAGES);
	f = index_of(bin_min_free, m->min_free);
	if (p < 0 || f < 0 || bin_min_free[f] > bin_pages[p] / 4)
		return -2;
	return p | f << 3;
}

size_t program_header_size(const struct machine *m)
{
	return pressure_byte(m) >= 0 ? 3 : 2;
}

static void encode_header(struct writer *w, const struct machine *m)
{
	int pb = pressure_byte(m);

	if (pb == -2)
		w->overflow = true;	/* pages= or min_free= the binary form has no index for */
	wr(w, (m->cpus - 1u) | ((m->nodes - 1u) << 3) | (m->kasan ? 0 : 0x20) |
	      (m->nocmpxchg ? 0x40 : 0) | (pb >= 0 ? 0x80 : 0));
	wr(w, (m->memoryless & 0xf) | ((m->qidx & 7u) << 4) | (m->misuse ? 0x80 : 0));
	if (pb >= 0)
		wr(w, (unsigned int)pb);
}

static void set_handle(struct op *op, const struct arg_desc *a, uint32_t h)
{
	switch ((enum arg_type)a->type) {
	case ARG_CACHE:
		op->cache = h;
		break;
	case ARG_SHEAF:
		op->sheaf = h;
		break;
	case ARG_CPU:
		op->target = (uint8_t)h;
		break;
	default:
		op->obj = h;
		break;
	}
}

static int32_t int_range(const struct pstate *st, const struct arg_desc *a)
{
	return a->max - a->min + 1;
}

static bool atomic_ctx(const struct pstate *st, const struct op *op)
{
	return op->ctx != CTX_TASK ||
	       (st->reader_depth[op->cpu] && !(op_table[op->kind].flags & OPF_READER));
}

void op_bind_fresh(const struct pstate *st, struct op *op)
{
	switch ((enum op_result)op_table[op->kind].result) {
	case RES_CACHE:
		op->dst = st->next_cache;
		break;
	case RES_SHEAF:
		op->dst = st->next_sheaf;
		break;
	case RES_OBJ:
	case RES_OBJS:
		op->dst = st->next_obj;
		break;
	default:
		break;
	}
}

/* The online CPUs in order: the op byte's CPU selector picks among them. */
static int online_cpus(const struct pstate *st, uint32_t *v)
{
	int n = 0;

	for (uint32_t c = 0; c < st->m.cpus; c++)
		if (st->online & (1u << c))
			v[n++] = c;
	return n;
}

/* One op from the reader; false if it is not an op of the program (skipped, or a prefix). */
static bool decode_op(struct reader *r, struct pstate *st, uint64_t kinds, struct op *op)
{
	static __thread struct cands c;
	uint32_t cpus[PROG_MAX_CPUS];
	uint8_t b = rd(r);
	unsigned int code = b & 31;
	bool ok = true;
	int kind;

	if (code == 31)
		code += rd(r);
	kind = op_kind_of_opcode(code);
	memset(op, 0, sizeof(*op));
	op->node = -1;
	if (kind < 0)
		return false;
	op->kind = (uint8_t)kind;
	op->cpu = (uint8_t)cpus[(b >> 5) % (unsigned int)online_cpus(st, cpus)];
	if (st->pending_ctx >= 0) {
		op->ctx = (uint8_t)st->pending_ctx;
		op->cpu = (uint8_t)st->pending_cpu;
		st->pending_ctx = -1;
	}

	const struct op_desc *d = &op_table[kind];
	for (int i = 0; i < d->nargs; i++) {
		const struct arg_desc *a = &d->args[i];
		int sel;

		switch ((enum arg_type)a->type) {
		case ARG_CACHE:
		case ARG_OBJ:
		case ARG_SHEAF:
		case ARG_CPU: {
			bool opt = a->flags & ARGF_OPTIONAL;

			cands_build(st, op, a, &c);
			sel = rd_sel(r, c.n + opt);
			if (opt && sel == 0)
				break;
			if (sel < 0) {
				ok = false;
				break;
			}
			set_handle(op, a, c.v[sel - opt]);
			if (opt)
				op->has_cache = 1;
			break;
		}
		case ARG_OBJ_LIST: {
			unsigned int n = 1 + rd(r) % PROG_MAX_LIST;

			cands_build(st, op, a, &c);
			if (n > (unsigned int)c.n)
				n = (unsigned int)c.n;
			if (!n)
				ok = false;
			for (unsigned int k = 0; k < n; k++) {
				int j = rd_sel(r, c.n);
				op->list[k] = c.v[j];
				memmove(&c.v[j], &c.v[j + 1], (size_t)(c.n - j - 1) * sizeof(c.v[0]));
				c.n--;
			}
			op->nlist = (uint8_t)n;
			break;
		}
		case ARG_INT: {
			int32_t *f = op_field(op, a);
			unsigned int v = rd(r);

			switch ((enum arg_enc)a->enc) {
			case ENC_U16:
				v |= (unsigned int)rd(r) << 8;
				/* fall through */
			case ENC_U8:
				*f = a->min + (int32_t)(v % (unsigned int)int_range(st, a));
				break;
			case ENC_POW2:
				v %= 8;
				*f = v ? 8 << (v - 1) : 0;
				break;
			case ENC_NODE:
				v %= st->m.nodes + 1u;
				*f = v == st->m.nodes ? -1 : (int32_t)v;
				break;
			}
			break;
		}
		case ARG_GFP:
			op->gfp = rd(r) % NR_GFPC;
			break;
		case ARG_FLAGS:
			op->flags = rd(r) & ((1u << a->nwords) - 1);
			break;
		case ARG_WORD:
			op->word = rd(r) % a->nwords;
			break;
		case ARG_CTX: {
			uint8_t v = rd(r) % NR_CTX;
			if (op->ctx == CTX_TASK)
				op->ctx = v;
			break;
		}
		}
	}
	if (d->flags & OPF_PREFIX) {
		st->pending_ctx = (int8_t)(CTX_IRQ + op->word);
		st->pending_cpu = (int8_t)op->cpu;
		return false;
	}
	if (!ok || !(kinds & (1ull << kind)))
		return false;
	if (gfpc_may_sleep(op->gfp) && atomic_ctx(st, op))
		op->gfp = op->gfp == GFPC_MEMALLOC ? GFPC_ATOMIC_MEMALLOC : GFPC_ATOMIC;
	op_bind_fresh(st, op);
	return true;
}

void program_decode(const uint8_t *data, size_t size, struct program *p)
{
	static __thread struct pstate st;
	static __thread char err[160];
	struct reader r = { data, size, 0 };

	program_clear(p);
	decode_header(&r, &p->m);
	pstate_init(&st, &p->m);
	while (r.pos < r.len && p->nr_ops < PROG_BIN_MAX_OPS) {
		struct op *op = program_append(p);

		/* context rules, hotplug limits and the rest: one statement in prog_check */
		if (!decode_op(&r, &st, ~0ull, op) || prog_check(&st, op, err, sizeof(err))) {
			p->nr_ops--;
			continue;
		}
		prog_apply(&st, op);
	}
}

bool op_decode_one(struct pstate *st, const uint8_t *bytes, size_t len, uint64_t kinds,
		   struct op *op)
{
	char err[160];
	struct reader r = { bytes, len, 0 };

	while (r.pos < r.len) {
		if (decode_op(&r, st, kinds, op) && !prog_check(st, op, err, sizeof(err)))
			return true;
	}
	st->pending_ctx = -1;
	return false;
}

/* The opcode of the context prefix (the entry flagged OPF_PREFIX). */
static unsigned int prefix_opcode(void)
{
	for (int k = 0; k < NR_OP_KINDS; k++)
		if (op_table[k].flags & OPF_PREFIX)
			return op_table[k].opcode;
	return 0;
}

static void encode_op(struct writer *w, const struct pstate *st, const struct op *op)
{
	static __thread struct cands c;
	const struct op_desc *d = &op_table[op->kind];
	uint32_t cpus[PROG_MAX_CPUS];
	int ncpus = online_cpus(st, cpus), cpuidx = 0;
	bool own_ctx = false;

	for (int i = 0; i < d->nargs; i++)
		own_ctx |= d->args[i].type == ARG_CTX;
	for (int i = 0; i < ncpus; i++)
		if (cpus[i] == op->cpu)
			cpuidx = i;
	unsigned int cpusel = (unsigned int)cpuidx << 5;
	if (op->ctx != CTX_TASK && !own_ctx) {
		wr(w, prefix_opcode() | cpusel);
		wr(w, op->ctx == CTX_NMI);
	}
	if (d->opcode >= 31) {
		wr(w, 31 | cpusel);
		wr(w, d->opcode - 31u);
	} else {
		wr(w, d->opcode | cpusel);
	}
	for (int i = 0; i < d->nargs; i++) {
		const struct arg_desc *a = &d->args[i];

		switch ((enum arg_type)a->type) {
		case ARG_CACHE:
		case ARG_OBJ:
		case ARG_SHEAF:
		case ARG_CPU: {
			bool opt = a->flags & ARGF_OPTIONAL;

			cands_build(st, op, a, &c);
			if (opt && !op->has_cache)
				wr_sel(w, c.n + 1, 0);
			else
				wr_sel(w, c.n + opt, cands_find(&c, op_arg_handle(op, a)) + opt);
			break;
		}
		case ARG_OBJ_LIST:
			wr(w, op->nlist - 1u);
			cands_build(st, op, a, &c);
			for (int j = 0; j < op->nlist; j++) {
				int k = cands_find(&c, op->list[j]);
				wr_sel(w, c.n, k);
				memmove(&c.v[k], &c.v[k + 1], (size_t)(c.n - k - 1) * sizeof(c.v[0]));
				c.n--;
			}
			break;
		case ARG_INT: {
			int32_t v = op_field_get(op, a);

			switch ((enum arg_enc)a->enc) {
			case ENC_U8:
				wr(w, (unsigned int)(v - a->min));
				break;
			case ENC_U16:
				wr(w, (unsigned int)(v - a->min) & 0xff);
				wr(w, (unsigned int)(v - a->min) >> 8);
				break;
			case ENC_POW2:
				wr(w, v ? (unsigned int)__builtin_ctz((unsigned int)v) - 2 : 0);
				break;
			case ENC_NODE:
				wr(w, v < 0 ? st->m.nodes : (unsigned int)v);
				break;
			}
			break;
		}
		case ARG_GFP:
			wr(w, op->gfp);
			break;
		case ARG_FLAGS:
			wr(w, (unsigned int)op->flags);
			break;
		case ARG_WORD:
			wr(w, op->word);
			break;
		case ARG_CTX:
			wr(w, op->ctx);
			break;
		}
	}
}

long op_encode(const struct pstate *st, const struct op *op, uint8_t *buf, size_t cap)
{
	struct writer w = { buf, cap, 0, false };

	encode_op(&w, st, op);
	return w.overflow ? -1 : (long)w.pos;
}

long program_encode(const struct program *in, uint8_t *buf, size_t cap)
{
	static __thread struct program p;
	static __thread struct pstate st;
	struct writer w = { buf, cap, 0, false };
	char err[160];
	int bad;

	if (in->nr_ops > PROG_BIN_MAX_OPS || program_validate(in, &bad, err, sizeof(err)))
		return -1;
	program_copy(&p, in);
	program_canonicalize(&p);
	p.m.misuse = program_has_misuse(&p);
	encode_header(&w, &p.m);
	pstate_init(&st, &p.m);
	for (int k = 0; k < p.nr_ops; k++) {
		encode_op(&w, &st, &p.ops[k]);
		prog_apply(&st, &p.ops[k]);
	}
	return w.overflow ? -1 : (long)w.pos;
}
