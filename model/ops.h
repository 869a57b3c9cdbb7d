/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The operation language: programs of ops over tasks on emulated CPUs, in two forms.
 *
 * Binary form (fuzzers): a 2-byte machine header, then ops. Every byte string decodes to a
 * valid, bounded program: choices are taken modulo the live candidates (caches, objects,
 * sheaves, CPUs) and an op that has no candidate is skipped, always the same way. An op
 * runs in interrupt or NMI context after an `irq` op; kmalloc_nolock and kfree_nolock
 * carry their context in a byte of their own instead.
 *
 * Text form (people): one op per line, e.g.
 *	machine cpus=2 nodes=1 kasan=on quarantine=1M
 *	# expect: clean
 *	cpu0 create size=64 capacity=4 -> c0
 *	cpu0 alloc c0 -> o0
 *	cpu1 irq kfree_rcu o0
 *
 * Handles (cN caches, oN objects, sN prefilled sheaves) are bound by the op that creates
 * them ("-> o3") and named by later ops. The model and executor key everything on handles,
 * never on addresses. A handle may be bound again once what it named is gone.
 *
 * prog_check()/prog_apply() are the one statement of which programs are valid: the text
 * parser, the decoder, the encoder and the minimiser all use them.
 */
#ifndef MODEL_OPS_H
#define MODEL_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROG_MAX_OPS	256
#define PROG_MAX_OBJS	512	/* object handles o0..o511 */
#define PROG_MAX_CACHES	16
#define PROG_MAX_SHEAVES 16
#define PROG_MAX_CPUS	8
#define PROG_MAX_NODES	4
#define PROG_MAX_LIST	16	/* alloc_bulk / free_bulk */
#define PROG_MAX_SIZE	8192	/* object and kmalloc sizes: 1..8192 (slab-backed) */
#define PROG_HEADER_LEN	2

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
	OP_IRQ,			/* binary only: the next op runs in interrupt context */
	OP_GP,
	OP_RCU_CB,
	OP_QUARANTINE_REDUCE,
	OP_FAULT,
	OP_READ,
	OP_WRITE,
	OP_IRQ_WORK,		/* run this CPU's deferred kfree_nolock frees */
	NR_OP_KINDS,
};

enum op_ctx { CTX_TASK, CTX_IRQ, CTX_NMI };
enum op_gfp { GFPC_KERNEL, GFPC_NOWAIT, GFPC_ATOMIC, NR_GFPC };

/* create flags (program-level, mapped to SLAB_* by the executor) */
#define CF_TYPESAFE	0x01u
#define CF_HWCACHE	0x02u
#define CF_NO_MERGE	0x04u
#define CF_DEBUG	0x08u	/* red_zone | poison | store_user | consistency_checks */
#define CF_CTOR		0x10u
#define CF_ALL		0x1fu

enum fault_mode { FAULT_NEXT, FAULT_PATTERN };

struct op {
	uint8_t kind;
	uint8_t cpu;		/* the CPU whose task runs the op */
	uint8_t ctx;		/* enum op_ctx */
	uint8_t gfp;		/* enum op_gfp */
	uint16_t cache;		/* source handles */
	uint16_t obj;
	uint16_t sheaf;
	uint16_t dst;		/* handle bound by the op (first of n for alloc_bulk) */
	uint16_t n;		/* bulk count, prefill/refill size, fault count */
	uint16_t size;		/* create / kmalloc size */
	uint16_t align;		/* create: 0 or 8..512, power of two */
	uint16_t capacity;	/* create: sheaf_capacity, 0 = automatic */
	uint32_t flags;		/* create: CF_*; fault: pattern bits */
	int16_t node;		/* alloc_node / kmalloc_nolock: -1 = NUMA_NO_NODE */
	uint8_t target;		/* cpu_down/cpu_up/migrate: CPU; fault: site; */
	uint8_t all;		/* barrier / rcu_cb: every cache / CPU; fault: mode */
	uint8_t nlist;		/* free_bulk */
	uint16_t list[PROG_MAX_LIST];
};

struct machine {
	uint8_t cpus;		/* 1..8 */
	uint8_t nodes;		/* 1..4; CPU i is on node i % nodes */
	uint8_t memoryless;	/* node mask, never all nodes */
	uint8_t kasan;
	uint8_t qidx;		/* quarantine budget, index into prog_quarantine_sizes */
	uint8_t double_free;	/* the program frees freed objects on purpose */
};

#define PROG_NR_QSIZES 8
extern const size_t prog_quarantine_sizes[PROG_NR_QSIZES];

#define PROG_SIG_LEN 160
struct program {
	struct machine m;
	int nr_ops;
	struct op ops[PROG_MAX_OPS];
	int line[PROG_MAX_OPS];		/* source line of each op (text), 0 otherwise */
	/* Text-only annotations (kept by the minimiser, ignored by the binary form). */
	char expect[PROG_SIG_LEN];	/* "clean", a signature, or "" */
	char bug[64];			/* seeded bug the next expectation is about */
	char expect_bug[PROG_SIG_LEN];	/* outcome with `bug` enabled */
};

const char *op_name(enum op_kind kind);
void machine_default(struct machine *m);
void program_init(struct program *p);

/* ---- static program state: which handles are bound, which CPUs are online ---- */
enum obj_state { OS_NONE, OS_LIVE, OS_RCU, OS_FREED, OS_ORPHAN };
enum obj_kind { OK_CACHE, OK_KMALLOC, OK_NOLOCK };

struct pstate {
	struct machine m;
	uint8_t online;			/* CPU mask */
	int8_t pending_ctx;		/* binary decode: ctx set by an `irq` op, -1: none */
	int8_t pending_cpu;
	uint16_t next_obj, next_cache, next_sheaf;	/* canonical naming */
	struct {
		uint8_t state;		/* enum obj_state */
		uint8_t kind;		/* enum obj_kind */
		uint16_t cache;
		uint16_t size;
	} obj[PROG_MAX_OBJS];
	struct {
		bool alive;
		uint16_t size;
		uint32_t flags;
	} cache[PROG_MAX_CACHES];
	struct {
		bool alive;
		bool orphan;		/* its cache handle was destroyed: lent for good */
		uint16_t cache;
	} sheaf[PROG_MAX_SHEAVES];
};

void pstate_init(struct pstate *st, const struct machine *m);
/* 0 if `op` is valid in state `st`, else -1 with a message. */
int prog_check(const struct pstate *st, const struct op *op, char *err, size_t len);
void prog_apply(struct pstate *st, const struct op *op);
/* Offset of the rcu_head kfree_rcu uses inside an object of `cache` (after the ctor word). */
unsigned int prog_rcu_head_offset(const struct pstate *st, uint16_t obj);
/* Validate a whole program; on error the index of the bad op and a message. */
int program_validate(const struct program *p, int *bad_op, char *err, size_t len);

/* ---- binary form ---- */
struct decode_opts {
	bool allow_double_free;	/* honour the header bit (the CLI); fuzzers leave it off */
};
void program_decode(const uint8_t *data, size_t size, const struct decode_opts *o,
		    struct program *p);
/* Encode a valid program; returns the length (<= cap) or -1 if it does not fit. The
 * decoded result is the program with canonically numbered handles. */
long program_encode(const struct program *p, uint8_t *buf, size_t cap);
/* Rename handles in order of binding (c0, c1, ..., o0, o1, ...), as the decoder does. */
void program_canonicalize(struct program *p);
bool program_equal(const struct program *a, const struct program *b);

/* ---- text form ---- */
/* Parse text into p. On error returns -1 and writes "line:col: message" into err. */
int program_parse(const char *text, size_t len, struct program *p, char *err, size_t errlen);
void op_format(const struct op *op, char *buf, size_t len);
void machine_format(const struct machine *m, char *buf, size_t len);
void program_print(const struct program *p, FILE *out);
/* Whether a file's bytes look like the text form. */
bool program_is_text(const uint8_t *data, size_t size);

#endif
