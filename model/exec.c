// SPDX-License-Identifier: GPL-2.0
/*
 * The executor core. One OS thread; tasks are logical, one per CPU to start with; each op
 * runs to completion on the task of its CPU (in interrupt context if the program says so)
 * through its op-table entry's run function.
 *
 * Every report reaches exec_report(). Inside an expectation window a report of the
 * expected kind is counted; any other report is the program's failure and stops it on the
 * spot: abort() in abort mode (the fuzzers), a longjmp back to exec_program() in count
 * mode (the CLI, the minimiser). Nothing runs after the first unexpected report, so no
 * mode reads what the report says may be broken, and every mode files the same signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"
#include "exec_ops.h"
#include "model.h"
#include "slab.h"
#include "slab_introspect.h"

#define CONTEXT_OPS 20

static struct {
	const struct program *p;
	const struct exec_opts *o;
	struct exec_result *r;
	FILE *out;
	long op;			/* running op */
	bool window;			/* exec_expect_begin() .. exec_expect_end() */
	enum report_kind expect_kind;
	int matched;
	struct task tasks[PROG_MAX_CPUS];
	struct task spare[PROG_MAX_CPUS];
	uint8_t spare_ready;
	jmp_buf stop_jmp;
	bool initialized;
	char (*cache_names)[12];	/* per cache handle: kmem_cache_create keeps the name */
	unsigned int nr_names;
	void (*stop)(void);		/* sched mode: leave the fibers after a failure */
} ex;

void (*exec_after_op_hook)(long op_index);
static uint64_t last_digest;

/* FNV-1a over the 8 bytes of v */
void exec_digest(uint64_t v)
{
	if (!ex.r)
		return;
	for (int i = 0; i < 8; i++, v >>= 8)
		ex.r->digest = (ex.r->digest ^ (v & 0xff)) * 0x100000001b3ull;
}

uint64_t exec_last_digest(void)
{
	return last_digest;
}

static const char *const task_names[PROG_MAX_CPUS] = {
	"task0", "task1", "task2", "task3", "task4", "task5", "task6", "task7",
};
static const char *const spare_names[PROG_MAX_CPUS] = {
	"kworker/0", "kworker/1", "kworker/2", "kworker/3",
	"kworker/4", "kworker/5", "kworker/6", "kworker/7",
};

void exec_print_context(const struct program *p, long op_index, FILE *out)
{
	char buf[512];
	long from = op_index - (CONTEXT_OPS - 1);

	if (from < 0)
		from = 0;
	if (op_index >= p->nr_ops)
		fprintf(out, "==slabtorture== at the end-of-program checks (after op %d)\n",
			p->nr_ops - 1);
	else if (op_index < 0)
		fprintf(out, "==slabtorture== during machine setup\n");
	else
		fprintf(out, "==slabtorture== at op %ld of %d\n", op_index, p->nr_ops);
	machine_format(&p->m, buf, sizeof(buf));
	fprintf(out, "  %s\n", buf);
	if (from > 0)
		fprintf(out, "  ... %ld earlier ops\n", from);
	for (long i = from; i < p->nr_ops && i <= op_index; i++) {
		op_format(&p->ops[i], buf, sizeof(buf));
		fprintf(out, "  [%3ld] %s%s\n", i, buf, i == op_index ? "   <== here" : "");
	}
}

/* ------------------------------------------------------------------ reports */

/* The op a report happened in, whichever task made it. */
static long exec_context(void)
{
	return ex.op;
}

static void exec_report(const struct report *r)
{
	if (ex.window && r->kind == ex.expect_kind) {
		ex.matched++;
		if (ex.o->trace)
			fprintf(ex.out, "        expected report: %s in %s\n",
				report_kind_name(r->kind), r->function);
		return;
	}
	ex.r->failed = true;
	ex.r->fail_op = ex.op;
	report_signature(r, ex.r->sig, sizeof(ex.r->sig));
	if (!ex.o->quiet || ex.o->abort_mode)
		report_print(r, stderr);
	if (ex.o->abort_mode) {
		exec_print_context(ex.p, ex.op, stderr);
		fflush(NULL);
		abort();
	}
	if (!ex.o->quiet)
		exec_print_context(ex.p, ex.op, stderr);
	if (ex.stop)
		ex.stop();	/* returns only outside the fibers */
	longjmp(ex.stop_jmp, 1);
}

void exec_expect_begin(enum report_kind kind)
{
	ex.window = true;
	ex.expect_kind = kind;
	ex.matched = 0;
}

void exec_window_get(struct exec_window *w)
{
	w->open = ex.window;
	w->kind = ex.expect_kind;
	w->matched = ex.matched;
}

void exec_window_set(const struct exec_window *w)
{
	ex.window = w->open;
	ex.expect_kind = w->kind;
	ex.matched = w->matched;
}

int exec_expect_end(void)
{
	ex.window = false;
	ex.r->consumed += ex.matched;
	return ex.matched;
}

/* ------------------------------------------------------------------ services */

void exec_trace(const char *fmt, ...)
{
	va_list ap;

	if (!ex.o->trace)
		return;
	va_start(ap, fmt);
	vfprintf(ex.out, fmt, ap);
	va_end(ap);
}

void exec_skip(const char *fmt, ...)
{
	va_list ap;

	ex.r->ops_skipped++;
	if (!ex.o->trace)
		return;
	fputs("        skipped: ", ex.out);
	va_start(ap, fmt);
	vfprintf(ex.out, fmt, ap);
	va_end(ap);
	fputc('\n', ex.out);
}

unsigned long exec_faults(bool reserves)
{
	/* a full arena is the emulated machine out of memory: NULL is then right too */
	return fault_injected(FAULT_PAGE_ALLOC) + fault_injected(FAULT_SHEAF_ALLOC) +
	       page_alloc_exhausted() + (reserves ? 0 : page_alloc_refused());
}

const char *exec_cache_name(unsigned int h)
{
	if (h >= ex.nr_names) {
		unsigned int n = ex.nr_names ? ex.nr_names : 16;

		while (n <= h)
			n *= 2;
		/* never moved while caches named by it live: grown only between programs */
		ex.cache_names = realloc(ex.cache_names, n * sizeof(ex.cache_names[0]));
		if (!ex.cache_names)
			abort();
		for (unsigned int i = ex.nr_names; i < n; i++)
			snprintf(ex.cache_names[i], sizeof(ex.cache_names[0]), "c%u", i);
		ex.nr_names = n;
	}
	return ex.cache_names[h];
}

/* The largest cache handle a program names: its names are made before it runs. */
static void reserve_cache_names(const struct program *p)
{
	uint32_t max = 0;

	for (int i = 0; i < p->nr_ops; i++)
		if (op_table[p->ops[i].kind].result == RES_CACHE && p->ops[i].dst > max)
			max = p->ops[i].dst;
	exec_cache_name(max);
}

/* ------------------------------------------------------------------ tasks */

static struct task *task_on(int cpu)
{
	for (unsigned int i = 0; i < ex.p->m.cpus; i++)
		if (ex.tasks[i].cpu == cpu)
			return &ex.tasks[i];
	if (!(ex.spare_ready & (1u << cpu))) {
		task_init(&ex.spare[cpu], spare_names[cpu], cpu);
		ex.spare_ready |= (uint8_t)(1u << cpu);
	}
	if (ex.spare[cpu].cpu != cpu)
		task_migrate(&ex.spare[cpu], cpu);
	return &ex.spare[cpu];
}

static int first_online_cpu(void)
{
	for (unsigned int c = 0; c < ex.p->m.cpus; c++)
		if (cpu_online((int)c))
			return (int)c;
	return 0;
}

/* ------------------------------------------------------------------ ops */

static void check_all_caches(void)
{
	struct kmem_cache *const *v;
	int n = model_caches(&v);

	for (int i = 0; i < n; i++)
		model_check_cache(v[i]);
}

void exec_op_enter(long i)
{
	const struct op *op = &ex.p->ops[i];

	ex.op = i;
	model_begin_op(i, op_name(op->kind));
}

void exec_op_run(long i)
{
	const struct op *op = &ex.p->ops[i];

	exec_op_enter(i);
	if (ex.o->trace) {
		char buf[512];
		op_format(op, buf, sizeof(buf));
		fprintf(ex.out, "[%3ld] %s\n", i, buf);
	}
	if (op->ctx != CTX_TASK)
		irq_enter(op->ctx == CTX_NMI);
	op_table[op->kind].run(op);
	if (op->ctx != CTX_TASK)
		irq_exit();
	exec_digest((uint64_t)i << 32 | (uint64_t)ex.r->ops_skipped << 16 | (uint64_t)ex.r->consumed);
}

void exec_set_stop(void (*stop)(void))
{
	ex.stop = stop;
}

void exec_checks(void)
{
	check_all_caches();
}

static void exec_op(long i)
{
	task_switch(task_on(ex.p->ops[i].cpu));
	exec_op_run(i);
	/*
	 * The whole-cache checks (validate_slab_cache, object counts by place, stats) walk
	 * every slab and sheaf, which costs more than the op: they run every 16th op and at
	 * the end (shrink, barrier and destroy have their own cheaper checks). The schedule
	 * depends only on the program, so the fuzzer and the CLI see the same divergence at
	 * the same op.
	 */
	if ((i & 15) == 15)
		check_all_caches();
}

/* Close open readers, free everything, destroy every cache, and check nothing is left. */
static void exec_end(void)
{
	struct kmem_cache *s;
	struct task *t;

	ex.op = ex.p->nr_ops;
	model_begin_op(ex.op, "end");
	for (int c = 0; c < ex.p->m.cpus; c++) {
		while (model.reader_depth[c]) {
			task_switch(task_on(c));
			rcu_read_unlock();
			model_reader_unlocked(c);
		}
	}
	/* reclaim is over and the other users go: the end runs as an ordinary task */
	for (unsigned int c = 0; c < ex.p->m.cpus; c++) {
		ex.tasks[c].flags &= ~PF_MEMALLOC;
		ex.spare[c].flags &= ~PF_MEMALLOC;
	}
	for (unsigned int n = 0; n < ex.p->m.nodes; n++)
		page_alloc_set_pressure((int)n, 0);
	t = task_on(first_online_cpu());
	task_switch(t);
	exec_trace("[end] return lent sheaves, free every object, barrier, destroy every cache\n");

	for (unsigned int i = 0; i < model.nr_sheaf; i++) {
		struct model_sheaf *sh = &model.sheaf[i];
		if (sh->state == MC_ALIVE) {
			kmem_cache_return_sheaf(model.cache[sh->mcache].s, GFP_KERNEL, sh->sheaf);
			model_sheaf_returned((int)i);
		}
	}
	for (unsigned int h = 0; h < model.nr_obj; h++) {
		struct model_obj *o = &model.obj[h];

		if (o->state == MO_ORPHAN && o->s && !model_cache_is_leaked(o->s) &&
		    model_cache_in_list(o->s)) {
			/* its handle's cache was an alias that is gone; the cache lives on */
			model_obj_freeing((int)h);
			kmem_cache_free(o->s, o->ptr);
			model_obj_freed((int)h);
			continue;
		}
		if (o->state != MO_LIVE)
			continue;
		model_obj_freeing((int)h);
		if (o->kind == OK_CACHE)
			kmem_cache_free(model.cache[o->mcache].s, o->ptr);
		else
			kfree(o->ptr);
		model_obj_freed((int)h);
	}
	unsigned long from = model_barrier_begin();

	kvfree_rcu_barrier();
	model_after_barrier(NULL, from);
	defer_free_barrier();
	for (unsigned int h = 0; h < model.nr_cache; h++)
		if (model.cache[h].state == MC_ALIVE)
			exec_destroy_cache((int)h);
	for_each_slab_cache(s)
		if (!model_cache_is_leaked(s))
			kmem_cache_shrink(s);
	kvfree_rcu_barrier();
	rcu_barrier();
	check_all_caches();

	exec_digest((uint64_t)pages_in_use() << 32 | model.nr_obj);
	unsigned long leaked_pages = 0;
	for (int i = 0; i < model.nr_leaked; i++) {
		struct slab_cache_info info;
		slab_cache_info(model.leaked[i], &info);
		leaked_pages += info.pages;
	}
	if (pages_in_use() != leaked_pages)
		model_fail(RULE_END, "%lu pages in use after every object was freed and every cache destroyed (%lu held by leaked caches)",
			   pages_in_use(), leaked_pages);
}

static void machine_setup(const struct program *p, const struct exec_opts *o)
{
	struct platform_config cfg;

	if (ex.initialized)
		slab_reset();
	platform_config_default(&cfg);
	cfg.nr_cpus = p->m.cpus;
	cfg.nr_nodes = p->m.nodes;
	for (unsigned int c = 0; c < p->m.cpus; c++)
		cfg.cpu_node[c] = (int)(c % p->m.nodes);
	cfg.memoryless_nodes = p->m.memoryless;
	cfg.kasan = p->m.kasan;
	cfg.cmpxchg_double = !p->m.nocmpxchg;
	cfg.quarantine_bytes = prog_quarantine_sizes[p->m.qidx & 7];
	if (p->m.pages)
		cfg.arena_pages = p->m.pages;
	cfg.min_free_pages = p->m.min_free;
	cfg.report_mode = REPORT_COUNT;
	platform_init(&cfg);
	lockdep_set_enabled(!p->m.nolockdep);
	/* the executor prints what it does not expect itself, once */
	report_set_mode(REPORT_COUNT);
	report_set_quiet(true);
	report_set_hook(exec_report);
	report_set_context_hook(exec_context, "op");
	kasan_history_enable(o->history);
	kmem_cache_init();
	ex.initialized = true;
	for (unsigned int c = 0; c < p->m.cpus; c++)
		task_init(&ex.tasks[c], task_names[c], (int)c);
	ex.spare_ready = 0;
	model_reset();
}

int exec_program(const struct program *p, const struct exec_opts *o, struct exec_result *r)
{
	memset(r, 0, sizeof(*r));
	r->fail_op = -1;
	r->digest = 0xcbf29ce484222325ull;
	ex.p = p;
	ex.o = o;
	ex.r = r;
	ex.out = o->out ? o->out : stderr;
	ex.op = -1;
	ex.window = false;
	reserve_cache_names(p);

	if (setjmp(ex.stop_jmp))
		goto out;	/* the first unexpected report; r says which */
	machine_setup(p, o);
	if (p->m.sched) {
		if (sched_run(p, o, r))
			exec_end();
		goto out;
	}
	for (long i = 0; i < p->nr_ops; i++) {
		exec_op(i);
		if (exec_after_op_hook)
			exec_after_op_hook(i);
	}
	exec_end();
out:
	ex.window = false;
	ex.stop = NULL;
	report_set_hook(NULL);
	task_switch(boot_task());
	/* Give the metadata heap back now, not at the next program: libFuzzer counts
	 * mallocs and frees per input and reruns any unbalanced input for leaks. */
	exec_digest((uint64_t)r->fail_op << 1 | r->failed);
	last_digest = r->digest;
	slab_reset();
	platform_mem_reset();
	ex.p = NULL;
	return r->failed ? 1 : 0;
}
