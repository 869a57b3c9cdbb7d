/* SPDX-License-Identifier: GPL-2.0 */
/*
 * slab-stress internals, shared by the driver (slab_stress.c), the workers (workers.c),
 * the background threads (background.c) and the op log / failure trace (trace.c).
 *
 * Every thread that changes allocator state is an *actor*: it owns a struct pstate (the
 * op language's static state) over its own handles, a map from those local handles to
 * real pointers and to global handles, and a log of the ops it executed. Ops are
 * generated (workers) or built by hand (destroy thread, hotplug thread, driver), checked
 * with prog_check against the actor's pstate, logged in global handles with a global
 * sequence number, and run by the run table in workers.c.
 */
#ifndef STRESS_STRESS_H
#define STRESS_STRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ops.h"
#include "slab.h"
#include "slab_rng.h"

#define MAX_THREADS	64
#define MAX_READERS	2
#define SLOTS_PER_THREAD 8	/* published typesafe objects per worker, read by RCU readers */
#define HELD_MAX	256	/* live objects per worker before it prefers frees */
#define SHEAVES_MAX	4	/* prefilled sheaves per worker */
#define HANDOFF_MAX	1024

/* The caches the driver creates at the start of every epoch, as `create` ops. */
enum { C_NORM, C_RCU, C_SHEAF, NR_SHARED };

/* ---- options ---- */
struct stress_opt {
	unsigned int threads, cpus, nodes, seconds, hotplug_ms, validate_ms, quiesce_ms;
	unsigned int epoch_ops, replay_timeout;
	unsigned int pressure_ms, pages, min_free, reclaimers;	/* memory pressure */
	unsigned long memoryless;
	unsigned long seed;
	bool kasan, replay;
	bool have_cpus, have_nodes, have_memoryless, have_pages, have_min_free, have_reclaimers;
	char bugs[512];
	unsigned int nr_bugs;
	char out[512];
};
extern struct stress_opt opt;
extern char stress_cmdline[2048];
extern struct machine stress_machine;	/* the trace's machine line */

/* ---- the op log ---- */
struct log_ent {
	uint64_t seq;
	struct op op;		/* global handles */
};

struct op_log {
	struct log_ent *v;
	size_t n, cap;
};

/* ---- actors ---- */
struct aobj {
	void *p;		/* NULL: the handle is not live here */
	uint64_t tag;
	uint32_t g;		/* global handle */
	uint32_t size;
	int16_t slot;		/* published RCU slot, -1: none */
	bool ctor, typesafe;
};

struct asheaf {
	struct slab_sheaf *p;
	uint32_t g;
	bool reserves;		/* lent or refilled with the right to the reserves */
};

struct acache {
	struct kmem_cache *s;
	uint32_t g;
	struct op create;	/* the create op (local dst), re-emitted at an epoch head */
};

enum actor_kind { ACT_WORKER, ACT_DESTROY, ACT_HOTPLUG, ACT_PRESSURE, ACT_DRIVER };

struct actor {
	int idx;		/* workers: 0..threads-1 (RCU slots, task CPU) */
	enum actor_kind kind;
	char name[32];
	pthread_t th;
	struct task task;
	uint64_t rng;
	struct pstate st;
	struct aobj *obj;
	uint32_t cap_obj;
	struct asheaf *sheaf;
	uint32_t cap_sheaf;
	struct acache *cache;
	uint32_t cap_cache;
	unsigned int live, sheaves;
	struct op_log log;
	unsigned long ops;		/* atomic: read by the progress line */
	unsigned long op_count[NR_OP_KINDS];
	unsigned long handoffs_out, handoffs_in, nulls;
	int seen_reports;
	/* destroy thread: the current cycle */
	int dyn_cache;			/* local cache handle, -1: none */
	unsigned int dyn_want, dyn_done;
};

/* ---- shared state ---- */
extern pthread_rwlock_t world;		/* ops: read; stop-the-world points: write */
extern pthread_mutex_t print_lock;
extern struct actor *actors[MAX_THREADS + 4];
extern unsigned int nr_actors;
extern struct actor workers[MAX_THREADS];
extern struct actor destroy_actor, hotplug_actor, pressure_actor, driver_actor;
extern struct kmem_cache *shared_caches[NR_SHARED];
extern const struct op shared_create[NR_SHARED];

/* Published typesafe objects: slot k written only by worker k / SLOTS_PER_THREAD. */
struct rcu_slot {
	unsigned long gen;	/* odd while the writer updates ptr/tag */
	void *ptr;
	uint64_t tag;
};
extern struct rcu_slot rcu_slots[MAX_THREADS * SLOTS_PER_THREAD];

/* Hand-off queue: objects on their way from one worker's handle space to another's. */
struct handoff {
	struct aobj o;
	uint8_t okind;		/* enum obj_kind */
	uint32_t cache;		/* shared cache handle (local = global) */
};
extern pthread_mutex_t handoff_lock;
extern struct handoff handoff_q[HANDOFF_MAX];
extern unsigned int handoff_nr;

extern unsigned long reader_checks, reader_hits;	/* atomic */
extern unsigned long dyn_cycles, dyn_objects;		/* atomic */
extern unsigned long hp_down, hp_up, hp_busy;		/* atomic */
extern unsigned long pressure_swings;			/* atomic */

bool stopping(void);
void request_stop(void);
/* A driver-level check failed: record its signature (the first one wins) and stop. */
void stress_fail(const char *sig_fmt, ...) __attribute__((format(printf, 1, 2)));
bool stress_failed(void);
const char *stress_fail_sig(void);
double now_sec(void);
/* Sleep up to ms milliseconds in small slices; false if the run is stopping. */
bool sleep_ms(unsigned int ms);

/* ---- workers.c ---- */
void actor_init(struct actor *a, enum actor_kind kind, int idx, const char *name);
/* Forget every handle; know the caches of the epoch head (workers: the shared ones). */
void actor_reset(struct actor *a, bool with_dyn);
/* Check, log and run one op in local handles (the caller holds `world`). */
bool actor_exec(struct actor *a, struct op *op);
/* The same inside memalloc_enter .. memalloc_leave on one CPU: a reclaimer's op. */
bool actor_exec_memalloc(struct actor *a, struct op *op);
/* Give back every object and sheaf the actor holds, on the calling task's CPU. */
void actor_give_back(struct actor *a);
/* Adopt a hand-off object into a's handle space (phantom op: not logged). */
void actor_adopt(struct actor *a, const struct handoff *h);
void *worker_main(void *arg);
/* Wait until n workers finished (they park instead of exiting, see workers.c). */
void workers_wait_parked(unsigned int n);
void op_begin(void);
void op_end(void);
void check_reports(struct actor *a);
void stress_ctor(void *obj);
long stress_report_context(void);	/* the running op's seq, for reports */

/* ---- background.c ---- */
void *reader_main(void *arg);
void *hotplug_main(void *arg);
void *destroy_main(void *arg);
/* Other users' pages on the nodes with memory, swung around the watermarks. */
void *pressure_main(void *arg);
/* Bring every offline CPU up, logged as the hotplug thread's cpu_up ops. */
void hotplug_all_up(void);

/* ---- trace.c ---- */
void log_reset_all(void);
uint64_t log_append(struct actor *a, const struct op *gop);
uint64_t log_seq_take(void);
void log_put(struct actor *a, uint64_t seq, const struct op *gop);
unsigned long epoch_ops(void);
uint32_t global_obj_take(uint32_t n);
uint32_t global_sheaf_take(void);
uint32_t global_cache_take(void);
void global_handles_reset(uint32_t caches);
/* The epoch head: the create ops of the caches alive at the last quiescent point. */
void head_reset(void);
void head_add(const struct op *gop);
/* Write DIR/<seed>/failure.trace, replay it, minimise it; prints what happened. */
void failure_trace(const char *sig);
void trace_summary(FILE *f);

#endif
