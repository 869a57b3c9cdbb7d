// SPDX-License-Identifier: GPL-2.0
/*
 * The executor. One OS thread; tasks are logical, one per CPU to start with; each op runs
 * to completion on the task of its CPU, in interrupt context if the program says so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"
#include "model.h"
#include "slab.h"
#include "slab_introspect.h"

#define CONTEXT_OPS 20
#define MAX_TRACKED_REPORTS 64	/* consumed[] covers a program's first 64 reports */

static struct {
	const struct program *p;
	const struct exec_opts *o;
	struct exec_result *r;
	FILE *out;
	long op;			/* running op */
	int op_first_report;		/* report_count() when the op started */
	int window_start;		/* expect_begin() */
	bool consumed[MAX_TRACKED_REPORTS];
	struct task tasks[PROG_MAX_CPUS];
	struct task spare[PROG_MAX_CPUS];
	uint8_t spare_ready;
	jmp_buf bug_jmp;
	bool initialized;
} ex;

void (*exec_after_op_hook)(long op_index);

static char cache_names[PROG_MAX_CACHES][8];
static const char *const task_names[PROG_MAX_CPUS] = {
	"task0", "task1", "task2", "task3", "task4", "task5", "task6", "task7",
};
static const char *const spare_names[PROG_MAX_CPUS] = {
	"kworker/0", "kworker/1", "kworker/2", "kworker/3",
	"kworker/4", "kworker/5", "kworker/6", "kworker/7",
};

void exec_print_context(const struct program *p, long op_index, FILE *out)
{
	char buf[256];
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

/* The reports' context: the running op (-1: setup, nr_ops: the end checks). */
static long exec_context(void)
{
	return ex.op;
}

static void abort_hook(const struct report *r)
{
	if (ex.p)
		exec_print_context(ex.p, ex.op, stderr);
	fflush(NULL);
}

/* ------------------------------------------------------------------ reports */

static void expect_begin(void)
{
	report_set_mode(REPORT_COUNT);
	report_set_quiet(true);
	ex.window_start = report_count();
}

/* End an expectation window: reports of `kind` are consumed; returns how many. */
static int expect_end(enum report_kind kind)
{
	int n = report_count(), matched = 0;

	report_set_mode(ex.o->abort_mode ? REPORT_ABORT : REPORT_COUNT);
	report_set_quiet(ex.o->quiet);
	for (int k = ex.window_start; k < n; k++) {
		const struct report *r = k < MAX_TRACKED_REPORTS ? report_get(k) : NULL;

		if (!r || r->kind == kind) {
			matched++;
			if (k < MAX_TRACKED_REPORTS)
				ex.consumed[k] = true;
			if (r && ex.o->trace)
				fprintf(ex.out, "        expected report: %s in %s\n",
					report_kind_name(r->kind), r->function);
		}
	}
	ex.r->consumed += matched;
	return matched;
}

/* After an op: any report not consumed fails the program. Returns true if it failed. */
static bool check_reports(void)
{
	int n = report_count();

	for (int k = ex.op_first_report; k < n; k++) {
		if (k < MAX_TRACKED_REPORTS && ex.consumed[k])
			continue;
		const struct report *r = k < MAX_TRACKED_REPORTS ? report_get(k) : NULL;

		ex.r->failed = true;
		ex.r->fail_op = ex.op;
		if (r)
			report_signature(r, ex.r->sig, sizeof(ex.r->sig));
		else
			snprintf(ex.r->sig, sizeof(ex.r->sig), "REPORT_OVERFLOW in exec");
		/* reports inside an expectation window were not printed yet */
		bool was_quiet = k >= ex.window_start && ex.window_start >= ex.op_first_report;
		if (r && was_quiet && !ex.o->quiet)
			report_print(r, stderr);
		if (ex.o->abort_mode) {
			abort_hook(r);
			abort();
		}
		if (!ex.o->quiet)
			exec_print_context(ex.p, ex.op, stderr);
		return true;
	}
	return false;
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

static gfp_t gfp_of(const struct op *op)
{
	return op->gfp == GFPC_NOWAIT ? GFP_NOWAIT : op->gfp == GFPC_ATOMIC ? GFP_ATOMIC : GFP_KERNEL;
}

static unsigned long faults_total(void)
{
	return fault_injected(FAULT_PAGE_ALLOC) + fault_injected(FAULT_SHEAF_ALLOC);
}

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
	va_list ap;

	if (!ex.o->trace)
		return;
	va_start(ap, fmt);
	vfprintf(ex.out, fmt, ap);
	va_end(ap);
}

static void trace_ptr(int h)
{
	const struct model_obj *o = &model.obj[h];

	if (!ex.o->trace)
		return;
	if (o->state == MO_NULL)
		fprintf(ex.out, "        o%d = NULL\n", h);
	else
		fprintf(ex.out, "        o%d = %p (%s)\n", h, o->ptr, o->s ? kmem_cache_name(o->s) : "?");
}

static struct kmem_cache *cache_of(int h)
{
	return model.cache[h].state == MC_ALIVE ? model.cache[h].s : NULL;
}

static bool obj_usable(int h)
{
	/* an allocation that returned NULL, or was skipped because its cache or sheaf was
	 * NULL, leaves the handle bound in the program but not live here */
	if ((unsigned int)h >= model.nr_obj || model.obj[h].state != MO_LIVE) {
		trace("        skipped: o%d was never allocated (NULL)\n", h);
		ex.r->ops_skipped++;
		return false;
	}
	return true;
}

static void destroy_cache(int h)
{
	bool alias, expect_leak = model_destroy_expects_leak(h, &alias);
	struct kmem_cache *s = model.cache[h].s;

	if (expect_leak) {
		unsigned long live = model_live_objects(s);
		expect_begin();
		kmem_cache_destroy(s);
		if (!expect_end(REPORT_SLAB_LEAK))
			model_fail("LEAK_EXPECTED", "destroy of c%d with %lu live objects gave no SLAB_LEAK report",
				   h, live);
	} else {
		int before = report_count();
		kmem_cache_destroy(s);
		/* an unexpected report already fails the program: the cache may be leaked,
		 * and checking it as destroyed would only pile up follow-on reports */
		expect_leak = report_count() != before;
	}
	trace("        %s\n", alias ? "alias: refcount dropped" :
	      expect_leak ? "cache leaked (live objects)" : "destroyed");
	model_after_destroy(h, expect_leak, alias);
}

static void free_obj(const struct op *op, int h)
{
	struct model_obj *o = &model.obj[h];

	if (o->state == MO_FREED) {
		/* a deliberate double free: exactly one DOUBLE_FREE report */
		if (!model_double_free_detectable(h)) {
			trace("        skipped: the memory of o%d is in use again or gone\n", h);
			ex.r->ops_skipped++;
			return;
		}
		expect_begin();
		if (op->kind == OP_FREE)
			kmem_cache_free(model.cache[o->mcache].s, o->ptr);
		else
			kfree(o->ptr);
		int n = expect_end(REPORT_DOUBLE_FREE);
		if (n != 1)
			model_fail("DOUBLE_FREE_EXPECTED", "double free of o%d gave %d DOUBLE_FREE reports", h, n);
		return;
	}
	if (!obj_usable(h))
		return;
	model_obj_freeing(h);
	switch (op->kind) {
	case OP_FREE:
		kmem_cache_free(model.cache[o->mcache].s, o->ptr);
		break;
	case OP_KFREE:
		kfree(o->ptr);
		break;
	default:
		kfree_nolock(o->ptr);
		break;
	}
	model_obj_freed(h);
}

/* Run one op; returns the cache whose consistency should be checked, or NULL. */
static struct kmem_cache *run_op(const struct op *op, bool *global)
{
	unsigned long faults = faults_total();
	struct kmem_cache *s = NULL;
	const char *rule;
	void *p;
	int h;

	*global = false;
#define NULL_RULE() (faults_total() != faults ? "fault" : NULL)
	switch (op->kind) {
	case OP_CREATE: {
		struct kmem_cache_args args;
		slab_flags_t flags = 0;

		memset(&args, 0, sizeof(args));
		args.align = op->align;
		args.sheaf_capacity = op->capacity;
		if (op->flags & CF_CTOR)
			args.ctor = model_ctor;
		if (op->flags & CF_TYPESAFE)
			flags |= SLAB_TYPESAFE_BY_RCU;
		if (op->flags & CF_HWCACHE)
			flags |= SLAB_HWCACHE_ALIGN;
		if (op->flags & CF_NO_MERGE)
			flags |= SLAB_NO_MERGE;
		if (op->flags & CF_DEBUG)
			flags |= SLAB_DEBUG_FLAGS;
		snprintf(cache_names[op->dst], sizeof(cache_names[0]), "c%u", op->dst);
		s = kmem_cache_create(cache_names[op->dst], op->size, &args, flags);
		model_cache_created(op->dst, s, op, NULL_RULE());
		trace("        c%u = %s\n", op->dst, s ? kmem_cache_name(s) : "NULL");
		return s;
	}
	case OP_ALLOC:
	case OP_ALLOC_NODE:
		if (!(s = cache_of(op->cache)))
			break;
		p = op->kind == OP_ALLOC ? kmem_cache_alloc(s, gfp_of(op)) :
		    kmem_cache_alloc_node(s, gfp_of(op), op->node);
		model_obj_alloced(op->dst, OK_CACHE, op->cache, s, p, model.cache[op->cache].size,
				  NULL_RULE());
		trace_ptr(op->dst);
		return s;
	case OP_ALLOC_BULK: {
		void *arr[PROG_MAX_LIST];

		if (!(s = cache_of(op->cache)))
			break;
		int got = kmem_cache_alloc_bulk(s, gfp_of(op), op->n, arr);
		rule = NULL_RULE();
		if (got != 0 && got != op->n) {
			model_fail("NULL", "alloc_bulk(%u) returned %d: all or nothing", op->n, got);
			break;
		}
		if (!got && !rule) {
			model_fail("NULL", "alloc_bulk(%u) failed with no fault injected", op->n);
			break;
		}
		for (int i = 0; i < op->n; i++) {
			model_obj_alloced(op->dst + i, OK_CACHE, op->cache, s, got ? arr[i] : NULL,
					  model.cache[op->cache].size, "fault");
			trace_ptr(op->dst + i);
		}
		return s;
	}
	case OP_FREE:
	case OP_KFREE:
	case OP_KFREE_NOLOCK:
		s = model.obj[op->obj].s;
		free_obj(op, op->obj);
		return s;
	case OP_FREE_BULK: {
		void *arr[PROG_MAX_LIST];
		int n = 0;

		if (!(s = cache_of(op->cache)))
			break;
		for (int i = 0; i < op->nlist; i++) {
			h = op->list[i];
			if (!obj_usable(h))
				continue;
			model_obj_freeing(h);
			arr[n++] = model.obj[h].ptr;
		}
		if (n)
			kmem_cache_free_bulk(s, (size_t)n, arr);
		for (int i = 0; i < op->nlist; i++)
			if (model.obj[op->list[i]].state == MO_LIVE)
				model_obj_freed(op->list[i]);
		return s;
	}
	case OP_KFREE_RCU: {
		struct model_obj *o = &model.obj[op->obj];
		unsigned int off;

		if (!obj_usable(op->obj))
			break;
		off = o->ctor ? 8 : 0;
		model_obj_freeing(op->obj);
		model_obj_rcu_freed(op->obj);
		kvfree_call_rcu((struct rcu_head *)((char *)o->ptr + off), o->ptr);
		trace("        o%u pending until grace period %lu\n", op->obj, o->gp);
		return o->s;
	}
	case OP_KMALLOC:
		/* look the cache up only after the call: the lookup creates it on first use */
		p = kmalloc(op->size, gfp_of(op));
		s = kmalloc_cache_for(op->size);
		model_obj_alloced(op->dst, OK_KMALLOC, -1, s, p, op->size, NULL_RULE());
		trace_ptr(op->dst);
		return model.obj[op->dst].s;
	case OP_KMALLOC_NOLOCK:
		/* kmalloc caches are created on first use, which NMI context cannot do */
		p = kmalloc_nolock(op->size, 0, op->node);
		s = kmalloc_cache_for(op->size);
		rule = !s && in_nmi() ? "nmi_first_use" : NULL_RULE();
		if (!s && p)
			model_fail("CACHE", "kmalloc_nolock(%u) in NMI returned an object of a cache that does not exist",
				   op->size);
		model_obj_alloced(op->dst, OK_NOLOCK, -1, s, s ? p : NULL, op->size, rule);
		trace_ptr(op->dst);
		return model.obj[op->dst].s;
	case OP_PREFILL: {
		struct slab_sheaf *sh;

		if (!(s = cache_of(op->cache)))
			break;
		sh = kmem_cache_prefill_sheaf(s, GFP_KERNEL, op->n);
		rule = op->n == 0 ? "prefill_zero" : NULL_RULE();
		if (op->n == 0 && sh)
			model_fail("SHEAF", "prefill(n=0) returned a sheaf");
		model_sheaf_lent(op->dst, sh, op->cache, op->n, rule);
		trace("        s%u = %s (%u objects)\n", op->dst, sh ? "sheaf" : "NULL",
		      model.sheaf[op->dst].size);
		return s;
	}
	case OP_ALLOC_FROM_SHEAF:
	case OP_REFILL:
	case OP_RETURN_SHEAF: {
		struct model_sheaf *sh = &model.sheaf[op->sheaf];

		if (sh->state != MC_ALIVE) {
			trace("        skipped: s%u was never lent (NULL)\n", op->sheaf);
			ex.r->ops_skipped++;
			break;
		}
		s = model.cache[sh->mcache].s;
		if (op->kind == OP_ALLOC_FROM_SHEAF) {
			bool empty = sh->size == 0;
			p = kmem_cache_alloc_from_sheaf(s, gfp_of(op), sh->sheaf);
			if (empty && p)
				model_fail("SHEAF", "alloc_from_sheaf on an empty sheaf returned an object");
			model_obj_alloced(op->dst, OK_CACHE, sh->mcache, s, p,
					  model.cache[sh->mcache].size, empty ? "sheaf_empty" : NULL);
			if (p && !empty)
				model_sheaf_alloced(op->sheaf);
			trace_ptr(op->dst);
		} else if (op->kind == OP_REFILL) {
			struct slab_sheaf *x = sh->sheaf;
			int err = kmem_cache_refill_sheaf(s, GFP_KERNEL, &x, op->n);
			model_sheaf_refilled(op->sheaf, x, err, op->n, NULL_RULE());
			trace("        refill: %d, s%u holds %u\n", err, op->sheaf, sh->size);
		} else {
			kmem_cache_return_sheaf(s, GFP_KERNEL, sh->sheaf);
			sh->state = MC_GONE;
		}
		return s;
	}
	case OP_SHRINK:
		if (!(s = cache_of(op->cache)))
			break;
		kmem_cache_shrink(s);
		model_after_shrink(s);
		return s;
	case OP_DESTROY:
		if (!cache_of(op->cache))
			break;
		destroy_cache(op->cache);
		break;
	case OP_BARRIER:
		if (op->all) {
			kvfree_rcu_barrier();
			model_after_barrier(NULL);
			*global = true;
			break;
		}
		if (!(s = cache_of(op->cache)))
			break;
		kvfree_rcu_barrier_on_cache(s);
		model_after_barrier(s);
		return s;
	case OP_CPU_DOWN:
	case OP_CPU_UP: {
		int rc = op->kind == OP_CPU_DOWN ? cpu_down(op->target) : cpu_up(op->target);
		if (rc)
			model_fail("HOTPLUG", "%s(%u) failed with %d", op_name(op->kind), op->target, rc);
		*global = true;
		break;
	}
	case OP_MIGRATE:
		task_migrate(current, op->target);
		break;
	case OP_GP:
		trace("        grace period %s, completed %lu\n", rcu_gp_advance() ? "ended" : "blocked",
		      rcu_completed_gp());
		*global = true;
		break;
	case OP_RCU_CB:
		trace("        %u callbacks ran\n", rcu_invoke_callbacks(op->all ? -1 : op->cpu));
		*global = true;
		break;
	case OP_QUARANTINE_REDUCE:
		kasan_quarantine_reduce();
		*global = true;
		break;
	case OP_IRQ_WORK:
		run_deferred_frees(op->cpu);
		*global = true;
		break;
	case OP_FAULT:
		if (op->all == FAULT_NEXT)
			fault_fail_next(op->target ? FAULT_SHEAF_ALLOC : FAULT_PAGE_ALLOC, op->n);
		else
			fault_fail_pattern(op->target ? FAULT_SHEAF_ALLOC : FAULT_PAGE_ALLOC, op->flags, 16);
		break;
	case OP_READ:
	case OP_WRITE: {
		struct model_obj *o = &model.obj[op->obj];
		bool typesafe;

		if (!obj_usable(op->obj))
			break;
		typesafe = o->mcache >= 0 && (model.cache[o->mcache].flags & CF_TYPESAFE);
		if (typesafe)
			rcu_read_lock();
		if (kasan_check_access(slab_kasan_info(o->s), o->ptr, o->size, op->kind == OP_WRITE,
				       op_name(op->kind)) &&
		    model_obj_content_ok(op->obj, op_name(op->kind)) && op->kind == OP_WRITE)
			model_obj_write(op->obj);
		if (typesafe)
			rcu_read_unlock();
		return o->s;
	}
	default:
		break;
	}
#undef NULL_RULE
	return NULL;
}

static void check_all_caches(void)
{
	struct kmem_cache *v[MODEL_MAX_CACHES];
	int n = model_caches(v, MODEL_MAX_CACHES);

	for (int i = 0; i < n; i++)
		model_check_cache(v[i]);
}

static void exec_op(long i)
{
	const struct op *op = &ex.p->ops[i];
	struct task *t = task_on(op->cpu);
	bool global;

	ex.op = i;
	ex.op_first_report = report_count();
	ex.window_start = -1;
	task_switch(t);
	model_begin_op(i, op_name(op->kind));
	if (ex.o->trace) {
		char buf[256];
		op_format(op, buf, sizeof(buf));
		fprintf(ex.out, "[%3ld] %s\n", i, buf);
	}
	if (op->ctx != CTX_TASK)
		irq_enter(op->ctx == CTX_NMI);
	struct kmem_cache *s = run_op(op, &global);
	if (op->ctx != CTX_TASK)
		irq_exit();
	/*
	 * The whole-cache checks (validate_slab_cache, object counts by place, stats) walk
	 * every slab and sheaf, which costs more than the op: they run every 16th op and at
	 * the end (shrink, barrier and destroy have their own cheaper checks). The schedule
	 * depends only on the program, so the fuzzer and the CLI see the same divergence at
	 * the same op.
	 */
	(void)s;
	(void)global;
	if ((i & 15) == 15)
		check_all_caches();
}

/* Free everything, destroy every cache, and check that nothing is left. */
static void exec_end(void)
{
	struct task *t;

	ex.op = ex.p->nr_ops;
	ex.op_first_report = report_count();
	ex.window_start = -1;
	t = task_on(first_online_cpu());
	task_switch(t);
	model_begin_op(ex.op, "end");
	trace("[end] return lent sheaves, free every object, barrier, destroy every cache\n");

	for (int i = 0; i < PROG_MAX_SHEAVES; i++) {
		struct model_sheaf *sh = &model.sheaf[i];
		if (sh->state == MC_ALIVE) {
			kmem_cache_return_sheaf(model.cache[sh->mcache].s, GFP_KERNEL, sh->sheaf);
			sh->state = MC_GONE;
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
	kvfree_rcu_barrier();
	model_after_barrier(NULL);
	defer_free_barrier();
	for (int h = 0; h < PROG_MAX_CACHES; h++)
		if (model.cache[h].state == MC_ALIVE)
			destroy_cache(h);
	for (unsigned int i = 0; i < slab_nr_caches(); i++)
		if (!model_cache_is_leaked(slab_cache_at(i)))
			kmem_cache_shrink(slab_cache_at(i));
	kvfree_rcu_barrier();
	rcu_barrier();
	check_all_caches();

	unsigned long leaked_pages = 0;
	for (int i = 0; i < model.nr_leaked; i++) {
		struct slab_cache_info info;
		slab_cache_info(model.leaked[i], &info);
		leaked_pages += info.pages;
	}
	if (pages_in_use() != leaked_pages)
		model_fail("END", "%lu pages in use after every object was freed and every cache destroyed (%lu held by leaked caches)",
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
	cfg.quarantine_bytes = prog_quarantine_sizes[p->m.qidx & 7];
	cfg.report_mode = o->abort_mode ? REPORT_ABORT : REPORT_COUNT;
	platform_init(&cfg);
	report_set_mode(cfg.report_mode);
	report_set_quiet(o->quiet);
	report_set_abort_hook(abort_hook);
	report_set_context_hook(exec_context, "op");
	report_set_bug_jmp(o->abort_mode ? NULL : &ex.bug_jmp);
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
	ex.p = p;
	ex.o = o;
	ex.r = r;
	ex.out = o->out ? o->out : stderr;
	ex.op = -1;
	ex.op_first_report = 0;
	ex.window_start = -1;
	memset(ex.consumed, 0, sizeof(ex.consumed));

	machine_setup(p, o);
	if (setjmp(ex.bug_jmp)) {
		/* a BUG in count mode: the allocator cannot go on; the report says why */
		report_set_mode(REPORT_COUNT);
		report_set_quiet(o->quiet);
		if (!check_reports()) {
			r->failed = true;
			r->fail_op = ex.op;
			snprintf(r->sig, sizeof(r->sig), "BUG in exec");
		}
		goto out;
	}
	if (check_reports())
		goto out;
	for (long i = 0; i < p->nr_ops; i++) {
		exec_op(i);
		if (exec_after_op_hook)
			exec_after_op_hook(i);
		if (check_reports())
			goto out;
	}
	exec_end();
	check_reports();
out:
	task_switch(boot_task());
	report_set_bug_jmp(NULL);
	/* Give the metadata heap back now, not at the next program: libFuzzer counts
	 * mallocs and frees per input and reruns any unbalanced input for leaks. */
	slab_reset();
	platform_mem_reset();
	ex.p = NULL;
	return r->failed ? 1 : 0;
}
