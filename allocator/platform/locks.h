/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Locks of the emulated kernel, and lockdep-lite.
 *
 * spinlock_t / struct mutex / local_trylock_t are real locks usable from several
 * pthreads (stress) and from one OS thread driving many logical tasks (fuzzers). A
 * blocking acquire of a lock that is held by a task of the *same* OS thread can never
 * succeed (nothing else will run to release it): that is reported as BUG "deadlock".
 *
 * local_trylock_t is the kernel's per-CPU lock: the allocator keeps one per CPU and locks
 * the current CPU's. local_trylock() fails when the lock is held (an emulated interrupt on
 * that CPU, or in stress another task on the same CPU), exactly where the kernel's
 * reentrancy detection makes it fail. Holding it pins the task to its CPU.
 *
 * lockdep-lite (compiled with SLAB_LOCKDEP): every lock has a class (the name given at
 * init; one class per name, like the kernel's per-init-site key). Blocking acquisitions
 * record "held -> new" edges between classes; the first time both A->B and B->A have been
 * seen it reports LOCK_INVERSION naming both classes. A spinning (non-try) acquisition in
 * NMI context is BAD_CONTEXT. lockdep_assert_held() on a lock the current task does not
 * hold is LOCK_NOT_HELD. Without SLAB_LOCKDEP all of it compiles away.
 */
#ifndef PLATFORM_LOCKS_H
#define PLATFORM_LOCKS_H

#include "types.h"
#include "cpu.h"

struct lock_common {
	int locked;		/* atomic: 0 free, 1 held */
	int owner_task;		/* task id of the holder, -1 if none */
	unsigned long owner_thread;	/* OS thread of the holder, for self-deadlock detection */
	int class_id;		/* lockdep-lite class */
	bool sleeps;		/* a mutex: holding it leaves the task preemptible */
	const char *name;
};

typedef struct { struct lock_common c; } spinlock_t;
typedef struct { struct lock_common c; } local_trylock_t;
struct mutex { struct lock_common c; };

void __lock_init(struct lock_common *l, const char *name);
void __mutex_init(struct lock_common *l, const char *name);
#define spin_lock_init(l)	__lock_init(&(l)->c, #l)
#define local_trylock_init(l)	__lock_init(&(l)->c, #l)
#define mutex_init(l)		__mutex_init(&(l)->c, #l)
/* Named variants for locks whose init expression would make a poor class name. */
#define spin_lock_init_named(l, name)	__lock_init(&(l)->c, name)
#define DEFINE_MUTEX(n) struct mutex n = { .c = { .owner_task = -1, .class_id = -1, .sleeps = true, \
						  .name = #n } }

void __lock_acquire(struct lock_common *l, const char *func);
bool __lock_tryacquire(struct lock_common *l, const char *func);
void __lock_release(struct lock_common *l, const char *func);
bool __lock_held_by_current(const struct lock_common *l);
void __lockdep_assert_held(const struct lock_common *l, const char *lockname, const char *func);

#define spin_lock(l)		__lock_acquire(&(l)->c, __func__)
#define spin_trylock(l)		__lock_tryacquire(&(l)->c, __func__)
#define spin_unlock(l)		__lock_release(&(l)->c, __func__)
/* Emulated interrupts arrive only where a scheduler injects them (sched_point.h): irqsave marks
 * the task's interrupts off so none is injected inside; flags keep the kernel's shape. */
void local_irq_disable_count(void);
void local_irq_enable_count(void);
bool irqs_disabled(void);
#define spin_lock_irqsave(l, flags) \
	do { (flags) = 0; local_irq_disable_count(); spin_lock(l); } while (0)
#define spin_trylock_irqsave(l, flags) \
	((flags) = 0, local_irq_disable_count(), spin_trylock(l) ? true : (local_irq_enable_count(), false))
void __spin_unlock_irqrestore(struct lock_common *l, const char *func);
#define spin_unlock_irqrestore(l, flags) \
	do { (void)(flags); __spin_unlock_irqrestore(&(l)->c, __func__); } while (0)

#define mutex_lock(m)		__lock_acquire(&(m)->c, __func__)
#define mutex_unlock(m)		__lock_release(&(m)->c, __func__)

/* local_lock(): the kernel's non-try form; holding the lock pins the task (see cpu.h). */
void __local_lock(local_trylock_t *l, const char *func);
bool __local_trylock(local_trylock_t *l, const char *func);
void __local_unlock(local_trylock_t *l, const char *func);
#define local_lock(l)		__local_lock(l, __func__)
#define local_trylock(l)	__local_trylock(l, __func__)
#define local_unlock(l)		__local_unlock(l, __func__)

#define lockdep_assert_held(l)	__lockdep_assert_held(&(l)->c, #l, __func__)

/* Reports BAD_CONTEXT when called in NMI context: an allocation that may spin or sleep. */
void might_alloc(gfp_t gfp, const char *func);

/* Lockdep-lite hooks for locks implemented elsewhere (cpu_hotplug_lock): `l` only names
 * the class. A blocking acquire records edges and checks the context. */
void lockdep_acquire(struct lock_common *l, bool trylock, const char *func);
void lockdep_release(struct lock_common *l, const char *func);
/* Nonzero id of the calling OS thread (lock owners), for the self-deadlock check. */
unsigned long lock_thread_token(void);

/* Lockdep-lite bookkeeping, reset between programs. Locks that live across programs keep
 * working (they look their class up again); a static lock a BUG longjmp may have left held
 * is reinitialised (mutex_init()) by its owner's own reset. */
void lockdep_reset(void);
/* Run-time switch (on by default; always off without SLAB_LOCKDEP). */
void lockdep_set_enabled(bool on);
bool lockdep_enabled(void);
int lockdep_nr_classes(void);

#endif
