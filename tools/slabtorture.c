// SPDX-License-Identifier: GPL-2.0
/*
 * slabtorture: run, decode, encode and minimise programs of the operation language; list
 * the seeded bugs. Exit status: 0 clean (or expectation met), 1 a report or an unmet
 * expectation, 2 bad usage or a file that does not parse.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bugs.h"
#include "exec.h"
#include "minimize.h"
#include "sched_exec.h"
#include "ops.h"
#include "slab.h"

#define MAX_FILE (1 << 20)	/* the largest input libFuzzer and AFL++ write */

static bool opt_trace;
static bool opt_sched_target;	/* fuzzer bytes are fuzz_sched inputs */
static const char *prog_name = "slabtorture";

static const char usage_main[] =
	"usage: slabtorture [--bug NAME]... [--trace] COMMAND [ARGS]\n"
	"\n"
	"Runs programs of slabtorture's operation language against the reference SLUB\n"
	"allocator and its shadow model.\n"
	"\n"
	"commands:\n"
	"  run FILE...            run programs: *.trace is text, anything else fuzzer bytes\n"
	"  decode FILE [-o OUT]   binary program -> text\n"
	"  encode FILE -o OUT     text program -> binary\n"
	"  minimize FILE -o OUT   shrink a failing program, keeping its report signature\n"
	"  explore FILE --pct D --runs N [--seed S] [-o OUT]\n"
	"                         run a program's tasks under N PCT schedules of depth D\n"
	"  points FILE|DIR...     which scheduling points the inputs reach (fuzz_sched)\n"
	"  bugs                   list the seeded bugs\n"
	"  dict [-o OUT]          write the fuzzers' dictionary, derived from the op table\n"
	"  help [COMMAND]         this text, or a command's\n"
	"\n"
	"global options:\n"
	"  --bug NAME   enable a seeded bug (repeatable; SLAB_BUGS=a,b in the environment too)\n"
	"  --trace      print each op and its result\n"
	"  --target T   fuzzer bytes are inputs of fuzz target T: fuzz_ops (default) or\n"
	"               fuzz_sched (a program and its schedule; loaded as the program with\n"
	"               the decisions its schedule took, written out)\n"
	"  --help       this text; `slabtorture COMMAND --help` for a command\n"
	"\n"
	"exit status: 0 clean, 1 a report (or an unmet expectation), 2 bad usage or parse error\n";

static const char usage_run[] =
	"usage: slabtorture run [--expect] [--repeat N] [--quiet] [--no-history] [--binary|--text]\n"
	"                       FILE...\n"
	"\n"
	"Runs each program on a fresh machine. Prints one result line per file:\n"
	"  FILE: clean (N ops)\n"
	"  FILE: FAILED at op I: SIGNATURE\n"
	"  --expect     compare with the file's `# expect:` line (or `# expect-with-bug:` when\n"
	"               the `# bug:` it names is enabled); exit 0 iff every file matches\n"
	"  --repeat N   run each file N times and require the same outcome every time\n"
	"  --quiet      do not print reports and op context, only the result lines\n"
	"  --no-history do not record object histories (KASAN reports and the leak report\n"
	"               print each object's state changes: op, CPU, task, scheduling point)\n"
	"  --binary, --text   force the form (otherwise a file named *.trace is text and any\n"
	"               other file is fuzzer bytes)\n";

static const char usage_decode[] =
	"usage: slabtorture decode FILE [-o OUT]\n"
	"\n"
	"Prints the text form of a binary program (e.g. a fuzzer crash file), decoded as the\n"
	"fuzz target decodes it.\n";

static const char usage_encode[] =
	"usage: slabtorture encode FILE -o OUT\n"
	"\n"
	"Writes the binary form of a text program; decoding it gives the same program with\n"
	"handles numbered in order of allocation.\n";

static const char usage_minimize[] =
	"usage: slabtorture minimize FILE -o OUT [--signature SIG]\n"
	"\n"
	"Delta-debugs the ops of a failing program (then its machine and op arguments) down to\n"
	"a smallest program that still fails with the same report signature (KIND in function,\n"
	"or MODEL_rule in op); candidates failing any other way are rejected. The output is a\n"
	"text program with `# expect:` lines; with one --bug enabled it also records whether\n"
	"the program is clean without the bug.\n";

static const char usage_bugs[] =
	"usage: slabtorture bugs\n\nLists the seeded bugs and whether this build has them.\n";

static const char usage_dict[] =
	"usage: slabtorture dict [-o OUT]\n"
	"\n"
	"Writes a libFuzzer / AFL++ dictionary for fuzz_ops (stdout, or OUT): for every op of\n"
	"the op table, tokens of its binary encoding (op byte, escape byte, argument bytes) with\n"
	"typical arguments (defaults, each context, gfp, word and flag, a few sizes and counts),\n"
	"encoded in a small canned state; plus a few program headers. fuzz/fuzz_ops.dict is\n"
	"this output (ctest dict.up_to_date).\n";

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog_name);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h");
}

static int set_target(const char *name)
{
	if (!strcmp(name, "fuzz_ops") || !strcmp(name, "fuzz_sched")) {
		opt_sched_target = !strcmp(name, "fuzz_sched");
		return 0;
	}
	fprintf(stderr, "%s: --target: unknown fuzz target `%s` (fuzz_ops, fuzz_sched)\n",
		prog_name, name);
	return 2;
}

static int enable_bug(const char *name)
{
	if (slab_bug_enable(name) == 0)
		return 0;
	if (!slab_bugs_compiled_in()) {
		fprintf(stderr, "%s: seeded bugs are not compiled into this build (SLAB_SEEDED_BUGS=OFF)\n",
			prog_name);
		return 2;
	}
	fprintf(stderr, "%s: unknown bug `%s`; known bugs:", prog_name, name);
	for (int i = 0; i < NR_SLAB_BUGS; i++)
		fprintf(stderr, " %s", slab_bug_name(i));
	fprintf(stderr, "\n");
	return 2;
}

/* Read a whole file of at most cap bytes; -1 (message printed) otherwise. */
static long read_file(const char *path, uint8_t *buf, size_t cap)
{
	struct stat sb;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "%s: %s: is a directory\n", prog_name, path);
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, cap, f);
	if (ferror(f)) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, strerror(errno));
		fclose(f);
		return -1;
	}
	if (n == cap && fgetc(f) != EOF) {
		fprintf(stderr, "%s: %s: larger than %zu bytes\n", prog_name, path, cap);
		fclose(f);
		return -1;
	}
	fclose(f);
	return (long)n;
}

enum form { FORM_AUTO, FORM_TEXT, FORM_BINARY };

static bool named_trace(const char *path)
{
	size_t pl = strlen(path);

	return pl >= 6 && !strcmp(path + pl - 6, ".trace");
}

/*
 * Load a program: 0, or 2 (message printed) on a read or parse error. The form comes from
 * the name and the flags, never from the bytes: *.trace is text, anything else (a crash
 * file, an AFL++ queue entry) is fuzzer bytes, decoded as the fuzz targets decode them.
 */
/* A text trace of any length (a stress failure or a captured workload can hold millions
 * of ops); NULL (message printed) on an error. The caller frees it. */
static char *read_text(const char *path, size_t *len)
{
	struct stat sb;
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "%s: %s: is a directory\n", prog_name, path);
		fclose(f);
		return NULL;
	}
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, strerror(errno));
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int load_program(const char *path, enum form form, struct program *p)
{
	static uint8_t buf[MAX_FILE];
	char err[256];
	long n;

	if (form == FORM_TEXT || (form == FORM_AUTO && named_trace(path))) {
		size_t len;
		char *text = read_text(path, &len);
		int rc;

		if (!text)
			return 2;
		rc = program_parse(text, len, p, err, sizeof(err));
		free(text);
		if (!rc)
			return 0;
		fprintf(stderr, "%s:%s\n", path, err);
		return 2;
	}
	/* fuzzer bytes: at most what the engines write */
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return 2;
	if (opt_sched_target) {
		/* run once to learn which decisions the schedule bytes take, then keep them
		 * as written decisions: the program replays (and prints) that schedule */
		static struct program rec;
		struct sched_source src;
		struct exec_opts o = { .quiet = true };
		struct exec_result r;

		sched_input_decode(buf, (size_t)n, &rec, &src);
		program_copy(p, &rec);
		p->nr_dec = 0;
		sched_set_source(&src);
		sched_set_record(p);
		exec_program(&rec, &o, &r);
		sched_set_record(NULL);
		src.kind = SCHED_WRITTEN;
		sched_set_source(&src);
		return 0;
	}
	program_decode(buf, (size_t)n, p);
	return 0;
}

static int bug_index(const char *name)
{
	for (int i = 0; i < NR_SLAB_BUGS; i++)
		if (!strcmp(slab_bug_name(i), name))
			return i;
	return -1;
}

/* The outcome a program's annotations expect with the bugs enabled now ("" if none). */
static const char *expected_outcome(const struct program *p)
{
	if (p->bug[0] && p->expect_bug[0]) {
		int b = bug_index(p->bug);
		if (b >= 0 && (slab_bugs_mask() & (1UL << b)))
			return p->expect_bug;
	}
	return p->expect;
}

/* "SLAB_LEAK" matches any function; otherwise the whole signature must match. */
static bool outcome_matches(const char *want, const struct exec_result *r)
{
	const char *got = r->failed ? r->sig : "clean";

	if (!strcmp(want, got))
		return true;
	if (!strstr(want, " in ") && r->failed) {
		size_t l = strlen(want);
		return !strncmp(got, want, l) && got[l] == ' ';
	}
	return false;
}

static int cmd_run(int argc, char **argv)
{
	static struct program p;

	struct exec_opts o = { .trace = opt_trace, .out = stdout, .history = true };
	bool expect = false;
	enum form form = FORM_AUTO;
	int repeat = 1, nfiles = 0, status = 0;

	for (int i = 0; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(usage_run, stdout);
			return 0;
		}
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--expect")) {
			expect = true;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			o.quiet = true;
		} else if (!strcmp(a, "--no-history")) {
			o.history = false;
		} else if (!strcmp(a, "--binary")) {
			form = FORM_BINARY;
		} else if (!strcmp(a, "--text")) {
			form = FORM_TEXT;
		} else if (!strcmp(a, "--repeat")) {
			char *end;
			if (i + 1 >= argc)
				return usage_error(usage_run, "--repeat needs a count%s", "");
			repeat = (int)strtol(argv[++i], &end, 10);
			if (*end || repeat < 1 || repeat > 100000)
				return usage_error(usage_run, "bad --repeat count `%s`", argv[i]);
		} else if (a[0] == '-' && a[1]) {
			return usage_error(usage_run, "unknown option `%s`", a);
		} else {
			argv[nfiles++] = argv[i];
		}
	}
	if (!nfiles)
		return usage_error(usage_run, "run needs a FILE%s", "");

	for (int f = 0; f < nfiles; f++) {
		struct exec_result r, first;
		int rc = load_program(argv[f], form, &p);

		if (rc)
			return rc;
		for (int k = 0; k < repeat; k++) {
			exec_program(&p, &o, &r);
			if (k == 0) {
				first = r;
			} else if (r.failed != first.failed || strcmp(r.sig, first.sig) ||
				   r.fail_op != first.fail_op) {
				printf("%s: NONDETERMINISTIC: run %d gave %s at op %ld, run 1 gave %s at op %ld\n",
				       argv[f], k + 1, r.failed ? r.sig : "clean", r.fail_op,
				       first.failed ? first.sig : "clean", first.fail_op);
				status = 1;
				break;
			}
			o.trace = false;	/* one trace is enough */
		}
		o.trace = opt_trace;
		if (r.failed)
			printf("%s: FAILED at op %ld: %s\n", argv[f], r.fail_op, r.sig);
		else
			printf("%s: clean (%d ops%s)\n", argv[f], p.nr_ops,
			       r.consumed ? ", expected reports consumed" : "");
		if (expect) {
			const char *want = expected_outcome(&p);
			if (!want[0]) {
				printf("%s: no `# expect:` line\n", argv[f]);
				status = 1;
			} else if (outcome_matches(want, &r)) {
				printf("%s: expectation met (%s)\n", argv[f], want);
			} else {
				printf("%s: expected %s\n", argv[f], want);
				status = 1;
			}
		} else if (r.failed) {
			status = 1;
		}
	}
	fflush(stdout);
	return status;
}

static int parse_in_out(int argc, char **argv, const char *usage, const char **in,
			const char **out, bool *flag, const char *flag_name)
{
	*in = NULL;
	for (int i = 0; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(usage, stdout);
			return -1;
		}
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-o")) {
			if (i + 1 >= argc)
				return usage_error(usage, "-o needs a file%s", "");
			*out = argv[++i];
		} else if (flag_name && !strcmp(argv[i], flag_name)) {
			*flag = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error(usage, "unknown option `%s`", argv[i]);
		} else if (*in) {
			return usage_error(usage, "unexpected argument `%s`", argv[i]);
		} else {
			*in = argv[i];
		}
	}
	if (!*in)
		return usage_error(usage, "a FILE is needed%s", "");
	return 0;
}

static FILE *open_out(const char *path, const char *mode)
{
	FILE *f;

	if (!path || !strcmp(path, "-"))
		return stdout;
	f = fopen(path, mode);
	if (!f)
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, strerror(errno));
	return f;
}

static int cmd_decode(int argc, char **argv)
{
	static struct program p;
	static uint8_t buf[MAX_FILE];
	const char *in, *out = NULL;
	int rc = parse_in_out(argc, argv, usage_decode, &in, &out, NULL, NULL);

	if (rc)
		return rc < 0 ? 0 : rc;
	long n = read_file(in, buf, sizeof(buf));
	if (n < 0)
		return 2;
	if (opt_sched_target) {
		if ((rc = load_program(in, FORM_BINARY, &p)))
			return rc;
	} else {
		program_decode(buf, (size_t)n, &p);
	}
	FILE *f = open_out(out, "w");
	if (!f)
		return 2;
	fprintf(f, "# decoded from %s (%ld bytes)\n", in, n);
	program_print(&p, f);
	if (f != stdout)
		fclose(f);
	return 0;
}

static int cmd_encode(int argc, char **argv)
{
	static struct program p;
	static uint8_t buf[MAX_FILE];
	const char *in, *out = NULL;
	int rc = parse_in_out(argc, argv, usage_encode, &in, &out, NULL, NULL);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (!out)
		return usage_error(usage_encode, "encode needs -o OUT%s", "");
	if ((rc = load_program(in, FORM_TEXT, &p)))
		return rc;
	/* a fuzz_sched input: the program part's length first, no schedule bytes */
	long n = program_encode(&p, buf + 2, sizeof(buf) - 2);
	if (n >= 0 && opt_sched_target) {
		buf[0] = (uint8_t)n;
		buf[1] = (uint8_t)(n >> 8);
		n += 2;
	}
	uint8_t *bytes = opt_sched_target ? buf : buf + 2;
	if (n < 0) {
		fprintf(stderr, "%s: %s: cannot encode\n", prog_name, in);
		return 2;
	}
	FILE *f = open_out(out, "wb");
	if (!f)
		return 2;
	fwrite(bytes, 1, (size_t)n, f);
	if (f != stdout)
		fclose(f);
	return 0;
}

static int cmd_minimize(int argc, char **argv)
{
	static struct program p, best;
	static char sig[PROG_SIG_LEN];
	struct minimize_stats ms;
	const char *in = NULL, *out = NULL, *want_sig = NULL;
	int nin = 0;

	for (int i = 0; i < argc; i++)
		if (is_help(argv[i])) {
			fputs(usage_minimize, stdout);
			return 0;
		}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--signature") && i + 1 < argc) {
			want_sig = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error(usage_minimize, "unknown or incomplete option `%s`", argv[i]);
		} else {
			in = argv[i];
			nin++;
		}
	}
	if (nin != 1)
		return usage_error(usage_minimize, "minimize needs exactly one FILE%s", "");
	if (!out)
		return usage_error(usage_minimize, "minimize needs -o OUT%s", "");
	int rc = load_program(in, FORM_AUTO, &p);
	if (rc)
		return rc;

	struct exec_result r;
	struct exec_opts o = { .quiet = true };
	exec_program(&p, &o, &r);
	if (!r.failed) {
		fprintf(stderr, "%s: %s runs clean: nothing to minimise\n", prog_name, in);
		return 1;
	}
	if (want_sig && strcmp(want_sig, r.sig)) {
		fprintf(stderr, "%s: %s fails with `%s`, not `%s`\n", prog_name, in, r.sig, want_sig);
		return 1;
	}
	snprintf(sig, sizeof(sig), "%s", r.sig);
	program_copy(&best, &p);
	if (program_minimize(&best, sig, &ms))
		fprintf(stderr, "%s: the program with canonical handle names lost the signature: "
			"kept the names it had\n", prog_name);

	/* with exactly one bug enabled, say whether the program is clean without it */
	unsigned long mask = slab_bugs_mask();
	snprintf(best.expect, sizeof(best.expect), "%s", sig);
	best.bug[0] = best.expect_bug[0] = 0;
	if (mask && !(mask & (mask - 1))) {
		int b = __builtin_ctzl(mask);
		slab_bugs_set_mask(0);
		exec_program(&best, &o, &r);
		slab_bugs_set_mask(mask);
		snprintf(best.bug, sizeof(best.bug), "%s", slab_bug_name(b));
		snprintf(best.expect_bug, sizeof(best.expect_bug), "%s", sig);
		snprintf(best.expect, sizeof(best.expect), "%s", r.failed ? r.sig : "clean");
	}

	FILE *f = open_out(out, "w");
	if (!f)
		return 2;
	fprintf(f, "# minimised from %s: %d ops -> %d ops (%lu runs), signature %s\n", in,
		p.nr_ops, best.nr_ops, ms.runs, sig);
	program_print(&best, f);
	if (f != stdout)
		fclose(f);
	fprintf(stderr, "%s: %d ops -> %d ops, signature %s\n", prog_name, p.nr_ops, best.nr_ops,
		sig);
	return 0;
}

static const char usage_explore[] =
	"usage: slabtorture explore FILE --pct D --runs N [--seed S] [-o OUT]\n"
	"\n"
	"Runs the program's tasks (machine sched=on is implied) under N PCT schedules of\n"
	"depth D: random distinct task priorities and D-1 points, drawn among the scheduling\n"
	"points the program reaches, where the running task drops to the lowest priority; the\n"
	"highest-priority task that can run always runs. At half the change points, chosen by\n"
	"the seed, something else happens there too: the task migrates to another CPU, an\n"
	"interrupt op runs on its CPU, a CPU goes down or up, a grace period ends, or RCU\n"
	"callbacks or a kworker run (races within one CPU need those). Prints how many\n"
	"schedules found a report; the first failing schedule is written to OUT (default\n"
	"FILE.pct.trace) as a trace whose decisions replay it. Exit 1 if any schedule found a\n"
	"report.\n";

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool parse_long_arg(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return !errno && *s && !*end && *v >= lo && *v <= hi;
}

static int cmd_explore(int argc, char **argv)
{
	static struct program p, rec;
	const char *in = NULL, *out = NULL;
	long depth = 0, runs = 0, seed = 1;
	char outbuf[4096];
	struct sched_source src;
	struct exec_opts o = { .quiet = true };
	struct exec_result r;
	long found = 0, first = -1;
	char first_sig[PROG_SIG_LEN] = "";

	for (int i = 0; i < argc; i++)
		if (is_help(argv[i])) {
			fputs(usage_explore, stdout);
			return 0;
		}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--pct") || !strcmp(a, "--runs") || !strcmp(a, "--seed") ||
		    !strcmp(a, "-o")) {
			if (i + 1 >= argc)
				return usage_error(usage_explore, "%s needs a value", a);
			const char *v = argv[++i];
			if (!strcmp(a, "-o"))
				out = v;
			else if (!strcmp(a, "--pct") ? !parse_long_arg(v, 1, PCT_MAX_DEPTH, &depth) :
				 !strcmp(a, "--runs") ? !parse_long_arg(v, 1, 100000000, &runs) :
				 !parse_long_arg(v, 0, 0x7fffffffL, &seed))
				return usage_error(usage_explore, "bad value for %s", a);
		} else if (a[0] == '-' && a[1]) {
			return usage_error(usage_explore, "unknown option `%s`", a);
		} else if (in) {
			return usage_error(usage_explore, "unexpected argument `%s`", a);
		} else {
			in = a;
		}
	}
	if (!in || !depth || !runs)
		return usage_error(usage_explore, "explore needs FILE, --pct D and --runs N%s", "");
	int rc = load_program(in, FORM_AUTO, &p);
	if (rc)
		return rc;
	p.m.sched = 1;
	p.nr_dec = 0;
	if (!out) {
		snprintf(outbuf, sizeof(outbuf), "%s.pct.trace", in);
		out = outbuf;
	}

	/* the number of scheduling points the program reaches, for the change points */
	memset(&src, 0, sizeof(src));
	src.kind = SCHED_WRITTEN;
	sched_set_source(&src);
	exec_program(&p, &o, &r);
	unsigned long k = sched_steps() ? sched_steps() : 1;

	for (long run = 0; run < runs; run++) {
		uint64_t s = (uint64_t)seed * 1000003u + (uint64_t)run;
		enum { NT = 2 * PROG_MAX_CPUS + 1 };
		int order[NT];

		memset(&src, 0, sizeof(src));
		src.kind = SCHED_PCT;
		src.depth = (int)depth;
		for (int c = 0; c < NT; c++)
			order[c] = c;
		for (int c = NT - 1; c > 0; c--) {
			int j = (int)(splitmix(&s) % (uint64_t)(c + 1)), t = order[c];
			order[c] = order[j];
			order[j] = t;
		}
		for (int c = 0; c < NT; c++)
			src.prio[c] = (int)depth + order[c];
		for (int i = 0; i < depth - 1; i++) {
			uint64_t e = splitmix(&s);

			src.change[i] = 1 + splitmix(&s) % k;
			/* half the change points only drop the priority; the others also take
			 * one of the other actions */
			src.event[i] = e % 2 ? NR_SCHED_ACTIONS :
				       (uint8_t)(1 + (e >> 1) % (NR_SCHED_ACTIONS - 1));
			src.event_arg[i][0] = (uint8_t)(e >> 8);
			src.event_arg[i][1] = (uint8_t)(e >> 16);
		}
		program_copy(&rec, &p);
		rec.nr_dec = 0;
		sched_set_source(&src);
		sched_set_record(&rec);
		exec_program(&p, &o, &r);
		sched_set_record(NULL);
		if (!r.failed)
			continue;
		if (!found++) {
			first = run;
			snprintf(first_sig, sizeof(first_sig), "%s", r.sig);
			snprintf(rec.expect, sizeof(rec.expect), "%s", r.sig);
			FILE *f = open_out(out, "w");
			if (!f)
				return 2;
			fprintf(f, "# PCT schedule %ld of %ld (depth %ld, seed %ld) of %s\n", run, runs,
				depth, seed, in);
			program_print(&rec, f);
			if (f != stdout)
				fclose(f);
		}
	}
	memset(&src, 0, sizeof(src));
	sched_set_source(&src);
	printf("%s: %ld of %ld PCT schedules (depth %ld, %lu points) found a report", in, found,
	       runs, depth, k);
	if (found)
		printf("; first: run %ld, %s, written to %s", first, first_sig, out);
	printf("\n");
	return found ? 1 : 0;
}

static const char usage_points[] =
	"usage: slabtorture points [--unreached] FILE|DIR...\n"
	"\n"
	"Runs each input (every file under each DIR, recursively) with the fiber scheduler and\n"
	"prints, for every scheduling point, how many inputs reached it and how often in all,\n"
	"then how many points were reached. *.trace files are programs (sched=on is implied);\n"
	"any other file is a fuzz_sched input. A failing input is counted like any other.\n"
	"  --unreached  list only the points no input reached\n";

struct points_acc {
	uint32_t *count;
	unsigned long *inputs, *times;
	int n;
	unsigned long nr_inputs;
};

static int points_run(const char *path, struct points_acc *acc)
{
	static struct program p;
	static uint8_t buf[MAX_FILE];
	struct exec_opts o = { .quiet = true };
	struct exec_result r;
	struct sched_source src;

	if (named_trace(path)) {
		int rc = load_program(path, FORM_TEXT, &p);

		if (rc)
			return rc;
		p.m.sched = 1;
		memset(&src, 0, sizeof(src));
		src.kind = SCHED_WRITTEN;
	} else {
		long n = read_file(path, buf, sizeof(buf));

		if (n < 0)
			return 2;
		sched_input_decode(buf, (size_t)n, &p, &src);
	}
	sched_set_source(&src);
	exec_program(&p, &o, &r);
	memset(&src, 0, sizeof(src));
	sched_set_source(&src);

	int n = sched_nr_points();
	if (n > acc->n) {
		acc->count = realloc(acc->count, (size_t)n * sizeof(*acc->count));
		acc->inputs = realloc(acc->inputs, (size_t)n * sizeof(*acc->inputs));
		acc->times = realloc(acc->times, (size_t)n * sizeof(*acc->times));
		if (!acc->count || !acc->inputs || !acc->times)
			abort();
		for (int i = acc->n; i < n; i++)
			acc->inputs[i] = acc->times[i] = 0;
		acc->n = n;
	}
	sched_points_reached(acc->count, n);
	for (int i = 0; i < n; i++) {
		acc->inputs[i] += acc->count[i] > 0;
		acc->times[i] += acc->count[i];
	}
	acc->nr_inputs++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FILE, or every regular file under DIR in sorted order. */
static int points_path(const char *path, struct points_acc *acc)
{
	struct stat st;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	DIR *d;

	if (stat(path, &st)) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, strerror(errno));
		return 2;
	}
	if (!S_ISDIR(st.st_mode))
		return points_run(path, acc);
	if (!(d = opendir(path))) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, strerror(errno));
		return 2;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(path) + strlen(e->d_name) + 2;

		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(names = realloc(names, cap * sizeof(*names))))
				abort();
		}
		if (!(names[n] = malloc(l)))
			abort();
		snprintf(names[n++], l, "%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = points_path(names[i], acc);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int cmd_points(int argc, char **argv)
{
	struct points_acc acc = { 0 };
	bool unreached_only = false;
	int nfiles = 0, rc = 0, reached = 0;

	for (int i = 0; i < argc; i++)
		if (is_help(argv[i])) {
			fputs(usage_points, stdout);
			return 0;
		}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--unreached"))
			unreached_only = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error(usage_points, "unknown option `%s`", argv[i]);
		else
			argv[nfiles++] = argv[i];
	}
	if (!nfiles)
		return usage_error(usage_points, "points needs a FILE or DIR%s", "");
	for (int i = 0; i < nfiles && !rc; i++)
		rc = points_path(argv[i], &acc);
	if (rc)
		return rc;
	printf("%-40s %-52s %8s %10s\n", "point", "kernel function", "inputs", "times");
	for (int i = 0; i < acc.n; i++) {
		const struct sched_point_desc *d = sched_point_desc(i);

		reached += acc.inputs[i] > 0;
		if (!unreached_only || !acc.inputs[i])
			printf("%-40s %-52s %8lu %10lu\n", d->name, d->func, acc.inputs[i], acc.times[i]);
	}
	printf("%d of %d scheduling points reached by %lu inputs\n", reached, acc.n, acc.nr_inputs);
	free(acc.count);
	free(acc.inputs);
	free(acc.times);
	return 0;
}

static int cmd_bugs(int argc, char **argv)
{
	if (argc && is_help(argv[0])) {
		fputs(usage_bugs, stdout);
		return 0;
	}
	if (argc)
		return usage_error(usage_bugs, "unexpected argument `%s`", argv[0]);
	printf("seeded bugs (%s in this build):\n",
	       slab_bugs_compiled_in() ? "compiled" : "NOT compiled");
	for (int i = 0; i < NR_SLAB_BUGS; i++)
		printf("  %-24s %s\n", slab_bug_name(i), slab_bug_description(i));
	return 0;
}

/* ------------------------------------------------------------------ dict */

/* The states the tokens are encoded in: the first in which an op's plain form is valid. */
static const char dict_state[] =
	"machine cpus=4 nodes=1 memoryless=none kasan=on quarantine=1M\n"
	"cpu0 create size=64 capacity=4 -> c0\n"
	"cpu0 alloc c0 -> o0\n"
	"cpu0 kmalloc size=64 -> o1\n"
	"cpu0 kmalloc_nolock size=64 -> o2\n"
	"cpu0 prefill c0 n=4 -> s0\n"
	"cpu0 cpu_down cpu3\n";
static const char *const dict_state_extra[] = { "", "cpu0 rcu_read_lock\n", "cpu0 memalloc_enter\n" };

/* Program headers worth a token (the misuse one from a program that needs the bit). */
static const char *const dict_headers[][2] = {
	{ "hdr_cpus1", "machine cpus=1\n" },
	{ "hdr_cpus2", "machine cpus=2\n" },
	{ "hdr_cpus4", "machine cpus=4\n" },
	{ "hdr_cpus2_kasan_off", "machine cpus=2 kasan=off\n" },
	{ "hdr_cpus2_cmpxchg_off", "machine cpus=2 cmpxchg=off\n" },
	{ "hdr_cpus2_quarantine_4k", "machine cpus=2 quarantine=4K\n" },
	{ "hdr_cpus2_nodes2_memoryless1", "machine cpus=2 nodes=2 memoryless=1\n" },
	{ "hdr_cpus4_nodes4", "machine cpus=4 nodes=4\n" },
	{ "hdr_cpus2_pressure", "machine cpus=2 pages=256 min_free=32\n" },
	{ "hdr_cpus1_pressure_small", "machine cpus=1 pages=64 min_free=16\n" },
	{ "hdr_cpus2_misuse", "machine cpus=2\ncpu0 kmalloc size=8 -> o0\ncpu0 kfree o0\ncpu0 kfree o0\n" },
};

/* Typical integer values (each kept if the argument's range and the rules allow it). */
static const int32_t dict_ints[] = { 0, 1, 4, 16, 64, 1024, 4096, 8192 };
static const int32_t dict_hex[] = { 0x1, 0x5555, 0xffff };

#define VARY_NONE	-1
#define VARY_CTX	-2	/* the op's context (irq prefix), for ops without ARG_CTX */
#define DICT_MAX_TOKENS	1024

struct dict_out {
	FILE *f;
	int n;			/* tokens of the current group (header, one op kind) */
	uint8_t tok[DICT_MAX_TOKENS][64];
	long len[DICT_MAX_TOKENS];
};

/* An op of kind k in st: every argument plain (first candidate, default, none), but argument
 * `vary` (or the context, VARY_CTX) set to `val`. False if that op is not valid in st. */
static bool dict_build(const struct pstate *st, int k, int vary, long val, struct op *op)
{
	static struct cands c;
	const struct op_desc *d = &op_table[k];
	char err[160];

	memset(op, 0, sizeof(*op));
	op->kind = (uint8_t)k;
	op->node = -1;
	if (vary == VARY_CTX)
		op->ctx = (uint8_t)val;
	for (int i = 0; i < d->nargs; i++) {
		const struct arg_desc *a = &d->args[i];
		bool v = vary == i;

		switch ((enum arg_type)a->type) {
		case ARG_CACHE:
		case ARG_OBJ:
		case ARG_SHEAF:
		case ARG_CPU: {
			bool opt = a->flags & ARGF_OPTIONAL;
			long idx = v ? val : 0;
			uint32_t h;

			if (opt && !v)
				break;		/* an optional cache: none */
			cands_build(st, op, a, &c);
			if (idx >= c.n)
				return false;
			h = c.v[idx];
			if (a->type == ARG_CACHE) {
				op->cache = h;
				op->has_cache = opt;
			} else if (a->type == ARG_SHEAF) {
				op->sheaf = h;
			} else if (a->type == ARG_CPU) {
				op->target = (uint8_t)h;
			} else {
				op->obj = h;
			}
			break;
		}
		case ARG_OBJ_LIST:
			cands_build(st, op, a, &c);
			op->nlist = (uint8_t)(v ? (val < c.n ? val : c.n) : 1);
			if (!c.n || op->nlist > PROG_MAX_LIST)
				return false;
			for (int j = 0; j < op->nlist; j++)
				op->list[j] = c.v[j];
			break;
		case ARG_INT: {
			int32_t def = a->def < a->min ? a->min : a->def > a->max ? a->max : a->def;
			*op_field(op, a) = v ? (int32_t)val : def;
			break;
		}
		case ARG_GFP:
			op->gfp = (uint8_t)(v ? val : GFPC_KERNEL);
			break;
		case ARG_FLAGS:
			op->flags = v ? (int32_t)val : 0;
			break;
		case ARG_WORD:
			op->word = (uint8_t)(v ? val : 0);
			break;
		case ARG_CTX:
			op->ctx = (uint8_t)(v ? val : CTX_TASK);
			break;
		}
	}
	/* what the decoder does: no sleeping gfp in interrupt context */
	if (op->ctx != CTX_TASK && op->gfp == GFPC_KERNEL)
		op->gfp = GFPC_ATOMIC;
	op_bind_fresh(st, op);
	return !prog_check(st, op, err, sizeof(err));
}

static void dict_token(struct dict_out *o, const char *name, const uint8_t *b, long len,
		       const char *comment)
{
	for (int i = 0; i < o->n; i++)
		if (o->len[i] == len && !memcmp(o->tok[i], b, (size_t)len))
			return;		/* a variant that is the plain op's bytes */
	if (o->n == DICT_MAX_TOKENS || len > (long)sizeof(o->tok[0]))
		return;
	memcpy(o->tok[o->n], b, (size_t)len);
	o->len[o->n++] = len;
	if (comment)
		fprintf(o->f, "# %s\n", comment);
	fprintf(o->f, "%s=\"", name);
	for (long i = 0; i < len; i++)
		fprintf(o->f, "\\x%02x", b[i]);
	fprintf(o->f, "\"\n");
}

/* Encode op in st as a token; the bytes must decode back to the op (else exit 1). */
static int dict_op(struct dict_out *o, struct pstate *st, const struct op *op, const char *name)
{
	uint8_t b[64];
	char text[256];
	struct op back;
	long len = op_encode(st, op, b, sizeof(b));

	op_format(op, text, sizeof(text));
	if (len <= 0 || !op_decode_one(st, b, (size_t)len, ~0ull, &back) || !op_equal(op, &back)) {
		fprintf(stderr, "%s: internal: the token for `%s` does not decode to it\n", prog_name,
			text);
		return 1;
	}
	dict_token(o, name, b, len, text);
	return 0;
}

static void dict_name(char *buf, size_t len, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void dict_name(char *buf, size_t len, const char *kind, const char *fmt, ...)
{
	va_list ap;
	size_t n = (size_t)snprintf(buf, len, "%s_", kind);

	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
}

/* Every variant of kind k: the plain op, then one argument (or the context) at a time. */
static int dict_kind(struct dict_out *o, struct pstate *st, int k)
{
	static const char *const ctx_names[NR_CTX] = { "task", "irq", "nmi" };
	static const char *const gfp_names[NR_GFPC] = { "kernel", "nowait", "atomic" };
	const struct op_desc *d = &op_table[k];
	struct op op;
	char name[96];
	int rc = 0;

	if (!dict_build(st, k, VARY_NONE, 0, &op))
		return -1;
	o->n = 0;
	fprintf(o->f, "\n# %s (opcode %u)\n", d->name, d->opcode);
	rc |= dict_op(o, st, &op, d->name);
	for (int ctx = CTX_IRQ; ctx < NR_CTX; ctx++)
		if (dict_build(st, k, VARY_CTX, ctx, &op)) {
			snprintf(name, sizeof(name), "%s_%s", ctx_names[ctx], d->name);
			rc |= dict_op(o, st, &op, name);
		}
	for (int i = 0; i < d->nargs; i++) {
		const struct arg_desc *a = &d->args[i];

		switch ((enum arg_type)a->type) {
		case ARG_CACHE:
		case ARG_CPU:
			for (long v = 0; v < PROG_MAX_CPUS; v++)
				if ((a->type == ARG_CPU || (v == 0 && (a->flags & ARGF_OPTIONAL))) &&
				    dict_build(st, k, i, v, &op)) {
					if (a->type == ARG_CPU)
						dict_name(name, sizeof(name), d->name, "cpu%u", op.target);
					else
						dict_name(name, sizeof(name), d->name, "c%u", op.cache);
					rc |= dict_op(o, st, &op, name);
				}
			break;
		case ARG_OBJ_LIST:
			if (dict_build(st, k, i, PROG_MAX_LIST, &op)) {
				dict_name(name, sizeof(name), d->name, "%u_objects", op.nlist);
				rc |= dict_op(o, st, &op, name);
			}
			break;
		case ARG_INT: {
			const int32_t *vals = a->flags & ARGF_HEX ? dict_hex : dict_ints;
			size_t nv = a->flags & ARGF_HEX ? ARRAY_SIZE(dict_hex) : ARRAY_SIZE(dict_ints);

			for (size_t j = 0; j < nv; j++)
				if (vals[j] >= a->min && vals[j] <= a->max &&
				    dict_build(st, k, i, vals[j], &op)) {
					dict_name(name, sizeof(name), d->name,
						  a->flags & ARGF_HEX ? "%s_0x%x" : "%s%d", a->key, vals[j]);
					rc |= dict_op(o, st, &op, name);
				}
			break;
		}
		case ARG_GFP:
			for (int g = 1; g < NR_GFPC; g++)
				if (dict_build(st, k, i, g, &op)) {
					dict_name(name, sizeof(name), d->name, "gfp_%s", gfp_names[g]);
					rc |= dict_op(o, st, &op, name);
				}
			break;
		case ARG_FLAGS:
			for (int w = 0; w <= a->nwords; w++) {
				long v = w < a->nwords ? 1L << w : (1L << a->nwords) - 1;
				if (dict_build(st, k, i, v, &op)) {
					dict_name(name, sizeof(name), d->name, "%s",
						  w < a->nwords ? a->words[w] : "all_flags");
					rc |= dict_op(o, st, &op, name);
				}
			}
			break;
		case ARG_WORD:
			for (int w = 1; w < a->nwords; w++)
				if (dict_build(st, k, i, w, &op)) {
					dict_name(name, sizeof(name), d->name, "%s", a->words[w]);
					rc |= dict_op(o, st, &op, name);
				}
			break;
		case ARG_CTX:
			for (int ctx = CTX_IRQ; ctx < NR_CTX; ctx++)
				if (dict_build(st, k, i, ctx, &op)) {
					snprintf(name, sizeof(name), "%s_%s", ctx_names[ctx], d->name);
					rc |= dict_op(o, st, &op, name);
				}
			break;
		case ARG_OBJ:
		case ARG_SHEAF:
			break;
		}
	}
	return rc;
}

static int dict_parse(const char *text, struct program *p)
{
	char err[256];

	if (program_parse(text, strlen(text), p, err, sizeof(err))) {
		fprintf(stderr, "%s: internal: dict state: %s\n", prog_name, err);
		return 1;
	}
	return 0;
}

static int cmd_dict(int argc, char **argv)
{
	static struct program p;
	static struct pstate st;
	static struct dict_out o;
	static char text[4096];
	const char *out = NULL;
	int rc = 0;

	for (int i = 0; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(usage_dict, stdout);
			return 0;
		}
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-o")) {
			if (i + 1 >= argc)
				return usage_error(usage_dict, "-o needs a file%s", "");
			out = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error(usage_dict, "unknown option `%s`", argv[i]);
		} else {
			return usage_error(usage_dict, "unexpected argument `%s`", argv[i]);
		}
	}
	o.n = 0;
	o.f = open_out(out, "w");
	if (!o.f)
		return 2;

	fprintf(o.f, "# fuzz_ops dictionary, generated from the op table (model/op_table.c) by\n"
		     "#   slabtorture dict -o fuzz/fuzz_ops.dict\n"
		     "# Do not edit: ctest dict.up_to_date fails when this file is not that output.\n"
		     "#\n"
		     "# A token is one op of the binary form (model/prog_binary.c): the op byte (opcode\n"
		     "# in bits 0-4, 31 escapes to 31 + the next byte; CPU choice in bits 5-7), then its\n"
		     "# arguments in table order; an op in interrupt context starts with the irq\n"
		     "# prefix. Each op is shown in text above its token, encoded in this state:\n");
	for (const char *l = dict_state; *l;) {
		const char *e = strchr(l, '\n');
		fprintf(o.f, "#   %.*s\n", (int)(e - l), l);
		l = e + 1;
	}

	fprintf(o.f, "\n# program headers (the first two bytes of an input)\n");
	for (size_t i = 0; i < ARRAY_SIZE(dict_headers); i++) {
		uint8_t b[256];
		long n;

		if (dict_parse(dict_headers[i][1], &p))
			return 1;
		n = program_encode(&p, b, sizeof(b));
		if (n < (long)program_header_size(&p.m))
			return 1;
		dict_token(&o, dict_headers[i][0], b, program_header_size(&p.m), NULL);
	}

	for (int k = 0; k < NR_OP_KINDS && !rc; k++) {
		if (op_table[k].flags & OPF_PREFIX)
			continue;
		size_t s;
		for (s = 0; s < ARRAY_SIZE(dict_state_extra); s++) {
			snprintf(text, sizeof(text), "%s%s", dict_state, dict_state_extra[s]);
			if (dict_parse(text, &p))
				return 1;
			pstate_init(&st, &p.m);
			for (int i = 0; i < p.nr_ops; i++)
				prog_apply(&st, &p.ops[i]);
			if (s)
				fprintf(o.f, "\n# after %.*s", (int)strlen(dict_state_extra[s]) - 1,
					dict_state_extra[s]);
			int r = dict_kind(&o, &st, k);
			if (r >= 0) {
				rc |= r;
				break;
			}
			if (s)
				fprintf(o.f, ": no %s\n", op_table[k].name);
		}
		if (s == ARRAY_SIZE(dict_state_extra)) {
			fprintf(stderr, "%s: internal: no dict state has a valid %s\n", prog_name,
				op_table[k].name);
			rc = 1;
		}
	}
	/* fuzz_sched: its programs are the binary form above, its schedules these bytes */
	for (int a = 0; a < NR_SCHED_ACTIONS && opt_sched_target; a++)
		for (int arg = 0; arg < 2; arg++) {
			uint8_t b[2] = { (uint8_t)(SCHED_BYTE_ACTION + a), (uint8_t)arg };
			char name[48];

			snprintf(name, sizeof(name), "schedule_%s_%d", sched_action_names[a], arg);
			dict_token(&o, name, b, 2, arg ? NULL : "a schedule decision and its argument");
		}
	if (o.f != stdout)
		fclose(o.f);
	return rc;
}

/* Every command: its name, its usage text (`help NAME`, `NAME --help`) and its body. */
static const struct command {
	const char *name, *alias;
	const char *usage;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "run", NULL, usage_run, cmd_run },
	{ "decode", NULL, usage_decode, cmd_decode },
	{ "encode", NULL, usage_encode, cmd_encode },
	{ "minimize", "minimise", usage_minimize, cmd_minimize },
	{ "explore", NULL, usage_explore, cmd_explore },
	{ "points", NULL, usage_points, cmd_points },
	{ "bugs", NULL, usage_bugs, cmd_bugs },
	{ "dict", NULL, usage_dict, cmd_dict },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name) ||
		    (commands[i].alias && !strcmp(commands[i].alias, name)))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	char err[512];
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (slab_bugs_from_env(err, sizeof(err))) {
		fprintf(stderr, "%s: SLAB_BUGS: %s\n", prog_name, err);
		return 2;
	}
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (is_help(argv[i])) {
			fputs(usage_main, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--trace")) {
			opt_trace = true;
		} else if (!strcmp(argv[i], "--bug")) {
			if (i + 1 >= argc)
				return usage_error(usage_main, "--bug needs a NAME%s", "");
			int rc = enable_bug(argv[++i]);
			if (rc)
				return rc;
		} else if (!strncmp(argv[i], "--bug=", 6)) {
			int rc = enable_bug(argv[i] + 6);
			if (rc)
				return rc;
		} else if (!strcmp(argv[i], "--target")) {
			if (i + 1 >= argc)
				return usage_error(usage_main, "--target needs a NAME%s", "");
			int rc = set_target(argv[++i]);
			if (rc)
				return rc;
		} else {
			return usage_error(usage_main, "unknown option `%s`", argv[i]);
		}
	}
	if (i >= argc)
		return usage_error(usage_main, "a COMMAND is needed%s", "");
	const char *cmd = argv[i++];
	/* global options are accepted after the command too */
	int n = 0;
	char **rest = &argv[i];
	for (int k = i; k < argc; k++) {
		if (!strcmp(argv[k], "--trace")) {
			opt_trace = true;
		} else if (!strcmp(argv[k], "--bug") && k + 1 < argc) {
			int rc = enable_bug(argv[++k]);
			if (rc)
				return rc;
		} else if (!strcmp(argv[k], "--target") && k + 1 < argc) {
			int rc = set_target(argv[++k]);
			if (rc)
				return rc;
		} else {
			rest[n++] = argv[k];
		}
	}

	if (!strcmp(cmd, "help")) {
		const struct command *c = n ? find_command(rest[0]) : NULL;

		if (n && !c)
			return usage_error(usage_main, "no command `%s`", rest[0]);
		fputs(c ? c->usage : usage_main, stdout);
		return 0;
	}
	const struct command *c = find_command(cmd);
	if (c)
		return c->run(n, rest);
	return usage_error(usage_main, "unknown command `%s`", cmd);
}
