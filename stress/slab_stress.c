// SPDX-License-Identifier: GPL-2.0
/*
 * slab-stress: real pthreads on emulated CPUs against the allocator, with CPU hotplug,
 * liburcu grace periods, RCU readers and a destroy/recreate thread.
 *
 * Shapes after rcutorture and mimalloc-bench (larson, xmalloc-test, mstress): workers run a
 * weighted random op mix on shared caches and kmalloc, keep long-lived survivors in a
 * per-thread table, and free each other's objects through a hand-off queue. Every object
 * carries a tag written at allocation and checked before it is freed. Not deterministic:
 * the seed only fixes each thread's op stream, the interleaving is the OS scheduler's.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "slab.h"
#include "slab_introspect.h"
#include "bugs.h"
#include "platform.h"
#include "cpu.h"
#include "hotplug.h"
#include "rcu.h"
#include "kasan.h"
#include "report.h"
#include "page_alloc.h"

#define MAX_THREADS	64
#define MAX_READERS	2
#define HELD_MAX	256	/* survivors per worker */
#define RING_LEN	32
#define HANDOFF_MAX	1024
#define SLOTS_PER_THREAD 8	/* published c_rcu objects per worker, read by RCU readers */
#define BULK_MAX	16
#define RCU_MAGIC	0x5ab7a5e5c0ffee01ULL
#define HDR_OFF		16	/* rcu_head offset inside kfree_rcu'd objects: after two words */
#define KFREE_RCU_MIN	(HDR_OFF + sizeof(struct rcu_head) + sizeof(u64))

enum cache_id { C_NORM, C_RCU, C_SHEAF, C_KMALLOC, NR_CIDS };
static const char *const cache_names[NR_CIDS] = { "stress-norm", "stress-rcu", "stress-sheaf",
						   "kmalloc" };
static const unsigned int cache_sizes[NR_CIDS] = { 64, 96, 128, 0 };
static struct kmem_cache *caches[NR_CIDS];

/* ---- options ---------------------------------------------------------------------- */

static struct {
	unsigned int threads, cpus, nodes, seconds, hotplug_ms, validate_ms;
	unsigned long memoryless;
	unsigned long seed;
	bool kasan;
	char bugs[512];
} opt = { .threads = 4, .cpus = 4, .nodes = 1, .seconds = 10, .hotplug_ms = 10,
	  .validate_ms = 1000, .kasan = true };
static char cmdline[2048];

/* ---- shared state --------------------------------------------------------------------- */

static int stop;			/* atomic: workers and helpers exit */
/*
 * Every op that changes allocator state holds `world` for read; the validator takes it
 * for write (writer-preferring, so it is not starved), waits for in-flight RCU callbacks
 * and walks every cache: the emulation's stop_machine().
 */
static pthread_rwlock_t world;
static unsigned long validations;
static int failed;			/* atomic: a driver-level check failed */
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

struct held {
	u8 cid;
	unsigned int size;
	void *p;
	u64 tag;
};

/* Cross-thread frees (xmalloc-test's producer/consumer) */
static pthread_mutex_t handoff_lock = PTHREAD_MUTEX_INITIALIZER;
static struct held handoff[HANDOFF_MAX];
static unsigned int handoff_nr;

/* Published c_rcu objects: slot k written only by worker k / SLOTS_PER_THREAD. */
struct rcu_slot {
	unsigned long gen;	/* odd while the writer updates ptr/tag */
	void *ptr;
	u64 tag;
};
static struct rcu_slot rcu_slots[MAX_THREADS * SLOTS_PER_THREAD];

enum op_kind {
	OP_ALLOC, OP_FREE, OP_BULK_ALLOC, OP_BULK_FREE, OP_KFREE_RCU, OP_SHEAF, OP_SHRINK,
	OP_HANDOFF_PUSH, OP_HANDOFF_POP, OP_PUBLISH, OP_UNPUBLISH, NR_OPS,
};
static const char *const op_names[NR_OPS] = {
	"alloc", "free", "bulk_alloc", "bulk_free", "kfree_rcu", "sheaf", "shrink",
	"handoff_push", "handoff_pop", "publish", "unpublish",
};
/* Weights: frees roughly balance allocs so the tables churn without filling up. */
static const unsigned int op_weight[NR_OPS] = { 30, 24, 6, 6, 8, 4, 1, 6, 6, 5, 4 };

struct ring_ent {
	u8 op;
	u8 cid;
	short cpu;
	unsigned int arg;
	void *p;
	u64 seq;
};

struct worker {
	int idx;
	pthread_t th;
	struct task task;
	char name[32];
	u64 rng;
	u64 seq;
	struct held held[HELD_MAX];
	unsigned int nr_held;
	struct ring_ent ring[RING_LEN];
	unsigned long ops;	/* atomic (read by the progress line) */
	unsigned long live;	/* atomic */
	unsigned long op_count[NR_OPS];
	int seen_reports;
};
static struct worker workers[MAX_THREADS];

static unsigned long reader_checks, reader_hits;	/* atomic */
static unsigned long dyn_cycles, dyn_objects;		/* atomic */

/* ---- helpers -------------------------------------------------------------------------- */

static u64 xorshift(u64 *s)
{
	u64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static u64 rng_seed(unsigned long seed, unsigned int idx)
{
	/* splitmix64 of (seed, idx): distinct nonzero streams per thread */
	u64 z = seed + 0x9e3779b97f4a7c15ULL * (idx + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 1;
}

static unsigned int rnd(u64 *s, unsigned int n)
{
	return (unsigned int)(xorshift(s) % n);
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool stopping(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

static void set_failed(void)
{
	__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
}

/*
 * Tags live in word 1 (and its complement in the last word); word 0 of c_rcu objects is the
 * ctor's type magic, which must survive every reuse. c_rcu words are accessed atomically
 * because RCU readers may look at an object while its new owner writes it.
 */
static void tag_write(const struct held *h)
{
	u64 *w = h->p;

	if (h->cid == C_RCU) {
		__atomic_store_n(&w[1], h->tag, __ATOMIC_RELAXED);
		__atomic_store_n(&w[h->size / 8 - 1], ~h->tag, __ATOMIC_RELAXED);
	} else {
		w[0] = h->tag;
		w[1] = h->tag;
		w[h->size / 8 - 1] = ~h->tag;
	}
}

static void dump_ring(const struct worker *w, FILE *f)
{
	fprintf(f, "  %s (task %d): last %d ops, oldest first\n", w->name, w->task.id, RING_LEN);
	for (u64 i = w->seq > RING_LEN ? w->seq - RING_LEN : 0; i < w->seq; i++) {
		const struct ring_ent *e = &w->ring[i % RING_LEN];

		fprintf(f, "    #%-8llu cpu%-2d %-12s %-12s arg=%-4u %p\n",
			(unsigned long long)e->seq, e->cpu, op_names[e->op], cache_names[e->cid],
			e->arg, e->p);
	}
}

static bool tag_check(struct worker *w, const struct held *h, const char *where)
{
	const u64 *x = h->p;
	u64 first = h->cid == C_RCU ? __atomic_load_n(&x[0], __ATOMIC_RELAXED) : x[0];
	u64 tag = h->cid == C_RCU ? __atomic_load_n(&x[1], __ATOMIC_RELAXED) : x[1];
	u64 last = h->cid == C_RCU ? __atomic_load_n(&x[h->size / 8 - 1], __ATOMIC_RELAXED) :
				    x[h->size / 8 - 1];
	u64 want_first = h->cid == C_RCU ? RCU_MAGIC : h->tag;

	if (first == want_first && tag == h->tag && last == ~h->tag)
		return true;
	pthread_mutex_lock(&print_lock);
	fprintf(stderr,
		"slab-stress: CONTENT MISMATCH at %s: %s object %p size %u: word0 %#llx (want %#llx) tag %#llx (want %#llx) last %#llx (want %#llx)\n",
		where, cache_names[h->cid], h->p, h->size, (unsigned long long)first,
		(unsigned long long)want_first, (unsigned long long)tag,
		(unsigned long long)h->tag, (unsigned long long)last,
		(unsigned long long)~h->tag);
	if (w)
		dump_ring(w, stderr);
	pthread_mutex_unlock(&print_lock);
	set_failed();
	return false;
}

static void rcu_ctor(void *obj)
{
	u64 *w = obj;

	__atomic_store_n(&w[0], RCU_MAGIC, __ATOMIC_RELAXED);
}

/* The reports' context on a worker thread: the seq of its last recorded op (-1: none). */
static __thread long stress_op_seq = -1;

static long stress_context(void)
{
	return stress_op_seq;
}

static void record(struct worker *w, enum op_kind op, int cid, unsigned int arg, void *p)
{
	struct ring_ent *e = &w->ring[w->seq % RING_LEN];

	e->op = op;
	e->cid = (u8)cid;
	e->cpu = (short)task_get_cpu(&w->task);
	e->arg = arg;
	e->p = p;
	e->seq = w->seq++;
	w->op_count[op]++;
	stress_op_seq = (long)e->seq;
}

/* The object we own must be ALLOCATED in KASAN's shadow before we give it back. */
static bool state_check(const struct held *h, const char *where)
{
	struct kmem_cache *s = virt_to_cache(h->p);
	enum kasan_state st = s ? kasan_get_state(slab_kasan_info(s), h->p) : NR_KASAN_STATES;

	if (st == KASAN_STATE_ALLOCATED)
		return true;
	pthread_mutex_lock(&print_lock);
	fprintf(stderr, "slab-stress: SHADOW STATE at %s: %s object %p is %s, not allocated\n",
		where, cache_names[h->cid], h->p, s ? kasan_state_name(st) : "not a slab object");
	pthread_mutex_unlock(&print_lock);
	set_failed();
	return false;
}

static void obj_free(const struct held *h)
{
	if (!state_check(h, "free"))
		return;
	if (h->cid == C_KMALLOC)
		kfree(h->p);
	else
		kmem_cache_free(caches[h->cid], h->p);
}

/* Allocate one object of cache `cid` into the table; false if the allocator said no. */
static bool held_add(struct worker *w, int cid, void *p, unsigned int size)
{
	struct held *h = &w->held[w->nr_held++];

	h->cid = (u8)cid;
	h->p = p;
	h->size = size;
	h->tag = ((u64)w->idx << 56) ^ (w->seq << 8) ^ (uintptr_t)p;
	tag_write(h);
	__atomic_add_fetch(&w->live, 1, __ATOMIC_RELAXED);
	return true;
}

static struct held held_take(struct worker *w, unsigned int i)
{
	struct held h = w->held[i];

	w->held[i] = w->held[--w->nr_held];
	__atomic_sub_fetch(&w->live, 1, __ATOMIC_RELAXED);
	return h;
}

static int slot_of(const struct worker *w, const void *p)
{
	for (int k = 0; k < SLOTS_PER_THREAD; k++) {
		if (rcu_slots[w->idx * SLOTS_PER_THREAD + k].ptr == p)
			return w->idx * SLOTS_PER_THREAD + k;
	}
	return -1;
}

static void slot_write(int k, void *p, u64 tag)
{
	struct rcu_slot *s = &rcu_slots[k];

	__atomic_add_fetch(&s->gen, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->ptr, p, __ATOMIC_RELAXED);
	__atomic_store_n(&s->tag, tag, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->gen, 1, __ATOMIC_RELEASE);
}

/* Unpublish before freeing: a reader must never find a freed object through a slot. */
static void release_held(struct worker *w, const struct held *h)
{
	if (h->cid == C_RCU) {
		int k = slot_of(w, h->p);

		if (k >= 0)
			slot_write(k, NULL, 0);
	}
}

/* ---- worker ops ----------------------------------------------------------------------- */

static unsigned int kmalloc_size(struct worker *w)
{
	static const unsigned int sizes[] = { 24, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096 };

	return sizes[rnd(&w->rng, sizeof(sizes) / sizeof(sizes[0]))];
}

static void op_alloc(struct worker *w)
{
	int cid = (int)rnd(&w->rng, NR_CIDS);
	unsigned int size = cid == C_KMALLOC ? kmalloc_size(w) : cache_sizes[cid];
	void *p;

	if (w->nr_held >= HELD_MAX)
		return;
	p = cid == C_KMALLOC ? kmalloc(size, GFP_KERNEL) : kmem_cache_alloc(caches[cid], GFP_KERNEL);
	record(w, OP_ALLOC, cid, size, p);
	if (p)
		held_add(w, cid, p, size);
}

static void op_free(struct worker *w)
{
	struct held h;

	if (!w->nr_held)
		return;
	h = held_take(w, rnd(&w->rng, w->nr_held));
	record(w, OP_FREE, h.cid, h.size, h.p);
	release_held(w, &h);
	if (tag_check(w, &h, "free"))
		obj_free(&h);
}

static void op_bulk_alloc(struct worker *w)
{
	int cid = (int)rnd(&w->rng, C_KMALLOC);
	void *p[BULK_MAX];
	unsigned int n = 1 + rnd(&w->rng, BULK_MAX);
	int got;

	if (w->nr_held + n > HELD_MAX)
		return;
	got = kmem_cache_alloc_bulk(caches[cid], GFP_KERNEL, n, p);
	record(w, OP_BULK_ALLOC, cid, n, got > 0 ? p[0] : NULL);
	for (int i = 0; i < got; i++)
		held_add(w, cid, p[i], cache_sizes[cid]);
}

static void op_bulk_free(struct worker *w)
{
	int cid = (int)rnd(&w->rng, C_KMALLOC);
	unsigned int want = 1 + rnd(&w->rng, BULK_MAX);
	void *p[BULK_MAX];
	unsigned int n = 0;

	for (unsigned int i = 0; i < w->nr_held && n < want;) {
		if (w->held[i].cid != cid) {
			i++;
			continue;
		}
		struct held h = held_take(w, i);

		release_held(w, &h);
		if (!tag_check(w, &h, "bulk_free"))
			return;
		p[n++] = h.p;
	}
	record(w, OP_BULK_FREE, cid, n, n ? p[0] : NULL);
	if (n)
		kmem_cache_free_bulk(caches[cid], n, p);
}

static void op_kfree_rcu(struct worker *w)
{
	if (!w->nr_held)
		return;
	unsigned int i = rnd(&w->rng, w->nr_held);
	struct held *c = &w->held[i];

	/* c_rcu objects keep their ctor magic; the rcu_head would overwrite word 2.. only. */
	if (c->size < KFREE_RCU_MIN || c->cid == C_RCU)
		return;
	struct held h = held_take(w, i);

	record(w, OP_KFREE_RCU, h.cid, h.size, h.p);
	if (tag_check(w, &h, "kfree_rcu"))
		kvfree_call_rcu((struct rcu_head *)((char *)h.p + HDR_OFF), h.p);
}

static void op_sheaf(struct worker *w)
{
	struct kmem_cache *s = caches[C_SHEAF];
	/* Past the capacity sometimes: the oversize path. */
	unsigned int want = 1 + rnd(&w->rng, 24);
	struct slab_sheaf *sheaf;
	unsigned int used = 0;

	if (w->nr_held + want > HELD_MAX)
		return;
	sheaf = kmem_cache_prefill_sheaf(s, GFP_KERNEL, want);
	record(w, OP_SHEAF, C_SHEAF, want, sheaf);
	if (!sheaf)
		return;
	if (rnd(&w->rng, 4) == 0)
		kmem_cache_refill_sheaf(s, GFP_KERNEL, &sheaf, want);
	for (unsigned int k = rnd(&w->rng, want + 1); k; k--) {
		void *p = kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sheaf);

		if (!p)
			break;
		held_add(w, C_SHEAF, p, cache_sizes[C_SHEAF]);
		used++;
	}
	if (sheaf)
		kmem_cache_return_sheaf(s, GFP_KERNEL, sheaf);
	w->ring[(w->seq - 1) % RING_LEN].arg = want * 1000 + used;
}

static void op_shrink(struct worker *w)
{
	int cid = (int)rnd(&w->rng, C_KMALLOC);

	record(w, OP_SHRINK, cid, 0, NULL);
	kmem_cache_shrink(caches[cid]);
}

static void op_handoff_push(struct worker *w)
{
	if (!w->nr_held)
		return;
	struct held h = held_take(w, rnd(&w->rng, w->nr_held));

	record(w, OP_HANDOFF_PUSH, h.cid, h.size, h.p);
	release_held(w, &h);
	if (!tag_check(w, &h, "handoff_push"))
		return;
	pthread_mutex_lock(&handoff_lock);
	if (handoff_nr < HANDOFF_MAX) {
		handoff[handoff_nr++] = h;
		h.p = NULL;
	}
	pthread_mutex_unlock(&handoff_lock);
	if (h.p)
		obj_free(&h);
}

static void op_handoff_pop(struct worker *w)
{
	struct held h = { .p = NULL };

	pthread_mutex_lock(&handoff_lock);
	if (handoff_nr) {
		unsigned int i = rnd(&w->rng, handoff_nr);

		h = handoff[i];
		handoff[i] = handoff[--handoff_nr];
	}
	pthread_mutex_unlock(&handoff_lock);
	if (!h.p)
		return;
	record(w, OP_HANDOFF_POP, h.cid, h.size, h.p);
	if (tag_check(w, &h, "handoff_pop"))
		obj_free(&h);
}

static void op_publish(struct worker *w)
{
	int k = w->idx * SLOTS_PER_THREAD + (int)rnd(&w->rng, SLOTS_PER_THREAD);

	if (rcu_slots[k].ptr)
		return;
	for (unsigned int i = 0; i < w->nr_held; i++) {
		if (w->held[i].cid == C_RCU && slot_of(w, w->held[i].p) < 0) {
			record(w, OP_PUBLISH, C_RCU, (unsigned int)k, w->held[i].p);
			slot_write(k, w->held[i].p, w->held[i].tag);
			return;
		}
	}
}

static void op_unpublish(struct worker *w)
{
	int k = w->idx * SLOTS_PER_THREAD + (int)rnd(&w->rng, SLOTS_PER_THREAD);

	if (!rcu_slots[k].ptr)
		return;
	record(w, OP_UNPUBLISH, C_RCU, (unsigned int)k, rcu_slots[k].ptr);
	slot_write(k, NULL, 0);
}

static void (*const op_fn[NR_OPS])(struct worker *w) = {
	op_alloc, op_free, op_bulk_alloc, op_bulk_free, op_kfree_rcu, op_sheaf, op_shrink,
	op_handoff_push, op_handoff_pop, op_publish, op_unpublish,
};

static enum op_kind pick_op(struct worker *w)
{
	static unsigned int total;
	unsigned int r;

	if (!__atomic_load_n(&total, __ATOMIC_RELAXED)) {
		unsigned int t = 0;

		for (int i = 0; i < NR_OPS; i++)
			t += op_weight[i];
		__atomic_store_n(&total, t, __ATOMIC_RELAXED);
	}
	r = rnd(&w->rng, __atomic_load_n(&total, __ATOMIC_RELAXED));
	for (int i = 0; i < NR_OPS; i++) {
		if (r < op_weight[i])
			return (enum op_kind)i;
		r -= op_weight[i];
	}
	return OP_ALLOC;
}

/* A new report since this thread last looked: print our recent ops while they are fresh. */
static void check_reports(struct worker *w)
{
	int n = report_count();

	if (n == w->seen_reports)
		return;
	w->seen_reports = n;
	pthread_mutex_lock(&print_lock);
	fprintf(stderr, "slab-stress: %d report(s) so far, seen by %s\n", n, w->name);
	dump_ring(w, stderr);
	pthread_mutex_unlock(&print_lock);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
}

/* Bracket one op: the world lock, then the CPU (cpu_down waits for its occupants). */
static void op_begin(void)
{
	pthread_rwlock_rdlock(&world);
	cpu_occupy();
}

static void op_end(void)
{
	cpu_unoccupy();
	pthread_rwlock_unlock(&world);
}

static void validate_world(void)
{
	int findings;

	pthread_rwlock_wrlock(&world);
	rcu_barrier();
	findings = validate_all_caches();
	pthread_rwlock_unlock(&world);
	validations++;
	if (findings) {
		fprintf(stderr, "slab-stress: validate_slab_cache: %d finding(s) while the world was stopped\n",
			findings);
		set_failed();
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	task_init(&w->task, w->name, w->idx % (int)opt.cpus);
	task_switch(&w->task);
	rcu_thread_online();
	while (!stopping()) {
		enum op_kind op = pick_op(w);

		op_begin();
		op_fn[op](w);
		op_end();
		__atomic_add_fetch(&w->ops, 1, __ATOMIC_RELAXED);
		if ((w->seq & 63) == 0)
			check_reports(w);
	}
	/* Give everything back: survivors are this thread's to free. */
	op_begin();
	while (w->nr_held) {
		struct held h = held_take(w, w->nr_held - 1);

		release_held(w, &h);
		if (tag_check(w, &h, "exit"))
			obj_free(&h);
	}
	op_end();
	check_reports(w);
	rcu_thread_offline();
	task_exit(&w->task);
	return NULL;
}

/* ---- RCU readers ---------------------------------------------------------------------- */

/*
 * Read published c_rcu objects inside rcu_read_lock(): with SLAB_TYPESAFE_BY_RCU the memory
 * stays an object of this cache (ctor magic intact) even if freed and reused meanwhile, and
 * when the slot generation did not move, the tag must be the one published with it.
 */
static void *reader_main(void *arg)
{
	struct task t;
	char name[32];
	u64 rng = rng_seed(opt.seed, 1000 + (unsigned int)(uintptr_t)arg);
	unsigned long checks = 0, hits = 0;

	snprintf(name, sizeof(name), "reader%u", (unsigned int)(uintptr_t)arg);
	task_init(&t, name, 0);
	task_switch(&t);
	rcu_thread_online();
	while (!stopping()) {
		rcu_read_lock();
		for (int n = 0; n < 64; n++) {
			struct rcu_slot *s = &rcu_slots[rnd(&rng, opt.threads * SLOTS_PER_THREAD)];
			unsigned long g1 = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
			u64 *p = __atomic_load_n(&s->ptr, __ATOMIC_RELAXED);
			u64 want = __atomic_load_n(&s->tag, __ATOMIC_RELAXED);

			if ((g1 & 1) || !p)
				continue;
			u64 magic = __atomic_load_n(&p[0], __ATOMIC_RELAXED);
			u64 tag = __atomic_load_n(&p[1], __ATOMIC_RELAXED);

			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			bool stable = __atomic_load_n(&s->gen, __ATOMIC_RELAXED) == g1;

			checks++;
			if (magic != RCU_MAGIC || (stable && tag != want)) {
				pthread_mutex_lock(&print_lock);
				fprintf(stderr,
					"slab-stress: RCU READER MISMATCH (%s): object %p magic %#llx (want %#llx) tag %#llx (want %#llx, slot stable %d)\n",
					name, (void *)p, (unsigned long long)magic,
					(unsigned long long)RCU_MAGIC, (unsigned long long)tag,
					(unsigned long long)want, stable);
				pthread_mutex_unlock(&print_lock);
				set_failed();
			}
			hits += stable;
		}
		rcu_read_unlock();
		if ((checks & 0xff) == 0)
			sched_yield();
	}
	__atomic_add_fetch(&reader_checks, checks, __ATOMIC_RELAXED);
	__atomic_add_fetch(&reader_hits, hits, __ATOMIC_RELAXED);
	rcu_thread_offline();
	task_exit(&t);
	return NULL;
}

/* ---- hotplug -------------------------------------------------------------------------- */

static unsigned long hp_down, hp_up, hp_busy;

static void *hotplug_main(void *arg)
{
	struct task t;
	u64 rng = rng_seed(opt.seed, 2000);
	struct timespec ts = { .tv_sec = opt.hotplug_ms / 1000,
			       .tv_nsec = (long)(opt.hotplug_ms % 1000) * 1000000L };

	task_init(&t, "hotplug", 0);
	task_switch(&t);
	rcu_thread_online();
	while (!stopping()) {
		int cpu = (int)rnd(&rng, opt.cpus);
		int ret;

		nanosleep(&ts, NULL);
		pthread_rwlock_rdlock(&world);
		if (cpu_online(cpu)) {
			ret = cpu_down(cpu);
			if (!ret)
				hp_down++;
		} else {
			ret = cpu_up(cpu);
			if (!ret)
				hp_up++;
		}
		pthread_rwlock_unlock(&world);
		if (ret == -EBUSY)
			hp_busy++;
		else if (ret && ret != -EINVAL)
			fprintf(stderr, "slab-stress: hotplug of cpu %d returned %d\n", cpu, ret);
	}
	/* Leave every CPU online so the teardown sees the whole machine. */
	for (int cpu = 0; cpu < (int)opt.cpus; cpu++) {
		if (!cpu_online(cpu) && !cpu_up(cpu))
			hp_up++;
	}
	rcu_thread_offline();
	task_exit(&t);
	return NULL;
}

/* ---- destroy / recreate --------------------------------------------------------------- */

/*
 * Ownership rule: the dynamic cache is private to this thread, so when this thread has
 * freed (or kfree_rcu'd) every object it allocated, no one else can own one and destroying
 * it is legal. kmem_cache_destroy() itself must wait for the kfree_rcu'd ones.
 */
static void *destroy_main(void *arg)
{
	struct task t;
	u64 rng = rng_seed(opt.seed, 3000);
	void *objs[64];

	task_init(&t, "destroy", 0);
	task_switch(&t);
	rcu_thread_online();
	while (!stopping()) {
		unsigned int size = 64 + 8 * rnd(&rng, 60);
		slab_flags_t flags = rnd(&rng, 2) ? SLAB_TYPESAFE_BY_RCU : 0;
		unsigned int n = 1 + rnd(&rng, 64);
		struct kmem_cache *s;

		op_begin();
		s = kmem_cache_create("stress-dyn", size, NULL, flags | SLAB_NO_MERGE);
		op_end();
		if (!s) {
			fprintf(stderr, "slab-stress: kmem_cache_create(stress-dyn, %u) failed\n", size);
			set_failed();
			break;
		}
		for (unsigned int i = 0; i < n; i++) {
			op_begin();
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
			if (objs[i])
				memset(objs[i], (int)(i & 0xff), size);
			op_end();
		}
		for (unsigned int i = 0; i < n; i++) {
			if (!objs[i])
				continue;
			op_begin();
			if (!(flags & SLAB_TYPESAFE_BY_RCU) && rnd(&rng, 2))
				kvfree_call_rcu((struct rcu_head *)((char *)objs[i] + HDR_OFF), objs[i]);
			else
				kmem_cache_free(s, objs[i]);
			op_end();
		}
		op_begin();
		kmem_cache_destroy(s);
		op_end();
		__atomic_add_fetch(&dyn_cycles, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&dyn_objects, n, __ATOMIC_RELAXED);
	}
	rcu_thread_offline();
	task_exit(&t);
	return NULL;
}

/* ---- main ----------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slab-stress [options]\n"
		"  --threads N       worker threads (1..%d, default 4)\n"
		"  --cpus M          emulated CPUs (1..%d, default 4)\n"
		"  --nodes K         NUMA nodes (default 1); CPU i is on node i %% K\n"
		"  --memoryless MASK nodes without memory (bit n: node n), e.g. 0x2\n"
		"  --seconds S       run time (default 10)\n"
		"  --seed X          PRNG seed (default: from the clock; printed)\n"
		"  --hotplug-ms T    random cpu_down/cpu_up every T ms (0: off, default 10)\n"
		"  --validate-ms V   stop the world every V ms and validate every cache (0: off,\n"
		"                    default 1000)\n"
		"  --bug NAME        enable a seeded allocator bug (repeatable; also SLAB_BUGS=a,b)\n"
		"  --no-kasan        turn the KASAN emulation (quarantine, poisoning) off\n"
		"  --help            this text\n"
		"Exit status: 0 clean, 1 a report/leak/content mismatch, 2 bad usage.\n",
		MAX_THREADS, MAX_CPUS);
}

static bool parse_ulong(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return !errno && *s && !*end;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "memoryless", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "hotplug-ms", required_argument, NULL, 'H' },
		{ "validate-ms", required_argument, NULL, 'V' },
		{ "bug", required_argument, NULL, 'b' },
		{ "no-kasan", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_seed = false;
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == 'K') {
			opt.kasan = false;
			continue;
		}
		if (c == 'b') {
			size_t len = strlen(opt.bugs);

			snprintf(opt.bugs + len, sizeof(opt.bugs) - len, "%s%s", len ? "," : "",
				 optarg);
			continue;
		}
		if (c == '?' || !parse_ulong(optarg, &v))
			goto bad;
		switch (c) {
		case 't':
			if (!v || v > MAX_THREADS)
				goto bad;
			opt.threads = (unsigned int)v;
			break;
		case 'c':
			if (!v || v > MAX_CPUS)
				goto bad;
			opt.cpus = (unsigned int)v;
			break;
		case 'n':
			if (!v || v > MAX_NUMNODES)
				goto bad;
			opt.nodes = (unsigned int)v;
			break;
		case 'm':
			opt.memoryless = v;
			break;
		case 's':
			opt.seconds = (unsigned int)v;
			break;
		case 'S':
			opt.seed = v;
			have_seed = true;
			break;
		case 'H':
			opt.hotplug_ms = (unsigned int)v;
			break;
		case 'V':
			if (v > 60000)
				goto bad;
			opt.validate_ms = (unsigned int)v;
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "slab-stress: unexpected argument '%s'\n", argv[optind]);
		goto bad_noprint;
	}
	if (!have_seed)
		opt.seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
	return;
bad:
	if (c != '?')
		fprintf(stderr, "slab-stress: bad value '%s'\n", optarg);
bad_noprint:
	usage(stderr);
	exit(2);
}

static void build_cmdline(void)
{
	int n = snprintf(cmdline, sizeof(cmdline),
			 "slab-stress --threads %u --cpus %u --nodes %u --memoryless %#lx --seconds %u --seed %lu --hotplug-ms %u%s",
			 opt.threads, opt.cpus, opt.nodes, opt.memoryless, opt.seconds, opt.seed,
			 opt.hotplug_ms, opt.kasan ? "" : " --no-kasan");
	char *bugs = strdup(opt.bugs);

	for (char *save, *b = strtok_r(bugs, ",", &save); b && n < (int)sizeof(cmdline);
	     b = strtok_r(NULL, ",", &save))
		n += snprintf(cmdline + n, sizeof(cmdline) - n, " --bug %s", b);
	free(bugs);
}

static unsigned long total_live(void)
{
	unsigned long live = 0;

	for (unsigned int i = 0; i < opt.threads; i++)
		live += __atomic_load_n(&workers[i].live, __ATOMIC_RELAXED);
	pthread_mutex_lock(&handoff_lock);
	live += handoff_nr;
	pthread_mutex_unlock(&handoff_lock);
	return live;
}

static unsigned long total_ops(void)
{
	unsigned long ops = 0;

	for (unsigned int i = 0; i < opt.threads; i++)
		ops += __atomic_load_n(&workers[i].ops, __ATOMIC_RELAXED);
	return ops;
}

int main(int argc, char **argv)
{
	struct platform_config cfg;
	struct task main_task;
	pthread_t readers[MAX_READERS], hp_th, destroy_th;
	unsigned int nr_readers = MAX_READERS;
	char err[1024];
	const char *why;
	double t0, last, last_validate, elapsed;
	pthread_rwlockattr_t world_attr;
	unsigned long last_ops = 0, kmalloc_pages = 0, kmalloc_allocated = 0, pages;
	int reports, findings;
	bool ok;

	parse_args(argc, argv);
	if (opt.bugs[0] && slab_bugs_parse(opt.bugs, err, sizeof(err))) {
		fprintf(stderr, "slab-stress: %s\n", err);
		return 2;
	}
	if (slab_bugs_from_env(err, sizeof(err))) {
		fprintf(stderr, "slab-stress: SLAB_BUGS: %s\n", err);
		return 2;
	}
	platform_config_default(&cfg);
	cfg.nr_cpus = opt.cpus;
	cfg.nr_nodes = opt.nodes;
	cfg.memoryless_nodes = opt.memoryless;
	cfg.kasan = opt.kasan;
	cfg.report_mode = REPORT_COUNT;
	cfg.rcu = RCU_LIBURCU;
	why = platform_config_valid(&cfg);
	if (why) {
		fprintf(stderr, "slab-stress: bad machine: %s\n", why);
		usage(stderr);
		return 2;
	}
	build_cmdline();
	fprintf(stderr, "slab-stress: seed %lu\nslab-stress: rerun: %s\n", opt.seed, cmdline);

	platform_init(&cfg);
	report_set_context_hook(stress_context, "op");
	task_init(&main_task, "main", 0);
	task_switch(&main_task);
	rcu_thread_online();
	kmem_cache_init();

	caches[C_NORM] = kmem_cache_create("stress-norm", cache_sizes[C_NORM], NULL, 0);
	caches[C_RCU] = kmem_cache_create("stress-rcu", cache_sizes[C_RCU],
					  &(struct kmem_cache_args){ .ctor = rcu_ctor },
					  SLAB_TYPESAFE_BY_RCU);
	caches[C_SHEAF] = kmem_cache_create("stress-sheaf", cache_sizes[C_SHEAF],
					    &(struct kmem_cache_args){ .sheaf_capacity = 12 }, 0);
	for (int i = 0; i < C_KMALLOC; i++) {
		if (!caches[i]) {
			fprintf(stderr, "slab-stress: kmem_cache_create(%s) failed\n", cache_names[i]);
			return 1;
		}
	}

	pthread_rwlockattr_init(&world_attr);
	pthread_rwlockattr_setkind_np(&world_attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&world, &world_attr);
	for (unsigned int i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		w->idx = (int)i;
		w->rng = rng_seed(opt.seed, i);
		snprintf(w->name, sizeof(w->name), "worker%u", i);
		pthread_create(&w->th, NULL, worker_main, w);
	}
	for (unsigned int i = 0; i < nr_readers; i++)
		pthread_create(&readers[i], NULL, reader_main, (void *)(uintptr_t)i);
	if (opt.hotplug_ms)
		pthread_create(&hp_th, NULL, hotplug_main, NULL);
	pthread_create(&destroy_th, NULL, destroy_main, NULL);

	t0 = last = last_validate = now_sec();
	while (!stopping()) {
		struct timespec ts = { 0, 50 * 1000000L };
		double t;

		nanosleep(&ts, NULL);
		t = now_sec();
		if (t - t0 >= opt.seconds)
			break;
		if (opt.validate_ms && (t - last_validate) * 1000 >= opt.validate_ms) {
			validate_world();
			last_validate = now_sec();
		}
		if (t - last >= 1.0) {
			unsigned long ops = total_ops();

			fprintf(stderr,
				"[%5.1fs] ops/s %9.0f  hotplug %6lu  gp %7lu  live %6lu  reports %d  dyn-caches %lu\n",
				t - t0, (ops - last_ops) / (t - last), hotplug_events(),
				rcu_grace_periods(), total_live(), report_count(),
				__atomic_load_n(&dyn_cycles, __ATOMIC_RELAXED));
			last_ops = ops;
			last = t;
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	elapsed = now_sec() - t0;

	for (unsigned int i = 0; i < opt.threads; i++)
		pthread_join(workers[i].th, NULL);
	for (unsigned int i = 0; i < nr_readers; i++)
		pthread_join(readers[i], NULL);
	if (opt.hotplug_ms)
		pthread_join(hp_th, NULL);
	pthread_join(destroy_th, NULL);

	/* Teardown on the main task: hand-off leftovers, then every cache we created. */
	for (unsigned int i = 0; i < handoff_nr; i++) {
		if (tag_check(NULL, &handoff[i], "teardown"))
			obj_free(&handoff[i]);
	}
	handoff_nr = 0;
	kvfree_rcu_barrier();
	rcu_barrier();
	for (int i = 0; i < C_KMALLOC; i++) {
		kmem_cache_destroy(caches[i]);
		caches[i] = NULL;
	}
	rcu_barrier();

	/* kmalloc caches are never destroyed: their empty slabs may stay cached. */
	for (unsigned int i = 0; i < slab_nr_caches(); i++) {
		struct kmem_cache *s = slab_cache_at(i);
		struct slab_cache_info info;
		struct slab_object_counts oc;

		if (!s)
			continue;
		slab_cache_info(s, &info);
		if (strncmp(info.name, "kmalloc-", 8))
			continue;
		slab_count_objects(s, &oc);
		kmalloc_pages += info.pages;
		kmalloc_allocated += oc.allocated;
	}
	pages = pages_in_use();
	findings = validate_all_caches();
	reports = report_count();

	ok = !__atomic_load_n(&failed, __ATOMIC_RELAXED) && !reports && !findings &&
	     pages == kmalloc_pages && !kmalloc_allocated && slab_nr_caches() >= 1;

	unsigned long ops = total_ops();
	unsigned long op_total[NR_OPS] = { 0 };

	for (unsigned int i = 0; i < opt.threads; i++)
		for (int k = 0; k < NR_OPS; k++)
			op_total[k] += workers[i].op_count[k];

	printf("\nslab-stress summary (%s)\n", ok ? "CLEAN" : "FAILED");
	printf("  %-28s %.1f s\n", "elapsed", elapsed);
	printf("  %-28s %u workers, %u readers, %u cpus, %u nodes, memoryless %#lx, kasan %s\n",
	       "machine", opt.threads, nr_readers, opt.cpus, opt.nodes, opt.memoryless,
	       opt.kasan ? "on" : "off");
	printf("  %-28s %lu (%.0f ops/s)\n", "worker ops", ops, ops / (elapsed > 0 ? elapsed : 1));
	for (int k = 0; k < NR_OPS; k++)
		printf("    %-26s %lu\n", op_names[k], op_total[k]);
	printf("  %-28s %lu (down %lu, up %lu, -EBUSY %lu)\n", "hotplug events", hotplug_events(),
	       hp_down, hp_up, hp_busy);
	printf("  %-28s %lu\n", "grace periods", rcu_grace_periods());
	printf("  %-28s %lu\n", "rcu callbacks invoked", rcu_callbacks_invoked());
	printf("  %-28s %lu checks, %lu with stable slot\n", "rcu reader checks",
	       __atomic_load_n(&reader_checks, __ATOMIC_RELAXED),
	       __atomic_load_n(&reader_hits, __ATOMIC_RELAXED));
	printf("  %-28s %lu caches, %lu objects\n", "destroy/recreate",
	       __atomic_load_n(&dyn_cycles, __ATOMIC_RELAXED),
	       __atomic_load_n(&dyn_objects, __ATOMIC_RELAXED));
	printf("  %-28s %d\n", "reports", reports);
	printf("  %-28s %lu (every %u ms, world stopped)\n", "mid-run validations", validations,
	       opt.validate_ms);
	printf("  %-28s %d\n", "validate_all_caches findings", findings);
	printf("  %-28s %lu (kmalloc caches hold %lu)\n", "pages in use at end", pages,
	       kmalloc_pages);
	printf("  %-28s %lu\n", "kmalloc objects still owned", kmalloc_allocated);
	printf("  %-28s %s\n", "driver content checks",
	       __atomic_load_n(&failed, __ATOMIC_RELAXED) ? "MISMATCH" : "ok");
	printf("  seed %lu\n  rerun: %s\n", opt.seed, cmdline);
	if (!ok) {
		for (int i = 0; i < reports && i < 64; i++) {
			const struct report *r = report_get(i);

			if (r)
				report_print(r, stdout);
		}
		printf("last ops of each worker:\n");
		for (unsigned int i = 0; i < opt.threads; i++)
			dump_ring(&workers[i], stdout);
	}
	return ok ? 0 : 1;
}
