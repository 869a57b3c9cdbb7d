// SPDX-License-Identifier: GPL-2.0
/*
 * KASAN emulation: shadow states and tracks per object, ASan poisoning, and the generic
 * KASAN quarantine with the structure of mm/kasan/quarantine.c (see kasan.h).
 *
 * Quarantine: each CPU has a queue (qlist) linked through the objects' metadata; a queue
 * over its per-CPU budget is moved whole to the tail batch of a global ring; reduce frees
 * the oldest batch. Deviations from the kernel, all to keep a fuzz iteration cheap and
 * the behaviour easy to state:
 *  - sizes come from platform_config.quarantine_bytes instead of RAM/32: the per-CPU
 *    budget is min(quarantine_bytes / 8, 1 MiB) (the kernel's QUARANTINE_PERCPU_SIZE is
 *    1 MiB), the global budget is quarantine_bytes minus the per-CPU allowances of the
 *    online CPUs (as in the kernel, clamped at 0);
 *  - the ring has QUARANTINE_BATCHES = 64 batches, not max(1024, 4 * NR_CPUS);
 *  - kasan_quarantine_reduce() frees oldest batches until the global part is within
 *    budget; the kernel frees one batch per call and relies on being called from every
 *    blocking allocation to converge to the same bound;
 *  - an object counts its payload plus metadata (the kernel counts cache->size).
 * Everything is FIFO and no decision depends on an address, so runs replay exactly.
 *
 * The queue locks are plain pthread mutexes (platform-internal, not in lockdep-lite's
 * graph). They are never held while an object is released: releasing calls back into the
 * allocator, which may free into the quarantine again (qlist_move_cache + qlist_free_all
 * in the kernel have the same shape).
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kasan.h"
#include "cpu.h"
#include "hotplug.h"
#include "atomic.h"
#include "rcu.h"
#include "report.h"
#include "sched_point.h"

#if defined(__SANITIZE_ADDRESS__)
#define KASAN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KASAN_ASAN 1
#endif
#endif

#ifdef KASAN_ASAN
#include <sanitizer/asan_interface.h>
#define kasan_poison(addr, size)	ASAN_POISON_MEMORY_REGION(addr, size)
#define kasan_unpoison(addr, size)	ASAN_UNPOISON_MEMORY_REGION(addr, size)
#else
#define kasan_poison(addr, size)	do { (void)(addr); (void)(size); } while (0)
#define kasan_unpoison(addr, size)	do { (void)(addr); (void)(size); } while (0)
#endif

#define QUARANTINE_BATCHES	64
#define QUARANTINE_PERCPU_MAX	(1UL << 20)

/*
 * A singly linked FIFO of quarantined objects (the kernel's struct qlist_head). It links
 * the objects' metadata: an object's cache (hence its meta offset) is only known from its
 * meta, as the kernel's qlink_to_cache() finds it from the link's page.
 */
struct qlist_head {
	struct kasan_obj_meta *head;
	struct kasan_obj_meta *tail;
	size_t bytes;
	unsigned long count;
};

struct cpu_quarantine {
	pthread_mutex_t lock;
	struct qlist_head q;
	bool offline;
};

static bool kasan_on;
static void kasan_history_reset(void);
static void history_cache_event(struct kasan_cache *kc, enum kasan_event ev,
				const char *where);
static struct cpu_quarantine cpu_quarantine[MAX_CPUS] = {
	[0 ... MAX_CPUS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER },
};
static pthread_mutex_t quarantine_lock = PTHREAD_MUTEX_INITIALIZER;
static struct qlist_head global_quarantine[QUARANTINE_BATCHES];
static unsigned int quarantine_head;	/* oldest batch */
static unsigned int quarantine_tail;	/* batch being filled */
static size_t quarantine_size;		/* bytes in the global ring */
static size_t quarantine_budget;	/* platform_config.quarantine_bytes */
static size_t quarantine_percpu_size;
static size_t quarantine_total;		/* bytes in quarantine, per-CPU + global */
static unsigned long quarantine_nr;	/* objects in quarantine */

static const char *const kasan_state_names[NR_KASAN_STATES] = {
	[KASAN_STATE_FREE]		= "free",
	[KASAN_STATE_ALLOCATED]		= "allocated",
	[KASAN_STATE_IN_SHEAF]		= "in-sheaf",
	[KASAN_STATE_QUARANTINED]	= "quarantined",
	[KASAN_STATE_RCU_PENDING]	= "rcu-pending",
	[KASAN_STATE_DEFERRED]		= "deferred",
};

const char *kasan_state_name(enum kasan_state s)
{
	if ((unsigned int)s >= NR_KASAN_STATES)
		return "invalid";
	return kasan_state_names[s];
}

bool kasan_enabled(void)
{
	return READ_ONCE(kasan_on);
}

static inline void qlist_init(struct qlist_head *q)
{
	q->head = q->tail = NULL;
	q->bytes = 0;
	q->count = 0;
}

static inline bool qlist_empty(const struct qlist_head *q)
{
	return !q->head;
}

static inline void *qlink_to_object(struct kasan_obj_meta *meta)
{
	return (char *)meta - meta->cache->meta_offset;
}

/* Bytes an object accounts for in the quarantine. */
static inline size_t kasan_obj_bytes(const struct kasan_cache *kc)
{
	return ALIGN((size_t)kc->meta_offset + sizeof(struct kasan_obj_meta), 8);
}

static void qlist_put(struct qlist_head *q, struct kasan_obj_meta *meta, size_t bytes)
{
	meta->quarantine_next = NULL;
	if (q->tail)
		q->tail->quarantine_next = meta;
	else
		q->head = meta;
	q->tail = meta;
	q->bytes += bytes;
	q->count++;
}

static void qlist_move_all(struct qlist_head *from, struct qlist_head *to)
{
	if (qlist_empty(from))
		return;
	if (qlist_empty(to)) {
		*to = *from;
	} else {
		to->tail->quarantine_next = from->head;
		to->tail = from->tail;
		to->bytes += from->bytes;
		to->count += from->count;
	}
	qlist_init(from);
}

/* Move the objects of `kc` from `from` to the tail of `to`, keeping both orders. */
static void qlist_move_cache(struct qlist_head *from, struct qlist_head *to,
			     struct kasan_cache *kc)
{
	struct kasan_obj_meta *meta = from->head;
	struct qlist_head keep;

	qlist_init(&keep);
	while (meta) {
		struct kasan_obj_meta *next = meta->quarantine_next;
		size_t bytes = kasan_obj_bytes(meta->cache);

		qlist_put(meta->cache == kc ? to : &keep, meta, bytes);
		meta = next;
	}
	*from = keep;
}

/*
 * Give every object of a detached list back to its slab (qlink_free -> ___cache_free).
 * The object is FREE before release() runs so the allocator's own checks see a freed
 * object. No quarantine lock is held: release() may quarantine again.
 */
static void qlist_free_all(struct qlist_head *q, const char *where)
{
	struct kasan_obj_meta *meta = q->head;

	while (meta) {
		struct kasan_obj_meta *next = meta->quarantine_next;
		struct kasan_cache *kc = meta->cache;
		void *obj = qlink_to_object(meta);

		meta->quarantine_next = NULL;
		meta->state = KASAN_STATE_FREE;
		kasan_history_at(kc, obj, KASAN_EV_UNQUARANTINED, where);
		atomic_sub(&kc->nr_quarantined, 1);
		atomic_sub(&quarantine_total, kasan_obj_bytes(kc));
		atomic_sub(&quarantine_nr, 1);
		kc->release(kc, obj);
		meta = next;
	}
	qlist_init(q);
}

static void kasan_set_track(struct kasan_track *track)
{
	struct task *t = current_task();

	track->cpu = task_get_cpu(t);
	track->task = t->id;
	track->context = report_context();
}

static void kasan_clear_track(struct kasan_track *track)
{
	track->cpu = -1;
	track->task = -1;
	track->context = -1;
}

static void kasan_poison_object(const struct kasan_cache *kc, void *obj)
{
	if (kasan_enabled() && !kc->typesafe_by_rcu)
		kasan_poison(obj, kc->object_size);
}

/*
 * CPUHP_AP_KASAN_ONLINE teardown: the kernel's kasan_cpu_offline() marks the queue
 * offline first (later puts free at once), then frees what it holds.
 */
static int kasan_cpu_offline(unsigned int cpu)
{
	struct cpu_quarantine *cq = &cpu_quarantine[cpu];
	struct qlist_head to_free;

	pthread_mutex_lock(&cq->lock);
	WRITE_ONCE(cq->offline, true);
	to_free = cq->q;
	qlist_init(&cq->q);
	pthread_mutex_unlock(&cq->lock);
	qlist_free_all(&to_free, "kasan_cpu_offline");
	return 0;
}

static int kasan_cpu_online(unsigned int cpu)
{
	struct cpu_quarantine *cq = &cpu_quarantine[cpu];

	pthread_mutex_lock(&cq->lock);
	WRITE_ONCE(cq->offline, false);
	pthread_mutex_unlock(&cq->lock);
	return 0;
}

void kasan_init(bool enabled, size_t quarantine_bytes)
{
	unsigned int i;

	for (i = 0; i < MAX_CPUS; i++) {
		struct cpu_quarantine *cq = &cpu_quarantine[i];

		pthread_mutex_lock(&cq->lock);
		qlist_init(&cq->q);
		cq->offline = false;
		pthread_mutex_unlock(&cq->lock);
	}
	pthread_mutex_lock(&quarantine_lock);
	for (i = 0; i < QUARANTINE_BATCHES; i++)
		qlist_init(&global_quarantine[i]);
	quarantine_head = quarantine_tail = 0;
	quarantine_size = 0;
	quarantine_budget = quarantine_bytes;
	quarantine_percpu_size = min(quarantine_bytes / 8, (size_t)QUARANTINE_PERCPU_MAX);
	WRITE_ONCE(quarantine_total, 0);
	WRITE_ONCE(quarantine_nr, 0);
	WRITE_ONCE(kasan_on, enabled);
	pthread_mutex_unlock(&quarantine_lock);
	kasan_history_reset();
	cpuhp_setup_state(CPUHP_AP_KASAN_ONLINE, "kasan:online", kasan_cpu_online,
			  kasan_cpu_offline);
}

void kasan_cache_create(struct kasan_cache *kc, const char *name, unsigned int object_size,
			unsigned int *size, bool typesafe_by_rcu,
			void (*release)(struct kasan_cache *kc, void *object))
{
	unsigned int end;

	kc->name = name;
	kc->object_size = object_size;
	/* After the payload and whatever the allocator already placed behind it (an
	 * out-of-object free pointer), as the kernel appends its meta at *size. */
	kc->meta_offset = ALIGN(max(*size, object_size), 8u);
	end = ALIGN(kc->meta_offset + (unsigned int)sizeof(struct kasan_obj_meta), 8u);
	*size = max(*size, end);
	kc->typesafe_by_rcu = typesafe_by_rcu;
	kc->release = release;
	kc->nr_quarantined = 0;
	kc->shut_down = false;
	kasan_clear_track(&kc->shutdown_track);
	memset(&kc->shutdown_ev, 0, sizeof(kc->shutdown_ev));
}

void kasan_poison_new_slab(struct kasan_cache *kc, void *objects_start, unsigned int stride,
			   unsigned int nr_objects)
{
	char *p = objects_start;
	unsigned int i;

	for (i = 0; i < nr_objects; i++, p += stride) {
		struct kasan_obj_meta *meta = kasan_meta(kc, p);

		meta->state = KASAN_STATE_FREE;
		meta->history = 0;
		kasan_clear_track(&meta->alloc_track);
		kasan_clear_track(&meta->free_track);
		meta->quarantine_next = NULL;
		meta->cache = kc;
		kasan_poison_object(kc, p);
	}
}

void kasan_unpoison_pages(void *addr, size_t size)
{
	kasan_unpoison(addr, size);
}

void kasan_slab_alloc(struct kasan_cache *kc, void *obj)
{
	struct kasan_obj_meta *meta = kasan_meta(kc, obj);

	meta->state = KASAN_STATE_ALLOCATED;
	meta->cache = kc;
	kasan_set_track(&meta->alloc_track);
	kasan_unpoison(obj, kc->object_size);
}

/* "allocated by: cpu 0 task 1", then the reporter's context if one is registered
 * (e.g. "op 12"). */
static void kasan_report_track(const char *what, const struct kasan_track *track)
{
	const char *label = report_context_label();

	if (label)
		report_detail("%s: cpu %d task %d %s %ld", what, track->cpu, track->task, label,
			      track->context);
	else
		report_detail("%s: cpu %d task %d", what, track->cpu, track->task);
}

static void kasan_report_tracks(const struct kasan_cache *kc, const void *obj,
				const struct kasan_obj_meta *meta)
{
	report_detail("cache: %s", kc->name);
	report_detail("object: %p (%u bytes)", obj, kc->object_size);
	report_detail("state: %s", kasan_state_name(meta->state));
	kasan_report_track("allocated by", &meta->alloc_track);
	kasan_report_track("freed by", &meta->free_track);
	kasan_report_history(kc, obj);
}

bool kasan_check_free(struct kasan_cache *kc, void *obj, const char *func)
{
	struct kasan_obj_meta *meta = kasan_meta(kc, obj);
	enum kasan_state state = meta->state;

	if (likely(state == KASAN_STATE_ALLOCATED))
		return true;
	if ((unsigned int)state < NR_KASAN_STATES)
		report_begin(REPORT_DOUBLE_FREE, func, "double-free of %s object %p in cache %s",
			     kasan_state_name(state), obj, kc->name);
	else
		report_begin(REPORT_INVALID_FREE, func,
			     "invalid-free of %p in cache %s: no object state (%u)", obj,
			     kc->name, (unsigned int)state);
	kasan_report_tracks(kc, obj, meta);
	report_end();
	return false;
}

/*
 * The kernel's quarantine_max_size: the total budget less the per-CPU allowances of the
 * online CPUs, recomputed at each reduce to follow hotplug.
 */
static size_t kasan_global_budget(void)
{
	size_t percpu = quarantine_percpu_size * num_online_cpus();

	return quarantine_budget > percpu ? quarantine_budget - percpu : 0;
}

/* The kernel's quarantine_batch_size: at least one per-CPU queue's worth. */
static size_t kasan_batch_size(void)
{
	return max(quarantine_percpu_size, kasan_global_budget() / QUARANTINE_BATCHES);
}

/*
 * Put an object into the current CPU's queue; spill the queue to the global ring when it
 * is over its budget (the kernel's kasan_quarantine_put()). False if the CPU's quarantine
 * is offline: the caller frees the object at once.
 */
static bool kasan_quarantine_put(struct kasan_cache *kc, void *obj)
{
	struct cpu_quarantine *cq = &cpu_quarantine[task_get_cpu(current_task())];
	struct kasan_obj_meta *meta = kasan_meta(kc, obj);
	size_t bytes = kasan_obj_bytes(kc);
	struct qlist_head temp;

	pthread_mutex_lock(&cq->lock);
	if (cq->offline) {
		pthread_mutex_unlock(&cq->lock);
		return false;
	}
	meta->cache = kc;
	meta->state = KASAN_STATE_QUARANTINED;
	kasan_history_at(kc, obj, READ_ONCE(kc->shut_down) ?
			 KASAN_EV_QUARANTINED_AFTER_SHUTDOWN : KASAN_EV_QUARANTINED,
			 "kasan_quarantine_put");
	atomic_add(&kc->nr_quarantined, 1);
	atomic_add(&quarantine_total, bytes);
	atomic_add(&quarantine_nr, 1);
	qlist_put(&cq->q, meta, bytes);
	if (likely(cq->q.bytes <= quarantine_percpu_size)) {
		pthread_mutex_unlock(&cq->lock);
		return true;
	}
	/*
	 * Move to the global ring with the CPU queue still locked: the objects are never
	 * in neither place, so a concurrent remove_cache cannot miss them (the kernel gets
	 * this from running the move with IRQs off on the CPU that remove_cache IPIs).
	 */
	temp = cq->q;
	qlist_init(&cq->q);
	pthread_mutex_lock(&quarantine_lock);
	pthread_mutex_unlock(&cq->lock);
	quarantine_size += temp.bytes;
	qlist_move_all(&temp, &global_quarantine[quarantine_tail]);
	if (global_quarantine[quarantine_tail].bytes >= kasan_batch_size()) {
		unsigned int new_tail = (quarantine_tail + 1) % QUARANTINE_BATCHES;

		/* A full ring keeps growing its newest batch, as in the kernel. */
		if (new_tail != quarantine_head)
			quarantine_tail = new_tail;
	}
	pthread_mutex_unlock(&quarantine_lock);
	return true;
}

bool kasan_slab_free(struct kasan_cache *kc, void *obj, bool still_accessible,
		     bool no_quarantine)
{
	struct kasan_obj_meta *meta = kasan_meta(kc, obj);

	kasan_set_track(&meta->free_track);
	/* SLAB_TYPESAFE_BY_RCU: readers may still look at it; no poison, no quarantine. */
	if (still_accessible)
		return false;
	kasan_poison_object(kc, obj);
	if (!kasan_enabled() || no_quarantine)
		return false;
	return kasan_quarantine_put(kc, obj);
}

void kasan_set_state(struct kasan_cache *kc, void *obj, enum kasan_state state)
{
	kasan_meta(kc, obj)->state = state;
	if (state == KASAN_STATE_ALLOCATED)
		kasan_unpoison(obj, kc->object_size);
	else if (state != KASAN_STATE_RCU_PENDING)
		/* kfree_rcu'd objects stay readable until their grace period ends */
		kasan_poison_object(kc, obj);
}

/*
 * Valid: an allocated object; under rcu_read_lock() also an object of a
 * SLAB_TYPESAFE_BY_RCU cache that was freed (the reader must revalidate it, as with
 * the kernel's typesafe caches) and a kfree_rcu'd object whose grace period has not
 * ended. Only the metadata is read: the payload may be poisoned.
 */
bool kasan_check_access(struct kasan_cache *kc, const void *obj, size_t size, bool write,
			const char *func)
{
	const struct kasan_obj_meta *meta = kasan_meta(kc, obj);
	enum kasan_state state = meta->state;

	if (likely(state == KASAN_STATE_ALLOCATED))
		return true;
	if (rcu_read_lock_held()) {
		if (state == KASAN_STATE_RCU_PENDING)
			return true;
		if (kc->typesafe_by_rcu &&
		    (state == KASAN_STATE_FREE || state == KASAN_STATE_IN_SHEAF))
			return true;
	}
	report_begin(REPORT_USE_AFTER_FREE, func, "use-after-free %s of %zu bytes at %p (%s object in cache %s)",
		     write ? "write" : "read", size, obj, kasan_state_name(state), kc->name);
	report_detail("rcu_read_lock held: %s", rcu_read_lock_held() ? "yes" : "no");
	kasan_report_tracks(kc, obj, meta);
	report_end();
	return false;
}

/*
 * Reducers release batches outside quarantine_lock; remove_cache must wait for those in
 * flight or it misses objects of its cache (the kernel's remove_cache_srcu).
 */
static long reducers_in_flight;

void kasan_quarantine_reduce(void)
{
	struct qlist_head to_free;
	unsigned int scanned;

	if (!kasan_enabled())
		return;
	qlist_init(&to_free);
	__atomic_add_fetch(&reducers_in_flight, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&quarantine_lock);
	/* Bounded: after a full turn of the ring every batch has been freed. */
	for (scanned = 0; scanned < QUARANTINE_BATCHES &&
	     quarantine_size > kasan_global_budget(); scanned++) {
		struct qlist_head *batch = &global_quarantine[quarantine_head];

		quarantine_size -= batch->bytes;
		qlist_move_all(batch, &to_free);
		/* Unlike the kernel, head never passes tail: no empty batches in between. */
		if (quarantine_head != quarantine_tail)
			quarantine_head = (quarantine_head + 1) % QUARANTINE_BATCHES;
	}
	pthread_mutex_unlock(&quarantine_lock);
	qlist_free_all(&to_free, "kasan_quarantine_reduce");
	__atomic_sub_fetch(&reducers_in_flight, 1, __ATOMIC_RELEASE);
	sched_wake();	/* a remove_cache may wait for it */
}

static void quarantine_remove_cache(struct kasan_cache *kc, const char *where)
{
	struct qlist_head to_free;
	unsigned int i, cpu;

	/* Per-CPU queues first, in CPU order (the kernel IPIs each CPU), then the ring
	 * from its oldest batch. Each list is released before the next is scanned. */
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct cpu_quarantine *cq = &cpu_quarantine[cpu];

		qlist_init(&to_free);
		pthread_mutex_lock(&cq->lock);
		if (!qlist_empty(&cq->q))
			qlist_move_cache(&cq->q, &to_free, kc);
		pthread_mutex_unlock(&cq->lock);
		qlist_free_all(&to_free, where);
	}
	qlist_init(&to_free);
	pthread_mutex_lock(&quarantine_lock);
	for (i = 0; i < QUARANTINE_BATCHES; i++) {
		struct qlist_head *batch =
			&global_quarantine[(quarantine_head + i) % QUARANTINE_BATCHES];
		size_t before = batch->bytes;

		if (qlist_empty(batch))
			continue;
		qlist_move_cache(batch, &to_free, kc);
		quarantine_size -= before - batch->bytes;
	}
	pthread_mutex_unlock(&quarantine_lock);
	qlist_free_all(&to_free, where);
	/* synchronize_srcu(&remove_cache_srcu): let concurrent reducers finish releasing */
	while (__atomic_load_n(&reducers_in_flight, __ATOMIC_ACQUIRE))
		/* under the fiber scheduler the reducer is a switched-out task: let it run */
		if (!sched_wait(&reducers_in_flight, "quarantine reducers in flight"))
			sched_yield();
}

void kasan_quarantine_remove_cache(struct kasan_cache *kc)
{
	quarantine_remove_cache(kc, "kasan_quarantine_remove_cache");
}

void kasan_cache_shutdown(struct kasan_cache *kc)
{
	quarantine_remove_cache(kc, "kasan_cache_shutdown");
	/* after the drain: what is quarantined from now on stays (the seed bug) */
	kasan_set_track(&kc->shutdown_track);
	if (kasan_history_enabled())
		history_cache_event(kc, KASAN_EV_CACHE_SHUTDOWN, "kmem_cache_destroy");
	WRITE_ONCE(kc->shut_down, true);
}

void kasan_cache_shrink(struct kasan_cache *kc)
{
	quarantine_remove_cache(kc, "kasan_cache_shrink");
}

size_t kasan_quarantine_bytes(void)
{
	return READ_ONCE(quarantine_total);
}

unsigned long kasan_quarantine_objects(const struct kasan_cache *kc)
{
	/* Objects leave the count when released, not when detached from a queue. */
	if (kc)
		return READ_ONCE(kc->nr_quarantined);
	return READ_ONCE(quarantine_nr);
}

/* ------------------------------------------------------------------ object histories */

static const char *const kasan_event_names[NR_KASAN_EVENTS] = {
	[KASAN_EV_ALLOC_SHEAF]		= "allocated from a percpu sheaf",
	[KASAN_EV_ALLOC_SLAB]		= "allocated from its slab",
	[KASAN_EV_ALLOC_PREFILLED]	= "allocated from a prefilled sheaf",
	[KASAN_EV_REFILL]		= "taken from its slab into a sheaf (refill)",
	[KASAN_EV_FREE_MAIN]		= "freed into the main sheaf",
	[KASAN_EV_FREE_SLAB]		= "freed to its slab",
	[KASAN_EV_KFREE_RCU_SHEAF]	= "kfree_rcu: into the rcu_free sheaf",
	[KASAN_EV_KFREE_RCU_CALL]	= "kfree_rcu: call_rcu of the object (no sheaf)",
	[KASAN_EV_RCU_SHEAF_FULL]	= "rcu_free sheaf full, detached",
	[KASAN_EV_RCU_SHEAF_DETACHED]	= "rcu_free sheaf detached by a flush",
	[KASAN_EV_CALL_RCU]		= "call_rcu(rcu_free_sheaf) queued for its sheaf",
	[KASAN_EV_CALL_RCU_NOBARN]	= "call_rcu(rcu_free_sheaf_nobarn) queued for its sheaf",
	[KASAN_EV_RCU_CB]		= "RCU callback ran",
	[KASAN_EV_QUARANTINED]		= "quarantined",
	[KASAN_EV_QUARANTINED_AFTER_SHUTDOWN] = "quarantined after kasan_cache_shutdown()",
	[KASAN_EV_UNQUARANTINED]	= "released from the quarantine to its slab",
	[KASAN_EV_SHEAF_FLUSHED]	= "flushed from a sheaf to its slab",
	[KASAN_EV_SHEAF_TO_BARN]	= "its sheaf put into the barn (full)",
	[KASAN_EV_DEFERRED]		= "kfree_nolock: free deferred",
	[KASAN_EV_DEFERRED_RUN]		= "deferred free ran",
	[KASAN_EV_CACHE_SHUTDOWN]	= "kasan_cache_shutdown() drained the quarantine of its cache",
};

const char *kasan_event_name(enum kasan_event ev)
{
	if ((unsigned int)ev >= NR_KASAN_EVENTS || !kasan_event_names[ev])
		return "invalid";
	return kasan_event_names[ev];
}

struct kasan_history {
	const struct kasan_obj_meta *owner;	/* whose history this is */
	unsigned long total;			/* events ever recorded for it */
	bool evicted_before;			/* an earlier slot of the owner was recycled */
	struct kasan_event_rec ring[KASAN_HISTORY_RING];
};

#define HISTORY_CHUNK	256
#define HISTORY_CHUNKS	(KASAN_HISTORY_OBJECTS / HISTORY_CHUNK)

bool kasan_history_on;
static pthread_mutex_t history_lock = PTHREAD_MUTEX_INITIALIZER;
/* Slots in chunks allocated on first use: a short program pays for what it touches. */
static struct kasan_history *history_chunks[HISTORY_CHUNKS];
static unsigned long history_used;	/* slots handed out since the reset (may exceed the
					 * table: slot = history_used % KASAN_HISTORY_OBJECTS) */
static unsigned long history_seq;

void kasan_history_enable(bool on)
{
	__atomic_store_n(&kasan_history_on, on, __ATOMIC_RELAXED);
}

static void kasan_history_reset(void)
{
	pthread_mutex_lock(&history_lock);
	history_used = 0;
	history_seq = 0;
	pthread_mutex_unlock(&history_lock);
}

static struct kasan_history *history_slot(unsigned long i)
{
	struct kasan_history **chunk = &history_chunks[i / HISTORY_CHUNK];

	if (!*chunk) {
		*chunk = calloc(HISTORY_CHUNK, sizeof(**chunk));
		if (!*chunk)
			return NULL;
	}
	return &(*chunk)[i % HISTORY_CHUNK];
}

/* The object's history, if it has a live one. Under history_lock. */
static struct kasan_history *history_find(const struct kasan_obj_meta *meta)
{
	unsigned long id = meta->history;
	unsigned long n = min(history_used, (unsigned long)KASAN_HISTORY_OBJECTS);
	struct kasan_history *h;

	if (!id || id > n || !history_chunks[(id - 1) / HISTORY_CHUNK])
		return NULL;
	h = &history_chunks[(id - 1) / HISTORY_CHUNK][(id - 1) % HISTORY_CHUNK];
	return h->owner == meta ? h : NULL;
}

static struct kasan_history *history_get(struct kasan_obj_meta *meta)
{
	struct kasan_history *h = history_find(meta);
	unsigned long i;
	bool evicted;

	if (h)
		return h;
	evicted = meta->history != 0;
	i = history_used % KASAN_HISTORY_OBJECTS;
	h = history_slot(i);
	if (!h)
		return NULL;
	history_used++;
	h->owner = meta;
	h->total = 0;
	h->evicted_before = evicted;
	meta->history = (u32)(i + 1);
	return h;
}

static void history_fill(struct kasan_event_rec *e, enum kasan_event ev, const char *where,
			 const struct task *t, long context)
{
	e->seq = ++history_seq;
	e->context = context;
	e->where = where;
	e->task_name = t->name;
	e->task = t->id;
	e->cpu = (short)task_get_cpu(t);
	e->point = (short)(t->last_point - 1);
	e->type = (u8)ev;
}

static void history_add(struct kasan_cache *kc, const void *obj, enum kasan_event ev,
			const char *where, const struct task *t, long context)
{
	struct kasan_obj_meta *meta = kasan_meta(kc, obj);
	struct kasan_history *h = history_get(meta);

	if (!h)
		return;
	history_fill(&h->ring[h->total++ % KASAN_HISTORY_RING], ev, where, t, context);
}

static void history_cache_event(struct kasan_cache *kc, enum kasan_event ev,
				const char *where)
{
	struct task *t = current_task();
	long context = report_context();

	pthread_mutex_lock(&history_lock);
	history_fill(&kc->shutdown_ev, ev, where, t, context);
	pthread_mutex_unlock(&history_lock);
}

void __kasan_history_record(struct kasan_cache *kc, const void *obj, enum kasan_event ev,
			    const char *where)
{
	struct task *t = current_task();
	long context = report_context();

	pthread_mutex_lock(&history_lock);
	history_add(kc, obj, ev, where, t, context);
	pthread_mutex_unlock(&history_lock);
}

void __kasan_history_record_objs(struct kasan_cache *kc, void *const *objs, unsigned int n,
				 enum kasan_event ev, const char *where)
{
	struct task *t = current_task();
	long context = report_context();

	pthread_mutex_lock(&history_lock);
	for (unsigned int i = 0; i < n; i++)
		history_add(kc, objs[i], ev, where, t, context);
	pthread_mutex_unlock(&history_lock);
}

unsigned int kasan_history_get(const struct kasan_cache *kc, const void *obj,
			       struct kasan_event_rec *out, unsigned int max,
			       unsigned long *dropped)
{
	const struct kasan_obj_meta *meta = kasan_meta(kc, obj);
	const struct kasan_history *h;
	unsigned long first, kept;
	unsigned int n = 0;

	*dropped = 0;
	pthread_mutex_lock(&history_lock);
	h = history_find(meta);
	if (h) {
		kept = min(h->total, (unsigned long)KASAN_HISTORY_RING);
		first = h->total - kept;
		if (kept > max) {
			first += kept - max;
			kept = max;
		}
		*dropped = first;
		for (unsigned long i = first; i < first + kept; i++)
			out[n++] = h->ring[i % KASAN_HISTORY_RING];
	}
	pthread_mutex_unlock(&history_lock);
	return n;
}

static void report_event(const struct kasan_event_rec *e, const char *label, const char *extra)
{
	const struct sched_point_desc *sp = e->point >= 0 ? sched_point_desc(e->point) : NULL;

	report_detail("    #%lu %s %ld cpu %d task %s[%d] at %s: %s [%s]%s", e->seq, label,
		      e->context, e->cpu, e->task_name ? e->task_name : "?", e->task,
		      sp ? sp->name : "-", kasan_event_name((enum kasan_event)e->type),
		      e->where ? e->where : "?", extra);
}

void kasan_report_history(const struct kasan_cache *kc, const void *obj)
{
	struct kasan_event_rec ev[KASAN_HISTORY_RING];
	const char *label = report_context_label();
	const struct kasan_event_rec *sd = kc->shutdown_ev.seq ? &kc->shutdown_ev : NULL;
	unsigned long dropped;
	unsigned int n = kasan_history_get(kc, obj, ev, KASAN_HISTORY_RING, &dropped);
	const struct kasan_history *h;
	bool evicted;

	if (!n)
		return;
	if (!label)
		label = "ctx";
	pthread_mutex_lock(&history_lock);
	h = history_find(kasan_meta(kc, obj));
	evicted = h && h->evicted_before;
	pthread_mutex_unlock(&history_lock);
	report_detail("history of %p (cache %s), oldest first:", obj, kc->name);
	if (evicted)
		report_detail("    (earlier events lost: the history table was recycled)");
	if (dropped)
		report_detail("    (%lu older events dropped)", dropped);
	for (unsigned int i = 0; i < n; i++) {
		/* the cache's kasan_cache_shutdown(), in its place among the object's events */
		if (sd && sd->seq < ev[i].seq && sd->seq > (i ? ev[i - 1].seq : 0)) {
			report_event(sd, label, " (cache)");
			sd = NULL;
		}
		report_event(&ev[i], label, "");
	}
	if (sd && sd->seq > ev[n - 1].seq)
		report_event(sd, label, " (cache)");
}
