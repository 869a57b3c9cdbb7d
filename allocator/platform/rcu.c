// SPDX-License-Identifier: GPL-2.0
/*
 * RCU for the emulated machine: a deterministic backend for the fuzzers and tests, and a
 * liburcu (urcu-memb) backend for the stress driver. See rcu.h for the contract.
 *
 * Deterministic backend. Each CPU has a FIFO of callbacks; a callback queued while
 * `rcu_completed == g` is tagged gp = g + 1 and becomes ready once rcu_completed >= g + 1.
 * Tags are non-decreasing along a queue (the only other way in is a CPU's queue merged
 * on hotplug, which keeps the order by tag), so the ready callbacks are always a prefix.
 * Grace periods are instantaneous: rcu_gp_advance() ends one unless a reader is inside
 * rcu_read_lock(). Callbacks run on the CPU they were queued on (the kernel runs them from
 * that CPU's RCU softirq): the invoking task borrows that CPU while they run.
 *
 * The queues are guarded by a plain pthread mutex: it is platform-internal, must not
 * appear in lockdep-lite's graph, and is never held while a callback runs (callbacks call
 * call_rcu() themselves).
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>

#ifdef HAVE_URCU
/*
 * liburcu's call-rcu.h defines its own `struct rcu_head`; rename it while its headers are
 * parsed so ours (rcu.h) can keep the kernel's name. The flavour-mapping macros
 * (call_rcu -> urcu_memb_call_rcu ...) are cleared again at the end of urcu-memb.h.
 */
#define rcu_head urcu_rcu_head
#include <urcu/urcu-memb.h>
#undef rcu_head
#endif

#include "rcu.h"
#include "cpu.h"
#include "hotplug.h"
#include "atomic.h"
#include "report.h"
#include "sched_point.h"

#if defined(__SANITIZE_THREAD__)
#define RCU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RCU_TSAN 1
#endif
#endif

#ifdef RCU_TSAN
#include <sanitizer/tsan_interface.h>
/* liburcu is not instrumented: tell TSan about the orderings RCU guarantees. */
#define rcu_tsan_release(addr)	__tsan_release((void *)(addr))
#define rcu_tsan_acquire(addr)	__tsan_acquire((void *)(addr))
#else
#define rcu_tsan_release(addr)	do { (void)(addr); } while (0)
#define rcu_tsan_acquire(addr)	do { (void)(addr); } while (0)
#endif

#if defined(RCU_TSAN) && defined(HAVE_URCU)
#include "tsan_suppressions.h"	/* generated from sanitizers/tsan.supp */

/*
 * TSan reads this at start-up, before main(): the liburcu suppressions are part of every
 * binary, so a plain run needs no TSAN_OPTIONS (a suppressions= file there is added to
 * them). It lives here, not in a file of its own, because an archive member is linked only
 * when something references it, and the runtime's weak default would satisfy a reference:
 * rcu.o is in every binary that can run liburcu code, being its only caller.
 */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return slab_tsan_suppressions;
}
#endif

struct rcu_cpu_queue {
	struct rcu_head *head;
	struct rcu_head **tail;
	unsigned int nr;
};

static enum rcu_backend rcu_cur_backend = RCU_DETERMINISTIC;
static pthread_mutex_t rcu_queue_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcu_cpu_queue rcu_queues[MAX_CPUS];
static unsigned long rcu_completed;	/* grace periods ended since rcu_init() */
static unsigned long rcu_invoked;	/* callbacks run since rcu_init() */
static int rcu_active_readers;		/* tasks inside rcu_read_lock(), all OS threads */
/* Readers on this OS thread: a grace period waited for here could never end. */
static __thread int rcu_thread_readers;

static inline bool rcu_is_liburcu(void)
{
	return READ_ONCE(rcu_cur_backend) == RCU_LIBURCU;
}

static void rcu_queue_reset(struct rcu_cpu_queue *q)
{
	q->head = NULL;
	q->tail = &q->head;
	q->nr = 0;
}

/* Last callback of a non-empty queue: the one with the highest gp tag. */
static struct rcu_head *rcu_queue_last(struct rcu_cpu_queue *q)
{
	return container_of(q->tail, struct rcu_head, next);
}

static void rcu_queue_append(struct rcu_cpu_queue *q, struct rcu_head *head)
{
	head->next = NULL;
	*q->tail = head;
	q->tail = &head->next;
	q->nr++;
}

/*
 * Move every callback of `src` into `dst` keeping both orders and the gp tags; on equal
 * tags dst's own callbacks come first. This is what rcu_segcblist_merge() achieves by
 * splicing segment by segment, and it keeps the ready-prefix property of dst.
 */
static void rcu_queue_merge(struct rcu_cpu_queue *dst, struct rcu_cpu_queue *src)
{
	struct rcu_head *a = dst->head, *b = src->head;
	struct rcu_cpu_queue out;

	rcu_queue_reset(&out);
	while (a || b) {
		struct rcu_head *pick;

		if (!b || (a && a->gp <= b->gp)) {
			pick = a;
			a = a->next;
		} else {
			pick = b;
			b = b->next;
		}
		rcu_queue_append(&out, pick);
	}
	if (out.head) {
		dst->head = out.head;
		dst->tail = out.tail;
	}
	dst->nr = out.nr;
	rcu_queue_reset(src);
}

/*
 * Run the callbacks of `cpu` whose tag is <= limit. The ready prefix is detached under
 * the lock first: callbacks may queue new callbacks (on this very queue) while we run.
 */
static unsigned int rcu_do_batch(int cpu, unsigned long limit)
{
	struct rcu_cpu_queue *q = &rcu_queues[cpu];
	struct rcu_head *list, *head, **last;
	unsigned int n = 0;

	pthread_mutex_lock(&rcu_queue_lock);
	list = q->head;
	last = &q->head;
	while (*last && (*last)->gp <= limit) {
		last = &(*last)->next;
		n++;
	}
	if (!n) {
		pthread_mutex_unlock(&rcu_queue_lock);
		return 0;
	}
	q->head = *last;
	*last = NULL;
	if (!q->head)
		q->tail = &q->head;
	q->nr -= n;
	pthread_mutex_unlock(&rcu_queue_lock);

	/* Borrow the queue's CPU unless the task is pinned (local lock, interrupt). */
	struct task *t = current_task();
	int old_cpu = task_get_cpu(t);
	bool borrow = old_cpu != cpu && cpu_online(cpu) && !t->local_locks_held &&
		      !t->irq_depth;

	if (borrow)
		task_set_cpu(t, cpu);
	for (head = list; head; ) {
		struct rcu_head *next = head->next;	/* head may be freed by its callback */

		head->next = NULL;
		atomic_inc(&rcu_invoked);
		head->func(head);
		head = next;
	}
	if (borrow) {
		/* the task's own CPU may have gone down while a callback was preempted (the
		 * hotplug migrated the tasks that were on it, not this one): not back there */
		int back = cpu_online(old_cpu) ? old_cpu : next_online_cpu(old_cpu);

		task_set_cpu(t, back >= 0 ? back : cpu);
	}
	return n;
}

static bool rcu_valid_cpu(int cpu, const char *func)
{
	if (cpu >= -1 && cpu < (int)nr_cpu_ids)
		return true;
	report_simple(REPORT_WARN, func, "invalid CPU %d (nr_cpu_ids %u)", cpu, nr_cpu_ids);
	return false;
}

/*
 * A grace period waited for on this OS thread while it holds a reader never ends. With a
 * scheduler (fibers) the readers of other tasks of this thread will run and leave, so only
 * a reader section of the current task itself is endless.
 */
static bool rcu_would_wait_forever(const char *func)
{
	if (sched_active() ? !current_task()->rcu_read_depth : !rcu_thread_readers)
		return false;
	report_simple(REPORT_BUG, func,
		      "would wait forever for a reader: %d rcu_read_lock() section(s) active on this thread (task %d depth %d)",
		      rcu_thread_readers, current_task()->id, current_task()->rcu_read_depth);
	return true;
}

/* CPUHP_RCU_DEAD: the dead CPU's callbacks move to the CPU running the teardown. */
static int rcutree_migrate_callbacks(unsigned int cpu)
{
	int to = task_get_cpu(current_task());

	if (rcu_is_liburcu() || (int)cpu == to || cpu >= MAX_CPUS)
		return 0;
	pthread_mutex_lock(&rcu_queue_lock);
	if (rcu_queues[cpu].head)
		rcu_queue_merge(&rcu_queues[to], &rcu_queues[cpu]);
	pthread_mutex_unlock(&rcu_queue_lock);
	return 0;
}

#ifdef HAVE_URCU

_Static_assert(sizeof(struct urcu_rcu_head) <= sizeof(((struct rcu_head *)0)->urcu_head),
	       "struct rcu_head.urcu_head too small for liburcu's struct rcu_head");

/*
 * With liburcu, head->gp carries the rcu_init() generation (so callbacks of a program that
 * was reset are dropped rather than run against a new machine) and the queuing CPU (for
 * rcu_pending_callbacks()).
 */
#define URCU_CPU_BITS	8
_Static_assert(MAX_CPUS <= (1 << URCU_CPU_BITS), "CPU number does not fit in head->gp");

static unsigned long urcu_generation;
static unsigned long urcu_gp_started;	/* synchronize_rcu() calls begun */
static unsigned long urcu_gp_done_max;	/* highest start number of an ended one */
static int urcu_pending[MAX_CPUS];
static int rcu_tsan_gp;			/* TSan sync objects (addresses only) */
static int rcu_tsan_barrier;

static pthread_key_t urcu_exit_key;
static pthread_once_t urcu_key_once = PTHREAD_ONCE_INIT;
static __thread bool urcu_registered;
/* The call_rcu worker runs allocator code: it needs a task of its own. */
static __thread struct task urcu_cb_task;
static __thread unsigned long urcu_cb_task_gen;

static int rcu_first_online_cpu(void)
{
	int cpu;

	for_each_online_cpu(cpu)
		return cpu;
	return 0;
}

/* A thread that registered and exits must leave liburcu's registry. */
static void urcu_thread_exit(void *arg)
{
	if (urcu_registered) {
		urcu_memb_unregister_thread();
		urcu_registered = false;
	}
}

static void urcu_make_key(void)
{
	pthread_key_create(&urcu_exit_key, urcu_thread_exit);
}

static void urcu_register(void)
{
	if (urcu_registered)
		return;
	pthread_once(&urcu_key_once, urcu_make_key);
	urcu_memb_register_thread();
	urcu_registered = true;
	pthread_setspecific(urcu_exit_key, (void *)1);
}

static void urcu_synchronize(void)
{
	unsigned long me = atomic_add_return(&urcu_gp_started, 1);
	unsigned long seen = READ_ONCE(urcu_gp_done_max);

	urcu_memb_synchronize_rcu();
	while (seen < me && !try_cmpxchg(&urcu_gp_done_max, &seen, me))
		;
	atomic_inc(&rcu_completed);
	rcu_tsan_acquire(&rcu_tsan_gp);
}

static void urcu_callback_task(void)
{
	unsigned long gen = READ_ONCE(urcu_generation);

	if (urcu_cb_task_gen != gen) {
		/* liburcu registered its worker thread itself. */
		urcu_registered = true;
		task_init(&urcu_cb_task, "rcu_callback", rcu_first_online_cpu());
		task_switch(&urcu_cb_task);
		urcu_cb_task_gen = gen;
	} else if (!cpu_online(task_get_cpu(&urcu_cb_task))) {
		task_migrate(&urcu_cb_task, rcu_first_online_cpu());
	}
}

static void urcu_trampoline(struct urcu_rcu_head *uh)
{
	struct rcu_head *head = (struct rcu_head *)((char *)uh -
						    offsetof(struct rcu_head, urcu_head));
	unsigned long tag;

	/* Before the first access to head: urcu_call()'s release pairs with this. */
	rcu_tsan_acquire(head);
	rcu_tsan_acquire(&rcu_tsan_gp);
	tag = head->gp;
	if ((tag >> URCU_CPU_BITS) != READ_ONCE(urcu_generation))
		return;		/* queued before the machine was reset */
	urcu_callback_task();
	atomic_dec(&urcu_pending[tag & ((1 << URCU_CPU_BITS) - 1)]);
	atomic_inc(&rcu_invoked);
	/*
	 * No cpu_occupy()/cpus_read_lock() here: a task waiting in rcu_barrier() may hold
	 * both, and a cpu_down() queued behind it would then block this callback forever.
	 * Kernel callbacks never wait for hotplug either.
	 */
	head->func(head);
	rcu_tsan_release(&rcu_tsan_barrier);
}

static void urcu_call(struct rcu_head *head, rcu_callback_t func)
{
	int cpu = task_get_cpu(current_task());

	urcu_register();
	head->func = func;
	head->next = NULL;
	head->gp = (READ_ONCE(urcu_generation) << URCU_CPU_BITS) | (unsigned long)cpu;
	atomic_inc(&urcu_pending[cpu]);
	rcu_tsan_release(head);
	urcu_memb_call_rcu((struct urcu_rcu_head *)head->urcu_head, urcu_trampoline);
}

static void urcu_barrier(void)
{
	urcu_register();
	urcu_memb_barrier();
	atomic_inc(&rcu_completed);
	rcu_tsan_acquire(&rcu_tsan_barrier);
}

static void urcu_init(void)
{
	int cpu;

	urcu_register();
	/* Drop, then drain, callbacks still queued by the previous program. */
	atomic_inc(&urcu_generation);
	urcu_memb_barrier();
	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		WRITE_ONCE(urcu_pending[cpu], 0);
	WRITE_ONCE(urcu_gp_started, 0);
	WRITE_ONCE(urcu_gp_done_max, 0);
}

#endif /* HAVE_URCU */

void rcu_init(enum rcu_backend backend)
{
	int cpu;

#ifdef HAVE_URCU
	if (backend == RCU_LIBURCU || rcu_cur_backend == RCU_LIBURCU)
		urcu_init();
#else
	if (backend == RCU_LIBURCU) {
		backend = RCU_DETERMINISTIC;
		report_simple(REPORT_BUG, __func__,
			      "RCU_LIBURCU requested but this build has no liburcu (configure with liburcu installed: make deps)");
	}
#endif
	pthread_mutex_lock(&rcu_queue_lock);
	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		rcu_queue_reset(&rcu_queues[cpu]);
	WRITE_ONCE(rcu_completed, 0);
	WRITE_ONCE(rcu_invoked, 0);
	WRITE_ONCE(rcu_active_readers, 0);
	rcu_thread_readers = 0;
	WRITE_ONCE(rcu_cur_backend, backend);
	pthread_mutex_unlock(&rcu_queue_lock);
	cpuhp_setup_state(CPUHP_RCU_DEAD, "rcu:dead", NULL, rcutree_migrate_callbacks);
}

enum rcu_backend rcu_backend(void)
{
	return READ_ONCE(rcu_cur_backend);
}

void call_rcu(struct rcu_head *head, rcu_callback_t func)
{
	struct rcu_cpu_queue *q;

	sched_point(SP_CALL_RCU);

#ifdef HAVE_URCU
	if (rcu_is_liburcu()) {
		urcu_call(head, func);
		return;
	}
#endif
	head->func = func;
	pthread_mutex_lock(&rcu_queue_lock);
	head->gp = rcu_completed + 1;
	q = &rcu_queues[task_get_cpu(current_task())];
	rcu_queue_append(q, head);
	pthread_mutex_unlock(&rcu_queue_lock);
}

void rcu_read_lock(void)
{
	struct task *t = current_task();

#ifdef HAVE_URCU
	if (rcu_is_liburcu()) {
		urcu_register();
		urcu_memb_read_lock();
	}
#endif
	if (t->rcu_read_depth++ == 0) {
		atomic_inc(&rcu_active_readers);
		rcu_thread_readers++;
	}
}

void rcu_read_unlock(void)
{
	struct task *t = current_task();

	if (t->rcu_read_depth <= 0) {
		report_simple(REPORT_WARN, __func__,
			      "rcu_read_unlock() without rcu_read_lock() (task %d)", t->id);
		return;
	}
	if (--t->rcu_read_depth == 0) {
		rcu_thread_readers--;
		atomic_dec(&rcu_active_readers);
		sched_wake();
	}
#ifdef HAVE_URCU
	if (rcu_is_liburcu()) {
		rcu_tsan_release(&rcu_tsan_gp);
		urcu_memb_read_unlock();
	}
#endif
}

bool rcu_read_lock_held(void)
{
	return current_task()->rcu_read_depth > 0;
}

bool rcu_gp_advance(void)
{
#ifdef HAVE_URCU
	if (rcu_is_liburcu()) {
		if (rcu_thread_readers)
			return false;
		urcu_synchronize();
		return true;
	}
#endif
	pthread_mutex_lock(&rcu_queue_lock);
	if (atomic_read(&rcu_active_readers) > 0) {
		pthread_mutex_unlock(&rcu_queue_lock);
		return false;
	}
	WRITE_ONCE(rcu_completed, rcu_completed + 1);
	pthread_mutex_unlock(&rcu_queue_lock);
	return true;
}

/* End one grace period; readers on other OS threads (or other fibers) are waited for. */
static void rcu_wait_gp(void)
{
	while (!rcu_gp_advance()) {
		if (!sched_wait(&rcu_active_readers, "rcu"))
			sched_yield();
	}
}

unsigned int rcu_invoke_callbacks(int cpu)
{
	unsigned long limit;
	unsigned int n = 0;

	if (rcu_is_liburcu() || !rcu_valid_cpu(cpu, __func__))
		return 0;
	limit = READ_ONCE(rcu_completed);
	if (cpu >= 0)
		return rcu_do_batch(cpu, limit);
	for_each_possible_cpu(cpu)
		n += rcu_do_batch(cpu, limit);
	return n;
}

void synchronize_rcu(void)
{
	if (rcu_would_wait_forever(__func__))
		return;
#ifdef HAVE_URCU
	if (rcu_is_liburcu()) {
		urcu_synchronize();
		return;
	}
#endif
	rcu_wait_gp();
	rcu_invoke_callbacks(-1);
}

/*
 * Wait for every callback queued before the call. Pending callbacks carry tags up to
 * `target` = the highest tag queued; once rcu_completed reaches it, each of them is
 * ready, and a callback queued from now on (including by the callbacks we run) is tagged
 * rcu_completed + 1 > target, so running "tag <= target" until none is left runs exactly
 * the earlier ones. Like the kernel's, a barrier with nothing queued ends no grace period.
 */
void rcu_barrier(void)
{
	unsigned long target = 0;
	bool any = false;
	int cpu;

	if (rcu_would_wait_forever(__func__))
		return;
#ifdef HAVE_URCU
	if (rcu_is_liburcu()) {
		urcu_barrier();
		return;
	}
#endif
	pthread_mutex_lock(&rcu_queue_lock);
	for_each_possible_cpu(cpu) {
		struct rcu_cpu_queue *q = &rcu_queues[cpu];

		if (q->head) {
			any = true;
			target = max(target, rcu_queue_last(q)->gp);
		}
	}
	pthread_mutex_unlock(&rcu_queue_lock);
	if (!any)
		return;
	while (READ_ONCE(rcu_completed) < target)
		rcu_wait_gp();
	/* Repeat: hotplug may move not-yet-run callbacks to a CPU already visited. */
	for (;;) {
		unsigned int n = 0;

		for_each_possible_cpu(cpu)
			n += rcu_do_batch(cpu, target);
		if (!n)
			break;
	}
}

/* A cookie is the number of the first grace period that must end after the call. */
unsigned long get_state_synchronize_rcu(void)
{
#ifdef HAVE_URCU
	if (rcu_is_liburcu())
		return READ_ONCE(urcu_gp_started);
#endif
	return READ_ONCE(rcu_completed) + 1;
}

bool poll_state_synchronize_rcu(unsigned long cookie)
{
#ifdef HAVE_URCU
	/* Done once a synchronize_rcu() begun after the cookie was taken has ended. */
	if (rcu_is_liburcu())
		return READ_ONCE(urcu_gp_done_max) > cookie;
#endif
	return READ_ONCE(rcu_completed) >= cookie;
}

void rcu_thread_online(void)
{
#ifdef HAVE_URCU
	if (rcu_is_liburcu())
		urcu_register();
#endif
}

void rcu_thread_offline(void)
{
#ifdef HAVE_URCU
	if (urcu_registered) {
		urcu_memb_unregister_thread();
		urcu_registered = false;
		pthread_setspecific(urcu_exit_key, NULL);
	}
#endif
}

unsigned long rcu_completed_gp(void)
{
	return READ_ONCE(rcu_completed);
}

unsigned int rcu_pending_callbacks(int cpu)
{
	unsigned int n = 0;
	int c;

	if (!rcu_valid_cpu(cpu, __func__))
		return 0;
#ifdef HAVE_URCU
	if (rcu_is_liburcu()) {
		for_each_possible_cpu(c)
			if (cpu < 0 || c == cpu)
				n += max(atomic_read(&urcu_pending[c]), 0);
		return n;
	}
#endif
	pthread_mutex_lock(&rcu_queue_lock);
	for_each_possible_cpu(c)
		if (cpu < 0 || c == cpu)
			n += rcu_queues[c].nr;
	pthread_mutex_unlock(&rcu_queue_lock);
	return n;
}

unsigned long rcu_grace_periods(void)
{
	return READ_ONCE(rcu_completed);
}

unsigned long rcu_callbacks_invoked(void)
{
	return READ_ONCE(rcu_invoked);
}
