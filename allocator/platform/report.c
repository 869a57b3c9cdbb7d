// SPDX-License-Identifier: GPL-2.0
/*
 * The reporter. A report is assembled in a per-thread buffer (report_begin/detail/end),
 * so stress threads can build reports concurrently; report_end() records and prints it
 * under one lock, so lines of two reports never interleave.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "cpu.h"

#define MAX_KEPT_REPORTS	64

static const char *const kind_names[NR_REPORT_KINDS] = {
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
	[REPORT_MODEL] = "MODEL",
};

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static enum report_mode report_mode = REPORT_COUNT;	/* atomic */
static bool report_quiet;				/* atomic */
static void (*report_hook)(const struct report *r);	/* atomic */
static struct report kept[MAX_KEPT_REPORTS];
static int nr_reports;
static int nr_kind[NR_REPORT_KINDS];

static __thread jmp_buf *bug_jmp;
static __thread struct report pending;
static __thread bool pending_active;

const char *report_kind_name(enum report_kind kind)
{
	if ((unsigned int)kind >= NR_REPORT_KINDS)
		return "UNKNOWN";
	return kind_names[kind];
}

int report_kind_parse(const char *name)
{
	if (!name)
		return -1;
	if (!strncmp(name, "MODEL_", 6))
		return REPORT_MODEL;
	for (int i = 0; i < NR_REPORT_KINDS; i++) {
		if (!strcmp(name, kind_names[i]))
			return i;
	}
	return -1;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "?");
}

static void pending_start(enum report_kind kind, const char *func, const char *rule,
			  const char *fmt, va_list ap)
{
	struct task *t = current_task();

	memset(&pending, 0, sizeof(pending));
	pending.kind = kind;
	copy_str(pending.function, sizeof(pending.function), func);
	if (rule)
		copy_str(pending.rule, sizeof(pending.rule), rule);
	vsnprintf(pending.message, sizeof(pending.message), fmt, ap);
	pending.cpu = t->cpu;
	pending.task = t->id;
	pending.op_index = t->op_index;
	pending_active = true;
}

void report_begin(enum report_kind kind, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pending_start(kind, func, NULL, fmt, ap);
	va_end(ap);
}

void report_begin_model(const char *rule, const char *op, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pending_start(REPORT_MODEL, op, rule, fmt, ap);
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
	if (r->kind == REPORT_MODEL)
		fprintf(f, "==slabtorture== MODEL_%s in %s: %s\n", r->rule, r->function,
			r->message);
	else
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
	struct report r;
	char ctx[96];

	if (!pending_active)
		return;
	pending_active = false;
	snprintf(ctx, sizeof(ctx), "cpu: %d  task: %d  op: %ld", pending.cpu, pending.task,
		 pending.op_index);
	details_append(ctx);
	r = pending;

	pthread_mutex_lock(&report_lock);
	if (nr_reports < MAX_KEPT_REPORTS)
		kept[nr_reports] = r;
	nr_reports++;
	if ((unsigned int)r.kind < NR_REPORT_KINDS)
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

void report_simple(enum report_kind kind, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pending_start(kind, func, NULL, fmt, ap);
	va_end(ap);
	report_end();
}

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

int report_count_kind(enum report_kind kind)
{
	int n;

	if ((unsigned int)kind >= NR_REPORT_KINDS)
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
	if (i >= 0 && i < nr_reports && i < MAX_KEPT_REPORTS)
		r = &kept[i];
	pthread_mutex_unlock(&report_lock);
	return r;
}

void report_signature(const struct report *r, char *buf, size_t len)
{
	if (!len)
		return;
	if (r->kind == REPORT_MODEL)
		snprintf(buf, len, "MODEL_%s in %s", r->rule, r->function);
	else
		snprintf(buf, len, "%s in %s", report_kind_name(r->kind), r->function);
}

/* Forgets the reports; mode, quiet and the abort hook stay. The calling thread's bug jump
 * target is dropped: it points into a frame of the previous program. */
void report_reset(void)
{
	pthread_mutex_lock(&report_lock);
	nr_reports = 0;
	memset(nr_kind, 0, sizeof(nr_kind));
	pthread_mutex_unlock(&report_lock);
	bug_jmp = NULL;
	pending_active = false;
}
