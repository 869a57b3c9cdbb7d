// SPDX-License-Identifier: GPL-2.0
/*
 * The fiber scheduler: runs a sched=on program's tasks as fibers on one OS thread and
 * decides, at every scheduling point the allocator and platform reach, what runs next.
 *
 * Tasks: t0..t7 run the program's ops of cpu0..cpu7, t8..t15 are the per-CPU kworkers,
 * t16 the unbound kworker, t17.. the hotplug operations decisions start. Between ops the
 * task owning the next op in program order runs, so a program without decisions runs as
 * the sequential executor would; a decision (from the program's text, from the fuzzer's
 * bytes, or from PCT priorities) preempts the running task at a point. A task that waits
 * for another (a lock, a reader, hotplug, queued work) yields; when every task waits, the
 * wait-for cycle is a DEADLOCK report.
 *
 * Two tasks may not be inside ops that kill a handle the other uses (a destroy and an
 * alloc of its cache, two frees of one object): the later one waits at its start, so every
 * interleaving the scheduler makes is one the kernel's callers would allow. An op whose
 * handles are not bound when it starts (another task's alloc has not run yet) is skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"
#include "exec_ops.h"
#include "fiber.h"
#include "model.h"
#include "sched_exec.h"
#include "slab.h"

#define T_KWORKER	PROG_MAX_CPUS
#define T_UNBOUND	(2 * PROG_MAX_CPUS)
#define T_HOTPLUG	(T_UNBOUND + 1)
#define MAX_STASKS	SCHED_MAX_TASKS
#define MAX_HOTPLUG	(MAX_STASKS - T_HOTPLUG)

enum stask_kind { SK_NONE, SK_PROGRAM, SK_KWORKER, SK_UNBOUND, SK_HOTPLUG };

struct stask {
	enum stask_kind kind;
	int id;				/* tN */
	char name[16];
	struct task task;
	struct fiber fiber;
	int *ops;			/* program task: its ops, in program order */
	int nr_ops, cap_ops, next;
	long op;			/* op in flight, -1 between ops */
	bool blocked;
	const void *on;
	const char *what;
	unsigned long stamp;		/* progress when it blocked */
	bool done;
	struct op hp;			/* hotplug task: cpu_down/cpu_up */
	uint32_t *occ;			/* per point id: times reached */
	int prio;			/* PCT */
	bool concurrent;		/* another program op ran while this one was in flight */
	bool skip;			/* its next op waits for a handle in a cycle: skip it */
	struct exec_window win;		/* its expectation window, while switched out */
};

static struct {
	const struct program *p;
	const struct exec_opts *o;
	struct exec_result *r;
	struct stask t[MAX_STASKS];
	struct stask *cur;		/* running task, NULL in the scheduler */
	struct stask *next;		/* chosen by a decision */
	unsigned long events;		/* ops, work items and hotplug operations finished */
	long ops_done;
	bool stopped;
	int nr_points;
	int op_point;			/* SP_op: a task is about to start an op */
	int *dec_point;			/* resolved point of each program decision */
	int cap_dec_point;
	struct sched_source src;
	unsigned long steps;		/* points reached this run (PCT's k) */
	int nr_hotplug;
	struct program *record;		/* decisions taken, as a program */
	uint32_t free_obj;		/* handles above every program handle, for irq ops */
	uint8_t pct_pick;		/* the object byte of a PCT interrupt event */
} sc;

static const struct sched_point_desc op_point_desc = {
	"SP_op", "(between two ops of a task)", "before the task's next op starts",
};

int sched_deadlock_kind(void)
{
	static int kind = -1;

	if (kind < 0)
		kind = report_kind_register("DEADLOCK");
	return kind;
}

/* ------------------------------------------------------------------ decisions */

static struct stask *task_by_id(int id)
{
	return id >= 0 && id < MAX_STASKS && sc.t[id].kind != SK_NONE ? &sc.t[id] : NULL;
}

static bool kworker_ready(const struct stask *t);

static bool task_runnable(const struct stask *t)
{
	if (!t || t->done || t->kind == SK_NONE)
		return false;
	if (t->kind == SK_KWORKER || t->kind == SK_UNBOUND)
		return kworker_ready(t);
	if (t->blocked)
		return false;
	return t->kind != SK_PROGRAM || t->op >= 0 || t->next < t->nr_ops;
}

static void record(const struct stask *t, int point, const struct decision *d)
{
	struct decision *r;
	const struct sched_point_desc *pd = sched_point_desc(point);

	if (!sc.record)
		return;
	r = program_append_decision(sc.record);
	*r = *d;
	r->task = (uint8_t)t->id;
	r->occ = t->occ[point];
	snprintf(r->point, sizeof(r->point), "%s", pd ? pd->name : "?");
}

/* The program decision for (task, point, occurrence), if any. */
static const struct decision *written_decision(const struct stask *t, int point)
{
	for (int i = 0; i < sc.p->nr_dec; i++) {
		const struct decision *d = &sc.p->dec[i];

		if (d->task == t->id && sc.dec_point[i] == point && d->occ == t->occ[point])
			return d;
	}
	return NULL;
}

static uint8_t pct_pick(void)
{
	return sc.pct_pick;
}

static uint8_t src_byte(void)
{
	return sc.src.pos < sc.src.len ? sc.src.bytes[sc.src.pos++] : 0;
}

/* An interrupt op chosen by bytes among what the model has live now: `b` picks the kind
 * and its context and size, `pick` (a fuzzer's next byte, read only if there is a choice)
 * the object. */
static bool dense_irq_op(uint8_t b, uint8_t (*pick)(void), struct op *op)
{
	static const uint8_t kinds[] = { OP_KFREE_NOLOCK, OP_KMALLOC_NOLOCK, OP_KFREE_RCU, OP_READ };
	unsigned int live[64];
	int n = 0;

	memset(op, 0, sizeof(*op));
	op->node = -1;
	op->kind = kinds[b % sizeof(kinds)];
	op->ctx = (b >> 2) & 1 ? CTX_NMI : CTX_IRQ;
	if (op->kind == OP_KFREE_RCU)
		op->ctx = CTX_IRQ;
	if (op->kind == OP_KMALLOC_NOLOCK) {
		op->size = 8 << ((b >> 3) % 10);
		op->dst = sc.free_obj++;
		return true;
	}
	for (unsigned int h = 0; h < model.nr_obj && n < 64; h++) {
		const struct model_obj *o = &model.obj[h];

		if (o->state != MO_LIVE)
			continue;
		if (op->kind == OP_KFREE_NOLOCK && o->kind != OK_NOLOCK)
			continue;
		if (op->kind == OP_KFREE_RCU &&
		    o->size < (o->ctor ? 8 : 0) + sizeof(struct rcu_head))
			continue;
		live[n++] = h;
	}
	if (!n)
		return false;
	op->obj = live[pick() % n];
	return true;
}

static bool kworker_ready(const struct stask *t)
{
	int cpu = t->kind == SK_UNBOUND ? WORK_CPU_UNBOUND : t->id - T_KWORKER;

	return (t->fiber.started && !t->blocked) || workqueue_pending(cpu);
}

/* Highest-priority task that can run (PCT): program tasks and kworkers. */
static struct stask *pct_best(void)
{
	struct stask *best = NULL;

	for (int i = 0; i <= T_UNBOUND; i++) {
		struct stask *t = &sc.t[i];
		bool ready = t->kind == SK_PROGRAM ? task_runnable(t) :
			     t->kind != SK_NONE && kworker_ready(t);

		if (ready && (!best || t->prio > best->prio))
			best = t;
	}
	return best;
}

static bool next_decision(struct stask *t, int point, struct decision *d)
{
	const struct decision *w;

	memset(d, 0, sizeof(*d));
	switch (sc.src.kind) {
	case SCHED_WRITTEN:
		if (!(w = written_decision(t, point)))
			return false;
		*d = *w;
		return true;
	case SCHED_BYTES: {
		uint8_t b = src_byte();

		if (b < SCHED_BYTE_ACTION)
			return false;
		d->action = (uint8_t)((b - SCHED_BYTE_ACTION) % NR_SCHED_ACTIONS);
		b = src_byte();
		switch ((enum sched_action)d->action) {
		case ACT_SWITCH:
			d->arg = (uint8_t)(b % PROG_MAX_CPUS);
			break;
		case ACT_IRQ:
			return dense_irq_op(b, src_byte, &d->op);
		default:
			d->arg = (uint8_t)(b % sc.p->m.cpus);
			break;
		}
		return true;
	}
	case SCHED_PCT: {
		struct stask *best;

		int ev = -1;

		if (t->kind == SK_HOTPLUG)
			return false;
		for (int i = 0; i < sc.src.depth - 1; i++)
			if (sc.src.change[i] == sc.steps) {
				t->prio = -1 - i;	/* below every initial priority */
				ev = i;
			}
		if (ev >= 0 && sc.src.event[ev] < NR_SCHED_ACTIONS) {
			/* the switch the priority drop asks for comes at the next point */
			d->action = sc.src.event[ev];
			d->arg = (uint8_t)(sc.src.event_arg[ev][0] % sc.p->m.cpus);
			sc.pct_pick = sc.src.event_arg[ev][1];
			return d->action != ACT_IRQ ||
			       dense_irq_op(sc.src.event_arg[ev][0], pct_pick, &d->op);
		}
		best = pct_best();
		if (!best || best == t)
			return false;
		d->action = ACT_SWITCH;
		d->arg = (uint8_t)best->id;
		return true;
	}
	}
	return false;
}

static void hotplug_main(void *arg);
static bool conflicts(const struct stask *t, const struct op *op);

static struct stask *start_hotplug(const struct stask *from, bool down, int cpu)
{
	struct stask *h;

	if (sc.nr_hotplug >= MAX_HOTPLUG)
		return NULL;
	h = &sc.t[T_HOTPLUG + sc.nr_hotplug++];
	memset(&h->hp, 0, sizeof(h->hp));
	h->hp.kind = down ? OP_CPU_DOWN : OP_CPU_UP;
	h->hp.target = (uint8_t)cpu;
	h->hp.node = -1;
	h->kind = SK_HOTPLUG;
	h->done = h->blocked = false;
	h->op = from->op;
	memset(&h->win, 0, sizeof(h->win));
	task_init(&h->task, h->name, task_get_cpu(&from->task));
	fiber_init(&h->fiber, hotplug_main, h);
	return h;
}

/* Switch to task n from inside the running task t (t stays runnable). */
static void yield_to(struct stask *t, struct stask *n)
{
	sc.next = n;
	sc.cur = NULL;
	fiber_yield();
	sc.cur = t;
	task_switch(&t->task);
	if (t->op >= 0)
		exec_op_enter(t->op);
}

/* Run an interrupt op on the task's CPU, inside the task. */
static void run_irq_op(struct stask *t, const struct op *op)
{
	long saved = t->op;

	irq_enter(op->ctx == CTX_NMI);
	model_begin_op(saved, op_name(op->kind));
	op_table[op->kind].run(op);
	irq_exit();
	if (saved >= 0)
		exec_op_enter(saved);
}

static void apply(struct stask *t, int point, struct decision *d)
{
	bool preemptible = task_preemptible(&t->task);
	int cpu = task_get_cpu(&t->task);
	struct stask *n;

	switch ((enum sched_action)d->action) {
	case ACT_SWITCH:
		n = task_by_id(d->arg);
		/* another CPU runs in parallel; the same CPU only once this task may be preempted */
		if (n == t || !task_runnable(n) ||
		    (!preemptible && task_get_cpu(&n->task) == cpu))
			return;
		record(t, point, d);
		yield_to(t, n);
		return;
	case ACT_MIGRATE:
		if (!preemptible || d->arg == cpu || !cpu_online(d->arg) || t->kind != SK_PROGRAM ||
		    model.reader_depth[t->id])
			return;
		record(t, point, d);
		task_migrate(&t->task, d->arg);
		return;
	case ACT_IRQ:
		if (d->op.ctx != CTX_NMI && (t->task.irqs_off || t->task.irq_depth))
			return;
		/* one interrupt at a time; and it, too, must not end what an op in flight (its
		 * own task's as well) uses */
		if (t->task.irq_depth || conflicts(NULL, &d->op))
			return;
		record(t, point, d);
		if (sc.o->trace) {
			char buf[256];
			op_format(&d->op, buf, sizeof(buf));
			exec_trace("        interrupt: %s\n", buf);
		}
		run_irq_op(t, &d->op);
		return;
	case ACT_CPU_DOWN:
	case ACT_CPU_UP:
		if (!preemptible || !(n = start_hotplug(t, d->action == ACT_CPU_DOWN, d->arg)))
			return;
		record(t, point, d);
		yield_to(t, n);
		return;
	case ACT_GP:
		record(t, point, d);
		rcu_gp_advance();
		return;
	case ACT_RCU_CB:
		if (t->task.irqs_off || t->task.irq_depth)
			return;
		record(t, point, d);
		irq_enter(false);
		rcu_invoke_callbacks(cpu);
		irq_exit();
		return;
	case ACT_WORK:
		n = task_by_id(T_KWORKER + d->arg);
		if (!n || n->done || !workqueue_pending(d->arg) ||
		    (!preemptible && d->arg == cpu))
			return;
		record(t, point, d);
		n->blocked = false;
		yield_to(t, n);
		return;
	case NR_SCHED_ACTIONS:
		return;
	}
}

/* ------------------------------------------------------------------ hooks */

/* What may end a wait: a wakeup from the platform (a lock released, a reader gone, the
 * hotplug lock dropped) or an op, work item or hotplug operation finished. */
static unsigned long progress(void)
{
	return sched_wakeups() + sc.events;
}

static void on_point(int id)
{
	struct stask *t = sc.cur;
	struct decision d;

	if (!t || sc.stopped || id < 0 || id >= sc.nr_points)
		return;
	if (t->kind == SK_PROGRAM)
		sc.steps++;
	t->occ[id]++;
	exec_digest((uint64_t)t->id << 32 | (uint64_t)id);
	exec_trace("        @t%d %s:%u (%s%s%s)\n", t->id, sched_point_desc(id)->name, t->occ[id], t->name,
		   task_preemptible(&t->task) ? "" : ", not preemptible",
		   t->task.irqs_off ? ", irqs off" : "");
	if (next_decision(t, id, &d))
		apply(t, id, &d);
}

static void on_wait(const void *on, const char *what)
{
	struct stask *t = sc.cur;

	if (!t)
		return;
	t->blocked = true;
	t->on = on;
	t->what = what;
	t->stamp = progress();
	sc.cur = NULL;
	fiber_yield();
	sc.cur = t;
	t->blocked = false;
	task_switch(&t->task);
	if (t->op >= 0)
		exec_op_enter(t->op);
}

static const struct sched_ops ops = { .point = on_point, .wait = on_wait };

/* The running op has had the machine to itself: no other program op overlapped it. */
static bool sched_alone(void)
{
	if (sc.cur && sc.cur->concurrent)
		return false;
	for (int c = 0; c < PROG_MAX_CPUS; c++)
		if (sc.t[c].kind == SK_PROGRAM && sc.t[c].op >= 0 && &sc.t[c] != sc.cur)
			return false;
	return true;
}

/* A failure stops the run: the failing fiber never resumes. */
static void stop_fibers(void)
{
	sc.stopped = true;
	if (fiber_current()) {
		sc.cur = NULL;
		fiber_yield();
	}
}

/* ------------------------------------------------------------------ tasks */

/*
 * What an op uses; `kill`: the op ends the life of what the handle names. A cache handle
 * is 'h'; the cache it names is 'c' as well, for two destroys of handles merged into one
 * cache (only one of them shuts it down, and the model must know which); any other use of
 * a merged handle may run alongside a destroy of its twin, as in the kernel.
 */
struct href {
	char type;	/* 'h' cache handle, 'c' cache, 'o' object, 's' sheaf */
	uintptr_t h;
	bool kill;
};

static uintptr_t cache_ident(uint32_t h)
{
	if (h < model.nr_cache && model.cache[h].s)
		return (uintptr_t)model.cache[h].s;
	return ((uintptr_t)1 << (sizeof(uintptr_t) * 8 - 1)) | h;
}

static int op_handles(const struct op *op, struct href *v)
{
	const struct op_desc *d = &op_table[op->kind];
	int n = 0;

	for (int i = 0; i < d->nargs; i++) {
		const struct arg_desc *a = &d->args[i];
		bool kills = a->type == ARG_OBJ_LIST ||
			     (a->type == ARG_OBJ && a->set != SET_READ && a->set != SET_WRITE);

		switch ((enum arg_type)a->type) {
		case ARG_CACHE:
			if (!(a->flags & ARGF_OPTIONAL) || op->has_cache) {
				v[n++] = (struct href){ 'h', op->cache, a->flags & ARGF_CONSUME };
				v[n++] = (struct href){ 'c', cache_ident(op->cache), a->flags & ARGF_CONSUME };
			}
			break;
		case ARG_SHEAF:	/* a lent sheaf has one user at a time */
			v[n++] = (struct href){ 's', op->sheaf, true };
			if (op->sheaf < model.nr_sheaf && model.sheaf[op->sheaf].state == MC_ALIVE)
				v[n++] = (struct href){ 'h', (uint32_t)model.sheaf[op->sheaf].mcache, false };
			break;
		case ARG_OBJ:
		case ARG_OBJ_LIST:
			for (int k = 0; k < (a->type == ARG_OBJ ? 1 : op->nlist); k++) {
				uint32_t h = a->type == ARG_OBJ ? op->obj : op->list[k];

				v[n++] = (struct href){ 'o', h, kills };
				/* an unbound handle's slot is zeroed: no cache of its own yet */
				if (h < model.nr_obj && model.obj[h].state != MO_NONE &&
				    model.obj[h].mcache >= 0)
					v[n++] = (struct href){ 'h', (uint32_t)model.obj[h].mcache, false };
			}
			break;
		default:
			break;
		}
	}
	return n;
}

/* An op that ends a cache's life, and one that makes a cache (which may merge into it). */
static bool kills_cache(const struct op *op)
{
	const struct op_desc *d = &op_table[op->kind];

	for (int i = 0; i < d->nargs; i++)
		if (d->args[i].type == ARG_CACHE && (d->args[i].flags & ARGF_CONSUME))
			return true;
	return false;
}

/* Whether op, about to start, clashes with an op another task (not `t`) has in flight. */
static bool conflicts(const struct stask *t, const struct op *op)
{
	struct href a[3 * PROG_MAX_LIST + 8], b[3 * PROG_MAX_LIST + 8];
	int na = op_handles(op, a);

	for (int k = 0; k < PROG_MAX_CPUS; k++) {
		const struct stask *u = &sc.t[k];
		int nb;

		if (u == t || u->kind != SK_PROGRAM || u->op < 0)
			continue;
		/* a create may merge into the cache a destroy is deciding the fate of */
		const struct op *uop = &sc.p->ops[u->op];
		if ((kills_cache(op) && op_table[uop->kind].result == RES_CACHE) ||
		    (kills_cache(uop) && op_table[op->kind].result == RES_CACHE))
			return true;
		nb = op_handles(uop, b);
		for (int x = 0; x < na; x++)
			for (int y = 0; y < nb; y++)
				if (a[x].type == b[y].type && a[x].h == b[y].h &&
				    (a[x].type == 'c' ? a[x].kill && b[y].kill : a[x].kill || b[y].kill))
					return true;
	}
	return false;
}

static void program_main(void *arg)
{
	struct stask *t = arg;

	while (t->next < t->nr_ops && !sc.stopped) {
		long i = t->ops[t->next];

		/* between ops: the scheduler picks who starts next */
		sc.cur = NULL;
		fiber_yield();
		sc.cur = t;
		task_switch(&t->task);
		on_point(sc.op_point);
		while (conflicts(t, &sc.p->ops[i]) && !t->skip)
			on_wait(&sc, "a handle another task's op ends");
		t->next++;
		if (t->skip) {
			t->skip = false;
			exec_skip("op %ld: its handles are another op's, which waits for this task", i);
			sc.events++;
			continue;
		}
		t->op = i;
		t->concurrent = false;
		for (int k = 0; k < PROG_MAX_CPUS; k++)
			if (&sc.t[k] != t && sc.t[k].kind == SK_PROGRAM && sc.t[k].op >= 0) {
				sc.t[k].concurrent = true;
				t->concurrent = true;
			}
		exec_op_run(i);
		t->op = -1;
		sc.ops_done++;
		sc.events++;
	}
	/* reader sections a task left open end with it */
	while (!sc.stopped && model.reader_depth[t->id]) {
		rcu_read_unlock();
		model_reader_unlocked(t->id);
	}
	t->done = true;
	sc.cur = NULL;
}

static void kworker_main(void *arg)
{
	struct stask *t = arg;
	int cpu = t->kind == SK_UNBOUND ? WORK_CPU_UNBOUND : t->id - T_KWORKER;

	while (!sc.stopped) {
		if (!workqueue_run_one(cpu))
			on_wait(workqueue_queue(cpu), "work");
		else
			sc.events++;
	}
}

static void hotplug_main(void *arg)
{
	struct stask *t = arg;
	int target = t->hp.target;

	/* what the decision asked may be impossible by now: the CPU went or came already */
	if (t->hp.kind == OP_CPU_DOWN ? cpu_online(target) && num_online_cpus() > 1 :
					!cpu_online(target))
		t->hp.kind == OP_CPU_DOWN ? cpu_down(target) : cpu_up(target);
	sc.events++;
	t->done = true;
	sc.cur = NULL;
}

static void setup_tasks(const struct program *p)
{
	for (int i = 0; i < MAX_STASKS; i++) {
		struct stask *t = &sc.t[i];

		t->kind = SK_NONE;
		t->id = i;
		t->nr_ops = t->next = 0;
		t->op = -1;
		t->blocked = t->done = t->skip = false;
		t->prio = 0;
		memset(&t->win, 0, sizeof(t->win));
		free(t->occ);
		t->occ = calloc((size_t)sc.nr_points, sizeof(t->occ[0]));
		if (!t->occ)
			abort();
		if (i < PROG_MAX_CPUS)
			snprintf(t->name, sizeof(t->name), "t%d", i);
		else if (i < T_UNBOUND)
			snprintf(t->name, sizeof(t->name), "kworker/%d", i - T_KWORKER);
		else if (i == T_UNBOUND)
			snprintf(t->name, sizeof(t->name), "kworker/u");
		else
			snprintf(t->name, sizeof(t->name), "cpuhp/%d", i - T_HOTPLUG);
	}
	for (int i = 0; i < p->nr_ops; i++) {
		struct stask *t = &sc.t[p->ops[i].cpu];

		if (t->nr_ops == t->cap_ops) {
			t->cap_ops = t->cap_ops ? 2 * t->cap_ops : 16;
			t->ops = realloc(t->ops, (size_t)t->cap_ops * sizeof(t->ops[0]));
			if (!t->ops)
				abort();
		}
		t->ops[t->nr_ops++] = i;
	}
	for (int c = 0; c < p->m.cpus; c++) {
		struct stask *t = &sc.t[c], *k = &sc.t[T_KWORKER + c];

		t->kind = SK_PROGRAM;
		task_init(&t->task, t->name, c);
		fiber_init(&t->fiber, program_main, t);
		k->kind = SK_KWORKER;
		task_init(&k->task, k->name, c);
		fiber_init(&k->fiber, kworker_main, k);
	}
	sc.t[T_UNBOUND].kind = SK_UNBOUND;
	task_init(&sc.t[T_UNBOUND].task, sc.t[T_UNBOUND].name, 0);
	fiber_init(&sc.t[T_UNBOUND].fiber, kworker_main, &sc.t[T_UNBOUND]);
	sc.nr_hotplug = 0;
	/* handles interrupt ops bind lie past every handle the program names */
	sc.free_obj = 0;
	for (int i = 0; i < p->nr_ops; i++) {
		const struct op *op = &p->ops[i];
		uint32_t end = op->dst + (uint32_t)(op_table[op->kind].result == RES_OBJS ? op->n : 1);

		if ((op_table[op->kind].result == RES_OBJ || op_table[op->kind].result == RES_OBJS) &&
		    end > sc.free_obj)
			sc.free_obj = end;
		if (op->obj + 1 > sc.free_obj)
			sc.free_obj = op->obj + 1;
	}
	for (int i = 0; i < p->nr_dec; i++)
		if (p->dec[i].action == ACT_IRQ && p->dec[i].op.dst + 1 > sc.free_obj)
			sc.free_obj = p->dec[i].op.dst + 1;
	if (sc.src.kind == SCHED_PCT)
		for (int i = 0; i <= T_UNBOUND; i++)
			sc.t[i].prio = sc.src.prio[i < PROG_MAX_CPUS ? i : i - T_KWORKER + PROG_MAX_CPUS];
}

/* ------------------------------------------------------------------ the loop */

/* The first op in program order that a task between ops can start now (its task is not
 * waiting), -1 if none. */
static long cursor_op(void)
{
	long best = -1;

	for (int c = 0; c < PROG_MAX_CPUS; c++) {
		const struct stask *t = &sc.t[c];

		if (t->kind == SK_PROGRAM && t->op < 0 && t->next < t->nr_ops && !t->blocked &&
		    (best < 0 || t->ops[t->next] < best))
			best = t->ops[t->next];
	}
	return best;
}

static bool program_busy(void)
{
	for (int c = 0; c < PROG_MAX_CPUS; c++)
		if (sc.t[c].kind == SK_PROGRAM && sc.t[c].op >= 0)
			return true;
	for (int i = T_HOTPLUG; i < T_HOTPLUG + sc.nr_hotplug; i++)
		if (!sc.t[i].done)
			return true;
	return false;
}

static bool work_left(void)
{
	for (int c = 0; c < PROG_MAX_CPUS; c++)
		if (sc.t[c].kind == SK_PROGRAM && !sc.t[c].done &&
		    (sc.t[c].op >= 0 || sc.t[c].next < sc.t[c].nr_ops))
			return true;
	for (int i = T_HOTPLUG; i < T_HOTPLUG + sc.nr_hotplug; i++)
		if (!sc.t[i].done)
			return true;
	return false;
}

static const char *holder(const struct stask *t)
{
	static char buf[64];

	if (t->what && !strcmp(t->what, "lock")) {
		const struct lock_common *l = t->on;
		int owner = __atomic_load_n(&l->owner_task, __ATOMIC_RELAXED);

		for (int i = 0; i < MAX_STASKS; i++)
			if (sc.t[i].kind != SK_NONE && sc.t[i].task.id == owner) {
				snprintf(buf, sizeof(buf), "%s, held by %s", l->name ? l->name : "?",
					 sc.t[i].name);
				return buf;
			}
		snprintf(buf, sizeof(buf), "%s", l->name ? l->name : "?");
		return buf;
	}
	return "";
}

static void report_deadlock(void)
{
	report_begin(sched_deadlock_kind(), "sched", "every task waits for another");
	for (int i = 0; i < MAX_STASKS; i++) {
		const struct stask *t = &sc.t[i];

		if (t->kind == SK_NONE || t->done || !t->blocked)
			continue;
		if ((t->kind == SK_KWORKER || t->kind == SK_UNBOUND) && !strcmp(t->what, "work"))
			continue;	/* idle kworkers wait for work: not part of a cycle */
		report_detail("  %s (cpu %d, op %ld) waits for %s %s", t->name, task_get_cpu(&t->task),
			      t->op, t->what, holder(t));
	}
	report_end();
}

static struct stask *pick(void)
{
	struct stask *n = sc.next;
	long c;

	sc.next = NULL;
	/* No source decides here, PCT neither: a choice made here would be no decision of
	 * a task at a point, and the recorded schedule would not replay it. PCT's priorities
	 * take over at the picked task's first point (SP_op at the latest). */
	if (task_runnable(n))
		return n;
	if ((c = cursor_op()) >= 0) {
		/* the owner of the next op in program order, unless it is inside one */
		n = &sc.t[sc.p->ops[c].cpu];
		if (task_runnable(n))
			return n;
	}
	for (int i = 0; i < MAX_STASKS; i++) {
		n = &sc.t[i];
		if (n->kind == SK_PROGRAM && n->op >= 0 && task_runnable(n))
			return n;
		if (n->kind == SK_HOTPLUG && task_runnable(n))
			return n;
	}
	/* kworkers inside a work item (preempted there), or with work queued */
	for (int i = T_KWORKER; i <= T_UNBOUND; i++) {
		n = &sc.t[i];
		if (n->kind == SK_NONE)
			continue;
		if ((n->fiber.started && !n->blocked) ||
		    workqueue_pending(i == T_UNBOUND ? WORK_CPU_UNBOUND : i - T_KWORKER))
			return n;
	}
	/* then any waiter that may be able to go on now */
	for (int i = 0; i < MAX_STASKS; i++) {
		n = &sc.t[i];
		if (n->kind != SK_NONE && !n->done && n->blocked && n->stamp < progress() &&
		    (n->kind == SK_PROGRAM || n->kind == SK_HOTPLUG || strcmp(n->what, "work")))
			return n;
	}
	return NULL;
}

/* A program task that waits only because its next op uses a handle an op in flight ends. */
static struct stask *handle_waiter(void)
{
	for (int c = 0; c < PROG_MAX_CPUS; c++) {
		struct stask *t = &sc.t[c];

		if (t->kind == SK_PROGRAM && !t->done && t->blocked && t->on == &sc)
			return t;
	}
	return NULL;
}

static void resolve_decisions(const struct program *p)
{
	if (p->nr_dec > sc.cap_dec_point) {
		sc.cap_dec_point = p->nr_dec;
		sc.dec_point = realloc(sc.dec_point, (size_t)p->nr_dec * sizeof(int));
		if (!sc.dec_point)
			abort();
	}
	for (int i = 0; i < p->nr_dec; i++)
		sc.dec_point[i] = sched_point_lookup(p->dec[i].point);
}

bool sched_run(const struct program *p, const struct exec_opts *o, struct exec_result *r)
{
	sc.p = p;
	sc.o = o;
	sc.r = r;
	sc.op_point = sched_points_register(&op_point_desc, 1);
	sc.nr_points = sched_nr_points();
	sc.cur = sc.next = NULL;
	sc.events = 0;
	sc.ops_done = 0;
	sc.steps = 0;
	sc.stopped = false;
	sc.src.pos = 0;
	resolve_decisions(p);
	setup_tasks(p);
	exec_set_stop(stop_fibers);
	sched_set_ops(&ops);
	model.alone = sched_alone;
	while (!sc.stopped && work_left()) {
		struct stask *t = pick();
		long done = sc.ops_done;

		if (!t && (t = handle_waiter())) {
			/* the wait for a handle is the scheduler's rule, not the kernel's: the
			 * op in flight waits (an RCU grace period, a lock) for this task, so
			 * it gives up its op rather than close the cycle */
			t->skip = true;
			t->blocked = false;
		}
		if (!t) {
			sc.cur = NULL;
			report_deadlock();	/* an unexpected report: the program ends here */
			break;
		}
		sc.cur = t;
		task_switch(&t->task);
		if (t->op >= 0)
			exec_op_enter(t->op);
		exec_window_set(&t->win);
		fiber_run(&t->fiber);
		exec_window_get(&t->win);
		sc.cur = NULL;
		/* the whole-cache checks, where no op is half done */
		if (!sc.stopped && sc.ops_done != done && (sc.ops_done & 15) == 0 && !program_busy())
			exec_checks();
	}
	sched_set_ops(NULL);
	exec_set_stop(NULL);
	model.alone = NULL;
	if (sc.stopped || r->failed) {
		task_switch(boot_task());
		return false;
	}
	task_switch(boot_task());
	/* work queued and never flushed still runs, as kworkers would */
	workqueue_run_all();
	return true;
}

void sched_set_source(const struct sched_source *src)
{
	sc.src = *src;
}

void sched_set_record(struct program *rec)
{
	sc.record = rec;
}

unsigned long sched_steps(void)
{
	return sc.steps;
}

void sched_points_reached(uint32_t *count, int n)
{
	memset(count, 0, (size_t)n * sizeof(*count));
	for (int i = 0; i < MAX_STASKS; i++)
		for (int id = 0; id < n && id < sc.nr_points && sc.t[i].occ; id++)
			count[id] += sc.t[i].occ[id];
}

void sched_input_decode(const uint8_t *data, size_t size, struct program *p,
			struct sched_source *src)
{
	size_t len = 0;

	if (size >= 2)
		len = (data[0] | (size_t)data[1] << 8) % (size - 1);
	program_decode(size >= 2 ? data + 2 : data, len, p);
	p->m.sched = 1;
	memset(src, 0, sizeof(*src));
	src->kind = SCHED_BYTES;
	src->bytes = size >= 2 ? data + 2 + len : data;
	src->len = size >= 2 ? size - 2 - len : 0;
}
