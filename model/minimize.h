/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The minimiser: shrinks a failing program while it keeps its report signature. Generic
 * over the op table: schedule decisions and ops are removed (ddmin, then one at a time),
 * then each op's
 * arguments are tried at their defaults, its context at task, its CPU at 0, its kind at
 * the entry's `simpler` kind, and the machine at its smallest shape.
 */
#ifndef MODEL_MINIMIZE_H
#define MODEL_MINIMIZE_H

#include "ops.h"

struct minimize_stats {
	int ops_before, ops_after;
	unsigned long runs;
};

/* p fails with `sig`; on return it is the smallest program found, in canonical names,
 * still failing with `sig`. Returns 0, or -1 if the canonical program lost the signature
 * (p is then the last program that kept it). */
int program_minimize(struct program *p, const char *sig, struct minimize_stats *st);

#endif
