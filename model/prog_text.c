// SPDX-License-Identifier: GPL-2.0
/*
 * The text form of programs: one op per line, parsed and printed from the op table.
 *
 *	[cpuN] [irq|nmi] NAME ARG... [-> RESULT]
 *
 * Arguments may come in any order: handles (cN, oN, sN, cpuN) fill the entry's handle
 * arguments, key=value its integers, gfp= and flags=, bare words its word. Lines are
 * LF, CRLF or CR terminated; `#` starts a comment (any bytes), and the comments
 * `# expect:`, `# bug:` and `# expect-with-bug:` are the program's annotations.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

/* Handles above this are refused: a text program names its handles densely. */
#define TEXT_MAX_HANDLE	(1u << 24)

static const char *const gfp_names[NR_GFPC] = { "kernel", "nowait", "atomic", "memalloc",
						 "nomemalloc", "atomic_memalloc" };

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
	sb(&s, " kasan=%s quarantine=%s", m->kasan ? "on" : "off",
	   prog_quarantine_names[m->qidx & 7]);
	if (m->sched)
		sb(&s, " sched=on");
	if (m->nolockdep)
		sb(&s, " lockdep=off");
	if (m->nocmpxchg)
		sb(&s, " cmpxchg=off");
	if (m->pages)
		sb(&s, " pages=%u", m->pages);
	if (m->min_free)
		sb(&s, " min_free=%u", m->min_free);
}

void op_format(const struct op *op, char *buf, size_t len)
{
	const struct op_desc *d = &op_table[op->kind];
	struct sbuf s = { buf, len, 0 };

	buf[0] = 0;
	sb(&s, "cpu%u %s%s", op->cpu, op->ctx == CTX_IRQ ? "irq " : op->ctx == CTX_NMI ? "nmi " : "",
	   d->name);
	for (int i = 0; i < d->nargs; i++) {
		const struct arg_desc *a = &d->args[i];

		switch ((enum arg_type)a->type) {
		case ARG_CACHE:
			if (op->has_cache || !(a->flags & ARGF_OPTIONAL))
				sb(&s, " c%u", op->cache);
			break;
		case ARG_OBJ:
			sb(&s, " o%u", op->obj);
			break;
		case ARG_OBJ_LIST:
			for (int k = 0; k < op->nlist; k++)
				sb(&s, " o%u", op->list[k]);
			break;
		case ARG_SHEAF:
			sb(&s, " s%u", op->sheaf);
			break;
		case ARG_CPU:
			sb(&s, " cpu%u", op->target);
			break;
		case ARG_INT: {
			int32_t v = op_field_get(op, a);

			if (a->flags & ARGF_TEXT_RANGE)
				break;
			if (!(a->flags & ARGF_OPTIONAL) || (a->flags & ARGF_ALWAYS) || v != a->def)
				sb(&s, a->flags & ARGF_HEX ? " %s=0x%x" : " %s=%d", a->key, v);
			break;
		}
		case ARG_GFP:
			if (op->gfp)
				sb(&s, " gfp=%s", gfp_names[op->gfp % NR_GFPC]);
			break;
		case ARG_FLAGS:
			if (op->flags) {
				sb(&s, " flags=");
				for (unsigned int k = 0, first = 1; k < a->nwords; k++)
					if (op->flags & (1 << k)) {
						sb(&s, "%s%s", first ? "" : "|", a->words[k]);
						first = 0;
					}
			}
			break;
		case ARG_WORD:
			if (op->word < a->nwords && a->words[op->word])
				sb(&s, " %s", a->words[op->word]);
			break;
		case ARG_CTX:
			break;
		}
	}
	switch ((enum op_result)d->result) {
	case RES_CACHE:
		sb(&s, " -> c%u", op->dst);
		break;
	case RES_SHEAF:
		sb(&s, " -> s%u", op->dst);
		break;
	case RES_OBJS:
		if (op->n > 1) {
			sb(&s, " -> o%u..o%u", op->dst, op->dst + (uint32_t)op->n - 1);
			break;
		}
		/* fall through */
	case RES_OBJ:
		sb(&s, " -> o%u", op->dst);
		break;
	case RES_NONE:
		break;
	}
}

void program_print(const struct program *p, FILE *out)
{
	char buf[512];

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
	for (int i = 0; i < p->nr_dec; i++) {
		decision_format(&p->dec[i], buf, sizeof(buf));
		fprintf(out, "%s\n", buf);
	}
}

void decision_format(const struct decision *d, char *buf, size_t len)
{
	struct sbuf s = { buf, len, 0 };

	buf[0] = 0;
	/* an interrupt op's context is the action's word: "irq OP" or "nmi OP" */
	sb(&s, "@t%u %s:%u %s", d->task, d->point, d->occ,
	   d->action == ACT_IRQ && d->op.ctx == CTX_NMI ? "nmi" : sched_action_names[d->action]);
	switch ((enum sched_action)d->action) {
	case ACT_SWITCH:
		sb(&s, " t%u", d->arg);
		break;
	case ACT_MIGRATE:
	case ACT_CPU_DOWN:
	case ACT_CPU_UP:
	case ACT_WORK:
		sb(&s, " cpu%u", d->arg);
		break;
	case ACT_IRQ: {
		char opbuf[400];
		const char *o;

		op_format(&d->op, opbuf, sizeof(opbuf));
		/* the op without its "cpuN irq " prefix: the task's CPU and context are given */
		o = strchr(opbuf, ' ');
		o = o ? o + 1 : opbuf;
		if (!strncmp(o, "irq ", 4) || !strncmp(o, "nmi ", 4))
			o += 4;
		sb(&s, " %s", o);
		break;
	}
	default:
		break;
	}
}

/* ------------------------------------------------------------------ parser */

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

/* An integer (decimal, 0x, 0b, optionally negative) that fills [s, s+len). */
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

/* The machine line's on/off keys, each a uint8_t of struct machine (inverted: off sets it). */
static const struct machine_switch {
	const char *key;
	size_t offset;
	bool inverted;
} machine_switches[] = {
	{ "kasan", offsetof(struct machine, kasan), false },
	{ "lockdep", offsetof(struct machine, nolockdep), true },
	{ "cmpxchg", offsetof(struct machine, nocmpxchg), true },
	{ "sched", offsetof(struct machine, sched), false },
};

static const struct machine_switch *machine_switch_of(const char *key, int len)
{
	for (size_t k = 0; k < sizeof(machine_switches) / sizeof(machine_switches[0]); k++)
		if ((int)strlen(machine_switches[k].key) == len &&
		    !memcmp(key, machine_switches[k].key, (size_t)len))
			return &machine_switches[k];
	return NULL;
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

		const struct machine_switch *sw = machine_switch_of(tk[i].s, kl);

		if (sw) {
			bool on = vl == 2 && !memcmp(val, "on", 2);

			if (!on && !(vl == 3 && !memcmp(val, "off", 3)))
				return perror_at(pe, vcol, "%s is on or off", sw->key);
			*(uint8_t *)((char *)m + sw->offset) = on != sw->inverted;
		} else if (kl == 4 && !memcmp(tk[i].s, "cpus", 4)) {
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
		} else if (kl == 10 && !memcmp(tk[i].s, "quarantine", 10)) {
			int q = -1;
			for (int k = 0; k < PROG_NR_QSIZES; k++)
				if ((int)strlen(prog_quarantine_names[k]) == vl &&
				    !strncasecmp(val, prog_quarantine_names[k], (size_t)vl))
					q = k;
			if (q < 0 && parse_num(val, vl, &v))
				for (int k = 0; k < PROG_NR_QSIZES; k++)
					if ((size_t)v == prog_quarantine_sizes[k])
						q = k;
			if (q < 0)
				return perror_at(pe, vcol, "quarantine is one of 4K 8K 16K 64K 256K 512K 1M 2M");
			m->qidx = (uint8_t)q;
		} else if (kl == 5 && !memcmp(tk[i].s, "pages", 5)) {
			if (!parse_num(val, vl, &v) || v < PROG_MIN_PAGES || v > PROG_MAX_PAGES)
				return perror_at(pe, vcol, "pages must be %d..%d", PROG_MIN_PAGES,
						 PROG_MAX_PAGES);
			m->pages = (uint16_t)v;
		} else if (kl == 8 && !memcmp(tk[i].s, "min_free", 8)) {
			if (!parse_num(val, vl, &v) || v < 0 || v > PROG_MAX_PAGES / 4)
				return perror_at(pe, vcol, "min_free must be 0..%d", PROG_MAX_PAGES / 4);
			m->min_free = (uint16_t)v;
		} else if ((kl == 11 && !memcmp(tk[i].s, "double_free", 11)) ||
			   (kl == 6 && !memcmp(tk[i].s, "misuse", 6))) {
			/* accepted for symmetry; the parser derives it from the ops */
		} else {
			return perror_at(pe, tk[i].col, "unknown machine key `%.*s`", kl, tk[i].s);
		}
	}
	if (m->memoryless & ~((1u << m->nodes) - 1))
		return perror_at(pe, tk[0].col, "memoryless names a node >= nodes=%u", m->nodes);
	if (m->memoryless == (1u << m->nodes) - 1)
		return perror_at(pe, tk[0].col, "at least one node must have memory");
	if (m->min_free > (m->pages ? m->pages : PROG_MAX_PAGES) / 4)
		return perror_at(pe, tk[0].col, "min_free=%u is more than a quarter of pages=%u",
				 m->min_free, m->pages ? m->pages : PROG_MAX_PAGES);
	return 0;
}

static int lookup_kind(const struct tok *t)
{
	for (int k = 0; k < NR_OP_KINDS; k++)
		if (!(op_table[k].flags & OPF_PREFIX) && tok_is(t, op_table[k].name))
			return k;
	return -1;
}

/* key=value argument: returns the value, or NULL if t is not key=... */
static const char *kv(const struct tok *t, const char *key, int *vl)
{
	int kl = (int)strlen(key);

	if (t->len <= kl || memcmp(t->s, key, (size_t)kl) || t->s[kl] != '=')
		return NULL;
	*vl = t->len - kl - 1;
	return t->s + kl + 1;
}

static const struct arg_desc *find_arg(const struct op_desc *d, enum arg_type type, int *idx)
{
	for (int i = 0; i < d->nargs; i++)
		if (d->args[i].type == type || (type == ARG_OBJ && d->args[i].type == ARG_OBJ_LIST)) {
			*idx = i;
			return &d->args[i];
		}
	return NULL;
}

static const char *const handle_what[] = {
	[ARG_CACHE] = "cache", [ARG_OBJ] = "object", [ARG_SHEAF] = "sheaf", [ARG_CPU] = "CPU",
};

/* The result "-> h" or "-> oA..oB". */
static int parse_result(const struct op_desc *d, struct tok *tk, int i, int nt, struct op *op,
			struct perr *pe)
{
	const struct tok *arrow = &tk[i];
	long v, e;

	if (i + 1 >= nt)
		return perror_at(pe, arrow->col + 2, "expected a handle after ->");
	if (i + 2 < nt)
		return perror_at(pe, tk[i + 2].col, "one result after ->");
	if (d->result == RES_NONE)
		return perror_at(pe, arrow->col, "%s has no result", d->name);
	const struct tok *r = &tk[i + 1];
	const char *dots = NULL;
	for (int k = 0; k + 1 < r->len; k++)
		if (r->s[k] == '.' && r->s[k + 1] == '.')
			dots = r->s + k;
	char want = d->result == RES_CACHE ? 'c' : d->result == RES_SHEAF ? 's' : 'o';
	char pfx[2] = { want, 0 };
	struct tok first = *r;
	if (dots)
		first.len = (int)(dots - r->s);
	if (!parse_handle(&first, pfx, &v) || v >= TEXT_MAX_HANDLE)
		return perror_at(pe, r->col, "expected a %c handle", want);
	op->dst = (uint32_t)v;
	if (!dots)
		return 0;
	struct tok last = { dots + 2, r->len - first.len - 2, r->col + first.len + 2 };
	if (d->result != RES_OBJS)
		return perror_at(pe, r->col, "%s binds one result, not a range", d->name);
	if (!parse_handle(&last, "o", &e) || e < v)
		return perror_at(pe, last.col, "expected oN..oM with M >= N");
	if (e - v + 1 > PROG_MAX_LIST)
		return perror_at(pe, r->col, "%s allocates 1..%d objects", d->name, PROG_MAX_LIST);
	op->n = (int32_t)(e - v + 1);
	return 1;
}

static int parse_op_checked(struct tok *tk, int nt, struct op *op, const struct pstate *st,
			    struct perr *pe, bool check);

static int parse_op(struct tok *tk, int nt, struct op *op, const struct pstate *st,
		    struct perr *pe)
{
	return parse_op_checked(tk, nt, op, st, pe, true);
}

static int parse_op_checked(struct tok *tk, int nt, struct op *op, const struct pstate *st,
			    struct perr *pe, bool check)
{
	int i = 0;
	long v;
	bool seen[OP_MAX_ARGS] = { false };
	bool seen_result = false, range = false;

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
	const struct op_desc *d = &op_table[kind];
	op->kind = (uint8_t)kind;
	int opcol = tk[i].col;
	for (int k = 0; k < d->nargs; k++)
		if (d->args[k].type == ARG_INT)
			*op_field(op, &d->args[k]) = d->args[k].def;
	i++;

	for (; i < nt; i++) {
		struct tok *t = &tk[i];
		const struct arg_desc *a = NULL;
		const char *val = NULL;
		int vl = 0, ai = -1;
		enum arg_type ht;

		if (tok_is(t, "->")) {
			int rc = parse_result(d, tk, i, nt, op, pe);
			if (rc < 0)
				return -1;
			range = rc == 1;
			seen_result = true;
			break;
		}
		/* handles: cpuN before cN, which shares its first letter */
		if (parse_handle(t, "cpu", &v))
			ht = ARG_CPU;
		else if (parse_handle(t, "c", &v))
			ht = ARG_CACHE;
		else if (parse_handle(t, "o", &v))
			ht = ARG_OBJ;
		else if (parse_handle(t, "s", &v))
			ht = ARG_SHEAF;
		else
			ht = ARG_CTX;	/* not a handle */
		if (ht != ARG_CTX) {
			a = find_arg(d, ht, &ai);
			if (!a || (seen[ai] && a->type != ARG_OBJ_LIST))
				return perror_at(pe, t->col, "unexpected %s argument", handle_what[ht]);
			if (v >= (ht == ARG_CPU ? PROG_MAX_CPUS : (long)TEXT_MAX_HANDLE))
				return perror_at(pe, t->col, "%s handle out of range", handle_what[ht]);
			seen[ai] = true;
			switch (a->type) {
			case ARG_CACHE:
				op->cache = (uint32_t)v;
				op->has_cache = !!(a->flags & ARGF_OPTIONAL);
				break;
			case ARG_OBJ:
				op->obj = (uint32_t)v;
				break;
			case ARG_OBJ_LIST:
				if (op->nlist >= PROG_MAX_LIST)
					return perror_at(pe, t->col, "%s takes 1..%d objects", d->name,
							 PROG_MAX_LIST);
				op->list[op->nlist++] = (uint32_t)v;
				break;
			case ARG_SHEAF:
				op->sheaf = (uint32_t)v;
				break;
			default:
				op->target = (uint8_t)v;
				break;
			}
			continue;
		}
		for (int k = 0; k < d->nargs && !a; k++) {
			const struct arg_desc *x = &d->args[k];

			if ((x->type == ARG_INT && (val = kv(t, x->key, &vl))) ||
			    (x->type == ARG_GFP && (val = kv(t, "gfp", &vl))) ||
			    (x->type == ARG_FLAGS && (val = kv(t, "flags", &vl)))) {
				a = x;
				ai = k;
			} else if (x->type == ARG_WORD) {
				for (int w = 0; w < x->nwords; w++)
					if (x->words[w] && tok_is(t, x->words[w])) {
						a = x;
						ai = k;
						op->word = (uint8_t)w;
					}
			}
		}
		if (!a)
			return perror_at(pe, t->col, "unexpected argument `%.*s`", t->len, t->s);
		if (seen[ai])
			return perror_at(pe, t->col, "`%.*s` given twice", t->len, t->s);
		seen[ai] = true;
		int vcol = t->col + (int)(val ? val - t->s : 0);
		if (a->type == ARG_INT) {
			if (!parse_num(val, vl, &v) || v < a->min || v > a->max)
				return perror_at(pe, vcol, "%s must be %d..%d", a->key, a->min, a->max);
			*op_field(op, a) = (int32_t)v;
		} else if (a->type == ARG_GFP) {
			int g = -1;
			for (int k = 0; k < NR_GFPC; k++)
				if ((int)strlen(gfp_names[k]) == vl && !memcmp(val, gfp_names[k], (size_t)vl))
					g = k;
			if (g < 0)
				return perror_at(pe, vcol, "gfp is kernel, nowait, atomic, memalloc, nomemalloc or atomic_memalloc");
			op->gfp = (uint8_t)g;
		} else if (a->type == ARG_FLAGS) {
			const char *p = val, *end = val + vl;
			while (p < end) {
				const char *bar = memchr(p, '|', (size_t)(end - p));
				if (!bar)
					bar = end;
				int f = -1;
				for (int k = 0; k < a->nwords; k++)
					if ((long)strlen(a->words[k]) == bar - p &&
					    !memcmp(p, a->words[k], (size_t)(bar - p)))
						f = k;
				if (bar - p == 4 && !memcmp(p, "none", 4))
					f = 31;
				if (f < 0)
					return perror_at(pe, vcol + (int)(p - val), "unknown flag `%.*s`",
							 (int)(bar - p), p);
				if (f != 31)
					op->flags |= 1 << f;
				p = bar + 1;
			}
		}
	}

	/* what the entry requires */
	if (d->result != RES_NONE && !seen_result)
		return perror_at(pe, tk[nt - 1].col + tk[nt - 1].len, "%s needs a result: -> handle",
				 d->name);
	for (int k = 0; k < d->nargs; k++) {
		const struct arg_desc *a = &d->args[k];

		if (a->type == ARG_INT && (a->flags & ARGF_TEXT_RANGE)) {
			if (range && seen[k])
				return perror_at(pe, opcol, "%s: give the count as n= or as a range, not both",
						 d->name);
			continue;
		}
		if (seen[k] || (a->flags & ARGF_OPTIONAL) || a->type == ARG_CTX || a->type == ARG_GFP ||
		    a->type == ARG_FLAGS)
			continue;
		switch ((enum arg_type)a->type) {
		case ARG_INT:
			return perror_at(pe, opcol, "%s needs %s=", d->name, a->key);
		case ARG_WORD: {
			char words[128] = "";
			for (int w = 0; w < a->nwords; w++)
				if (a->words[w])
					snprintf(words + strlen(words), sizeof(words) - strlen(words),
						 "%s%s", w ? " or " : "", a->words[w]);
			return perror_at(pe, opcol, "%s needs %s", d->name, words);
		}
		case ARG_OBJ_LIST:
			return perror_at(pe, opcol, "%s needs objects", d->name);
		default:
			return perror_at(pe, opcol, "%s needs a%s %s (%s%s)", d->name,
					 a->type == ARG_OBJ ? "n" : "", handle_what[a->type],
					 a->type == ARG_CPU ? "cpu" : a->type == ARG_CACHE ? "c" :
					 a->type == ARG_SHEAF ? "s" : "o",
					 "N");
		}
	}

	char msg[200];
	if (check && prog_check(st, op, msg, sizeof(msg)))
		return perror_at(pe, opcol, "%s", msg);
	return 0;
}

/* "@tN SP_name:K action [arg]": a schedule decision (the irq op is checked when it runs). */
static int parse_decision(struct tok *tk, int nt, struct decision *d, const struct pstate *st,
			  struct perr *pe)
{
	long v;
	int a = -1;

	memset(d, 0, sizeof(*d));
	if (!parse_handle(&(struct tok){ tk[0].s + 1, tk[0].len - 1, tk[0].col + 1 }, "t", &v) ||
	    v >= SCHED_MAX_TASKS)
		return perror_at(pe, tk[0].col, "a decision starts with @tN (N < %d)", SCHED_MAX_TASKS);
	d->task = (uint8_t)v;
	if (nt < 3)
		return perror_at(pe, tk[0].col, "expected @tN SP_point:K action");
	const char *hash = memchr(tk[1].s, ':', (size_t)tk[1].len);
	int pl = hash ? (int)(hash - tk[1].s) : 0;
	if (!hash || pl < 1 || pl >= SCHED_POINT_NAME_LEN ||
	    !parse_num(hash + 1, tk[1].len - pl - 1, &v) || v < 1)
		return perror_at(pe, tk[1].col, "expected a scheduling point SP_name:K (K >= 1)");
	memcpy(d->point, tk[1].s, (size_t)pl);
	d->point[pl] = 0;
	d->occ = (uint32_t)v;
	for (int k = 0; k < NR_SCHED_ACTIONS; k++)
		if (tok_is(&tk[2], sched_action_names[k]))
			a = k;
	if (tok_is(&tk[2], "nmi"))
		a = ACT_IRQ;
	if (a < 0)
		return perror_at(pe, tk[2].col, "unknown decision `%.*s`", tk[2].len, tk[2].s);
	d->action = (uint8_t)a;
	switch ((enum sched_action)a) {
	case ACT_SWITCH:
		if (nt != 4 || !parse_handle(&tk[3], "t", &v) || v >= SCHED_MAX_TASKS)
			return perror_at(pe, tk[2].col, "switch needs a task tN (N < %d)", SCHED_MAX_TASKS);
		d->arg = (uint8_t)v;
		return 0;
	case ACT_MIGRATE:
	case ACT_CPU_DOWN:
	case ACT_CPU_UP:
	case ACT_WORK:
		if (nt != 4 || !parse_handle(&tk[3], "cpu", &v) || v >= st->m.cpus)
			return perror_at(pe, tk[2].col, "%s needs a CPU cpuN of the machine",
					 sched_action_names[a]);
		d->arg = (uint8_t)v;
		return 0;
	case ACT_IRQ: {
		/* "irq OP" or "nmi OP": the op in that context on the task's CPU */
		struct tok sub[MAX_TOKS];
		int n = 0;

		sub[n++] = tk[2];
		for (int i = 3; i < nt; i++)
			sub[n++] = tk[i];
		if (n < 2)
			return perror_at(pe, tk[2].col, "irq needs an op");
		if (parse_op_checked(sub, n, &d->op, st, pe, false))
			return -1;
		if (!(op_table[d->op.kind].ctx & (d->op.ctx == CTX_NMI ? CTXF_NMI : CTXF_IRQ | CTXF_IRQ_NOWAIT)))
			return perror_at(pe, tk[3].col, "%s does not run in interrupt context",
					 op_table[d->op.kind].name);
		return 0;
	}
	default:
		if (nt != 3)
			return perror_at(pe, tk[3].col, "%s takes no argument", sched_action_names[a]);
		return 0;
	}
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

/* The next line: LF, CRLF or a lone CR ends it. */
static size_t next_line(const char *text, size_t len, size_t pos, size_t *ll)
{
	size_t n = 0;

	while (pos + n < len && text[pos + n] != '\n' && text[pos + n] != '\r')
		n++;
	*ll = n;
	if (pos + n < len && text[pos + n] == '\r' && pos + n + 1 < len && text[pos + n + 1] == '\n')
		return pos + n + 2;
	return pos + n + 1;
}

int program_parse(const char *text, size_t len, struct program *p, char *err, size_t errlen)
{
	static __thread struct pstate st;
	struct perr pe = { err, errlen, 0 };
	struct tok tk[MAX_TOKS];
	size_t pos = 0;
	bool machine_seen = false;

	program_clear(p);
	pstate_init(&st, &p->m);
	while (pos < len) {
		const char *line = text + pos;
		size_t ll;

		pos = next_line(text, len, pos, &ll);
		pe.line++;

		/* directives and comments */
		size_t k = 0;
		while (k < ll && (line[k] == ' ' || line[k] == '\t'))
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
			for (unsigned int dd = 0; dd < sizeof(dirs) / sizeof(dirs[0]); dd++) {
				int dl = (int)strlen(dirs[dd].key);
				if (cl >= dl && !memcmp(c, dirs[dd].key, (size_t)dl))
					copy_directive((char *)p + dirs[dd].off, dirs[dd].cap, c + dl, cl - dl);
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
			if (line[j] == ' ' || line[j] == '\t') {
				j++;
				continue;
			}
			if (nt == MAX_TOKS)
				return perror_at(&pe, (int)j + 1, "line too long");
			tk[nt].s = line + j;
			tk[nt].col = (int)j + 1;
			while (j < ll && line[j] != ' ' && line[j] != '\t')
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
			/* the parser accepts deliberate misuse; the flag follows from the ops */
			p->m.misuse = 1;
			pstate_init(&st, &p->m);
			continue;
		}
		if (tk[0].s[0] == '@') {
			if (!p->m.sched)
				return perror_at(&pe, 1, "a schedule decision needs `machine ... sched=on`");
			if (parse_decision(tk, nt, program_append_decision(p), &st, &pe)) {
				p->nr_dec--;
				return -1;
			}
			continue;
		}
		if (!machine_seen) {
			machine_seen = true;
			p->m.misuse = 1;
			pstate_init(&st, &p->m);
		}
		struct op *op = program_append(p);
		if (parse_op(tk, nt, op, &st, &pe)) {
			p->nr_ops--;
			return -1;
		}
		prog_apply(&st, op);
		p->line[p->nr_ops - 1] = pe.line;
	}
	p->m.misuse = program_has_misuse(p);
	return 0;
}
