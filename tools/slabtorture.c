// SPDX-License-Identifier: GPL-2.0
/*
 * slabtorture: run, decode, encode and minimise programs of the operation language; list
 * the seeded bugs. Exit status: 0 clean (or expectation met), 1 a report or an unmet
 * expectation, 2 bad usage or a file that does not parse.
 */
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bugs.h"
#include "exec.h"
#include "minimize.h"
#include "ops.h"
#include "slab.h"

#define MAX_FILE (1 << 20)	/* the largest input libFuzzer and AFL++ write */

static bool opt_trace;
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
	"  bugs                   list the seeded bugs\n"
	"  help [COMMAND]         this text, or a command's\n"
	"\n"
	"global options:\n"
	"  --bug NAME   enable a seeded bug (repeatable; SLAB_BUGS=a,b in the environment too)\n"
	"  --trace      print each op and its result\n"
	"  --help       this text; `slabtorture COMMAND --help` for a command\n"
	"\n"
	"exit status: 0 clean, 1 a report (or an unmet expectation), 2 bad usage or parse error\n";

static const char usage_run[] =
	"usage: slabtorture run [--expect] [--repeat N] [--quiet] [--binary|--text] FILE...\n"
	"\n"
	"Runs each program on a fresh machine. Prints one result line per file:\n"
	"  FILE: clean (N ops)\n"
	"  FILE: FAILED at op I: SIGNATURE\n"
	"  --expect     compare with the file's `# expect:` line (or `# expect-with-bug:` when\n"
	"               the `# bug:` it names is enabled); exit 0 iff every file matches\n"
	"  --repeat N   run each file N times and require the same outcome every time\n"
	"  --quiet      do not print reports and op context, only the result lines\n"
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
static int load_program(const char *path, enum form form, struct program *p)
{
	static uint8_t buf[MAX_FILE];
	char err[256];
	long n = read_file(path, buf, sizeof(buf));

	if (n < 0)
		return 2;
	if (form == FORM_TEXT || (form == FORM_AUTO && named_trace(path))) {
		if (!program_parse((const char *)buf, (size_t)n, p, err, sizeof(err)))
			return 0;
		fprintf(stderr, "%s:%s\n", path, err);
		return 2;
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

	struct exec_opts o = { .trace = opt_trace, .out = stdout };
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
	program_decode(buf, (size_t)n, &p);
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
	long n = program_encode(&p, buf, sizeof(buf));
	if (n < 0) {
		fprintf(stderr, "%s: %s: cannot encode\n", prog_name, in);
		return 2;
	}
	FILE *f = open_out(out, "wb");
	if (!f)
		return 2;
	fwrite(buf, 1, (size_t)n, f);
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
	/* ops after the failing one never ran */
	if (r.fail_op >= 0 && r.fail_op + 1 < best.nr_ops)
		best.nr_ops = (int)r.fail_op + 1;
	if (program_minimize(&best, sig, &ms)) {
		fprintf(stderr, "%s: internal: the canonical program lost the signature\n", prog_name);
		return 1;
	}

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
		} else {
			rest[n++] = argv[k];
		}
	}

	if (!strcmp(cmd, "run"))
		return cmd_run(n, rest);
	if (!strcmp(cmd, "decode"))
		return cmd_decode(n, rest);
	if (!strcmp(cmd, "encode"))
		return cmd_encode(n, rest);
	if (!strcmp(cmd, "minimize") || !strcmp(cmd, "minimise"))
		return cmd_minimize(n, rest);
	if (!strcmp(cmd, "bugs"))
		return cmd_bugs(n, rest);
	if (!strcmp(cmd, "help")) {
		const char *u = !n ? usage_main : !strcmp(rest[0], "run") ? usage_run :
				!strcmp(rest[0], "decode") ? usage_decode :
				!strcmp(rest[0], "encode") ? usage_encode :
				!strncmp(rest[0], "minimi", 6) ? usage_minimize :
				!strcmp(rest[0], "bugs") ? usage_bugs : NULL;
		if (!u)
			return usage_error(usage_main, "no command `%s`", rest[0]);
		fputs(u, stdout);
		return 0;
	}
	return usage_error(usage_main, "unknown command `%s`", cmd);
}
