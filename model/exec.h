/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The executor: runs a program against the allocator and the model, one op at a time, on
 * a freshly reset machine (slab_reset + platform_init + kmem_cache_init per program).
 *
 * Reports the model expects (the SLAB_LEAK of a destroy with live objects, the DOUBLE_FREE
 * of a deliberate double free) are consumed; any other report fails the program at that op.
 * In abort mode (fuzzing) the first unexpected report aborts after printing the op index
 * and the last 20 ops; in count mode (the CLI) the program stops there and the result
 * carries the report signature.
 */
#ifndef MODEL_EXEC_H
#define MODEL_EXEC_H

#include <stdio.h>
#include "ops.h"
#include "slab.h"

struct exec_opts {
	bool trace;		/* print each op and its result to `out` */
	bool abort_mode;	/* REPORT_ABORT: the fuzz target */
	bool quiet;		/* print no reports and no context (minimiser) */
	bool history;		/* record KASAN object histories (reports print them) */
	FILE *out;		/* trace and context; NULL: stderr */
};

struct exec_result {
	bool failed;
	long fail_op;			/* op index; nr_ops for the end-of-program checks */
	char sig[PROG_SIG_LEN];		/* "KIND in function" or "MODEL_rule in op" */
	int consumed;			/* expected reports consumed */
	int ops_skipped;		/* ops naming a handle whose allocation returned NULL */
	uint64_t digest;		/* of the path the run took (exec_digest): equal on replay */
};

/* Mix one step of the run's path (an op, a scheduling point reached) into its digest:
 * two runs of one input took the same path iff (with overwhelming likelihood) their
 * digests are equal. The determinism checks compare it across processes and orders. */
void exec_digest(uint64_t v);
/* The digest of the last exec_program() run (for drivers that do not see its result). */
uint64_t exec_last_digest(void);

/* The SLAB_* flags of a create op's flags= (the executor's and slab-stress's caches). */
slab_flags_t exec_slab_flags(const struct op *op);
/* The gfp flags of an op's gfp= choice. */
gfp_t exec_gfp(const struct op *op);

/* Returns 0 if the program ran clean, 1 if it failed (r->sig says how). */
int exec_program(const struct program *p, const struct exec_opts *o, struct exec_result *r);
/* Test hook: called after each op, before its reports are checked (tests use it to
 * change things behind the model's back and see the model notice). */
extern void (*exec_after_op_hook)(long op_index);

/* Print the op context of a failure: the op index and the last 20 ops. */
void exec_print_context(const struct program *p, long op_index, FILE *out);

#endif
