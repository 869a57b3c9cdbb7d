// SPDX-License-Identifier: GPL-2.0
/*
 * The op log and the failure trace.
 *
 * Every executed op is stored (struct op in global handles + a global sequence number from
 * one atomic counter) in its actor's log; formatting waits for a failure. The logs, the
 * sequence and the global handle counters restart at each quiescent point, where the
 * driver has made the machine empty of objects; the epoch head (the create ops of the
 * caches alive there) plus the merged logs in sequence order is a complete program that
 * `slabtorture run` replays from an empty machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"
#include "bugs.h"

static uint64_t g_seq;				/* atomic */
static uint32_t g_next_obj, g_next_sheaf, g_next_cache;	/* atomic */
static struct op head[64];
static unsigned int nr_head;
static unsigned long epochs;

/* what the failure path did, for the summary */
static char trace_path[PATH_MAX + 32], slice_path[PATH_MAX + 32], min_path[PATH_MAX + 32];
static char slice_threads[1024], dir_path[PATH_MAX];
static long trace_ops = -1, slice_ops = -1, min_ops = -1, replay_op = -1;
static unsigned long slice_trials;
static char replay_sig[PROG_SIG_LEN], replay_note[256];
static int replay_state;	/* 0 not run, 1 reproduced, 2 differs, 3 could not run */

uint64_t log_seq_take(void)
{
	return __atomic_fetch_add(&g_seq, 1, __ATOMIC_RELAXED);
}

unsigned long epoch_ops(void)
{
	return (unsigned long)__atomic_load_n(&g_seq, __ATOMIC_RELAXED);
}

void log_put(struct actor *a, uint64_t seq, const struct op *gop)
{
	struct op_log *l = &a->log;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		struct log_ent *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			abort();
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].seq = seq;
	l->v[l->n].op = *gop;
	l->n++;
}

uint64_t log_append(struct actor *a, const struct op *gop)
{
	uint64_t seq = log_seq_take();

	log_put(a, seq, gop);
	return seq;
}

uint32_t global_obj_take(uint32_t n)
{
	return __atomic_fetch_add(&g_next_obj, n, __ATOMIC_RELAXED);
}

uint32_t global_sheaf_take(void)
{
	return __atomic_fetch_add(&g_next_sheaf, 1, __ATOMIC_RELAXED);
}

uint32_t global_cache_take(void)
{
	return __atomic_fetch_add(&g_next_cache, 1, __ATOMIC_RELAXED);
}

void global_handles_reset(uint32_t caches)
{
	__atomic_store_n(&g_next_obj, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g_next_sheaf, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g_next_cache, caches, __ATOMIC_RELAXED);
}

/* Called with the world stopped. */
void log_reset_all(void)
{
	for (unsigned int i = 0; i < nr_actors; i++)
		actors[i]->log.n = 0;
	__atomic_store_n(&g_seq, 0, __ATOMIC_RELAXED);
	epochs++;
}

void head_reset(void)
{
	nr_head = 0;
}

void head_add(const struct op *gop)
{
	if (nr_head < sizeof(head) / sizeof(head[0]))
		head[nr_head++] = *gop;
}

/* ---- the merged program ------------------------------------------------------------------ */

struct merged {
	uint64_t seq;
	const struct op *op;
	const struct actor *a;
};

static int by_seq(const void *x, const void *y)
{
	const struct merged *a = x, *b = y;

	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static bool make_dir(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0777) && errno != EEXIST)
			return false;
		*p = '/';
	}
	return !mkdir(buf, 0777) || errno == EEXIST;
}

/* DIR/<seed>, or DIR/<seed>.N when an earlier run left one: never overwrite a trace. */
static bool fresh_dir(char *dir, size_t len)
{
	if (!make_dir(opt.out)) {
		fprintf(stderr, "slab-stress: cannot create %s: %s\n", opt.out, strerror(errno));
		return false;
	}
	for (int n = 0; n < 1000; n++) {
		if (n)
			snprintf(dir, len, "%s/%lu.%d", opt.out, opt.seed, n);
		else
			snprintf(dir, len, "%s/%lu", opt.out, opt.seed);
		if (!mkdir(dir, 0777))
			return true;
		if (errno != EEXIST) {
			fprintf(stderr, "slab-stress: cannot create %s: %s\n", dir, strerror(errno));
			return false;
		}
	}
	fprintf(stderr, "slab-stress: %s/%lu.1..999 all exist: remove old runs\n", opt.out, opt.seed);
	return false;
}

static void write_bugs_annotation(FILE *f, const char *sig)
{
	char bugs[sizeof(opt.bugs)];

	fprintf(f, "# expect: %s\n", sig);
	snprintf(bugs, sizeof(bugs), "%s", opt.bugs);
	if (opt.nr_bugs == 1) {
		fprintf(f, "# bug: %s\n", bugs);
		fprintf(f, "# expect-with-bug: %s\n", sig);
	}
}

static struct merged *mops;
static size_t nr_mops;

/* Every actor's log, in global sequence order. */
static void merge_logs(void)
{
	size_t n = 0, k = 0;

	for (unsigned int i = 0; i < nr_actors; i++)
		n += actors[i]->log.n;
	free(mops);
	mops = malloc((n ? n : 1) * sizeof(*mops));
	if (!mops)
		abort();
	for (unsigned int i = 0; i < nr_actors; i++)
		for (size_t j = 0; j < actors[i]->log.n; j++)
			mops[k++] = (struct merged){ actors[i]->log.v[j].seq, &actors[i]->log.v[j].op,
						     actors[i] };
	qsort(mops, n, sizeof(*mops), by_seq);
	nr_mops = n;
}

/*
 * Write the head and the merged ops kept (NULL: all). With
 * validate, check the program first (a driver bug if it is not valid). Returns the ops
 * written, -1 on error.
 */
static long write_trace(const char *path, const char *sig, const bool *keep, bool validate,
			const char *what)
{
	static struct program p;
	char buf[512], err[256];
	size_t n = 0;
	int bad;
	FILE *f;

	if (validate) {
		program_clear(&p);
		p.m = stress_machine;
		for (unsigned int i = 0; i < nr_head; i++)
			*program_append(&p) = head[i];
		for (size_t i = 0; i < nr_mops; i++)
			*program_append(&p) = *mops[i].op;
		if (program_validate(&p, &bad, err, sizeof(err)))
			fprintf(stderr, "slab-stress: internal: the merged trace is not a valid program at op %d: %s\n",
				bad, err);
	}
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "slab-stress: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# slab-stress %s, seed %lu: %s\n", what, opt.seed, sig);
	fprintf(f, "# rerun: %s\n", stress_cmdline);
	fprintf(f, "# %u create ops of the caches alive at the last quiescent point (epoch %lu),\n"
		   "# then the ops in global sequence order (comment: seq and thread)\n",
		nr_head, epochs);
	machine_format(&stress_machine, buf, sizeof(buf));
	fprintf(f, "%s\n", buf);
	write_bugs_annotation(f, sig);
	for (unsigned int i = 0; i < nr_head; i++) {
		op_format(&head[i], buf, sizeof(buf));
		fprintf(f, "%s\n", buf);
	}
	for (size_t i = 0; i < nr_mops; i++) {
		if (keep && !keep[i])
			continue;
		op_format(mops[i].op, buf, sizeof(buf));
		fprintf(f, "%-48s # %llu %s\n", buf, (unsigned long long)mops[i].seq, mops[i].a->name);
		n++;
	}
	fclose(f);
	return (long)(nr_head + n);
}

/* ---- running slabtorture ---------------------------------------------------------------- */

static bool tool_path(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return false;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = 0;
	/* a directory too long for the name is no place to find the tool */
	if ((size_t)(slash - exe) + sizeof("/slabtorture") > len)
		return false;
	memcpy(buf, exe, (size_t)(slash - exe));
	memcpy(buf + (slash - exe), "/slabtorture", sizeof("/slabtorture"));
	return access(buf, X_OK) == 0;
}

/* Run argv with stdout+stderr captured; the exit code, -1 if it could not run or timed out. */
static int run_tool(char *const argv[], char *out, size_t cap, unsigned int timeout_s)
{
	int fd[2], status = 0;
	size_t len = 0;
	double t0 = now_sec();
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (!pid) {
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	out[0] = 0;
	for (;;) {
		struct pollfd pfd = { .fd = fd[0], .events = POLLIN };
		int r = poll(&pfd, 1, 200);

		if (r > 0) {
			char tmp[4096];
			ssize_t got = read(fd[0], tmp, sizeof(tmp));

			if (got <= 0)
				break;
			/* keep the last cap-1 bytes */
			if ((size_t)got >= cap - 1) {
				memcpy(out, tmp + got - (cap - 1), cap - 1);
				len = cap - 1;
			} else {
				if (len + (size_t)got > cap - 1) {
					size_t drop = len + (size_t)got - (cap - 1);

					memmove(out, out + drop, len - drop);
					len -= drop;
				}
				memcpy(out + len, tmp, (size_t)got);
				len += (size_t)got;
			}
			out[len] = 0;
		} else if (r < 0 && errno != EINTR) {
			break;
		}
		if (timeout_s && now_sec() - t0 > timeout_s) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(fd[0]);
			return -1;
		}
	}
	close(fd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* argv: TOOL [--bug B]... then the rest */
static int tool_argv(char **argv, char *tool, char *bugs, char *const rest[])
{
	int n = 0;

	argv[n++] = tool;
	for (char *save, *b = strtok_r(bugs, ",", &save); b && n < 60; b = strtok_r(NULL, ",", &save)) {
		argv[n++] = (char *)"--bug";
		argv[n++] = b;
	}
	for (int i = 0; rest[i]; i++)
		argv[n++] = rest[i];
	argv[n] = NULL;
	return n;
}

/* slabtorture [--bug B]... run --quiet PATH: 1 and the signature if it failed, 0 clean, -1
 * if it could not run or refused the trace. */
static int replay(const char *tool, const char *path, char *sig, size_t len, long *op_index,
		  char *out, size_t cap)
{
	char bugs[sizeof(opt.bugs)], *argv[72];
	char *rest[] = { (char *)"run", (char *)"--quiet", (char *)path, NULL };
	const char *at, *s;
	int rc;

	snprintf(bugs, sizeof(bugs), "%s", opt.bugs);
	tool_argv(argv, (char *)tool, bugs, rest);
	rc = run_tool(argv, out, cap, opt.replay_timeout);
	if (rc < 0 || rc == 2)
		return -1;
	at = strstr(out, "FAILED at op ");
	if (!at) {
		snprintf(sig, len, "clean");
		*op_index = -1;
		return 0;
	}
	*op_index = strtol(at + strlen("FAILED at op "), NULL, 10);
	s = strstr(at, ": ");
	s = s ? s + 2 : "";
	snprintf(sig, len, "%.*s", (int)strcspn(s, "\n"), s);
	return 1;
}

/* ---- slicing ------------------------------------------------------------------------------ */

/*
 * Dependency closure of a candidate: an op that names a handle bound by a dropped op is
 * dropped too (its object, sheaf or cache never came to be), so removing any set of ops
 * leaves a valid program as far as handles go. Hotplug ops are kept or dropped together
 * (the online mask must stay consistent); the head is always kept.
 */
struct bits {
	uint8_t *v;
	size_t n;
};

static void bits_need(struct bits *b, uint32_t h)
{
	if (h >= b->n * 8) {
		size_t n = (h / 8 + 1) * 2;

		b->v = realloc(b->v, n);
		if (!b->v)
			abort();
		memset(b->v + b->n, 0, n - b->n);
		b->n = n;
	}
}

static void bits_set(struct bits *b, uint32_t h)
{
	bits_need(b, h);
	b->v[h / 8] |= (uint8_t)(1u << (h % 8));
}

static bool bits_get(const struct bits *b, uint32_t h)
{
	return h < b->n * 8 && (b->v[h / 8] & (1u << (h % 8)));
}

static void closure(bool *keep)
{
	static struct bits dead_obj, dead_sheaf, dead_cache;

	if (dead_obj.v)
		memset(dead_obj.v, 0, dead_obj.n);
	if (dead_sheaf.v)
		memset(dead_sheaf.v, 0, dead_sheaf.n);
	if (dead_cache.v)
		memset(dead_cache.v, 0, dead_cache.n);
	for (size_t i = 0; i < nr_mops; i++) {
		const struct op *op = mops[i].op;
		const struct op_desc *d = &op_table[op->kind];
		bool dead = !keep[i];

		for (int k = 0; k < d->nargs && !dead; k++) {
			const struct arg_desc *a = &d->args[k];

			switch ((enum arg_type)a->type) {
			case ARG_CACHE:
				if (!(a->flags & ARGF_OPTIONAL) || op->has_cache)
					dead = bits_get(&dead_cache, op->cache);
				break;
			case ARG_OBJ:
				dead = bits_get(&dead_obj, op->obj);
				break;
			case ARG_OBJ_LIST:
				for (int j = 0; j < op->nlist; j++)
					dead |= bits_get(&dead_obj, op->list[j]);
				break;
			case ARG_SHEAF:
				dead = bits_get(&dead_sheaf, op->sheaf);
				break;
			default:
				break;
			}
		}
		if (!dead)
			continue;
		keep[i] = false;
		switch ((enum op_result)d->result) {
		case RES_CACHE:
			bits_set(&dead_cache, op->dst);
			break;
		case RES_SHEAF:
			bits_set(&dead_sheaf, op->dst);
			break;
		case RES_OBJ:
			bits_set(&dead_obj, op->dst);
			break;
		case RES_OBJS:
			for (int j = 0; j < op->n; j++)
				bits_set(&dead_obj, op->dst + (uint32_t)j);
			break;
		default:
			break;
		}
	}
}

static bool is_hotplug(size_t i)
{
	return mops[i].a->kind == ACT_HOTPLUG;
}

static bool cand_valid(const bool *keep)
{
	static struct program p;
	char err[256];
	int bad;

	program_clear(&p);
	p.m = stress_machine;
	for (unsigned int i = 0; i < nr_head; i++)
		*program_append(&p) = head[i];
	for (size_t i = 0; i < nr_mops; i++)
		if (keep[i])
			*program_append(&p) = *mops[i].op;
	return !program_validate(&p, &bad, err, sizeof(err));
}

struct slicer {
	const char *tool, *sig, *tmp;
	char *out;
	size_t cap;
	double deadline;
	unsigned long trials;
};

/* Whether the kept ops (closed over) still fail with the signature. */
static bool trial(struct slicer *sl, bool *keep)
{
	char tsig[PROG_SIG_LEN];
	long top;

	closure(keep);
	if (!cand_valid(keep))
		return false;
	sl->trials++;
	if (write_trace(sl->tmp, sl->sig, keep, false, "trial slice") < 0)
		return false;
	return replay(sl->tool, sl->tmp, tsig, sizeof(tsig), &top, sl->out, sl->cap) == 1 &&
	       !strcmp(tsig, sl->sig);
}

/*
 * Up to the failing op; then without each thread; then delta debugging over chunks of
 * the remaining ops, each candidate closed over its dependencies (so almost every
 * candidate is a valid program, unlike plain ddmin over a multi-thread trace), within a
 * time budget. slabtorture minimize finishes from there.
 */
static void slice(struct slicer *sl, bool *keep, uint64_t fail_seq)
{
	bool *cand = malloc(nr_mops ? nr_mops : 1);
	size_t *idx = malloc((nr_mops ? nr_mops : 1) * sizeof(*idx));

	if (!cand || !idx)
		abort();
	for (size_t i = 0; i < nr_mops; i++)
		keep[i] = mops[i].seq <= fail_seq;
	closure(keep);
	for (unsigned int t = nr_actors; t-- > 0 && now_sec() < sl->deadline;) {
		bool any = false;

		memcpy(cand, keep, nr_mops);
		for (size_t i = 0; i < nr_mops; i++)
			if (cand[i] && mops[i].a == actors[t]) {
				cand[i] = false;
				any = true;
			}
		if (any && trial(sl, cand))
			memcpy(keep, cand, nr_mops);
	}
	for (int n = 2; now_sec() < sl->deadline;) {
		size_t m = 0, chunk;
		bool reduced = false;

		for (size_t i = 0; i < nr_mops; i++)
			if (keep[i] && !is_hotplug(i))
				idx[m++] = i;
		if (m < 2)
			break;
		if ((size_t)n > m)
			n = (int)m;
		chunk = (m + (size_t)n - 1) / (size_t)n;
		for (size_t start = 0; start < m && now_sec() < sl->deadline; start += chunk) {
			memcpy(cand, keep, nr_mops);
			for (size_t j = start; j < start + chunk && j < m; j++)
				cand[idx[j]] = false;
			if (trial(sl, cand)) {
				memcpy(keep, cand, nr_mops);
				n = n > 2 ? n - 1 : 2;
				reduced = true;
				break;
			}
		}
		if (reduced)
			continue;
		if ((size_t)n >= m)
			break;
		n = (size_t)n * 2 < m ? n * 2 : (int)m;
	}
	free(cand);
	free(idx);
}

static void replay_and_minimise(const char *sig)
{
	static char out[16384];
	char tool[PATH_MAX], bugs[sizeof(opt.bugs)], *argv[72];
	char tmp_path[sizeof(dir_path) + 32];
	char *min_rest[] = { (char *)"minimize", slice_path, (char *)"-o", min_path, NULL };
	uint64_t fail_seq = UINT64_MAX;
	struct slicer sl = { .sig = sig, .tmp = tmp_path, .out = out, .cap = sizeof(out) };
	bool *keep;
	const char *at;
	int rc;

	if (!tool_path(tool, sizeof(tool))) {
		replay_state = 3;
		snprintf(replay_note, sizeof(replay_note), "no slabtorture binary next to slab-stress");
		return;
	}
	rc = replay(tool, trace_path, replay_sig, sizeof(replay_sig), &replay_op, out, sizeof(out));
	if (rc < 0) {
		replay_state = 3;
		snprintf(replay_note, sizeof(replay_note), "slabtorture run timed out, crashed or refused the trace");
		fprintf(stderr, "slab-stress: replay output:\n%s\n", out);
		return;
	}
	replay_state = rc == 1 && !strcmp(replay_sig, sig) ? 1 : 2;
	if (replay_state != 1)
		return;

	if (replay_op >= (long)nr_head && replay_op < (long)(nr_head + nr_mops))
		fail_seq = mops[replay_op - (long)nr_head].seq;
	/* *.trace: slabtorture reads anything else as fuzzer bytes */
	snprintf(tmp_path, sizeof(tmp_path), "%s/failure.try.trace", dir_path);
	sl.tool = tool;
	sl.deadline = now_sec() + opt.replay_timeout / 2.0;
	keep = malloc(nr_mops ? nr_mops : 1);
	if (!keep)
		abort();
	slice(&sl, keep, fail_seq);
	unlink(tmp_path);
	slice_ops = write_trace(slice_path, sig, keep, false, "failure slice");
	slice_trials = sl.trials;
	for (unsigned int t = 0; t < nr_actors; t++) {
		bool any = false;

		for (size_t i = 0; i < nr_mops && !any; i++)
			any = keep[i] && mops[i].a == actors[t];
		if (any)
			snprintf(slice_threads + strlen(slice_threads),
				 sizeof(slice_threads) - strlen(slice_threads), "%s%s",
				 slice_threads[0] ? " " : "", actors[t]->name);
	}
	free(keep);

	snprintf(bugs, sizeof(bugs), "%s", opt.bugs);
	tool_argv(argv, tool, bugs, min_rest);
	rc = run_tool(argv, out, sizeof(out), opt.replay_timeout);
	at = strstr(out, " ops -> ");
	if (rc == 0 && at)
		min_ops = strtol(at + strlen(" ops -> "), NULL, 10);
	else
		snprintf(replay_note, sizeof(replay_note), "slabtorture minimize %s (exit %d)",
			 rc < 0 ? "timed out" : "failed", rc);
}

void failure_trace(const char *sig)
{
	char dir[PATH_MAX];

	if (!fresh_dir(dir, sizeof(dir)))
		return;
	snprintf(dir_path, sizeof(dir_path), "%s", dir);
	snprintf(trace_path, sizeof(trace_path), "%s/failure.trace", dir);
	snprintf(slice_path, sizeof(slice_path), "%s/failure.slice.trace", dir);
	snprintf(min_path, sizeof(min_path), "%s/failure.min.trace", dir);
	merge_logs();
	trace_ops = write_trace(trace_path, sig, NULL, true, "failure trace");
	if (trace_ops < 0)
		return;
	fprintf(stderr, "slab-stress: failure trace %s (%ld ops)\n", trace_path, trace_ops);
	if (opt.replay)
		replay_and_minimise(sig);
}

void trace_summary(FILE *f)
{
	fprintf(f, "  %-28s %lu\n", "quiescent points", epochs);
	if (trace_ops < 0)
		return;
	fprintf(f, "  %-28s %s (%ld ops)\n", "failure trace", trace_path, trace_ops);
	switch (replay_state) {
	case 0:
		fprintf(f, "  %-28s not run (--no-replay)\n", "replay");
		break;
	case 1:
		fprintf(f, "  %-28s reproduces the signature at op %ld\n", "replay", replay_op);
		fprintf(f, "  %-28s %s (%ld ops, %lu replays; threads: %s)\n", "sliced", slice_path,
			slice_ops, slice_trials, slice_threads[0] ? slice_threads : "none, the head alone");
		if (min_ops >= 0)
			fprintf(f, "  %-28s %s (%ld ops)\n", "minimised", min_path, min_ops);
		else
			fprintf(f, "  %-28s %s\n", "minimised", replay_note);
		break;
	case 2:
		if (replay_op >= 0)
			fprintf(f, "  %-28s does not reproduce: %s at op %ld\n", "replay", replay_sig,
				replay_op);
		else
			fprintf(f, "  %-28s does not reproduce: %s\n", "replay", replay_sig);
		break;
	default:
		fprintf(f, "  %-28s could not run: %s\n", "replay", replay_note);
		break;
	}
}
