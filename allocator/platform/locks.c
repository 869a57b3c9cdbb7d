// SPDX-License-Identifier: GPL-2.0
/*
 * Locks and lockdep-lite.
 *
 * A lock is one atomic word taken with an acquire CAS and dropped with a release store,
 * so TSan sees the happens-before edges of the critical sections. Waiters spin briefly,
 * then sched_yield(): stress runs more threads than host CPUs. Before each wait the owner's
 * OS thread is compared with ours: when it is the same thread, the holder is a task (or the
 * interrupted task) this thread drives and will never run again while we wait, so the
 * acquire is a self-deadlock and BUGs instead of hanging.
 *
 * Lockdep-lite keeps one global class table and edge matrix behind an internal mutex; the
 * hot path reads the matrix with relaxed atomics and takes the mutex only for a new edge or
 * a new class. Classes are numbered in first-acquired order after lockdep_reset(); a lock
 * caches its class tagged with the reset generation, so locks that survive a reset (static
 * ones of the layers above) look their class up again.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "locks.h"
#include "report.h"
#include "sched_point.h"

#define SPINS_BEFORE_YIELD	64

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static unsigned long next_thread_token;	/* atomic */
static __thread unsigned long thread_token;

/* A nonzero id of the calling OS thread; never reused. */
unsigned long lock_thread_token(void)
{
	if (unlikely(!thread_token))
		thread_token = __atomic_add_fetch(&next_thread_token, 1, __ATOMIC_RELAXED);
	return thread_token;
}

/* lockdep-lite can be switched off at run time, as a build without SLAB_LOCKDEP: a trace
 * then shows what a bug does, not the assertion that names it. */
static bool lockdep_off;

void lockdep_set_enabled(bool on)
{
	__atomic_store_n(&lockdep_off, !on, __ATOMIC_RELAXED);
}

bool lockdep_enabled(void)
{
#ifdef SLAB_LOCKDEP
	return !__atomic_load_n(&lockdep_off, __ATOMIC_RELAXED);
#else
	return false;
#endif
}

void __lock_init(struct lock_common *l, const char *name)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->owner_task, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&l->owner_thread, 0UL, __ATOMIC_RELAXED);
	__atomic_store_n(&l->class_id, -1, __ATOMIC_RELAXED);
	l->sleeps = false;
	l->name = name;
}

void __mutex_init(struct lock_common *l, const char *name)
{
	__lock_init(l, name);
	l->sleeps = true;
}

void local_irq_disable_count(void)
{
	current_task()->irqs_off++;
}

void local_irq_enable_count(void)
{
	current_task()->irqs_off--;
}

bool irqs_disabled(void)
{
	return current_task()->irqs_off > 0;
}

#ifdef SLAB_LOCKDEP

#define MAX_LOCK_CLASSES	64
#define CLASS_NAME_LEN		48
#define CLASS_GEN_SHIFT		7	/* class_id = gen << shift | index; index < 128 */

static pthread_mutex_t lockdep_lock = PTHREAD_MUTEX_INITIALIZER;
static char class_names[MAX_LOCK_CLASSES][CLASS_NAME_LEN];
static int nr_classes;			/* atomic */
static int lockdep_gen = 1;		/* atomic; bumped by lockdep_reset() */
static bool edge[MAX_LOCK_CLASSES][MAX_LOCK_CLASSES];		/* atomic: from -> to */
static bool inversion_reported[MAX_LOCK_CLASSES][MAX_LOCK_CLASSES];	/* [low][high] */
static bool classes_full_reported;

static int lock_class(struct lock_common *l)
{
	int gen = __atomic_load_n(&lockdep_gen, __ATOMIC_ACQUIRE) & 0xffffff;
	int cached = __atomic_load_n(&l->class_id, __ATOMIC_RELAXED);
	const char *name = l->name ? l->name : "(unnamed)";
	bool full = false;
	int id = -1;

	if (cached >= 0 && (cached >> CLASS_GEN_SHIFT) == gen)
		return cached & ((1 << CLASS_GEN_SHIFT) - 1);

	pthread_mutex_lock(&lockdep_lock);
	for (int i = 0; i < nr_classes; i++) {
		if (!strncmp(class_names[i], name, CLASS_NAME_LEN - 1)) {
			id = i;
			break;
		}
	}
	if (id < 0 && nr_classes < MAX_LOCK_CLASSES) {
		id = nr_classes;
		strncpy(class_names[id], name, CLASS_NAME_LEN - 1);
		class_names[id][CLASS_NAME_LEN - 1] = '\0';
		__atomic_store_n(&nr_classes, nr_classes + 1, __ATOMIC_RELEASE);
	} else if (id < 0 && !classes_full_reported) {
		classes_full_reported = true;
		full = true;
	}
	pthread_mutex_unlock(&lockdep_lock);
	if (full)
		report_simple(REPORT_WARN, "lock_class",
			      "lockdep: more than %d lock classes, %s untracked", MAX_LOCK_CLASSES,
			      name);
	if (id >= 0)
		__atomic_store_n(&l->class_id, gen << CLASS_GEN_SHIFT | id, __ATOMIC_RELAXED);
	return id;
}

/* Record held -> cls for every held class; report the first inversion found. */
static void lockdep_add_edges(struct task *t, int cls, const char *func)
{
	int inv_from = -1;
	char a[CLASS_NAME_LEN], b[CLASS_NAME_LEN];

	for (int i = 0; i < t->nr_held; i++) {
		int h = t->held[i].class_id;

		if (h < 0 || h == cls || __atomic_load_n(&edge[h][cls], __ATOMIC_ACQUIRE))
			continue;
		pthread_mutex_lock(&lockdep_lock);
		__atomic_store_n(&edge[h][cls], true, __ATOMIC_RELEASE);
		if (edge[cls][h] && inv_from < 0) {
			int lo = min(h, cls), hi = max(h, cls);

			if (!inversion_reported[lo][hi]) {
				inversion_reported[lo][hi] = true;
				inv_from = h;
				memcpy(a, class_names[h], sizeof(a));
				memcpy(b, class_names[cls], sizeof(b));
			}
		}
		pthread_mutex_unlock(&lockdep_lock);
	}
	if (inv_from >= 0) {
		report_begin(REPORT_LOCK_INVERSION, func,
			     "possible circular locking dependency: %s -> %s and %s -> %s",
			     a, b, b, a);
		report_detail("task %d holds %s and acquires %s; the reverse order was seen before",
			      t->id, a, b);
		report_end();
	}
}

void lockdep_acquire(struct lock_common *l, bool trylock, const char *func)
{
	struct task *t = current_task();
	int cls;

	if (!lockdep_enabled()) {
		/* off at run time: track what is held, check nothing */
		if (t->nr_held < (int)ARRAY_SIZE(t->held)) {
			t->held[t->nr_held].lock = l;
			t->held[t->nr_held].class_id = -1;
			t->nr_held++;
		}
		return;
	}
	if (!trylock && in_nmi())
		report_simple(REPORT_BAD_CONTEXT, func, "spinning on lock %s in NMI context",
			      l->name ? l->name : "(unnamed)");
	cls = lock_class(l);
	if (!trylock && cls >= 0)
		lockdep_add_edges(t, cls, func);
	if (t->nr_held >= (int)ARRAY_SIZE(t->held)) {
		report_simple(REPORT_WARN, func, "lockdep: task %d holds more than %zu locks",
			      t->id, ARRAY_SIZE(t->held));
		return;
	}
	t->held[t->nr_held].lock = l;
	t->held[t->nr_held].class_id = cls;
	t->nr_held++;
}

void lockdep_release(struct lock_common *l, const char *func)
{
	struct task *t = current_task();

	/* Locks are not always released in LIFO order: drop the innermost entry. */
	for (int i = t->nr_held - 1; i >= 0; i--) {
		if (t->held[i].lock == l) {
			memmove(&t->held[i], &t->held[i + 1],
				(size_t)(t->nr_held - i - 1) * sizeof(t->held[0]));
			t->nr_held--;
			return;
		}
	}
}

void lockdep_reset(void)
{
	pthread_mutex_lock(&lockdep_lock);
	memset(class_names, 0, sizeof(class_names));
	memset(edge, 0, sizeof(edge));
	memset(inversion_reported, 0, sizeof(inversion_reported));
	classes_full_reported = false;
	__atomic_store_n(&nr_classes, 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&lockdep_gen, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&lockdep_lock);
}

int lockdep_nr_classes(void)
{
	return __atomic_load_n(&nr_classes, __ATOMIC_ACQUIRE);
}

void might_alloc(gfp_t gfp, const char *func)
{
	current_task();
	if (in_nmi() && gfpflags_allow_spinning(gfp))
		report_simple(REPORT_BAD_CONTEXT, func,
			      "allocation with gfp %#x may spin in NMI context", gfp);
}

void __lockdep_assert_held(const struct lock_common *l, const char *lockname, const char *func)
{
	if (lockdep_enabled() && !__lock_held_by_current(l))
		report_simple(REPORT_LOCK_NOT_HELD, func,
			      "lockdep_assert_held(%s) failed: not held by task %d", lockname,
			      current_task()->id);
}

#else /* !SLAB_LOCKDEP */

void lockdep_acquire(struct lock_common *l, bool trylock, const char *func) {}
void lockdep_release(struct lock_common *l, const char *func) {}
void might_alloc(gfp_t gfp, const char *func) {}
void __lockdep_assert_held(const struct lock_common *l, const char *lockname,
			   const char *func) {}
int lockdep_nr_classes(void) { return 0; }

void lockdep_reset(void) {}

#endif /* SLAB_LOCKDEP */

static bool lock_cas(struct lock_common *l)
{
	int expected = 0;

	return __atomic_compare_exchange_n(&l->locked, &expected, 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static void lock_set_owner(struct lock_common *l, struct task *t)
{
	__atomic_store_n(&l->owner_task, t->id, __ATOMIC_RELAXED);
	__atomic_store_n(&l->owner_thread, lock_thread_token(), __ATOMIC_RELAXED);
}

static void lock_acquire_nopoint(struct lock_common *l, const char *func)
{
	struct task *t = current_task();
	unsigned long self = lock_thread_token();

	lockdep_acquire(l, false, func);
	for (unsigned int spins = 0; !lock_cas(l); spins++) {
		/* The owner clears owner_thread before it releases, so reading our own token
		 * here means one of this thread's tasks holds the lock right now: only a
		 * scheduler of this thread's tasks can make it let go. */
		if (__atomic_load_n(&l->owner_thread, __ATOMIC_RELAXED) == self) {
			if (sched_wait(l, "lock"))
				continue;
			lockdep_release(l, func);
			report_simple(REPORT_BUG, func,
				      "deadlock: task %d acquires %s held by task %d on the same thread",
				      t->id, l->name ? l->name : "(unnamed)",
				      __atomic_load_n(&l->owner_task, __ATOMIC_RELAXED));
			abort();	/* a BUG never returns; keep the compiler sure of it */
		}
		if (spins >= SPINS_BEFORE_YIELD)
			sched_yield();
		else
			cpu_relax();
	}
	lock_set_owner(l, t);
	if (!l->sleeps)
		t->preempt_count++;
}

void __lock_acquire(struct lock_common *l, const char *func)
{
	sched_point(SP_LOCK);
	lock_acquire_nopoint(l, func);
}

bool __lock_tryacquire(struct lock_common *l, const char *func)
{
	struct task *t = current_task();

	if (!lock_cas(l))
		return false;
	lock_set_owner(l, t);
	if (!l->sleeps)
		t->preempt_count++;
	lockdep_acquire(l, true, func);
	return true;
}

static bool lock_release_nopoint(struct lock_common *l, const char *func)
{
	struct task *t = current_task();

	/* the report names the function that unlocked */
	if (!__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
		report_simple(REPORT_WARN, func, "unlock of %s, which is not locked (task %d)",
			      l->name ? l->name : "(unnamed)", t->id);
		return false;
	}
	lockdep_release(l, func);
	if (!l->sleeps)
		t->preempt_count--;
	__atomic_store_n(&l->owner_task, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&l->owner_thread, 0UL, __ATOMIC_RELAXED);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	sched_wake();
	return true;
}

void __lock_release(struct lock_common *l, const char *func)
{
	if (lock_release_nopoint(l, func))
		sched_point(SP_UNLOCK);
}

/* The point comes once interrupts are on again: where the kernel's irqrestore lets an
 * interrupt in while the task may still hold other locks (a local lock). */
void __spin_unlock_irqrestore(struct lock_common *l, const char *func)
{
	bool released = lock_release_nopoint(l, func);

	local_irq_enable_count();
	if (released)
		sched_point(SP_UNLOCK);
}

bool __lock_held_by_current(const struct lock_common *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&l->owner_thread, __ATOMIC_RELAXED) == lock_thread_token() &&
	       __atomic_load_n(&l->owner_task, __ATOMIC_RELAXED) == current_task()->id;
}

/* No scheduling point before a local lock: the kernel disables preemption first, so the
 * task cannot move between naming this CPU's lock and taking it. */
void __local_lock(local_trylock_t *l, const char *func)
{
	lock_acquire_nopoint(&l->c, func);
	__atomic_add_fetch(&current_task()->local_locks_held, 1, __ATOMIC_RELAXED);
}

bool __local_trylock(local_trylock_t *l, const char *func)
{
	if (!__lock_tryacquire(&l->c, func))
		return false;
	__atomic_add_fetch(&current_task()->local_locks_held, 1, __ATOMIC_RELAXED);
	return true;
}

void __local_unlock(local_trylock_t *l, const char *func)
{
	struct task *t = current_task();

	if (WARN(t->local_locks_held <= 0, "local_unlock of %s by task %d holding no local lock",
		 l->c.name ? l->c.name : "(unnamed)", t->id))
		return;
	__lock_release(&l->c, func);
	__atomic_sub_fetch(&t->local_locks_held, 1, __ATOMIC_RELAXED);
	sched_wake();	/* a cpu_down() may wait for this task to leave its CPU */
}
