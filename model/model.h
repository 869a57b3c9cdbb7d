/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shadow model: what every op must do, stated without the allocator's mechanics.
 *
 * It tracks caches, objects and lent sheaves by program handle (never by address for
 * decisions), and checks each result. A divergence is one report,
 *	==slabtorture== MODEL_<rule> in <op>: ...
 * The rules, one line each, are MODEL_RULES below; a report names its rule.
 */
#ifndef MODEL_MODEL_H
#define MODEL_MODEL_H

#include "slab.h"
#include "slab_introspect.h"
#include "ops.h"
#include "slab_rng.h"


#define MODEL_RULES(X)								\
	X(NULL, "a NULL result no rule allows (faults, prefill n=0, empty sheaf)")	\
	X(ALIGN, "a pointer not aligned as the cache promised")			\
	X(CACHE, "virt_to_cache()/slab_object_start() disagree with the cache that allocated") \
	X(OVERLAP, "a new object overlaps a live object")				\
	X(RCU_REUSE, "a new object overlaps a kfree_rcu'd object before its grace period ended") \
	X(CONTENT, "bytes written at alloc changed before free/read")		\
	X(CTOR, "an object of a ctor cache handed out not in its constructed state")	\
	X(SIZE, "ksize() below the requested size")					\
	X(NODE, "an allocation on a node with memory to spare returned another node's object") \
	X(LIFO, "an allocation right after a free on the same CPU did not get the freed object back") \
	X(MERGE, "a cache merged with one it may not merge with (ctor, typesafe_by_rcu, no_merge, debug)") \
	X(PFMEMALLOC, "an allocation (or a lent sheaf) without the right to the reserves got an object of a reserve (pfmemalloc) slab") \
	X(BARRIER, "after kvfree_rcu_barrier[_on_cache]() an object is still RCU-pending") \
	X(LEAK_EXPECTED, "destroy with live objects did not give the SLAB_LEAK report")	\
	X(DOUBLE_FREE_EXPECTED, "a free of a freed object was not reported exactly once") \
	X(INVALID_FREE_EXPECTED, "a free into another cache was not reported exactly once") \
	X(USE_AFTER_FREE_EXPECTED, "an access to a freed object was not reported exactly once") \
	X(TYPESAFE, "a reader inside rcu_read_lock() found a SLAB_TYPESAFE_BY_RCU object's memory not an object of its cache") \
	X(DESTROY, "destroy left pages or quarantined objects of the cache behind")	\
	X(SHRINK, "after shrink, slabs held exceed the objects that can pin them")	\
	X(PAGES, "pages_in_use() differs from the pages the caches hold")		\
	X(COUNTS, "slab_count_objects() disagrees with the model or with itself")	\
	X(STATS, "SHEAF_ALLOC - SHEAF_FREE != sheaves alive")			\
	X(SHEAF, "a prefilled sheaf smaller than asked, or alloc_from_sheaf miscounted") \
	X(HOTPLUG, "cpu_down()/cpu_up() of a CPU the program may take down or up failed") \
	X(END, "at program end: pages still held after everything was freed (so no node is back at its budget, above its high watermark)")

#define MODEL_RULE_ENUM(name, desc) RULE_##name,
enum model_rule { MODEL_RULES(MODEL_RULE_ENUM) NR_MODEL_RULES };
#undef MODEL_RULE_ENUM
struct model_rule_desc {
	const char *name;
	const char *description;
};
extern const struct model_rule_desc model_rules[NR_MODEL_RULES];

/* MO_FREEING: a free of it has begun (another task must not use it, and its memory may
 * already be someone else's) and has not returned yet. */
enum mobj_state { MO_NONE, MO_LIVE, MO_RCU, MO_FREED, MO_ORPHAN, MO_NULL, MO_FREEING };

struct model_obj {
	void *ptr;
	struct kmem_cache *s;	/* owning cache (a kmalloc cache for kmalloc objects) */
	uint64_t tag;		/* content tag written at alloc / write (slab_rng.h) */
	uint16_t size;		/* bytes the user asked for */
	uint8_t state;		/* enum mobj_state */
	uint8_t kind;		/* enum obj_kind */
	uint8_t ctor;		/* word 0 holds SLAB_CTOR_MAGIC */
	int32_t mcache;		/* model cache handle, -1 for kmalloc objects */
	unsigned long gp;	/* get_state_synchronize_rcu() at kfree_rcu */
	long freed_at;		/* op index of the free or kfree_rcu */
	unsigned long free_clock;	/* model.clock when the free or kfree_rcu began */
	unsigned long rcu_seq;	/* model event at which its kfree_rcu returned (ULONG_MAX until then) */
};

struct model_cache {
	uint8_t state;		/* 0 never, 1 alive, 2 failed (create returned NULL), 3 gone */
	struct kmem_cache *s;
	unsigned int size, align, flags, capacity;
	unsigned int expect_align;
};
enum { MC_NONE, MC_ALIVE, MC_FAILED, MC_GONE };

struct model_sheaf {
	uint8_t state;		/* MC_* */
	struct slab_sheaf *sheaf;
	int32_t mcache;
	unsigned int size;	/* kmem_cache_sheaf_size() as last seen */
	bool reserves;		/* lent or refilled for a caller that may use the reserves */
};

/* Tables indexed by program handle grow with the handles a program names. */
struct model {
	long op_index;
	const char *opname;
	struct model_obj *obj;
	unsigned int nr_obj, cap_obj;		/* handles below nr_obj were ever used */
	struct model_cache *cache;
	unsigned int nr_cache, cap_cache;
	struct model_sheaf *sheaf;
	unsigned int nr_sheaf, cap_sheaf;
	struct kmem_cache **leaked;		/* destroyed with live objects */
	int nr_leaked, cap_leaked;
	int reader_depth[PROG_MAX_CPUS];	/* open rcu_read_lock() sections per CPU's task */
	long reader_since[PROG_MAX_CPUS];	/* op index of the outermost one */
	unsigned long reader_clock[PROG_MAX_CPUS];	/* model.clock when it began */
	/* Orders reader starts and frees as they happen: under the fiber scheduler an op
	 * of a later index may run first (another task's op waits), so op indexes do not. */
	unsigned long clock;
	unsigned long barrier_broken;		/* like rcutorture's rtbe */
	unsigned long events;			/* kfree_rcu starts and returns, barrier starts, in order */
	unsigned int rcu_in_call;		/* kfree_rcu calls that have not returned */
	/* Whether no other task is inside an op (the scheduler's answer; NULL: always):
	 * checks of a whole cache's state hold only then. */
	bool (*alone)(void);
	uint64_t tag_rng;			/* the tags' stream */
	/* The last free that went to its CPU's main sheaf, as far as the model knows. */
	struct {
		long op;			/* its op index; LONG_MIN: none */
		int cpu;
		const struct kmem_cache *s;
		const void *ptr;
	} pcs_top;
};

extern struct model model;

/* The ctor every CF_CTOR cache gets: the constructed state is word 0. */
void model_ctor(void *obj);

void model_reset(void);
void model_begin_op(long index, const char *opname);
/* Report a divergence (the rule without the MODEL_ prefix); details may follow with
 * report_detail() before model_end_fail(). */
void model_fail(enum model_rule rule, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void model_fail_begin(enum model_rule rule, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Entries of handle h, created (zeroed) on first use. */
struct model_obj *model_obj(unsigned int h);
struct model_cache *model_cache(unsigned int h);
struct model_sheaf *model_sheaf(unsigned int h);
void model_fail_end(void);
/* Report kinds: a divergence of rule R is the registered kind "MODEL_R" (signature
 * "MODEL_R in <op>"); -1 only if the platform's kind table is full. */
int model_report_kind(enum model_rule rule);
int model_report_count(void);	/* reports of every MODEL_ kind so far */

/* Results. `null_rule` names why NULL is allowed for this call (NULL: it is not). */
void model_cache_created(int h, struct kmem_cache *s, const struct op *op, const char *null_rule);
/* Expected alignment of objects of a cache created with these arguments. */
unsigned int model_expect_align(unsigned int size, unsigned int align, unsigned int flags);
void model_obj_alloced(int h, enum obj_kind kind, int mcache, struct kmem_cache *expect_s,
		       void *ptr, unsigned int size, const char *null_rule);
/* After an allocation that asked for `node` (NUMA_NO_NODE: any): unless the node has no
 * memory or `spilled` (the page allocator served it, or failed, from another node during
 * the call), the object is on it. */
void model_obj_check_node(int h, int node, bool spilled);
/* Before a free of ptr (of cache s) on this CPU in task or interrupt context: whether the
 * percpu main sheaf will take it (free_to_pcs(), which makes room when the sheaf is full)
 * when no fault and no quarantine is in the way. Only where ops do not interleave
 * (model.alone NULL). */
bool model_free_takes_pcs(struct kmem_cache *s, const void *ptr);
/* After that free: `took` (it was to take it and no fault came between), so the next op, if
 * it allocates from s on this CPU, gets ptr back (alloc_from_pcs() takes the top). */
void model_freed_to_pcs(struct kmem_cache *s, const void *ptr, bool took);
/* After handle h was allocated (without a node) on this CPU: the rule above. */
void model_obj_check_pcs_top(int h);
/* After handle h was allocated by a caller that may (`reserves`) or may not use the
 * reserves: without the right, it is not an object of a reserve slab. */
void model_obj_check_reserves(int h, bool reserves);
/* After sheaf handle h was lent or refilled: the same for every object it holds, unless
 * it was ever filled for a caller with the right (it then serves only that caller). */
void model_sheaf_check_reserves(int h, bool reserves);
bool model_obj_content_ok(int h, const char *what);
void model_obj_write(int h);
/* Before the object is freed (content check), then the state change. */
void model_obj_freeing(int h);
void model_obj_freed(int h);
/* Before kvfree_call_rcu() (the object is RCU-pending from here), and after it returned:
 * a barrier owes only the kfree_rcu calls that returned before it began. */
void model_obj_rcu_freed(int h);
void model_obj_rcu_returned(int h);

void model_sheaf_lent(int h, struct slab_sheaf *sheaf, int mcache, unsigned int want,
		      const char *null_rule);
void model_sheaf_refilled(int h, struct slab_sheaf *sheaf, int err, unsigned int want,
			  const char *err_rule);
void model_sheaf_alloced(int h);	/* after alloc_from_sheaf: size dropped by one */
void model_sheaf_returned(int h);
/* The task of `cpu` opened / closed an rcu_read_lock() section. */
void model_reader_locked(int cpu);
void model_reader_unlocked(int cpu);
/* Whether the task of `cpu` holds a reader opened before handle h was freed. */
bool model_reader_protects(int cpu, int h);
/* Whether freed (or kfree_rcu'd) handle h is still an object slot of its cache that no
 * other live object took: an access or free of it must then be reported. */
bool model_obj_slot_intact(int h);

/* Before a barrier call: objects kfree_rcu'd from now on need not be done when it returns.
 * The value goes to model_after_barrier() (barriers of several tasks may overlap). */
unsigned long model_barrier_begin(void);
/* After kvfree_rcu_barrier_on_cache(s) (s != NULL) or kvfree_rcu_barrier() (NULL). */
void model_after_barrier(struct kmem_cache *s, unsigned long from);
/* Live objects of s (incl. orphans) plus objects in its lent sheaves. */
unsigned long model_live_objects(struct kmem_cache *s);
/* Before destroy of handle h: whether the SLAB_LEAK report is expected. */
bool model_destroy_expects_leak(int h, bool *alias);
void model_after_destroy(int h, bool leaked, bool alias);
void model_after_shrink(struct kmem_cache *s);
/* Consistency of one cache: validate_slab_cache, object counts, stats. */
void model_check_cache(struct kmem_cache *s);
/* pages_in_use() against the pages every cache (and leaked cache) holds. */
void model_check_pages(enum model_rule rule);
bool model_cache_is_leaked(struct kmem_cache *s);
/* The caches the program touches (live model caches and the caches of its objects),
 * in handle order; the whole-cache checks run on these. The array is the model's. */
int model_caches(struct kmem_cache *const **v);
bool model_cache_in_list(struct kmem_cache *s);

#endif
