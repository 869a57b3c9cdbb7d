/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One reporter for everything the emulated kernel finds, and for the findings of the
 * layers above it, through report kinds they register (such as MODEL_<rule>).
 *
 * Each report is printed as a first line that never changes shape:
 *     ==slabtorture== <KIND> in <function>: <message>
 * followed by indented detail lines (cache, object, slab, CPU, task, and the upper layer's
 * context if it registered one, see report_set_context_hook()). The signature of a report
 * is "KIND in function"; minimisation and crash deduplication key on it.
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

/* The platform's own kinds (what the emulated kernel and its allocator report). Upper
 * layers add theirs with report_kind_register(); a kind is an int either way. */
enum report_kind {
	REPORT_NONE = -1,	/* no kind: failed parse or registration (makes the enum signed) */
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
	NR_PLATFORM_REPORT_KINDS,
};

enum report_mode { REPORT_ABORT, REPORT_COUNT };

#define REPORT_MAX_KINDS	256	/* platform kinds + registered kinds */
#define REPORT_KIND_LEN		48	/* longest kind name + 1 */
#define REPORT_FUNC_LEN	64
#define REPORT_MSG_LEN	256
#define REPORT_DETAIL_LEN 8192	/* room for a few KASAN object histories */

/* A recorded report. The strings are stored with it (at most REPORT_FUNC_LEN,
 * REPORT_MSG_LEN, REPORT_DETAIL_LEN bytes with the NUL). */
struct report {
	int kind;		/* enum report_kind or a registered kind */
	int cpu;
	int task;
	long context;		/* the context hook's value when reported (-1: none) */
	const char *function;
	const char *message;
	const char *details;	/* newline-separated "  key: value" lines */
};

/*
 * Register a report kind for a layer above (e.g. one kind per rule: MODEL_<rule>). The
 * name is printed as-is as the KIND of the first line and the signature; it must be
 * non-empty and shorter than REPORT_KIND_LEN. Returns the kind id (>=
 * NR_PLATFORM_REPORT_KINDS), the existing id if the name is already a kind (registering is
 * idempotent), or REPORT_NONE (-1) if the name is invalid or REPORT_MAX_KINDS kinds exist.
 * Thread-safe; kinds survive report_reset() and platform_init().
 */
int report_kind_register(const char *name);
const char *report_kind_name(int kind);	/* "SLAB_LEAK", a registered name, or "UNKNOWN" */
/* The kind with this name, as printed (platform or registered); REPORT_NONE if none. */
int report_kind_parse(const char *name);
int report_nr_kinds(void);		/* valid kinds are 0 .. report_nr_kinds() - 1 */

/*
 * The context of a report in the layer above, e.g. the index of the op a driver runs.
 * `get` is called on the reporting thread when a report (or a KASAN alloc/free track) is
 * recorded and returns a value >= 0, or -1 for none; the details then end with
 * "<label>: <value>" after CPU and task (KASAN tracks print "<label> <value>"). NULL `get`
 * removes the hook: no context is recorded or printed. `label` must stay valid while set.
 */
void report_set_context_hook(long (*get)(void), const char *label);
long report_context(void);		/* get() now, -1 without a hook */
const char *report_context_label(void);	/* the label, NULL without a hook */

/* Start a report; add details; finish (prints, counts, aborts per mode). */
void report_begin(int kind, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void report_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_end(void);
/* begin + end with no details */
void report_simple(int kind, const char *func, const char *fmt, ...)
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
int report_count_kind(int kind);
/*
 * Report i (0 .. report_count() - 1) in order of recording; NULL if out of range (or, only
 * if memory ran out, not kept). Every report is kept, however many. A kept report never
 * moves: the pointer stays valid while other threads record more, until report_reset().
 */
const struct report *report_get(int i);
/* "KIND in function": the dedup/minimise key. */
void report_signature(const struct report *r, char *buf, size_t len);
/* Forget the reports. Their storage is reused by the next ones (what exceeds a small
 * budget is freed), so a program's reports cost no allocation once the budget is warm. */
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
