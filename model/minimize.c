// SPDX-License-Identifier: GPL-2.0
/*
 * Delta debugging over ops and schedule decisions, then generic simplification over the
 * op table.
 */
#include <string.h>
#include "exec.h"
#include "minimize.h"

static const char *min_sig;
static unsigned long min_runs;

static bool still_fails(const struct program *c)
{
	static struct exec_result r;
	struct exec_opts o = { .quiet = true };
	char err[160];
	int bad;

	if (program_validate(c, &bad, err, sizeof(err)))
		return false;
	min_runs++;
	exec_program(c, &o, &r);
	return r.failed && !strcmp(r.sig, min_sig);
}

static void ddmin(struct program *best, struct program *cand)
{
	int n = 2;

	while (best->nr_ops >= 2) {
		int chunk = (best->nr_ops + n - 1) / n;
		bool reduced = false;

		for (int start = 0; start < best->nr_ops; start += chunk) {
			int len = chunk < best->nr_ops - start ? chunk : best->nr_ops - start;
			program_copy(cand, best);
			program_remove(cand, start, len);
			if (still_fails(cand)) {
				program_copy(best, cand);
				n = n > 2 ? n - 1 : 2;
				reduced = true;
				break;
			}
		}
		if (reduced)
			continue;
		if (n >= best->nr_ops)
			break;
		n = n * 2 < best->nr_ops ? n * 2 : best->nr_ops;
	}
	/* one-op removal to a fixpoint: ddmin's granularity can miss pairs */
	for (bool again = true; again;) {
		again = false;
		for (int i = best->nr_ops - 1; i >= 0; i--) {
			program_copy(cand, best);
			program_remove(cand, i, 1);
			if (still_fails(cand)) {
				program_copy(best, cand);
				again = true;
			}
		}
	}
}

/* Schedule decisions: drop each one that the failure does not need. */
static void drop_decisions(struct program *best, struct program *cand)
{
	for (int i = best->nr_dec - 1; i >= 0; i--) {
		program_copy(cand, best);
		program_remove_decision(cand, i);
		if (still_fails(cand))
			program_copy(best, cand);
	}
}

/* Keep cand if it still fails, else restore it from best. */
static void try_keep(struct program *best, struct program *cand)
{
	if (still_fails(cand))
		program_copy(best, cand);
	else
		program_copy(cand, best);
}

static void simplify_op(struct program *best, struct program *cand, int i)
{
	const struct op_desc *d = &op_table[best->ops[i].kind];
	struct op *op = &cand->ops[i];

	if (op->ctx) {
		op->ctx = CTX_TASK;
		try_keep(best, cand);
	}
	if (op->cpu) {
		op->cpu = 0;
		try_keep(best, cand);
	}
	if (d->simpler >= 0) {
		op->kind = (uint8_t)d->simpler;
		try_keep(best, cand);
		d = &op_table[best->ops[i].kind];
	}
	for (int k = 0; k < d->nargs; k++) {
		const struct arg_desc *a = &d->args[k];

		switch ((enum arg_type)a->type) {
		case ARG_INT:
			if ((a->flags & ARGF_OPTIONAL) && op_field_get(op, a) != a->def) {
				*op_field(op, a) = a->def;
				try_keep(best, cand);
			}
			/* sizes: the common one */
			if (!(a->flags & ARGF_OPTIONAL) && a->min <= 64 && a->max >= 64 &&
			    op_field_get(op, a) != 64 && !strcmp(a->key, "size")) {
				*op_field(op, a) = 64;
				try_keep(best, cand);
			}
			break;
		case ARG_GFP:
			if (op->gfp) {
				op->gfp = GFPC_KERNEL;
				try_keep(best, cand);
			}
			break;
		case ARG_FLAGS:
			for (int b = 0; b < a->nwords; b++)
				if (op->flags & (1 << b)) {
					op->flags &= ~(1 << b);
					try_keep(best, cand);
				}
			break;
		case ARG_CACHE:
			if ((a->flags & ARGF_OPTIONAL) && op->has_cache) {
				op->has_cache = 0;
				try_keep(best, cand);
			}
			break;
		case ARG_WORD:
			if ((a->flags & ARGF_OPTIONAL) && op->word) {
				op->word = 0;
				try_keep(best, cand);
			}
			break;
		default:
			break;
		}
	}
}

static void simplify(struct program *best, struct program *cand)
{
	program_copy(cand, best);
	for (int i = 0; i < best->nr_ops; i++)
		simplify_op(best, cand, i);
	for (int c = 1; c < best->m.cpus; c++) {
		cand->m.cpus = (uint8_t)c;
		try_keep(best, cand);
	}
	for (int n = 1; n < best->m.nodes; n++) {
		cand->m.nodes = (uint8_t)n;
		cand->m.memoryless &= (uint8_t)((1u << n) - 1);
		try_keep(best, cand);
	}
	if (best->m.memoryless) {
		cand->m.memoryless = 0;
		try_keep(best, cand);
	}
	if (best->m.qidx) {
		cand->m.qidx = 0;
		try_keep(best, cand);
	}
}

int program_minimize(struct program *p, const char *sig, struct minimize_stats *st)
{
	static struct program cand, best;

	min_sig = sig;
	min_runs = 0;
	st->ops_before = p->nr_ops;
	program_copy(&best, p);
	drop_decisions(&best, &cand);
	ddmin(&best, &cand);
	simplify(&best, &cand);
	ddmin(&best, &cand);
	drop_decisions(&best, &cand);
	program_copy(&cand, &best);
	program_canonicalize(&cand);
	st->runs = min_runs;
	/* canonical names never change behaviour; this guards the claim */
	if (!still_fails(&cand)) {
		program_copy(p, &best);
		st->ops_after = p->nr_ops;
		return -1;
	}
	program_copy(p, &cand);
	st->ops_after = p->nr_ops;
	st->runs = min_runs;
	return 0;
}
