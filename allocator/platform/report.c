// SPDX-License-Identifier: GPL-2.0
/*
 * The reporter. A report is assembled in a per-thread buffer (report_begin/detail/end),
 * so stress threads can build reports concurrently; report_end() records and prints it
 * under one lock, so lines of two reports never interleave.
 *
 * Storage keeps every report. A recorded report is packed (header, then its three strings)
 * into fixed-size blocks that are never moved or freed while reports are kept, so the
 * pointer report_get() returns stays valid while other threads record more; an index of
 * pointers, grown by doubling under the lock, finds report i. report_reset() rewinds the
 * blocks for reuse and frees only what exceeds a budget, so a fuzz input's reports cost no
 * malloc once the first input warmed the budget, and a program with 100,000 reports does
 * not pin its memory for the rest of the run.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "cpu.h"

#define BLOCK_BYTES		(64 * 1024)
#define KEEP_BLOCKS		16		/* 1 MiB of blocks survives report_reset() */
#define KEEP_INDEX		(16 * 1024)	/* index entries kept across report_reset() */

/* ------------------------------------------------------------------ kinds */

static char kind_names[REPORT_MAX_KINDS][REPORT_KIND_LEN] = {
	[REPORT_SLAB_LEAK] = "SLAB_LEAK",
	[REPORT_DOUBLE_FREE] = "DOUBLE_FREE",
	[REPORT_INVALID_FREE] = "INVALID_FREE",
	[REPORT_USE_AFTER_FREE] = "USE_AFTER_FREE",
	[REPORT_SLAB_CORRUPT] = "SLAB_CORRUPT",
	[REPORT_LOCK_INVERSION] = "LOCK_INVERSION",
	[REPORT_LOCK_NOT_HELD] = "LOCK_NOT_HELD",
	[REPORT_BAD_CONTEXT] = "BAD_CONTEXT",
	[REPORT_WARN] = "WARN",
	[REPORT_BUG] = "BUG",
};
/* atomic; names below it are immutable, so readers need no lock */
static int nr_kinds = NR_PLATFORM_REPORT_KINDS;
static pthread_mutex_t kind_lock = PTHREAD_MUTEX_INITIALIZER;

int report_nr_kinds(void)
{
	return __atomic_load_n(&nr_kinds, __ATOMIC_ACQUIRE);
}

const char *report_kind_name(int kind)
{
	if (kind < 0 || kind >= report_nr_kinds())
		return "UNKNOWN";
	return kind_names[kind];
}

int report_kind_parse(const char *name)
{
	int n = report_nr_kinds();

	if (!name)
		return -1;
	for (int i = 0; i < n; i++) {
		if (!strcmp(name, kind_names[i]))
			return i;
	}
	return -1;
}

int report_kind_register(const char *name)
{
	int kind;

	if (!name || !name[0] || strlen(name) >= REPORT_KIND_LEN)
		return -1;
	pthread_mutex_lock(&kind_lock);
	kind = report_kind_parse(name);
	if (kind < 0 && nr_kinds < REPORT_MAX_KINDS) {
		kind = nr_kinds;
		memcpy(kind_names[kind], name, strlen(name) + 1);
		__atomic_store_n(&nr_kinds, kind + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&kind_lock);
	return kind;
}

/* ------------------------------------------------------------------ context hook */

static long (*context_get)(void);	/* atomic */
static const char *context_label;	/* atomic */

void report_set_context_hook(long (*get)(void), const char *label)
{
	__atomic_store_n(&context_label, get ? label : NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&context_get, get, __ATOMIC_RELEASE);
}

long report_context(void)
{
	long (*get)(void) = __atomic_load_n(&context_get, __ATOMIC_ACQUIRE);

	return get ? get() : -1;
}

const char *report_context_label(void)
{
	if (!__atomic_load_n(&context_get, __ATOMIC_ACQUIRE))
		return NULL;
	return __atomic_load_n(&context_label, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ state */

struct report_block {
	struct report_block *next;
	size_t used;
	_Alignas(16) char data[BLOCK_BYTES];
};

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static enum report_mode report_mode = REPORT_COUNT;	/* atomic */
static bool report_quiet;				/* atomic */
static void (*report_hook)(const struct report *r);	/* atomic */
/* under report_lock: */
static struct report_block *blocks;	/* every block, in order of use */
static struct report_block *cur_block;	/* the block being filled (NULL: none yet) */
static const struct report **kept;	/* kept[i]: report i, or NULL if memory ran out */
static int kept_cap;
static int nr_reports;
static int nr_kind[REPORT_MAX_KINDS];

/* A report under construction. */
struct pending_report {
	int kind;
	int cpu;
	int task;
	long context;
	const char *label;
	char function[REPORT_FUNC_LEN];
	char message[REPORT_MSG_LEN];
	char details[REPORT_DETAIL_LEN];
};

static __thread jmp_buf *bug_jmp;
static __thread struct pending_report pending;
static __thread bool pending_active;

/* Space for `size` bytes in the blocks, reusing rewound ones first. Under report_lock. */
static void *storage_alloc(size_t size)
{
	struct report_block *b = cur_block;

	size = (size + 15) & ~(size_t)15;
	if (size > BLOCK_BYTES)
		return NULL;
	if (!b || b->used + size > BLOCK_BYTES) {
		b = b ? b->next : blocks;
		if (!b) {
			b = malloc(sizeof(*b));
			if (!b)
				return NULL;
			b->next = NULL;
			if (cur_block)
				cur_block->next = b;
			else
				blocks = b;
		}
		b->used = 0;
		cur_block = b;
	}
	b->used += size;
	return b->data + b->used - size;
}

static bool index_reserve(int n)
{
	const struct report **v;
	int cap = kept_cap ? kept_cap : 256;

	if (n <= kept_cap)
		return true;
	while (cap < n)
		cap *= 2;
	v = realloc(kept, sizeof(*kept) * (size_t)cap);
	if (!v)
		return false;
	/* entries past the old capacity belong to no report yet (or to reports that could
	 * not be indexed): NULL, as report_get() promises for reports not kept */
	memset(v + kept_cap, 0, sizeof(*v) * (size_t)(cap - kept_cap));
	kept = v;
	kept_cap = cap;
	return true;
}

/* Copy the pending report into the storage; NULL if memory ran out. Under report_lock. */
static const struct report *store(const struct pending_report *p)
{
	size_t lf = strlen(p->function) + 1, lm = strlen(p->message) + 1;
	size_t ld = strlen(p->details) + 1;
	struct report *r;
	char *s;

	if (!index_reserve(nr_reports + 1))
		return NULL;
	r = storage_alloc(sizeof(*r) + lf + lm + ld);
	if (!r)
		return NULL;
	s = (char *)(r + 1);
	r->kind = p->kind;
	r->cpu = p->cpu;
	r->task = p->task;
	r->context = p->context;
	r->function = memcpy(s, p->function, lf);
	r->message = memcpy(s + lf, p->message, lm);
	r->details = memcpy(s + lf + lm, p->details, ld);
	return r;
}

/* ------------------------------------------------------------------ building */

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "?");
}

static void pending_start(int kind, const char *func, const char *fmt, va_list ap)
{
	struct task *t = current_task();

	/* every field is set here; the details buffer only needs its terminator (clearing all
	 * of it per report was most of a fuzz input's cost when it expects reports) */
	pending.details[0] = 0;
	pending.kind = kind;
	copy_str(pending.function, sizeof(pending.function), func);
	vsnprintf(pending.message, sizeof(pending.message), fmt, ap);
	pending.cpu = t->cpu;
	pending.task = t->id;
	pending.label = report_context_label();
	pending.context = pending.label ? report_context() : -1;
	pending_active = true;
}

void report_begin(int kind, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pending_start(kind, func, fmt, ap);
	va_end(ap);
}

/* Append text to the details, each line indented by two spaces and newline-terminated. */
static void details_append(const char *text)
{
	size_t len = strlen(pending.details);
	const char *line = text;

	while (*line && len + 1 < sizeof(pending.details)) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		const char *indent = strncmp(line, "  ", 2) ? "  " : "";
		int w = snprintf(pending.details + len, sizeof(pending.details) - len, "%s%.*s\n",
				 indent, (int)n, line);

		if (w < 0)
			break;
		len = min(len + (size_t)w, sizeof(pending.details) - 1);
		line = nl ? nl + 1 : line + n;
	}
}

void report_detail(const char *fmt, ...)
{
	char buf[REPORT_DETAIL_LEN];
	va_list ap;

	if (!pending_active)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	details_append(buf);
}

static void print_report(const struct report *r, FILE *f)
{
	fprintf(f, "==slabtorture== %s in %s: %s\n", report_kind_name(r->kind), r->function,
		r->message);
	fputs(r->details, f);
	fflush(f);
}

void report_print(const struct report *r, void *stream)
{
	print_report(r, stream ? (FILE *)stream : stderr);
}

void report_end(void)
{
	enum report_mode mode = __atomic_load_n(&report_mode, __ATOMIC_RELAXED);
	void (*hook)(const struct report *);
	const struct report *kept_r;
	struct report r;
	char ctx[96];
	int n;

	if (!pending_active)
		return;
	pending_active = false;
	n = snprintf(ctx, sizeof(ctx), "cpu: %d  task: %d", pending.cpu, pending.task);
	if (pending.label && n > 0 && (size_t)n < sizeof(ctx))
		snprintf(ctx + n, sizeof(ctx) - (size_t)n, "  %s: %ld", pending.label,
			 pending.context);
	details_append(ctx);
	/* a view of the pending report, for printing and the hook */
	r = (struct report){
		.kind = pending.kind, .cpu = pending.cpu, .task = pending.task,
		.context = pending.context, .function = pending.function,
		.message = pending.message, .details = pending.details,
	};

	pthread_mutex_lock(&report_lock);
	kept_r = store(&pending);
	if (kept_cap > nr_reports)
		kept[nr_reports] = kept_r;
	nr_reports++;
	if (r.kind >= 0 && r.kind < REPORT_MAX_KINDS)
		nr_kind[r.kind]++;
	if (mode == REPORT_ABORT || !__atomic_load_n(&report_quiet, __ATOMIC_RELAXED))
		print_report(&r, stderr);
	pthread_mutex_unlock(&report_lock);

	hook = __atomic_load_n(&report_hook, __ATOMIC_ACQUIRE);
	if (hook)
		hook(&r);
	if (mode == REPORT_ABORT)
		abort();
	if (r.kind == REPORT_BUG) {
		/* Execution cannot continue past a BUG: unwind to the driver or die. */
		if (bug_jmp)
			longjmp(*bug_jmp, 1);
		abort();
	}
}

void report_simple(int kind, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pending_start(kind, func, fmt, ap);
	va_end(ap);
	report_end();
}

/* ------------------------------------------------------------------ settings, queries */

void report_set_mode(enum report_mode mode)
{
	__atomic_store_n(&report_mode, mode, __ATOMIC_RELAXED);
}

enum report_mode report_get_mode(void)
{
	return __atomic_load_n(&report_mode, __ATOMIC_RELAXED);
}

void report_set_quiet(bool quiet)
{
	__atomic_store_n(&report_quiet, quiet, __ATOMIC_RELAXED);
}

void report_set_bug_jmp(jmp_buf *jb)
{
	bug_jmp = jb;
}

void report_set_hook(void (*hook)(const struct report *r))
{
	__atomic_store_n(&report_hook, hook, __ATOMIC_RELEASE);
}

int report_count(void)
{
	int n;

	pthread_mutex_lock(&report_lock);
	n = nr_reports;
	pthread_mutex_unlock(&report_lock);
	return n;
}

int report_count_kind(int kind)
{
	int n;

	if (kind < 0 || kind >= REPORT_MAX_KINDS)
		return 0;
	pthread_mutex_lock(&report_lock);
	n = nr_kind[kind];
	pthread_mutex_unlock(&report_lock);
	return n;
}

const struct report *report_get(int i)
{
	const struct report *r = NULL;

	pthread_mutex_lock(&report_lock);
	if (i >= 0 && i < nr_reports && i < kept_cap)
		r = kept[i];
	pthread_mutex_unlock(&report_lock);
	return r;
}

void report_signature(const struct report *r, char *buf, size_t len)
{
	if (!len)
		return;
	snprintf(buf, len, "%s in %s", report_kind_name(r->kind), r->function);
}

/* Forgets the reports; mode, quiet, the hooks and the registered kinds stay. The calling
 * thread's bug jump target is dropped: it points into a frame of the previous program. */
void report_reset(void)
{
	struct report_block *b, *next;
	int i = 0;

	pthread_mutex_lock(&report_lock);
	nr_reports = 0;
	memset(nr_kind, 0, sizeof(nr_kind));
	/* rewind: the first KEEP_BLOCKS blocks are reused, the rest freed */
	for (b = blocks; b; b = next) {
		next = b->next;
		if (++i == KEEP_BLOCKS)
			b->next = NULL;
		else if (i > KEEP_BLOCKS)
			free(b);
	}
	cur_block = NULL;
	if (kept_cap > KEEP_INDEX) {
		free(kept);
		kept = NULL;
		kept_cap = 0;
	}
	pthread_mutex_unlock(&report_lock);
	bug_jmp = NULL;
	pending_active = false;
}
