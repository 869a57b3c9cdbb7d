// SPDX-License-Identifier: GPL-2.0
/*
 * The allocator half of the kernel-test shim: the reference allocator on the emulated
 * machine, driven by the kernel's own tools/testing/radix-tree suites (maple, xarray,
 * idr-test, main) through slab_shim.c.
 *
 * - Machine: SLAB_KT_CPUS emulated CPUs (default 4), KASAN emulation with its quarantine,
 *   RCU through the liburcu backend, which shares liburcu (-lurcu, urcu-memb) with the
 *   suites: a kfree_rcu'd object waits for the client's own readers.
 * - Tasks: each client OS thread (and liburcu's call_rcu worker, which runs the suites'
 *   RCU callbacks) gets a task on an emulated CPU on its first call, round robin; it
 *   migrates to the next online CPU every SLAB_KT_MIGRATE calls (default 61), always
 *   between calls, never inside one. SLAB_KT_NODES=N (default 1) NUMA nodes, CPU i on
 *   node i % N, SLAB_KT_MEMORYLESS=mask of nodes without memory. With SLAB_KT_HOTPLUG_MS=N (default 5; 0: off) a thread
 *   takes a CPU other than 0 down and up again every N ms; each call is bracketed by
 *   cpu_occupy()/cpu_unoccupy() as in the stress driver, so cpu_down() waits for it.
 * - Oracles: every report of the platform (SLAB_LEAK, KASAN double/invalid free,
 *   SLAB_CORRUPT, lockdep-lite, WARN/BUG) is printed with the client's test (the stack,
 *   symbolized) and ends the run with status 1 (SLAB_KT_CONTINUE=1: count and go on, fail
 *   at exit). At exit every cache the client created is destroyed, kmalloc caches are
 *   shrunk, every cache is validated and the pages must be back (kt_finish()).
 * - Capture: SLAB_CAPTURE=file writes every slab operation of the client, in the order
 *   the tasks made them, as an op-language trace (model/ops.h op_format()), replayable
 *   with `slabtorture run FILE`. SLAB_CAPTURE_MAX=N stops writing after N ops (the count
 *   goes on and is printed at exit); SLAB_CAPTURE_SKIP=N writes from op N+1 on (a window
 *   into a long run: caches are always written, frees of objects from before the window
 *   are left out); SLAB_CAPTURE_STOP=1 exits (status 0) once SLAB_CAPTURE_MAX ops are
 *   written.
 *
 * This file is compiled against our headers only; kernel/kshim.mk links it with libslab.a
 * and libslabmodel.a into one relocatable object and prefixes every global but kt_* with
 * `st_`, so none of our kernel names (kmalloc, call_rcu, struct kmem_cache's functions,
 * `current`, ...) can meet the suites' own.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "slab.h"
#include "slab_introspect.h"
#include "bugs.h"
#include "ops.h"
#include "kt_bridge.h"

_Static_assert(KT_GFP_DIRECT_RECLAIM == __GFP_DIRECT_RECLAIM && KT_GFP_KSWAPD_RECLAIM == __GFP_KSWAPD_RECLAIM &&
	       KT_GFP_ZERO == __GFP_ZERO && KT_GFP_THISNODE == __GFP_THISNODE &&
	       KT_GFP_NOMEMALLOC == __GFP_NOMEMALLOC && KT_GFP_NOWARN == __GFP_NOWARN &&
	       KT_GFP_NORETRY == __GFP_NORETRY && KT_GFP_ACCOUNT == __GFP_ACCOUNT &&
	       KT_GFP_NOFAIL == __GFP_NOFAIL && KT_GFP_HIGH == __GFP_HIGH,
	       "KT_GFP_* must be the allocator's gfp bits");

extern char *program_invocation_short_name;

/* ---- settings ---- */

static unsigned int kt_cpus = 4;
static unsigned int kt_nodes = 1;
static unsigned long kt_memoryless;
static unsigned long kt_migrate_every = 61;
static unsigned int kt_hotplug_ms;
static bool kt_continue;
static pthread_once_t kt_once = PTHREAD_ONCE_INIT;
static bool kt_ready;

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoul(v, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "slab-shim: %s=%s is not a number\n", name, v);
		_exit(2);
	}
	return n;
}

/* ---- the world lock: walks (kt_allocated, kt_finish) need no call inside the allocator ---- */

static pthread_rwlock_t kt_world = PTHREAD_RWLOCK_INITIALIZER;
static __thread int kt_depth;	/* nested shim calls of this thread (ctor, callbacks) */
/* The task that was current when the outermost call began, made current again when it
 * ends: the shim borrows the thread for its task only during its calls. On liburcu's
 * call_rcu worker, the platform's rcu.c runs our own RCU callbacks as its task, set once
 * (urcu_callback_task()); a client callback (mt_free_rcu -> kmem_cache_free) must not
 * leave the shim's task current there, or our callbacks would run on the shim's task,
 * which migrates and does not occupy its CPU (cpu_down() then finds it pinned). */
static __thread struct task *kt_prev;

/* ---- tasks ---- */

static pthread_key_t kt_task_key;
static __thread struct task kt_task;
static __thread bool kt_task_live;
static __thread unsigned long kt_task_calls;
static __thread bool kt_no_occupy;	/* the hotplug thread: cpu_down() must not wait for it */
static unsigned int kt_next_cpu;
static int kt_nr_tasks;

static void kt_task_gone(void *arg)
{
	struct task *t = arg;

	if (t && kt_task_live) {
		task_exit(t);
		kt_task_live = false;
	}
}

static int kt_online_after(int cpu)
{
	int next = next_online_cpu(cpu);

	return next < 0 ? 0 : next;
}

/* Make this thread's task current, migrating it between calls. */
static void kt_enter(void)
{
	if (kt_depth++) {
		if (current != &kt_task)
			task_switch(&kt_task);
		return;
	}
	pthread_rwlock_rdlock(&kt_world);
	kt_prev = current;
	if (!kt_task_live) {
		int cpu = kt_no_occupy ? 0 :
			  (int)(__atomic_fetch_add(&kt_next_cpu, 1, __ATOMIC_RELAXED) % kt_cpus);
		int id = __atomic_add_fetch(&kt_nr_tasks, 1, __ATOMIC_RELAXED);
		static char names[256][16];

		snprintf(names[id & 255], sizeof(names[0]), "client%d", id);
		if (!cpu_online(cpu))
			cpu = kt_online_after(cpu);
		task_init(&kt_task, names[id & 255], cpu);
		kt_task_live = true;
		pthread_setspecific(kt_task_key, &kt_task);
	}
	if (current != &kt_task)
		task_switch(&kt_task);
	if (kt_migrate_every && !kt_no_occupy && ++kt_task_calls % kt_migrate_every == 0)
		task_migrate(&kt_task, kt_online_after(task_get_cpu(&kt_task)));
	if (kt_hotplug_ms && !kt_no_occupy)
		cpu_occupy();
}

static void kt_leave(void)
{
	if (--kt_depth)
		return;
	if (kt_hotplug_ms && !kt_no_occupy)
		cpu_unoccupy();
	if (kt_prev && current != kt_prev)
		task_switch(kt_prev);
	pthread_rwlock_unlock(&kt_world);
}

/* ---- capture ---- */

static FILE *kt_capture;
static unsigned long kt_capture_max = ~0UL;
static unsigned long kt_capture_skip;	/* SLAB_CAPTURE_SKIP: write from this op on */
static bool kt_capture_stop;		/* SLAB_CAPTURE_STOP: exit once the window is written */
static unsigned long kt_ops;		/* slab ops the client made (captured or not) */
static unsigned long kt_ops_written;
static pthread_mutex_t kt_capture_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t kt_next_obj, kt_next_sheaf;

/* Live object -> handle: open addressing, tombstones, grown at 50 %. */
struct kt_slot { const void *p; uint32_t h; };
#define KT_TOMB ((const void *)1)
static struct kt_slot *kt_map;
static size_t kt_map_cap, kt_map_used;

static size_t kt_hash(const void *p, size_t cap)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x & (cap - 1);
}

static void kt_map_put(const void *p, uint32_t h);

static void kt_map_grow(void)
{
	struct kt_slot *old = kt_map;
	size_t old_cap = kt_map_cap;

	kt_map_cap = old_cap ? old_cap * 2 : 1 << 16;
	kt_map = calloc(kt_map_cap, sizeof(*kt_map));
	if (!kt_map) {
		fprintf(stderr, "slab-shim: capture: out of memory\n");
		_exit(3);
	}
	kt_map_used = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].p && old[i].p != KT_TOMB)
			kt_map_put(old[i].p, old[i].h);
	free(old);
}

static void kt_map_put(const void *p, uint32_t h)
{
	size_t i;

	if ((kt_map_used + 1) * 2 > kt_map_cap)
		kt_map_grow();
	for (i = kt_hash(p, kt_map_cap); kt_map[i].p && kt_map[i].p != KT_TOMB && kt_map[i].p != p;
	     i = (i + 1) & (kt_map_cap - 1))
		;
	if (!kt_map[i].p)
		kt_map_used++;
	kt_map[i].p = p;
	kt_map[i].h = h;
}

/* The handle of a live object, removed from the map; false if unknown. */
static bool kt_map_take(const void *p, uint32_t *h)
{
	if (!kt_map_cap)
		return false;
	for (size_t i = kt_hash(p, kt_map_cap); kt_map[i].p; i = (i + 1) & (kt_map_cap - 1)) {
		if (kt_map[i].p == p) {
			*h = kt_map[i].h;
			kt_map[i].p = KT_TOMB;
			return true;
		}
	}
	return false;
}

static struct op kt_op(enum op_kind kind)
{
	struct op op;

	memset(&op, 0, sizeof(op));
	op.kind = (uint8_t)kind;
	op.cpu = (uint8_t)task_get_cpu(current_task());
	op.ctx = CTX_TASK;
	op.node = -1;
	return op;
}

static uint8_t kt_op_gfp(gfp_t gfp)
{
	if (gfp & __GFP_DIRECT_RECLAIM)
		return GFPC_KERNEL;
	return (gfp & __GFP_HIGH) ? GFPC_ATOMIC : GFPC_NOWAIT;
}

static unsigned long kt_trace_offline;	/* CPUs offline in the written trace */

static void kt_write(const struct op *op)
{
	char line[512];

	op_format(op, line, sizeof(line));
	fprintf(kt_capture, "%s\n", line);
	if (++kt_ops_written == kt_capture_max && kt_capture_stop) {
		/* SLAB_CAPTURE_STOP=1: the window is all that was wanted */
		fclose(kt_capture);
		fprintf(stderr, "slab-shim: %s: %lu ops captured, stopping (SLAB_CAPTURE_STOP)\n",
			program_invocation_short_name, kt_ops_written);
		_exit(0);
	}
}

/* Caller holds kt_capture_lock. */
static void kt_emit(const struct op *op)
{

	kt_ops++;
	if (!kt_capture || kt_ops_written >= kt_capture_max)
		return;
	if (kt_ops == kt_capture_skip + 1 && kt_capture_skip) {
		/* The window opens on the machine as it is: CPUs offline now go down first. */
		for (int cpu = 1; cpu < (int)kt_cpus; cpu++) {
			if (!cpu_online(cpu) && !(kt_trace_offline & (1UL << cpu))) {
				struct op down = kt_op(OP_CPU_DOWN);

				down.cpu = 0;
				down.target = (uint8_t)cpu;
				kt_trace_offline |= 1UL << cpu;
				kt_write(&down);
			}
		}
	}
	/* The trace's own view of the online CPUs decides whether a hotplug op is written:
	 * a cpu_down is written after it returns, so the window may already show it. */
	if (op->kind == OP_CPU_DOWN || op->kind == OP_CPU_UP) {
		unsigned long bit = 1UL << op->target;
		bool down = op->kind == OP_CPU_DOWN;

		if (kt_ops <= kt_capture_skip || down == !!(kt_trace_offline & bit))
			return;
		kt_trace_offline ^= bit;
		kt_write(op);
		return;
	}
	if (kt_ops <= kt_capture_skip) {
		if (op->kind != OP_CREATE)
			return;		/* caches are always written: later ops name them */
	} else if (kt_ops == kt_capture_skip + 1 && kt_capture_skip) {
		/* The window opens: objects allocated before it are unknown to the trace, so
		 * their frees are left out (kt_map_take() fails). */
		memset(kt_map, 0, kt_map_cap * sizeof(*kt_map));
		kt_map_used = 0;
		if (op->kind == OP_FREE || op->kind == OP_KFREE || op->kind == OP_KFREE_RCU ||
		    op->kind == OP_FREE_BULK)
			return;
	}
	kt_write(op);
}

/* Count (and capture) one op; `fill` may bind handles, under the lock. */
#define KT_RECORD(body) do {						\
	pthread_mutex_lock(&kt_capture_lock);				\
	body;								\
	pthread_mutex_unlock(&kt_capture_lock);				\
} while (0)

/* ---- caches ---- */

struct kt_entry {
	struct kmem_cache *s;
	uint32_t handle;
	long live;		/* the shim's count */
	char name[48];
};
#define KT_MAX_CACHES 256
static struct kt_entry kt_caches[KT_MAX_CACHES];
static int kt_nr_cache_entries;
static uint32_t kt_next_cache;

static struct kt_entry *kt_entry_of(struct kmem_cache *s)
{
	for (int i = 0; i < kt_nr_cache_entries; i++)
		if (kt_caches[i].s == s)
			return &kt_caches[i];
	return NULL;
}

/* ---- reports: the client's test ---- */

extern int __sanitizer_symbolize_pc(void *pc, const char *fmt, char *out, size_t len) __attribute__((weak));

static void kt_symbolize(void *pc, char *out, size_t len)
{
	Dl_info info;

	out[0] = 0;
	if (__sanitizer_symbolize_pc) {
		__sanitizer_symbolize_pc((char *)pc - 1, "%f", out, len);
		if (out[0] && strcmp(out, "<null>"))
			return;
	}
	if (dladdr(pc, &info) && info.dli_sname)
		snprintf(out, len, "%s", info.dli_sname);
	else
		snprintf(out, len, "?");
}

static bool kt_is_test_name(const char *f)
{
	size_t n = strlen(f);

	return !strncmp(f, "check_", 6) || !strncmp(f, "test_", 5) || !strncmp(f, "ida_check", 9) ||
	       !strncmp(f, "idr_", 4) || !strncmp(f, "regression", 10) || !strncmp(f, "farmer", 6) ||
	       (n > 5 && !strcmp(f + n - 5, "_test")) || (n > 6 && !strcmp(f + n - 6, "_tests")) ||
	       (n > 7 && !strcmp(f + n - 7, "_checks"));
}

static bool kt_is_ours(const char *f)
{
	return !strncmp(f, "kt_", 3) || !strncmp(f, "st_", 3) || !strncmp(f, "kmem_cache_", 11) ||
	       !strcmp(f, "kmalloc") || !strcmp(f, "kfree") || !strncmp(f, "report_", 7);
}

/* "check_erase2_sets  (main > maple_tree_tests > ... > mas_alloc_nodes)" */
static void kt_client_test(char *out, size_t len)
{
	void *pcs[96];
	char names[96][80];
	int n = backtrace(pcs, 96), m = -1, first = -1, test = -1;
	size_t used;

	for (int i = 0; i < n; i++) {
		kt_symbolize(pcs[i], names[i], sizeof(names[i]));
		if (!strcmp(names[i], "main"))
			m = i;
	}
	if (m < 0) {
		/* Another thread: the shim's hotplug thread, liburcu's callback worker (the
		 * client's RCU callback is the first client frame inside it), or a thread the
		 * test created (its start routine is the frame just inside start_thread). */
		int st = n - 1;

		for (int i = 0; i < n; i++) {
			if (!strcmp(names[i], "kt_hotplug_main")) {
				snprintf(out, len, "(none: the shim's hotplug thread, kt_hotplug_main > cpu_down/cpu_up)");
				return;
			}
			if (!strcmp(names[i], "start_thread"))
				st = i;
		}
		for (int i = 0; i < n; i++) {
			if (strstr(names[i], "call_rcu_thread")) {
				for (int j = i - 1; j >= 0; j--)
					if (!kt_is_ours(names[j]) && strncmp(names[j], "urcu", 4)) {
						snprintf(out, len, "(an RCU callback: %s, run by liburcu's call_rcu thread)",
							 names[j]);
						return;
					}
				snprintf(out, len, "(an RCU callback run by liburcu's call_rcu thread)");
				return;
			}
		}
		m = st > 0 ? st - 1 : 0;
		if (kt_is_ours(names[m])) {
			snprintf(out, len, "(a thread of %s)", names[m]);
			return;
		}
	}
	for (int i = m; i >= 0 && !kt_is_ours(names[i]); i--) {
		first = i;
		if (kt_is_test_name(names[i]))
			test = i;
	}
	used = (size_t)snprintf(out, len, "%s  (", test >= 0 ? names[test] : names[first]);
	for (int i = m; i >= first && used < len; i--)
		used += (size_t)snprintf(out + used, len - used, "%s%s", names[i], i > first ? " > " : ")");
}

static int kt_reports_seen;

static void kt_report_hook(const struct report *r)
{
	char test[1024];

	kt_reports_seen++;
	kt_client_test(test, sizeof(test));
	fprintf(stderr, "==slabtorture== kernel-test %s: the report above came in test %s\n",
		program_invocation_short_name, test);
	if (kt_capture)
		fprintf(stderr, "==slabtorture== kernel-test %s: at captured op %lu of %s\n",
			program_invocation_short_name, kt_ops, getenv("SLAB_CAPTURE"));
	if (!kt_continue) {
		if (kt_capture)
			fflush(kt_capture);
		fprintf(stderr, "==slabtorture== kernel-test %s: FAILED (SLAB_KT_CONTINUE=1 goes on)\n",
			program_invocation_short_name);
		fflush(stdout);
		fflush(stderr);
		_exit(1);
	}
}

static long kt_context(void)
{
	return (long)__atomic_load_n(&kt_ops, __ATOMIC_RELAXED);
}

void kt_report(const char *what, const char *func, const char *msg)
{
	char kind[REPORT_KIND_LEN];

	snprintf(kind, sizeof(kind), "KT_%s", what);
	report_simple(report_kind_register(kind), func, "%s", msg);
}

/* ---- hotplug thread ---- */

static pthread_t kt_hp_thread;
static volatile bool kt_hp_stop;
static unsigned long kt_hp_events;

static void kt_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void *kt_hotplug_main(void *arg)
{
	unsigned int cpu = 0;

	kt_no_occupy = true;
	while (!__atomic_load_n(&kt_hp_stop, __ATOMIC_RELAXED)) {
		struct op op;

		kt_sleep_ms(kt_hotplug_ms);
		cpu = cpu + 1 >= kt_cpus ? 1 : cpu + 1;
		kt_enter();
		if (cpu_down((int)cpu) == 0) {
			op = kt_op(OP_CPU_DOWN);
			op.target = (uint8_t)cpu;
			KT_RECORD(kt_emit(&op));
			kt_hp_events++;
		}
		kt_leave();
		kt_sleep_ms(kt_hotplug_ms);
		kt_enter();
		/* cpu_up under the capture lock: no op of the new CPU can be written before it */
		pthread_mutex_lock(&kt_capture_lock);
		if (!cpu_online((int)cpu) && cpu_up((int)cpu) == 0) {
			op = kt_op(OP_CPU_UP);
			op.target = (uint8_t)cpu;
			kt_emit(&op);
			kt_hp_events++;
		}
		pthread_mutex_unlock(&kt_capture_lock);
		kt_leave();
	}
	return NULL;
}

/* ---- init and the end-state checks ---- */

static void kt_finish(void);

static void kt_do_init(void)
{
	struct platform_config cfg;
	const char *cap = getenv("SLAB_CAPTURE");
	char err[256];

	kt_cpus = (unsigned int)env_ul("SLAB_KT_CPUS", 4);
	if (kt_cpus < 1 || kt_cpus > PROG_MAX_CPUS)
		kt_cpus = 4;
	kt_nodes = (unsigned int)env_ul("SLAB_KT_NODES", 1);
	if (kt_nodes < 1 || kt_nodes > PROG_MAX_NODES)
		kt_nodes = 1;
	kt_memoryless = env_ul("SLAB_KT_MEMORYLESS", 0);
	kt_migrate_every = env_ul("SLAB_KT_MIGRATE", 61);
	kt_hotplug_ms = (unsigned int)env_ul("SLAB_KT_HOTPLUG_MS", 5);
	kt_continue = env_ul("SLAB_KT_CONTINUE", 0) != 0;
	kt_capture_max = env_ul("SLAB_CAPTURE_MAX", ~0UL);
	kt_capture_skip = env_ul("SLAB_CAPTURE_SKIP", 0);
	kt_capture_stop = env_ul("SLAB_CAPTURE_STOP", 0) != 0;

	platform_config_default(&cfg);
	cfg.nr_cpus = kt_cpus;
	cfg.nr_nodes = kt_nodes;
	cfg.memoryless_nodes = kt_memoryless;
	cfg.kasan = true;
	cfg.rcu = RCU_LIBURCU;
	cfg.report_mode = REPORT_COUNT;
	cfg.arena_pages = env_ul("SLAB_KT_ARENA_MB", 1024) * 256;
	platform_init(&cfg);
	if (slab_bugs_from_env(err, sizeof(err)) < 0) {
		fprintf(stderr, "slab-shim: SLAB_BUGS: %s\n", err);
		_exit(2);
	}
	kmem_cache_init();
	report_set_hook(kt_report_hook);
	report_set_context_hook(kt_context, "client slab op");
	pthread_key_create(&kt_task_key, kt_task_gone);

	if (cap && *cap) {
		struct machine m;
		char hdr[256];

		kt_capture = fopen(cap, "w");
		if (!kt_capture) {
			fprintf(stderr, "slab-shim: SLAB_CAPTURE=%s: %s\n", cap, strerror(errno));
			_exit(2);
		}
		machine_default(&m);
		m.cpus = (uint8_t)kt_cpus;
		m.nodes = (uint8_t)kt_nodes;
		m.memoryless = (uint8_t)kt_memoryless;
		m.kasan = 1;
		for (int i = 0; i < PROG_NR_QSIZES; i++)
			if (prog_quarantine_sizes[i] == cfg.quarantine_bytes)
				m.qidx = (uint8_t)i;
		machine_format(&m, hdr, sizeof(hdr));
		fprintf(kt_capture, "# The slab operations of the kernel's %s test suite (tools/testing/radix-tree),\n"
			"# captured by the slabtorture kernel-test shim (SLAB_CAPTURE, docs/kernel-tests.md)\n%s\n"
			"# expect: clean\n", program_invocation_short_name, hdr);
	}
	atexit(kt_finish);
	kt_ready = true;
	if (kt_hotplug_ms && kt_cpus > 1)
		pthread_create(&kt_hp_thread, NULL, kt_hotplug_main, NULL);
}

void kt_init(void)
{
	pthread_once(&kt_once, kt_do_init);
}

/* Objects users own, by a walk; the caller holds kt_world for writing. */
static unsigned long kt_walk_allocated(struct kmem_cache *s)
{
	struct slab_object_counts c;

	slab_count_objects(s, &c);
	return c.allocated;
}

static void kt_finish(void)
{
	unsigned long kmalloc_pages = 0, kmalloc_left = 0, pages;
	int destroyed = 0, findings;
	char msg[256];

	if (!kt_ready)
		return;
	if (kt_hotplug_ms && kt_cpus > 1) {
		__atomic_store_n(&kt_hp_stop, true, __ATOMIC_RELAXED);
		pthread_join(kt_hp_thread, NULL);
	}
	kt_enter();
	for (int cpu = 1; cpu < (int)kt_cpus; cpu++)
		if (!cpu_online(cpu))
			cpu_up(cpu);
	kt_leave();
	/* Every RCU callback of the client (liburcu) and of the allocator has run. */
	kt_enter();
	rcu_barrier();
	kvfree_rcu_barrier();
	kt_leave();

	pthread_rwlock_wrlock(&kt_world);
	kt_depth++;
	if (current != &kt_task) {
		if (!kt_task_live) {
			task_init(&kt_task, "exit", 0);
			kt_task_live = true;
		}
		task_switch(&kt_task);
	}
	for (int i = 0; i < kt_nr_cache_entries; i++) {
		struct kt_entry *e = &kt_caches[i];
		unsigned long left;

		if (!e->s)
			continue;
		left = kt_walk_allocated(e->s);
		if ((long)left != e->live) {
			snprintf(msg, sizeof(msg), "cache %s: the allocator holds %lu objects for users, the shim counted %ld",
				 e->name, left, e->live);
			kt_report("COUNT", "kt_finish", msg);
		}
		if (left)
			fprintf(stderr, "slab-shim: %s: cache %s still has %lu objects at exit: kmem_cache_destroy must report them\n",
				program_invocation_short_name, e->name, left);
		{
			struct op op = kt_op(OP_DESTROY);

			op.cache = e->handle;
			KT_RECORD(kt_emit(&op));
		}
		kmem_cache_destroy(e->s);
		e->s = NULL;
		destroyed++;
	}
	rcu_barrier();
	for (unsigned int i = 0; i < slab_nr_caches(); i++) {
		struct kmem_cache *s = slab_cache_at(i);
		struct slab_cache_info info;

		if (!s)
			continue;
		kmem_cache_shrink(s);
		slab_cache_info(s, &info);
		if (!strncmp(info.name, "kmalloc-", 8)) {
			kmalloc_pages += info.pages;
			kmalloc_left += kt_walk_allocated(s);
		}
	}
	findings = validate_all_caches();
	pages = pages_in_use();
	if (kmalloc_left) {
		snprintf(msg, sizeof(msg), "%lu kmalloc objects still allocated at exit", kmalloc_left);
		kt_report("LEAK", "kt_finish", msg);
	}
	if (pages != kmalloc_pages) {
		snprintf(msg, sizeof(msg), "%lu pages in use at exit, the kmalloc caches hold %lu", pages,
			 kmalloc_pages);
		kt_report("LEAK", "kt_finish", msg);
	}
	kt_depth--;
	pthread_rwlock_unlock(&kt_world);
	if (kt_capture) {
		fclose(kt_capture);
		kt_capture = NULL;
	}
	fprintf(stderr, "slab-shim: %s: %lu slab ops on %u CPUs (%d tasks, %lu hotplug events, %lu grace periods); "
		"at exit %d caches destroyed, %d findings, %lu pages in use (kmalloc caches: %lu), %d reports%s%s\n",
		program_invocation_short_name, kt_ops, kt_cpus, kt_nr_tasks, kt_hp_events, rcu_grace_periods(),
		destroyed, findings, pages, kmalloc_pages, report_count(),
		getenv("SLAB_CAPTURE") ? ", captured to " : "", getenv("SLAB_CAPTURE") ? getenv("SLAB_CAPTURE") : "");
	if (kt_capture_max != ~0UL && kt_ops > kt_ops_written)
		fprintf(stderr, "slab-shim: %s: capture stopped after %lu of %lu ops (SLAB_CAPTURE_MAX)\n",
			program_invocation_short_name, kt_ops_written, kt_ops);
	if (report_count() || findings) {
		fprintf(stderr, "==slabtorture== kernel-test %s: FAILED: %d report(s), first: ",
			program_invocation_short_name, report_count());
		if (report_count()) {
			char sig[PROG_SIG_LEN];

			report_signature(report_get(0), sig, sizeof(sig));
			fprintf(stderr, "%s\n", sig);
		} else {
			fprintf(stderr, "validate_slab_cache findings\n");
		}
		fflush(stdout);
		fflush(stderr);
		_exit(1);
	}
}

/* ---- the operations ---- */

struct kt_cache *kt_cache_create(const char *name, unsigned int size, unsigned int align,
				 int hwcache_align, void (*ctor)(void *))
{
	struct kmem_cache_args args = { .align = align, .ctor = ctor };
	struct kmem_cache *s;
	struct kt_entry *e = NULL;

	kt_init();
	kt_enter();
	/*
	 * SLAB_NO_MERGE: the mock has no cache merging and the suites count objects per
	 * cache (mt_nr_allocated() == 0 after a test); a merged cache would hold other
	 * caches' objects too. The kernel would merge e.g. maple's 256-byte test caches.
	 */
	s = kmem_cache_create(name, size, &args,
			      SLAB_NO_MERGE | (hwcache_align ? SLAB_HWCACHE_ALIGN : 0));
	if (s) {
		pthread_mutex_lock(&kt_capture_lock);
		if (kt_nr_cache_entries < KT_MAX_CACHES) {
			e = &kt_caches[kt_nr_cache_entries++];
			e->s = s;
			e->live = 0;
			e->handle = kt_next_cache++;
			snprintf(e->name, sizeof(e->name), "%s", name);
		}
		if (e) {
			struct op op = kt_op(OP_CREATE);

			op.size = (int32_t)size;
			op.align = (int32_t)(align >= 8 ? align : 0);
			op.flags = CF_NO_MERGE | (ctor ? CF_CTOR : 0) | (hwcache_align ? CF_HWCACHE : 0);
			op.dst = e->handle;
			if (size <= PROG_MAX_SIZE)
				kt_emit(&op);
		}
		pthread_mutex_unlock(&kt_capture_lock);
	}
	kt_leave();
	return (struct kt_cache *)s;
}

static uint32_t kt_handle_of_cache(struct kmem_cache *s)
{
	struct kt_entry *e = kt_entry_of(s);

	return e ? e->handle : UINT32_MAX;
}

void *kt_alloc(struct kt_cache *cs, unsigned int gfp)
{
	struct kmem_cache *s = (struct kmem_cache *)cs;
	void *p;

	kt_enter();
	p = kmem_cache_alloc(s, gfp);
	if (p) {
		struct op op = kt_op((gfp & __GFP_ZERO) ? OP_ZALLOC : OP_ALLOC);

		op.gfp = kt_op_gfp(gfp);
		KT_RECORD({
			op.cache = kt_handle_of_cache(s);
			op.dst = kt_next_obj++;
			kt_map_put(p, op.dst);
			kt_emit(&op);
		});
	}
	kt_leave();
	return p;
}

/* Record a free before it happens: the object may be reallocated the moment it is freed. */
static void kt_record_free(enum op_kind kind, struct kmem_cache *s, const void *p)
{
	struct op op = kt_op(kind);

	KT_RECORD({
		if (kt_map_take(p, &op.obj)) {
			if (s) {
				op.has_cache = 1;
				op.cache = kt_handle_of_cache(s);
			}
			kt_emit(&op);
		} else {
			kt_ops++;	/* not one of ours: the allocator will say so */
		}
	});
}

void kt_free(struct kt_cache *cs, void *p)
{
	struct kmem_cache *s = (struct kmem_cache *)cs;

	kt_enter();
	kt_record_free(OP_FREE, s, p);
	kmem_cache_free(s, p);
	kt_leave();
}

int kt_alloc_bulk(struct kt_cache *cs, unsigned int gfp, size_t n, void **p)
{
	struct kmem_cache *s = (struct kmem_cache *)cs;
	int got;

	kt_enter();
	got = kmem_cache_alloc_bulk(s, gfp, n, p);
	if (got > 0) {
		KT_RECORD({
			uint32_t h = kt_handle_of_cache(s);

			for (int i = 0; i < got; i += PROG_MAX_LIST) {
				struct op op = kt_op(OP_ALLOC_BULK);

				op.cache = h;
				op.gfp = kt_op_gfp(gfp);
				op.n = got - i < PROG_MAX_LIST ? got - i : PROG_MAX_LIST;
				op.dst = kt_next_obj;
				for (int j = 0; j < op.n; j++)
					kt_map_put(p[i + j], kt_next_obj++);
				kt_emit(&op);
			}
		});
	}
	kt_leave();
	return got;
}

void kt_free_bulk(struct kt_cache *cs, size_t n, void **p)
{
	struct kmem_cache *s = (struct kmem_cache *)cs;

	kt_enter();
	KT_RECORD({
		struct op op = kt_op(OP_FREE_BULK);

		op.cache = kt_handle_of_cache(s);
		for (size_t i = 0; i < n; i++) {
			uint32_t h;

			if (!kt_map_take(p[i], &h))
				continue;
			op.list[op.nlist++] = h;
			if (op.nlist == PROG_MAX_LIST) {
				kt_emit(&op);
				op.nlist = 0;
			}
		}
		if (op.nlist)
			kt_emit(&op);
	});
	kmem_cache_free_bulk(s, n, p);
	kt_leave();
}

void kt_shrink(struct kt_cache *cs)
{
	struct kmem_cache *s = (struct kmem_cache *)cs;
	struct op op;

	kt_enter();
	kmem_cache_shrink(s);
	op = kt_op(OP_SHRINK);
	KT_RECORD({ op.cache = kt_handle_of_cache(s); kt_emit(&op); });
	kt_leave();
}

void kt_destroy(struct kt_cache *cs)
{
	struct kmem_cache *s = (struct kmem_cache *)cs;
	struct op op;

	if (!s)
		return;
	kt_enter();
	op = kt_op(OP_DESTROY);
	KT_RECORD({
		struct kt_entry *e = kt_entry_of(s);

		op.cache = kt_handle_of_cache(s);
		kt_emit(&op);
		if (e)
			e->s = NULL;
	});
	kmem_cache_destroy(s);
	kt_leave();
}

unsigned int kt_object_size(struct kt_cache *cs)
{
	return kmem_cache_size((struct kmem_cache *)cs);
}

void *kt_kmalloc(size_t size, unsigned int gfp)
{
	void *p;

	kt_init();
	kt_enter();
	p = kmalloc(size, gfp);
	if (p && size >= 1 && size <= PROG_MAX_SIZE) {
		struct op op = kt_op(OP_KMALLOC);

		op.size = (int32_t)size;
		op.gfp = kt_op_gfp(gfp);
		KT_RECORD({
			op.dst = kt_next_obj++;
			kt_map_put(p, op.dst);
			kt_emit(&op);
		});
	}
	kt_leave();
	return p;
}

void kt_kfree(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	kt_enter();
	kt_record_free(OP_KFREE, NULL, p);
	kfree(p);
	kt_leave();
}

void kt_kfree_rcu(void *head, void *ptr)
{
	kt_enter();
	kt_record_free(OP_KFREE_RCU, NULL, ptr);
	kvfree_call_rcu((struct rcu_head *)head, ptr);
	kt_leave();
}

void kt_kvfree_rcu_barrier(void)
{
	struct op op;

	kt_enter();
	kvfree_rcu_barrier();
	op = kt_op(OP_BARRIER);
	KT_RECORD(kt_emit(&op));
	kt_leave();
}

void *kt_prefill_sheaf(struct kt_cache *cs, unsigned int gfp, unsigned int n)
{
	struct kmem_cache *s = (struct kmem_cache *)cs;
	struct slab_sheaf *sh;

	kt_enter();
	sh = kmem_cache_prefill_sheaf(s, gfp, n);
	if (sh) {
		struct op op = kt_op(OP_PREFILL);

		op.gfp = kt_op_gfp(gfp);
		op.n = (int32_t)n;
		KT_RECORD({
			op.cache = kt_handle_of_cache(s);
			op.dst = kt_next_sheaf++;
			kt_map_put((const char *)sh + 1, op.dst);	/* +1: never an object address */
			kt_emit(&op);
		});
	}
	kt_leave();
	return sh;
}

int kt_refill_sheaf(struct kt_cache *cs, unsigned int gfp, void **sheafp, unsigned int n)
{
	struct kmem_cache *s = (struct kmem_cache *)cs;
	struct slab_sheaf *sh = *sheafp;
	uint32_t h = UINT32_MAX;
	bool known;
	int ret;

	kt_enter();
	KT_RECORD(known = kt_map_take((const char *)sh + 1, &h));
	ret = kmem_cache_refill_sheaf(s, gfp, (struct slab_sheaf **)sheafp, n);
	KT_RECORD({
		if (known) {
			struct op op = kt_op(OP_REFILL);

			op.sheaf = h;
			op.gfp = kt_op_gfp(gfp);
			op.n = (int32_t)n;
			kt_map_put((const char *)*sheafp + 1, h);
			if (!ret)
				kt_emit(&op);
		}
	});
	kt_leave();
	return ret;
}

void *kt_alloc_from_sheaf(struct kt_cache *cs, unsigned int gfp, void *sheaf)
{
	struct kmem_cache *s = (struct kmem_cache *)cs;
	void *p;

	kt_enter();
	p = kmem_cache_alloc_from_sheaf(s, gfp, sheaf);
	if (p) {
		struct op op = kt_op(OP_ALLOC_FROM_SHEAF);
		uint32_t h;

		op.gfp = kt_op_gfp(gfp);
		KT_RECORD({
			if (kt_map_take((const char *)sheaf + 1, &h)) {
				kt_map_put((const char *)sheaf + 1, h);
				op.sheaf = h;
				op.dst = kt_next_obj++;
				kt_map_put(p, op.dst);
				kt_emit(&op);
			}
		});
	}
	kt_leave();
	return p;
}

void kt_return_sheaf(struct kt_cache *cs, unsigned int gfp, void *sheaf)
{
	struct kmem_cache *s = (struct kmem_cache *)cs;
	struct op op;

	kt_enter();
	op = kt_op(OP_RETURN_SHEAF);
	op.gfp = kt_op_gfp(gfp);
	KT_RECORD({
		if (kt_map_take((const char *)sheaf + 1, &op.sheaf))
			kt_emit(&op);
	});
	kmem_cache_return_sheaf(s, gfp, sheaf);
	kt_leave();
}

unsigned int kt_sheaf_size(void *sheaf)
{
	return kmem_cache_sheaf_size(sheaf);
}

void kt_count(struct kt_cache *cs, long delta)
{
	struct kt_entry *e;

	pthread_mutex_lock(&kt_capture_lock);
	e = kt_entry_of((struct kmem_cache *)cs);
	if (e)
		e->live += delta;
	pthread_mutex_unlock(&kt_capture_lock);
}

long kt_allocated(struct kt_cache *cs)
{
	struct kmem_cache *s = (struct kmem_cache *)cs;
	struct slab_cache_info info;
	struct kt_entry *e;
	unsigned long n;
	long live = -1;

	if (kt_depth)
		return -1;	/* from inside a ctor or callback: the allocator is busy */
	pthread_rwlock_wrlock(&kt_world);
	slab_cache_info(s, &info);
	if (info.rcu_sheaves_in_flight) {
		/* our own RCU callbacks run outside the world lock: let them finish */
		pthread_rwlock_unlock(&kt_world);
		kt_enter();
		rcu_barrier();
		kt_leave();
		pthread_rwlock_wrlock(&kt_world);
	}
	kt_depth++;
	n = kt_walk_allocated(s);
	kt_depth--;
	pthread_mutex_lock(&kt_capture_lock);
	e = kt_entry_of(s);
	if (e)
		live = e->live;
	pthread_mutex_unlock(&kt_capture_lock);
	pthread_rwlock_unlock(&kt_world);
	if (live >= 0 && (long)n != live) {
		char msg[200];

		snprintf(msg, sizeof(msg), "cache %s: the allocator holds %lu objects for users, the shim counted %ld",
			 kmem_cache_name(s), n, live);
		kt_enter();
		kt_report("COUNT", "kmem_cache_nr_allocated", msg);
		kt_leave();
	}
	return (long)n;
}

void kt_non_kernel_fail(void)
{
	static int site = -2;

	if (site == -2)
		site = fault_site_register("non_kernel");
	/* One programmed failure consumed at once: the site's counter says how many the
	 * client's non_kernel budget refused. */
	fault_fail_next(site, 1);
	(void)should_fail(site);
}
