/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One reporter for everything the emulated kernel or the model finds.
 *
 * Each report is printed as a first line that never changes shape:
 *     ==slabtorture== <KIND> in <function>: <message>
 * followed by indented detail lines (cache, object, slab, CPU, task, op index ...).
 * The signature of a report is KIND + function (+ rule for MODEL reports); minimisation
 * and crash deduplication key on it.
 *
 * Modes: REPORT_ABORT prints and abort()s at the first report (fuzzing, so the engine sees
 * a crash); REPORT_COUNT prints (unless quiet), records and continues (tests count
 * reports as KUnit counts slab_errors). A BUG in count mode cannot continue: it prints,
 * records, then longjmps to the handler set by report_set_bug_jmp() or aborts.
 */
#ifndef PLATFORM_REPORT_H
#define PLATFORM_REPORT_H

#include <setjmp.h>
#include "types.h"

enum report_kind {
	REPORT_SLAB_LEAK,	/* "Slab cache still has objects", objects remaining */
	REPORT_DOUBLE_FREE,
	REPORT_INVALID_FREE,	/* free of a pointer that is not a live object of that cache */
	REPORT_USE_AFTER_FREE,
	REPORT_SLAB_CORRUPT,	/* validate_slab_cache() / slab_err consistency findings */
	REPORT_LOCK_INVERSION,
	REPORT_LOCK_NOT_HELD,	/* lockdep_assert_held() failed */
	REPORT_BAD_CONTEXT,	/* spinning lock or allocation in NMI context */
	REPORT_WARN,
	REPORT_BUG,
	REPORT_MODEL,		/* shadow model divergence: KIND printed as MODEL_<rule> */
	NR_REPORT_KINDS,
};

enum report_mode { REPORT_ABORT, REPORT_COUNT };

#define REPORT_FUNC_LEN	64
#define REPORT_RULE_LEN	32
#define REPORT_MSG_LEN	256
#define REPORT_DETAIL_LEN 1024

struct report {
	enum report_kind kind;
	char function[REPORT_FUNC_LEN];
	char rule[REPORT_RULE_LEN];		/* MODEL reports only */
	char message[REPORT_MSG_LEN];
	char details[REPORT_DETAIL_LEN];	/* newline-separated "  key: value" lines */
	int cpu;
	int task;
	long op_index;
};

const char *report_kind_name(enum report_kind kind);	/* "SLAB_LEAK", ... */
/* Parse a KIND name (as printed, MODEL_<rule> gives REPORT_MODEL); -1 if unknown. */
int report_kind_parse(const char *name);

/* Start a report; add details; finish (prints, counts, aborts per mode). */
void report_begin(enum report_kind kind, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void report_begin_model(const char *rule, const char *op, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void report_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_end(void);
/* begin + end with no details */
void report_simple(enum report_kind kind, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void report_set_mode(enum report_mode mode);
enum report_mode report_get_mode(void);
void report_set_quiet(bool quiet);	/* count mode: do not print */
void report_set_bug_jmp(jmp_buf *jb);	/* count mode: where a BUG goes; NULL: abort */
/* Called for every report once it is recorded (and printed unless quiet), in every mode,
 * before abort mode aborts or a BUG unwinds; the hook may longjmp out itself (the
 * executor stops a program at its first unexpected report). */
void report_set_hook(void (*hook)(const struct report *r));
int report_count(void);
int report_count_kind(enum report_kind kind);
const struct report *report_get(int i);	/* first 64 reports are kept */
/* "KIND in function" or "MODEL_rule in op": the dedup/minimise key. */
void report_signature(const struct report *r, char *buf, size_t len);
void report_reset(void);
/* Print a report in the stable format to a stream (FILE *). */
void report_print(const struct report *r, void *stream);

/* Kernel-style wrappers. WARN_ON returns the condition. */
/* Braced bodies: gcc's -Wmisleading-indentation flags `if (c) f(); __c;` on one line. */
#define WARN_ON(cond) ({ bool __c = !!(cond); \
	if (unlikely(__c)) { report_simple(REPORT_WARN, __func__, "WARN_ON(%s)", #cond); } __c; })
#define WARN(cond, ...) ({ bool __c = !!(cond); \
	if (unlikely(__c)) { report_simple(REPORT_WARN, __func__, __VA_ARGS__); } __c; })
#define WARN_ON_ONCE(cond) WARN_ON(cond)
#define BUG_ON(cond) do { if (unlikely(cond)) \
	report_simple(REPORT_BUG, __func__, "BUG_ON(%s)", #cond); } while (0)
#define BUG() report_simple(REPORT_BUG, __func__, "BUG()")
#define VM_BUG_ON(cond) BUG_ON(cond)

#endif
