/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The executor's inside: the run function of every op-table entry (exec_ops.c) and the
 * executor services they use (exec.c). Only the op table and the executor include this.
 */
#ifndef MODEL_EXEC_OPS_H
#define MODEL_EXEC_OPS_H

#include "ops.h"
#include "report.h"

struct kmem_cache;

void exec_create(const struct op *op);
void exec_alloc(const struct op *op);
void exec_alloc_node(const struct op *op);
void exec_alloc_bulk(const struct op *op);
void exec_free(const struct op *op);
void exec_free_bulk(const struct op *op);
void exec_kfree_rcu(const struct op *op);
void exec_kmalloc(const struct op *op);
void exec_kfree(const struct op *op);
void exec_kmalloc_nolock(const struct op *op);
void exec_kfree_nolock(const struct op *op);
void exec_prefill(const struct op *op);
void exec_alloc_from_sheaf(const struct op *op);
void exec_refill(const struct op *op);
void exec_return_sheaf(const struct op *op);
void exec_shrink(const struct op *op);
void exec_destroy(const struct op *op);
void exec_barrier(const struct op *op);
void exec_cpu_down(const struct op *op);
void exec_cpu_up(const struct op *op);
void exec_migrate(const struct op *op);
void exec_gp(const struct op *op);
void exec_rcu_cb(const struct op *op);
void exec_quarantine_reduce(const struct op *op);
void exec_fault(const struct op *op);
void exec_read(const struct op *op);
void exec_write(const struct op *op);
void exec_irq_work(const struct op *op);
void exec_rcu_read_lock(const struct op *op);
void exec_rcu_read_unlock(const struct op *op);
void exec_zalloc(const struct op *op);
void exec_memalloc_enter(const struct op *op);
void exec_memalloc_leave(const struct op *op);
void exec_pressure(const struct op *op);

/* ---- services of the executor core ---- */
void exec_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The op did nothing: a handle it names was never bound here (NULL), or misuse the
 * model cannot expect a report for. */
void exec_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Expectation windows: between begin and end, reports of `kind` are the op's expected
 * outcome and are counted instead of failing the program; any other report still stops
 * it at once. end returns how many came.
 */
void exec_expect_begin(enum report_kind kind);
int exec_expect_end(void);
/* The window is the running task's: the fiber scheduler keeps one per task. */
struct exec_window {
	bool open;
	int kind;
	int matched;
};
void exec_window_get(struct exec_window *w);
void exec_window_set(const struct exec_window *w);
/* Injected faults and out-of-memory failures so far: what may explain a NULL. A caller that
 * may use the reserves (`reserves`) is not explained by a watermark's refusal: its page
 * allocations must then have used the reserves. */
unsigned long exec_faults(bool reserves);
/* The name given to cache handle h (kmem_cache_create keeps the pointer). */
const char *exec_cache_name(unsigned int h);
/* Destroy cache handle h, expecting the leak report when the model says so. */
void exec_destroy_cache(int h);

/* ---- the executor's pieces the fiber scheduler (sched_exec.c) runs ---- */
/* Op i is the one the current task runs (reports and the model name it). */
void exec_op_enter(long i);
/* Run op i on the current task, in its context. */
void exec_op_run(long i);
/* The whole-cache checks. */
void exec_checks(void);
/* How a failure leaves the fibers: stop() switches back to the scheduler for good. */
void exec_set_stop(void (*stop)(void));
/* Run a sched=on program's tasks as fibers; true if it ended without a failure (the end
 * checks then run), false after one (r says which). */
struct exec_opts;
struct exec_result;
bool sched_run(const struct program *p, const struct exec_opts *o, struct exec_result *r);

#endif
