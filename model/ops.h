/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The operation language: programs of ops over tasks on emulated CPUs.
 *
 * Every op is one entry of op_table[] (op_table.c): its text name, a stable binary
 * opcode, its arguments (handles with the candidate set they are chosen from, integer
 * fields with ranges and defaults, words, gfp and flag sets), the handle it binds, the
 * contexts it may run in, and its run function (exec_ops.c). Validity (prog_check /
 * prog_apply), the binary form (prog_binary.c), the text form (prog_text.c), equality,
 * canonical naming and the minimiser (minimize.c) are generic code over that table.
 *
 * Text form (people): one op per line, e.g.
 *	machine cpus=2 nodes=1 kasan=on quarantine=1M
 *	# expect: clean
 *	cpu0 create size=64 capacity=4 -> c0
 *	cpu0 alloc c0 -> o0
 *	cpu1 irq kfree_rcu o0
 * Binary form (fuzzers): every byte string decodes to a valid program; the layout is
 * documented once, in prog_binary.c.
 *
 * Handles (cN caches, oN objects, sN prefilled sheaves) are bound by the op that creates
 * them ("-> o3") and named by later ops. The model and executor key everything on handles,
 * never on addresses. A handle may be bound again once what it named is gone. Text
 * programs have no limit on ops or handles; the binary form bounds its programs.
 */
#ifndef MODEL_OPS_H
#define MODEL_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROG_MAX_CPUS	8
#define PROG_MAX_NODES	4
#define PROG_MAX_LIST	16	/* alloc_bulk / free_bulk */
#define PROG_MAX_SIZE	8192	/* object and kmalloc sizes: 1..8192 (slab-backed) */
#define PROG_BIN_MAX_OPS 256	/* the binary form's bound (fuzzer programs) */
#define PROG_SIG_LEN	160

/* Kinds name table entries; the binary opcode is the entry's .opcode, not this order. */
enum op_kind {
	OP_CREATE,
	OP_ALLOC,
	OP_ALLOC_NODE,
	OP_ALLOC_BULK,
	OP_FREE,
	OP_FREE_BULK,
	OP_KFREE_RCU,
	OP_KMALLOC,
	OP_KFREE,
	OP_KMALLOC_NOLOCK,
	OP_KFREE_NOLOCK,
	OP_PREFILL,
	OP_ALLOC_FROM_SHEAF,
	OP_REFILL,
	OP_RETURN_SHEAF,
	OP_SHRINK,
	OP_DESTROY,
	OP_BARRIER,
	OP_CPU_DOWN,
	OP_CPU_UP,
	OP_MIGRATE,
	OP_IRQ,
	OP_GP,
	OP_RCU_CB,
	OP_QUARANTINE_REDUCE,
	OP_FAULT,
	OP_READ,
	OP_WRITE,
	OP_IRQ_WORK,
	OP_RCU_READ_LOCK,
	OP_RCU_READ_UNLOCK,
	OP_ZALLOC,
	OP_MEMALLOC_ENTER,
	OP_MEMALLOC_LEAVE,
	OP_PRESSURE,
	NR_OP_KINDS,
};

enum op_ctx { CTX_TASK, CTX_IRQ, CTX_NMI, NR_CTX };
/* memalloc: GFP_KERNEL | __GFP_MEMALLOC, nomemalloc: GFP_KERNEL | __GFP_NOMEMALLOC,
 * atomic_memalloc: GFP_ATOMIC | __GFP_MEMALLOC (sk_gfp_mask() of a SOCK_MEMALLOC socket) */
enum op_gfp { GFPC_KERNEL, GFPC_NOWAIT, GFPC_ATOMIC, GFPC_MEMALLOC, GFPC_NOMEMALLOC,
	      GFPC_ATOMIC_MEMALLOC, NR_GFPC };

/* Whether an op with this gfp may sleep (and so may not run where sleeping is not). */
static inline bool gfpc_may_sleep(unsigned int gfp)
{
	return gfp == GFPC_KERNEL || gfp == GFPC_MEMALLOC || gfp == GFPC_NOMEMALLOC;
}

/* create flags (program-level, mapped to SLAB_* by the executor) */
#define CF_TYPESAFE	0x01u
#define CF_HWCACHE	0x02u
#define CF_NO_MERGE	0x04u
#define CF_DEBUG	0x08u	/* red_zone | poison | store_user | consistency_checks */
#define CF_CTOR		0x10u
#define CF_ALL		0x1fu

struct op {
	uint8_t kind;
	uint8_t cpu;		/* the CPU whose task runs the op */
	uint8_t ctx;		/* enum op_ctx */
	uint8_t gfp;		/* enum op_gfp */
	uint8_t word;		/* the op's bare word (fault site, rcu_cb all) */
	uint8_t target;		/* cpu_down/cpu_up/migrate: CPU */
	uint8_t has_cache;	/* an optional cache argument was given (barrier, free) */
	uint8_t nlist;		/* free_bulk */
	uint32_t cache;		/* source handles */
	uint32_t obj;
	uint32_t sheaf;
	uint32_t dst;		/* handle bound by the op (first of n for alloc_bulk) */
	int32_t n;		/* bulk count, prefill/refill size, fault next= */
	int32_t size;		/* create / kmalloc size */
	int32_t align;		/* create: 0 or 8..512, power of two */
	int32_t capacity;	/* create: sheaf_capacity, 0 = automatic */
	int32_t flags;		/* create: CF_* */
	int32_t pattern;	/* fault: pattern bits */
	int32_t node;		/* alloc_node / kmalloc_nolock: -1 = NUMA_NO_NODE */
	uint32_t list[PROG_MAX_LIST];
};

/* ---- the op table ---- */

enum arg_type {
	ARG_CACHE,	/* cN: op->cache; ARGF_OPTIONAL sets op->has_cache */
	ARG_OBJ,	/* oN: op->obj, from the candidate set */
	ARG_OBJ_LIST,	/* oN oM ...: op->list, objects of op->cache */
	ARG_SHEAF,	/* sN: op->sheaf */
	ARG_CPU,	/* cpuN: op->target, from the candidate set */
	ARG_INT,	/* key=N: the field at .field */
	ARG_GFP,	/* gfp=kernel|nowait|atomic|memalloc|nomemalloc|atomic_memalloc */
	ARG_FLAGS,	/* flags=a|b: create flags */
	ARG_WORD,	/* a bare word of .words: op->word */
	ARG_CTX,	/* binary only: the op carries its context in a byte of its own */
};

#define ARGF_OPTIONAL	0x01u	/* may be absent (INT: then .def) */
#define ARGF_TEXT_RANGE	0x02u	/* INT n of alloc_bulk: the text gives it as -> oA..oB */
#define ARGF_HEX	0x04u	/* INT printed in hex */
#define ARGF_ALWAYS	0x08u	/* INT printed even when it is the default */
#define ARGF_CONSUME	0x10u	/* SHEAF, CACHE: the op ends the handle's life (return, destroy) */

/* Candidate sets of handle arguments: one predicate serves validity, decoding and
 * encoding (op_table.c). */
enum arg_set {
	SET_NONE,
	SET_FREE,	/* kmem_cache_free: a live cache object (or a freed one, as misuse) */
	SET_KFREE,	/* kfree: a kmalloc object */
	SET_NOLOCK,	/* kfree_nolock: a kmalloc_nolock object */
	SET_RCU,	/* kfree_rcu: a live object with room for an rcu_head */
	SET_READ,	/* read: live, a typesafe object under a reader, or (misuse) freed */
	SET_WRITE,	/* write: live or (misuse) freed */
	SET_BULK,	/* free_bulk: live objects of op->cache */
	SET_ONLINE,
	SET_ONLINE_OTHER,	/* online and not op->cpu */
	SET_OFFLINE,
	SET_MIGRATE,	/* online, no open reader section */
};

/* Integer field encodings in the binary form */
enum arg_enc { ENC_U8, ENC_U16, ENC_POW2, ENC_NODE };

struct arg_desc {
	uint8_t type;		/* enum arg_type */
	uint8_t flags;		/* ARGF_* */
	uint8_t set;		/* enum arg_set for handles */
	uint8_t enc;		/* enum arg_enc for ARG_INT */
	const char *key;	/* ARG_INT text key */
	uint16_t field;		/* ARG_INT: offsetof(struct op, ...) of an int32_t */
	int32_t min, max, def;
	const char *const *words;	/* ARG_WORD / ARG_FLAGS names (NULL: none) */
	uint8_t nwords;
};

enum op_result { RES_NONE, RES_CACHE, RES_OBJ, RES_OBJS, RES_SHEAF };

/* Contexts an op may run in besides task context. An op on a CPU inside an RCU reader
 * section must not sleep either: it follows the IRQ rule. */
#define CTXF_IRQ	0x01u	/* any interrupt */
#define CTXF_IRQ_NOWAIT	0x02u	/* interrupt, with a gfp that does not sleep */
#define CTXF_NMI	0x04u

#define OPF_PREFIX	0x01u	/* binary-only prefix (irq): sets the next op's context */
#define OPF_WAITS_GP	0x02u	/* may wait for a grace period: no reader may be open */
#define OPF_READER	0x04u	/* opens or closes a reader section (task context only) */

struct pstate;
struct exec_run;

#define OP_MAX_ARGS 8
struct op_desc {
	const char *name;
	uint16_t opcode;	/* stable: the binary form's op code (0..286) */
	uint8_t result;		/* enum op_result */
	uint8_t ctx;		/* CTXF_* */
	uint8_t flags;		/* OPF_* */
	uint8_t nargs;
	struct arg_desc args[OP_MAX_ARGS];
	/* The minimiser tries this kind in its place (alloc_node -> alloc), or -1. */
	int8_t simpler;
	/* Rules beyond the arguments' own; NULL or a message. */
	const char *(*check)(const struct pstate *st, const struct op *op);
	/* State changes beyond binding the result and consuming its handles. */
	void (*apply)(struct pstate *st, const struct op *op);
	/* Whether the op is a misuse the model expects a report for (needs the
	 * machine's misuse bit). */
	bool (*misuse)(const struct pstate *st, const struct op *op);
	/* The executor's run function (exec_ops.c). */
	void (*run)(const struct op *op);
};

extern const struct op_desc op_table[NR_OP_KINDS];

const char *op_name(enum op_kind kind);
/* Opcode -> kind (-1: unused code). */
int op_kind_of_opcode(unsigned int opcode);
#define OP_MAX_OPCODE	(31 + 255)

/* ---- machines and programs ---- */

struct machine {
	uint8_t cpus;		/* 1..8 */
	uint8_t nodes;		/* 1..4; CPU i is on node i % nodes */
	uint8_t memoryless;	/* node mask, never all nodes */
	uint8_t kasan;
	uint8_t qidx;		/* quarantine budget, index into prog_quarantine_sizes */
	uint8_t misuse;		/* the program frees or touches freed objects on purpose */
	uint8_t sched;		/* tasks run as fibers, interleaved by the decisions */
	uint8_t nolockdep;	/* lockdep-lite off (text only: lockdep=off) */
	uint8_t nocmpxchg;	/* no double-word cmpxchg: slab_lock() fallback (cmpxchg=off) */
	uint16_t pages;		/* page budget per node with memory (0: the default, 16384) */
	uint16_t min_free;	/* min watermark in pages, the reserves (0: none) */
};

#define PROG_MAX_PAGES	16384	/* machine pages= */
#define PROG_MIN_PAGES	16

#define PROG_NR_QSIZES 8
extern const size_t prog_quarantine_sizes[PROG_NR_QSIZES];
extern const char *const prog_quarantine_names[PROG_NR_QSIZES];

/*
 * Schedule decisions, for programs that run their tasks as fibers (machine sched=on):
 * task tN runs the ops of cpuN, interleaved by the scheduler. A decision applies when
 * task `task` reaches scheduling point `point` for the occ-th time; at every other point
 * the running task goes on, and between ops the next op in program order runs. Text:
 *	@t0 SP_queue_work:1 switch t1
 *	@t1 SP_unlock:3 irq kfree_nolock o2
 * Tasks: t0..t7 run the ops of cpu0..cpu7, t8..t15 are the CPUs' kworkers, t16 the
 * unbound kworker, t17.. hotplug operations a decision started.
 */
#define SCHED_MAX_TASKS	(2 * PROG_MAX_CPUS + 1 + 8)
enum sched_action {
	ACT_SWITCH,	/* run task `arg` now */
	ACT_MIGRATE,	/* move the task to CPU `arg` (where it may migrate) */
	ACT_IRQ,	/* run `op` as an interrupt on the task's CPU */
	ACT_CPU_DOWN,	/* start cpu_down(arg) as a task of its own, and run it */
	ACT_CPU_UP,
	ACT_GP,		/* end a grace period */
	ACT_RCU_CB,	/* run the task's CPU's ready RCU callbacks (softirq) */
	ACT_WORK,	/* run CPU `arg`'s kworker */
	NR_SCHED_ACTIONS,
};
extern const char *const sched_action_names[NR_SCHED_ACTIONS];

#define SCHED_POINT_NAME_LEN 40
struct decision {
	uint8_t task;
	uint8_t action;		/* enum sched_action */
	uint8_t arg;
	uint32_t occ;		/* 1-based */
	char point[SCHED_POINT_NAME_LEN];	/* the point's registered name */
	struct op op;		/* ACT_IRQ */
};

struct program {
	struct machine m;
	int nr_ops, cap_ops;
	struct op *ops;
	int *line;			/* source line of each op (text), 0 otherwise */
	int nr_dec, cap_dec;
	struct decision *dec;		/* sched programs, in the order they were written */
	/* Text-only annotations (kept by the minimiser, ignored by the binary form). */
	char expect[PROG_SIG_LEN];	/* "clean", a signature, or "" */
	char bug[64];			/* seeded bug the next expectation is about */
	char expect_bug[PROG_SIG_LEN];	/* outcome with `bug` enabled */
};

void machine_default(struct machine *m);
/* A program owns its op array: init before first use, free when done; copy duplicates. */
void program_init(struct program *p);
void program_free(struct program *p);
void program_clear(struct program *p);	/* no ops, default machine; keeps the memory */
void program_copy(struct program *dst, const struct program *src);
struct op *program_append(struct program *p);	/* a zeroed op at the end */
struct decision *program_append_decision(struct program *p);
void program_remove_decision(struct program *p, int i);
void program_remove(struct program *p, int start, int len);

/* ---- static program state: which handles are bound, which CPUs are online ---- */
enum obj_state { OS_NONE, OS_LIVE, OS_RCU, OS_FREED, OS_ORPHAN };
enum obj_kind { OK_CACHE, OK_KMALLOC, OK_NOLOCK };

struct pobj {
	uint8_t state;		/* enum obj_state */
	uint8_t kind;		/* enum obj_kind */
	int32_t cache;
	int32_t size;
	uint64_t freed_at;	/* st->seq when it left OS_LIVE */
};

struct pcache {
	bool alive;
	int32_t size;
	int32_t flags;
};

struct psheaf {
	bool alive;
	bool orphan;		/* its cache handle was destroyed: lent for good */
	uint32_t cache;
};

struct pstate {
	struct machine m;
	uint8_t online;			/* CPU mask */
	int8_t pending_ctx;		/* binary decode: ctx set by an `irq` op, -1: none */
	int8_t pending_cpu;
	uint8_t readers;		/* CPUs with an open RCU reader section */
	uint8_t memalloc;		/* CPUs whose task is in PF_MEMALLOC context */
	uint8_t reader_depth[PROG_MAX_CPUS];
	uint64_t reader_since[PROG_MAX_CPUS];	/* st->seq at the outermost rcu_read_lock */
	uint64_t seq;			/* ops applied */
	uint32_t next_obj, next_cache, next_sheaf;	/* canonical naming */
	uint32_t nr_obj, cap_obj, nr_cache, cap_cache, nr_sheaf, cap_sheaf;
	struct pobj *obj;
	struct pcache *cache;
	struct psheaf *sheaf;
};

void pstate_init(struct pstate *st, const struct machine *m);	/* keeps its memory */
void pstate_free(struct pstate *st);
/* 0 if `op` is valid in state `st`, else -1 with a message. */
int prog_check(const struct pstate *st, const struct op *op, char *err, size_t len);
void prog_apply(struct pstate *st, const struct op *op);
/* Whether `op` (valid in `st`) is a deliberate misuse: a double free, a free into the wrong
 * cache, an access to a freed object. */
bool prog_is_misuse(const struct pstate *st, const struct op *op);
/* Offset of the rcu_head kfree_rcu uses inside object `obj` (after the ctor word). */
unsigned int prog_rcu_head_offset(const struct pstate *st, uint32_t obj);
/* Handle lookups that never index past the tables (unbound: a zeroed entry). */
const struct pobj *pstate_obj(const struct pstate *st, uint32_t h);
const struct pcache *pstate_cache(const struct pstate *st, uint32_t h);
/* Validate a whole program; on error the index of the bad op and a message. */
int program_validate(const struct program *p, int *bad_op, char *err, size_t len);
bool program_has_misuse(const struct program *p);

/* Candidates of a handle argument in state `st`, in handle order. */
struct cands {
	int n, cap;
	uint32_t *v;
};
void cands_build(const struct pstate *st, const struct op *op, const struct arg_desc *a,
		 struct cands *c);
void cands_free(struct cands *c);

/* The handle a handle argument of op names. */
uint32_t op_arg_handle(const struct op *op, const struct arg_desc *a);
/* Bind op's result to the next fresh handle of its kind, as the decoder does. */
void op_bind_fresh(const struct pstate *st, struct op *op);

/* Field access for ARG_INT arguments. */
static inline int32_t *op_field(struct op *op, const struct arg_desc *a)
{
	return (int32_t *)((char *)op + a->field);
}
static inline int32_t op_field_get(const struct op *op, const struct arg_desc *a)
{
	return *(const int32_t *)((const char *)op + a->field);
}

/* ---- whole programs: equality and canonical names ---- */
/* Rename handles in order of binding (c0, c1, ..., o0, o1, ...), as the decoder does. */
void program_canonicalize(struct program *p);
bool op_equal(const struct op *a, const struct op *b);
bool program_equal(const struct program *a, const struct program *b);

/* ---- binary form (prog_binary.c) ---- */
void program_decode(const uint8_t *data, size_t size, struct program *p);
/* Bytes the header of a program on machine m takes. */
size_t program_header_size(const struct machine *m);
/* Encode a valid program; returns the length (<= cap) or -1 if it does not fit or is
 * longer than the binary form's bound. Decoding gives the canonical program. */
long program_encode(const struct program *p, uint8_t *buf, size_t cap);
/* Encode one op as the decoder reads it in state `st` (dictionaries, generators). */
long op_encode(const struct pstate *st, const struct op *op, uint8_t *buf, size_t cap);
/* The generator: decode one op from `bytes` in state `st`, restricted to the kinds in
 * `kinds` (bit per kind). False if the bytes give no valid op. */
bool op_decode_one(struct pstate *st, const uint8_t *bytes, size_t len, uint64_t kinds,
		   struct op *op);

/* ---- text form (prog_text.c) ---- */
/* Parse text into p. On error returns -1 and writes "line:col: message" into err. */
int program_parse(const char *text, size_t len, struct program *p, char *err, size_t errlen);
void op_format(const struct op *op, char *buf, size_t len);
void decision_format(const struct decision *d, char *buf, size_t len);
void machine_format(const struct machine *m, char *buf, size_t len);
void program_print(const struct program *p, FILE *out);

#endif
