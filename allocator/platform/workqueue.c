// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU workqueues (see workqueue.h).
 *
 * One FIFO per CPU plus the unbound one, under a plain pthread mutex: platform-internal
 * like RCU's queue lock, never in lockdep-lite's graph and never held while a work runs.
 * A work's sequence numbers say what flush_work() waits for: queue_work_on() bumps
 * queued_seq, and a run that dequeued the work at queued_seq == s sets done_seq to s when
 * it finishes, so flush_work() waits for done_seq to reach the queued_seq it read (the
 * kernel's flush_work() waits for the last queueing's execution the same way).
 *
 * Hotplug (CPUHP_AP_WORKQUEUE_ONLINE): the teardown disassociates the CPU's pool and moves
 * its pending work to the unbound queue, in order (workqueue_offline_cpu() ->
 * unbind_workers()); the startup associates it again (workqueue_online_cpu()). A work the
 * inline kworker of another OS thread runs bound to the dying CPU is waited for first:
 * that kworker is not a registered task cpu_down() could migrate, and the kernel's bound
 * worker cannot be inside a preempt-disabled section while the CPU goes.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include "workqueue.h"
#include "cpu.h"
#include "hotplug.h"
#include "report.h"
#include "sched_point.h"

struct wq_pool {
	struct work_struct *head;
	struct work_struct **tail;
	unsigned int nr;
	bool disassociated;	/* offline CPU: queue_work_on() goes to the unbound queue */
	int running;		/* works running bound to this CPU right now */
};

static pthread_mutex_t wq_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wq_pool pools[MAX_CPUS + 1];	/* [0]: unbound, [cpu + 1]: CPU cpu */

static inline struct wq_pool *pool_of(int cpu)
{
	return &pools[cpu + 1];
}

static bool wq_valid_cpu(int cpu)
{
	return cpu >= WORK_CPU_UNBOUND && cpu < (int)nr_cpu_ids;
}

/* The inline kworker of this OS thread (no scheduler) and the works it runs, innermost
 * first, so a flush of a work this very thread is running is a deadlock, not a hang. */
#define KWORKER_TASK_ID_BASE	100000
struct wq_frame {
	struct work_struct *work;
	int cpu;
	struct wq_frame *prev;
};
static __thread struct task kworker_task;
/* The works a task is inside (a list through their frames): per task, not per thread, as
 * fibers of one thread interleave their works. */
static struct wq_frame **task_frames(void)
{
	return (struct wq_frame **)&current_task()->wq_frames;
}

static void pool_reset(struct wq_pool *p)
{
	p->head = NULL;
	p->tail = &p->head;
	p->nr = 0;
	p->disassociated = false;
	p->running = 0;
}

static void pool_append(struct wq_pool *p, struct work_struct *w)
{
	w->next = NULL;
	*p->tail = w;
	p->tail = &w->next;
	p->nr++;
}

/* Unlink `w` from `p` (it is there); returns it. */
static struct work_struct *pool_remove(struct wq_pool *p, struct work_struct *w)
{
	struct work_struct **pp;

	for (pp = &p->head; *pp; pp = &(*pp)->next) {
		if (*pp != w)
			continue;
		*pp = w->next;
		if (!*pp)
			p->tail = pp;
		w->next = NULL;
		p->nr--;
		return w;
	}
	return NULL;
}

/* INIT_WORK() of a pending work corrupts the kernel's queue (debugobjects warns): here it
 * WARNs and takes the work off its queue first, so the queues stay consistent. */
void init_work(struct work_struct *work, work_func_t func)
{
	bool was_pending = false;

	pthread_mutex_lock(&wq_lock);
	if (__atomic_load_n(&work->pending, __ATOMIC_ACQUIRE) && wq_valid_cpu(work->cpu) &&
	    pool_remove(pool_of(work->cpu), work))
		was_pending = true;
	memset(work, 0, sizeof(*work));
	pthread_mutex_unlock(&wq_lock);
	WARN(was_pending, "INIT_WORK() of a pending work (%p): it never ran", (void *)work);
	work->func = func;
	work->cpu = WORK_CPU_UNBOUND;
}

bool queue_work_on(int cpu, struct work_struct *work)
{
	int target = cpu;

	if (WARN(!wq_valid_cpu(cpu), "queue_work_on(%d): no such CPU (nr_cpu_ids %u)", cpu,
		 nr_cpu_ids))
		return false;
	pthread_mutex_lock(&wq_lock);
	if (work->pending) {
		pthread_mutex_unlock(&wq_lock);
		return false;
	}
	if (target >= 0 && pool_of(target)->disassociated)
		target = WORK_CPU_UNBOUND;
	__atomic_store_n(&work->pending, 1, __ATOMIC_RELEASE);
	work->cpu = target;
	__atomic_add_fetch(&work->queued_seq, 1UL, __ATOMIC_RELEASE);
	pool_append(pool_of(target), work);
	pthread_mutex_unlock(&wq_lock);
	sched_wake();
	sched_point(SP_QUEUE_WORK);
	return true;
}

/* Under wq_lock: take `w` off its queue for a run; returns the sequence it runs for. */
static unsigned long work_claim(struct work_struct *w)
{
	__atomic_store_n(&w->pending, 0, __ATOMIC_RELEASE);
	return __atomic_load_n(&w->queued_seq, __ATOMIC_ACQUIRE);
}

/* Under wq_lock: an online, associated CPU for unbound work, preferring `cpu`. */
static int unbound_run_cpu(int cpu)
{
	if (cpu_online(cpu) && !pool_of(cpu)->disassociated)
		return cpu;
	for (unsigned int i = 1; i <= nr_cpu_ids; i++) {
		int c = (int)(((unsigned int)(cpu < 0 ? 0 : cpu) + i) % nr_cpu_ids);

		if (cpu_online(c) && !pool_of(c)->disassociated)
			return c;
	}
	return cpu_online(cpu) ? cpu : next_online_cpu(cpu < 0 ? 0 : cpu);
}

static void work_done(struct work_struct *w, unsigned long seq, int run_cpu)
{
	unsigned long done;

	pthread_mutex_lock(&wq_lock);
	if (run_cpu >= 0)
		pool_of(run_cpu)->running--;
	done = __atomic_load_n(&w->done_seq, __ATOMIC_RELAXED);
	if (seq > done)
		__atomic_store_n(&w->done_seq, seq, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&wq_lock);
	sched_wake();
}

/* Run a claimed work in the current task; `w` may be freed or requeued by its function,
 * so its fields are read before (the work must outlive its flush, as in the kernel). */
static void work_run(struct work_struct *w, unsigned long seq, int run_cpu)
{
	struct wq_frame **frames = task_frames();
	struct wq_frame frame = { .work = w, .cpu = run_cpu, .prev = *frames };

	*frames = &frame;
	w->func(w);
	*frames = frame.prev;
	work_done(w, seq, run_cpu);
}

bool workqueue_run_one(int cpu)
{
	struct task *t = current_task();
	struct work_struct *w;
	unsigned long seq;
	int run_cpu;

	if (WARN(!wq_valid_cpu(cpu), "workqueue_run_one(%d): no such queue", cpu))
		return false;
	WARN(!task_preemptible(t), "workqueue_run_one() by task %d, which is not preemptible",
	     t->id);
	pthread_mutex_lock(&wq_lock);
	w = pool_of(cpu)->head;
	if (!w) {
		pthread_mutex_unlock(&wq_lock);
		return false;
	}
	pool_remove(pool_of(cpu), w);
	seq = work_claim(w);
	run_cpu = cpu >= 0 ? cpu : unbound_run_cpu(task_get_cpu(t));
	if (run_cpu >= 0)
		pool_of(run_cpu)->running++;
	pthread_mutex_unlock(&wq_lock);
	if (run_cpu >= 0 && task_get_cpu(t) != run_cpu)
		task_set_cpu(t, run_cpu);
	work_run(w, seq, run_cpu);
	return true;
}

/*
 * No scheduler: run `w` inline on this OS thread's kworker task, on `run_cpu`. Nested
 * (a work flushing another): the kworker task is reused, its CPU restored after.
 */
static void work_run_inline(struct work_struct *w, unsigned long seq, int run_cpu)
{
	struct task *saved = current_task();
	bool nested = saved == &kworker_task;
	int saved_cpu = kworker_task.cpu;

	if (!nested) {
		memset(&kworker_task, 0, sizeof(kworker_task));
		kworker_task.name = "kworker";
	}
	kworker_task.id = KWORKER_TASK_ID_BASE + (run_cpu < 0 ? 0 : run_cpu);
	kworker_task.cpu = run_cpu < 0 ? 0 : run_cpu;
	task_switch(&kworker_task);
	work_run(w, seq, run_cpu);
	if (nested) {
		kworker_task.cpu = saved_cpu;
		kworker_task.id = KWORKER_TASK_ID_BASE + saved_cpu;
	}
	task_switch(saved);
}

static bool running_on_this_thread(const struct work_struct *w)
{
	for (struct wq_frame *f = *task_frames(); f; f = f->prev)
		if (f->work == w)
			return true;
	return false;
}

bool flush_work(struct work_struct *work)
{
	unsigned long target;
	unsigned int spins = 0;

	sched_point(SP_FLUSH_WORK);
	target = __atomic_load_n(&work->queued_seq, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&work->done_seq, __ATOMIC_ACQUIRE) >= target)
		return false;
	if (sched_active()) {
		while (__atomic_load_n(&work->done_seq, __ATOMIC_ACQUIRE) < target)
			sched_wait(work, "flush_work");
		return true;
	}
	for (;;) {
		unsigned long seq;
		int run_cpu;

		pthread_mutex_lock(&wq_lock);
		if (__atomic_load_n(&work->done_seq, __ATOMIC_ACQUIRE) >= target) {
			pthread_mutex_unlock(&wq_lock);
			return true;
		}
		if (!work->pending) {
			/* Running: on another OS thread (stress), or on this one (a deadlock). */
			pthread_mutex_unlock(&wq_lock);
			if (running_on_this_thread(work)) {
				report_simple(REPORT_BUG, __func__,
					      "deadlock: flush_work() of a work this task's thread is running (task %d)",
					      current_task()->id);
				return true;
			}
			if (++spins > 64)
				sched_yield();
			continue;
		}
		pool_remove(pool_of(work->cpu), work);
		seq = work_claim(work);
		run_cpu = work->cpu >= 0 ? work->cpu
					 : unbound_run_cpu(task_get_cpu(current_task()));
		if (run_cpu >= 0)
			pool_of(run_cpu)->running++;
		pthread_mutex_unlock(&wq_lock);
		work_run_inline(work, seq, run_cpu);
		/* the work was claimed for seq >= target: done */
		return true;
	}
}

bool workqueue_pending(int cpu)
{
	return workqueue_nr_pending(cpu) > 0;
}

unsigned int workqueue_nr_pending(int cpu)
{
	unsigned int n = 0;

	if (cpu != -2 && !wq_valid_cpu(cpu))
		return 0;
	pthread_mutex_lock(&wq_lock);
	if (cpu == -2) {
		for (int c = WORK_CPU_UNBOUND; c < (int)nr_cpu_ids; c++)
			n += pool_of(c)->nr;
	} else {
		n = pool_of(cpu)->nr;
	}
	pthread_mutex_unlock(&wq_lock);
	return n;
}

const void *workqueue_queue(int cpu)
{
	return wq_valid_cpu(cpu) ? (const void *)pool_of(cpu) : NULL;
}

unsigned int workqueue_run_all(void)
{
	unsigned int n = 0;

	for (;;) {
		struct work_struct *w = NULL;
		int c;

		pthread_mutex_lock(&wq_lock);
		for (c = WORK_CPU_UNBOUND; c < (int)nr_cpu_ids && !w; c++)
			w = pool_of(c)->head;
		pthread_mutex_unlock(&wq_lock);
		if (!w)
			return n;
		flush_work(w);	/* inline, or yields to the kworkers */
		n++;
	}
}

bool workqueue_cpu_unbound(int cpu)
{
	bool r;

	if (cpu < 0 || cpu >= (int)nr_cpu_ids)
		return true;
	pthread_mutex_lock(&wq_lock);
	r = pool_of(cpu)->disassociated;
	pthread_mutex_unlock(&wq_lock);
	return r;
}

/* CPUHP_AP_WORKQUEUE_ONLINE teardown: workqueue_offline_cpu() -> unbind_workers(). */
static int workqueue_offline_cpu(unsigned int cpu)
{
	struct wq_pool *p, *unbound = pool_of(WORK_CPU_UNBOUND);
	unsigned int spins = 0;
	struct work_struct *w;
	bool self = false;

	if (cpu >= nr_cpu_ids)
		return 0;
	p = pool_of((int)cpu);
	pthread_mutex_lock(&wq_lock);
	p->disassociated = true;
	while ((w = p->head)) {
		pool_remove(p, w);
		w->cpu = WORK_CPU_UNBOUND;
		pool_append(unbound, w);
	}
	pthread_mutex_unlock(&wq_lock);
	sched_wake();

	for (struct wq_frame *f = *task_frames(); f; f = f->prev)
		self |= f->cpu == (int)cpu;
	/* Inline kworkers of other threads (stress) still bound here: let them finish. A
	 * scheduler's kworkers are tasks cpu_down() migrates or waits for itself. */
	while (!self && !sched_active()) {
		int running;

		pthread_mutex_lock(&wq_lock);
		running = p->running;
		pthread_mutex_unlock(&wq_lock);
		if (!running)
			break;
		if (++spins > 64)
			sched_yield();
	}
	return 0;
}

/* CPUHP_AP_WORKQUEUE_ONLINE startup: workqueue_online_cpu() rebinds the pool. */
static int workqueue_online_cpu(unsigned int cpu)
{
	if (cpu >= nr_cpu_ids)
		return 0;
	pthread_mutex_lock(&wq_lock);
	pool_of((int)cpu)->disassociated = false;
	pthread_mutex_unlock(&wq_lock);
	return 0;
}

void workqueue_reset(void)
{
	pthread_mutex_lock(&wq_lock);
	for (int i = 0; i < MAX_CPUS + 1; i++)
		pool_reset(&pools[i]);
	pthread_mutex_unlock(&wq_lock);
	*task_frames() = NULL;
	cpuhp_setup_state(CPUHP_AP_WORKQUEUE_ONLINE, "workqueue:online", workqueue_online_cpu,
			  workqueue_offline_cpu);
}
