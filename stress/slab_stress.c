// SPDX-License-Identifier: GPL-2.0
/*
 * slab-stress: real pthreads on emulated CPUs against the allocator, with CPU hotplug,
 * liburcu grace periods, RCU readers and a destroy/recreate thread. The workers draw their
 * ops from the op language's table and generator (workers.c), every op is logged with a
 * global sequence number (trace.c), and a failure is written out as a program that
 * `slabtorture run` replays and `slabtorture minimize` shrinks.
 *
 * This file is the driver: options, the machine (its shape drawn from the seed unless
 * given), the shared caches, quiescent points, stop-the-world validation, the teardown,
 * the summary and the failure path.
 *
 * Quiescent points: every --quiesce-ms (or when an epoch reaches --epoch-ops ops) the
 * driver stops the world (the `world` rwlock for write: every op holds it for read), brings
 * every CPU online, gives back every object and sheaf each actor holds (logged ops, on the
 * driver's CPU), runs kvfree_rcu_barrier() (a logged `barrier`) and, unless something has
 * failed, starts a new epoch: logs, sequence and global handles restart, every actor's
 * pstate restarts from the create ops of the caches alive then (the epoch head). A failure
 * trace is the head plus the epoch's ops, so it replays from an empty machine.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"
#include "slab_introspect.h"
#include "bugs.h"
#include "platform.h"

/* ---- shared state ------------------------------------------------------------------------ */

struct stress_opt opt = { .threads = 4, .seconds = 10, .hotplug_ms = 10, .validate_ms = 1000,
			  .quiesce_ms = 200, .epoch_ops = 50000, .replay_timeout = 300,
			  .kasan = true, .replay = true, .out = "stress-out" };
char stress_cmdline[2048];
struct machine stress_machine;

pthread_rwlock_t world;
pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
struct actor *actors[MAX_THREADS + 4];
unsigned int nr_actors;
struct actor workers[MAX_THREADS];
struct actor destroy_actor, hotplug_actor, pressure_actor, driver_actor;
struct kmem_cache *shared_caches[NR_SHARED];
struct rcu_slot rcu_slots[MAX_THREADS * SLOTS_PER_THREAD];
pthread_mutex_t handoff_lock = PTHREAD_MUTEX_INITIALIZER;
struct handoff handoff_q[HANDOFF_MAX];
unsigned int handoff_nr;
unsigned long reader_checks, reader_hits, dyn_cycles, dyn_objects;

/* c0: plain, c1: SLAB_TYPESAFE_BY_RCU with a ctor (the RCU readers' cache), c2: a fixed
 * sheaf capacity (the prefilled-sheaf API's cache). */
const struct op shared_create[NR_SHARED] = {
	{ .kind = OP_CREATE, .size = 64, .dst = C_NORM, .node = -1 },
	{ .kind = OP_CREATE, .size = 96, .flags = CF_TYPESAFE | CF_CTOR, .dst = C_RCU, .node = -1 },
	{ .kind = OP_CREATE, .size = 128, .capacity = 12, .dst = C_SHEAF, .node = -1 },
};

static int stop;		/* atomic */
static int failed;		/* atomic */
static char fail_sig[PROG_SIG_LEN];
static unsigned long validations;

bool stopping(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

void request_stop(void)
{
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
}

void stress_fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&print_lock);
	if (!__atomic_load_n(&failed, __ATOMIC_RELAXED)) {
		va_start(ap, fmt);
		vsnprintf(fail_sig, sizeof(fail_sig), fmt, ap);
		va_end(ap);
		__atomic_store_n(&failed, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&print_lock);
	request_stop();
}

bool stress_failed(void)
{
	return __atomic_load_n(&failed, __ATOMIC_ACQUIRE);
}

const char *stress_fail_sig(void)
{
	return fail_sig;
}

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool sleep_ms(unsigned int ms)
{
	double end = now_sec() + ms / 1000.0;

	while (!stopping()) {
		double left = end - now_sec();
		struct timespec ts = { 0, 0 };

		if (left <= 0)
			return true;
		ts.tv_nsec = (long)((left < 0.01 ? left : 0.01) * 1e9);
		nanosleep(&ts, NULL);
	}
	return false;
}

/* ---- options ------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slab-stress [options]\n"
		"  --threads N        worker threads (1..%d, default 4)\n"
		"  --cpus M           emulated CPUs (1..%d; default: drawn from the seed)\n"
		"  --nodes K          NUMA nodes (1..%d; default: drawn from the seed); CPU i is on\n"
		"                     node i %% K\n"
		"  --memoryless MASK  nodes without memory (bit n: node n, never all), e.g. 0x2\n"
		"                     (default: drawn from the seed)\n"
		"  --seconds S        run time (1..%u, default 10)\n"
		"  --seed X           PRNG seed (default: from the clock; printed)\n"
		"  --hotplug-ms T     random cpu_down/cpu_up every T ms (0: off, default 10)\n"
		"  --pressure-ms T    memory pressure: every T ms a node's free pages swing around\n"
		"                     its watermarks (0: off, the default)\n"
		"  --pages N          page budget per node with memory (%d..%d; default 1024 with\n"
		"                     pressure, else %d)\n"
		"  --min-free M       min watermark in pages, the reserves (4..N/4; default N/16 with\n"
		"                     pressure, else 0)\n"
		"  --reclaimers R     workers that run every op in PF_MEMALLOC context (0..threads;\n"
		"                     default 1 with pressure, else 0)\n"
		"  --validate-ms V    stop the world every V ms and validate every cache (0: off,\n"
		"                     default 1000)\n"
		"  --quiesce-ms Q     quiescent point every Q ms (1..3600000, default 200): failure\n"
		"                     traces hold only the ops since the last one\n"
		"  --epoch-ops N      ... or after N ops (100..10000000, default 50000)\n"
		"  --out DIR          failure traces go to DIR/<seed>/ (default stress-out)\n"
		"  --no-replay        do not replay and minimise a failure trace\n"
		"  --replay-timeout S limit for the replay and for the minimiser (default 300)\n"
		"  --bug NAME         enable a seeded allocator bug (repeatable; also SLAB_BUGS=a,b)\n"
		"  --no-kasan         turn the KASAN emulation (quarantine, poisoning) off\n"
		"  --help             this text\n"
		"Exit status: 0 clean, 1 a report/leak/content mismatch, 2 bad usage.\n",
		MAX_THREADS, PROG_MAX_CPUS, PROG_MAX_NODES, 1000000u, PROG_MIN_PAGES, PROG_MAX_PAGES,
		PROG_MAX_PAGES);
}

static void __attribute__((noreturn)) bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "slab-stress: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(2);
}

/* A number for `flag` in [lo, hi]: digits only (0x.. where hex is allowed), no sign. */
static unsigned long num(const char *flag, const char *s, unsigned long lo, unsigned long hi,
			 bool hex)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		bad_usage("%s: bad value '%s': want a number in %lu..%lu", flag, s, lo, hi);
	errno = 0;
	v = strtoul(s, &end, hex ? 0 : 10);
	if (errno == ERANGE)
		bad_usage("%s: '%s' is out of range (%lu..%lu)", flag, s, lo, hi);
	if (errno || *end)
		bad_usage("%s: bad value '%s': want a number in %lu..%lu", flag, s, lo, hi);
	if (v < lo || v > hi)
		bad_usage("%s: %s is out of range (%lu..%lu)", flag, s, lo, hi);
	return v;
}

static void parse_args(int argc, char **argv)
{
	enum { O_THREADS = 256, O_CPUS, O_NODES, O_MEMLESS, O_SECONDS, O_SEED, O_HOTPLUG,
	       O_VALIDATE, O_QUIESCE, O_EPOCH, O_OUT, O_NOREPLAY, O_RTIMEOUT, O_BUG, O_NOKASAN,
	       O_PRESSURE, O_PAGES, O_MINFREE, O_RECLAIMERS, O_HELP };
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, O_THREADS },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "nodes", required_argument, NULL, O_NODES },
		{ "memoryless", required_argument, NULL, O_MEMLESS },
		{ "seconds", required_argument, NULL, O_SECONDS },
		{ "seed", required_argument, NULL, O_SEED },
		{ "hotplug-ms", required_argument, NULL, O_HOTPLUG },
		{ "validate-ms", required_argument, NULL, O_VALIDATE },
		{ "quiesce-ms", required_argument, NULL, O_QUIESCE },
		{ "epoch-ops", required_argument, NULL, O_EPOCH },
		{ "out", required_argument, NULL, O_OUT },
		{ "no-replay", no_argument, NULL, O_NOREPLAY },
		{ "replay-timeout", required_argument, NULL, O_RTIMEOUT },
		{ "bug", required_argument, NULL, O_BUG },
		{ "no-kasan", no_argument, NULL, O_NOKASAN },
		{ "pressure-ms", required_argument, NULL, O_PRESSURE },
		{ "pages", required_argument, NULL, O_PAGES },
		{ "min-free", required_argument, NULL, O_MINFREE },
		{ "reclaimers", required_argument, NULL, O_RECLAIMERS },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	bool have_seed = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_HELP:
			usage(stdout);
			exit(0);
		case O_THREADS:
			opt.threads = (unsigned int)num("--threads", optarg, 1, MAX_THREADS, false);
			break;
		case O_CPUS:
			opt.cpus = (unsigned int)num("--cpus", optarg, 1, PROG_MAX_CPUS, false);
			opt.have_cpus = true;
			break;
		case O_NODES:
			opt.nodes = (unsigned int)num("--nodes", optarg, 1, PROG_MAX_NODES, false);
			opt.have_nodes = true;
			break;
		case O_MEMLESS:
			opt.memoryless = num("--memoryless", optarg, 0, (1u << PROG_MAX_NODES) - 1, true);
			opt.have_memoryless = true;
			break;
		case O_SECONDS:
			opt.seconds = (unsigned int)num("--seconds", optarg, 1, 1000000, false);
			break;
		case O_SEED:
			opt.seed = num("--seed", optarg, 0, ULONG_MAX, true);
			have_seed = true;
			break;
		case O_HOTPLUG:
			opt.hotplug_ms = (unsigned int)num("--hotplug-ms", optarg, 0, 3600000, false);
			break;
		case O_VALIDATE:
			opt.validate_ms = (unsigned int)num("--validate-ms", optarg, 0, 3600000, false);
			break;
		case O_QUIESCE:
			opt.quiesce_ms = (unsigned int)num("--quiesce-ms", optarg, 1, 3600000, false);
			break;
		case O_EPOCH:
			opt.epoch_ops = (unsigned int)num("--epoch-ops", optarg, 100, 10000000, false);
			break;
		case O_RTIMEOUT:
			opt.replay_timeout = (unsigned int)num("--replay-timeout", optarg, 1, 86400, false);
			break;
		case O_OUT:
			if (!*optarg)
				bad_usage("--out: empty directory name");
			if (strlen(optarg) >= sizeof(opt.out) - 32)
				bad_usage("--out: directory name too long");
			snprintf(opt.out, sizeof(opt.out), "%s", optarg);
			break;
		case O_NOREPLAY:
			opt.replay = false;
			break;
		case O_NOKASAN:
			opt.kasan = false;
			break;
		case O_PRESSURE:
			opt.pressure_ms = (unsigned int)num("--pressure-ms", optarg, 0, 3600000, false);
			break;
		case O_PAGES:
			opt.pages = (unsigned int)num("--pages", optarg, PROG_MIN_PAGES, PROG_MAX_PAGES, false);
			opt.have_pages = true;
			break;
		case O_MINFREE:
			opt.min_free = (unsigned int)num("--min-free", optarg, 0, PROG_MAX_PAGES / 4, false);
			opt.have_min_free = true;
			break;
		case O_RECLAIMERS:
			opt.reclaimers = (unsigned int)num("--reclaimers", optarg, 0, MAX_THREADS, false);
			opt.have_reclaimers = true;
			break;
		case O_BUG: {
			size_t len = strlen(opt.bugs);

			if (!*optarg || strchr(optarg, ','))
				bad_usage("--bug: %s", *optarg ? "one bug name per --bug" : "empty bug name");
			if (len + strlen(optarg) + 2 > sizeof(opt.bugs))
				bad_usage("--bug: too many bugs");
			snprintf(opt.bugs + len, sizeof(opt.bugs) - len, "%s%s", len ? "," : "", optarg);
			opt.nr_bugs++;
			break;
		}
		case ':':
			bad_usage("%s needs a value", argv[optind - 1]);
		default:
			bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument '%s'", argv[optind]);
	if (!opt.have_pages)
		opt.pages = opt.pressure_ms ? 1024 : PROG_MAX_PAGES;
	if (!opt.have_min_free)
		opt.min_free = opt.pressure_ms ? opt.pages / 16 : 0;
	if (!opt.have_reclaimers)
		opt.reclaimers = opt.pressure_ms ? 1 : 0;
	if (opt.min_free > opt.pages / 4)
		bad_usage("--min-free %u is more than a quarter of --pages %u", opt.min_free, opt.pages);
	if (opt.pressure_ms && opt.min_free < 4)
		bad_usage("--pressure-ms needs --min-free of at least 4 (the watermarks it swings around)");
	if (opt.reclaimers > opt.threads)
		bad_usage("--reclaimers %u is more than --threads %u", opt.reclaimers, opt.threads);
	if (!have_seed)
		opt.seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
}

/* The machine's shape: what the flags did not fix is drawn from the seed. */
static void draw_shape(void)
{
	uint64_t rng = slab_rng_seed(opt.seed, 4000);
	unsigned long all;

	if (!opt.have_nodes) {
		unsigned int max = opt.have_cpus && opt.cpus < PROG_MAX_NODES ? opt.cpus : PROG_MAX_NODES;

		opt.nodes = 1 + slab_rng_below(&rng, max);
	}
	if (!opt.have_cpus) {
		unsigned int lo = opt.nodes;

		opt.cpus = lo + slab_rng_below(&rng, PROG_MAX_CPUS - lo + 1);
	}
	all = (1ul << opt.nodes) - 1;
	if (!opt.have_memoryless) {
		/* half of the multi-node runs have memoryless nodes, never all of them */
		opt.memoryless = 0;
		if (opt.nodes > 1 && slab_rng_below(&rng, 2))
			opt.memoryless = slab_rng_below(&rng, (unsigned int)all) & all;
		if (opt.memoryless == all)
			opt.memoryless &= ~1ul;
	}
	if (opt.memoryless & ~all)
		bad_usage("--memoryless %#lx names a node beyond --nodes %u", opt.memoryless, opt.nodes);
	if (opt.memoryless == all)
		bad_usage("--memoryless %#lx: every node is memoryless, at least one needs memory",
			  opt.memoryless);
}

static void build_cmdline(void)
{
	int n = snprintf(stress_cmdline, sizeof(stress_cmdline),
			 "slab-stress --threads %u --cpus %u --nodes %u --memoryless %#lx --seconds %u --seed %lu --hotplug-ms %u --validate-ms %u --quiesce-ms %u --epoch-ops %u --pressure-ms %u --pages %u --min-free %u --reclaimers %u%s",
			 opt.threads, opt.cpus, opt.nodes, opt.memoryless, opt.seconds, opt.seed,
			 opt.hotplug_ms, opt.validate_ms, opt.quiesce_ms, opt.epoch_ops,
			 opt.pressure_ms, opt.pages, opt.min_free, opt.reclaimers,
			 opt.kasan ? "" : " --no-kasan");
	char *bugs = strdup(opt.bugs);

	for (char *save, *b = strtok_r(bugs, ",", &save); b && n < (int)sizeof(stress_cmdline);
	     b = strtok_r(NULL, ",", &save))
		n += snprintf(stress_cmdline + n, sizeof(stress_cmdline) - (size_t)n, " --bug %s", b);
	free(bugs);
}

/* ---- epochs and quiescent points ---------------------------------------------------------- */

static bool failure_pending(void)
{
	return stress_failed() || report_count() > 0;
}

/* With the world stopped and nothing held: a new epoch from the caches alive now. */
static void start_epoch(void)
{
	bool dyn = destroy_actor.dyn_cache >= 0 && destroy_actor.cache[destroy_actor.dyn_cache].s;

	log_reset_all();
	head_reset();
	for (unsigned int i = 0; i < NR_SHARED; i++)
		head_add(&shared_create[i]);
	global_handles_reset(NR_SHARED + (dyn ? 1 : 0));
	for (unsigned int i = 0; i < nr_actors; i++)
		actor_reset(actors[i], actors[i] == &destroy_actor);
}

/* Every CPU online, every object and sheaf given back, kvfree_rcu_barrier(). */
static void give_back_all(void)
{
	struct op barrier = { .kind = OP_BARRIER, .node = -1 };

	hotplug_all_up();
	for (unsigned int i = 0; i < nr_actors; i++)
		actor_give_back(actors[i]);
	pthread_mutex_lock(&handoff_lock);
	while (handoff_nr)
		actor_adopt(&driver_actor, &handoff_q[--handoff_nr]);
	pthread_mutex_unlock(&handoff_lock);
	actor_give_back(&driver_actor);
	actor_exec(&driver_actor, &barrier);
}

static void quiesce(void)
{
	pthread_rwlock_wrlock(&world);
	if (!failure_pending()) {
		give_back_all();
		if (!failure_pending())
			start_epoch();
	}
	pthread_rwlock_unlock(&world);
	if (failure_pending())
		request_stop();
}

/* The stop_machine() of the emulation: wait for in-flight RCU callbacks, walk every cache. */
static void validate_world(void)
{
	struct op gp = { .kind = OP_GP, .node = -1 }, cb = { .kind = OP_RCU_CB, .word = 1, .node = -1 };
	int findings;

	pthread_rwlock_wrlock(&world);
	rcu_barrier();
	/* in the replay: every grace period ended and every callback ran */
	actor_exec(&driver_actor, &gp);
	actor_exec(&driver_actor, &cb);
	findings = validate_all_caches();
	pthread_rwlock_unlock(&world);
	validations++;
	if (findings) {
		fprintf(stderr, "slab-stress: validate_slab_cache: %d finding(s) while the world was stopped\n",
			findings);
		stress_fail("STRESS_VALIDATE in validate_slab_cache");
	}
}

/* liburcu ended grace periods since the last look: say so in the log. */
static void observe_rcu(unsigned long *last_gp)
{
	unsigned long gps = rcu_grace_periods();
	struct op gp = { .kind = OP_GP, .node = -1 }, cb = { .kind = OP_RCU_CB, .word = 1, .node = -1 };

	if (gps == *last_gp)
		return;
	*last_gp = gps;
	op_begin();
	actor_exec(&driver_actor, &gp);
	actor_exec(&driver_actor, &cb);
	op_end();
}

/* ---- summary ------------------------------------------------------------------------------ */

static unsigned long total_ops(void)
{
	unsigned long ops = 0;

	for (unsigned int i = 0; i < nr_actors; i++)
		ops += __atomic_load_n(&actors[i]->ops, __ATOMIC_RELAXED);
	return ops;
}

static unsigned long total_live(void)
{
	unsigned long live = 0;

	for (unsigned int i = 0; i < opt.threads; i++)
		live += __atomic_load_n(&workers[i].live, __ATOMIC_RELAXED);
	return live;
}

static void print_last_ops(FILE *f, unsigned int n)
{
	char buf[512];

	fprintf(f, "last ops of each thread (global handles, as in the failure trace):\n");
	for (unsigned int i = 0; i < nr_actors; i++) {
		const struct op_log *l = &actors[i]->log;

		fprintf(f, "  %s: %zu ops this epoch\n", actors[i]->name, l->n);
		for (size_t j = l->n > n ? l->n - n : 0; j < l->n; j++) {
			op_format(&l->v[j].op, buf, sizeof(buf));
			fprintf(f, "    #%-8llu %s\n", (unsigned long long)l->v[j].seq, buf);
		}
	}
}

static void add_actor(struct actor *a)
{
	actors[nr_actors++] = a;
}

int main(int argc, char **argv)
{
	struct platform_config cfg;
	pthread_t readers[MAX_READERS], hp_th, destroy_th, pressure_th;
	unsigned int nr_readers = MAX_READERS;
	char err[1024], shape[256], sig[PROG_SIG_LEN];
	const char *why;
	double t0, last, last_validate, last_quiesce, elapsed;
	pthread_rwlockattr_t world_attr;
	unsigned long last_ops = 0, kmalloc_pages = 0, kmalloc_allocated = 0, pages, last_gp = 0;
	int reports, findings;
	bool ok, end_ok;

	parse_args(argc, argv);
	if (opt.bugs[0] && slab_bugs_parse(opt.bugs, err, sizeof(err))) {
		fprintf(stderr, "slab-stress: --bug: %s\n", err);
		return 2;
	}
	if (slab_bugs_from_env(err, sizeof(err))) {
		fprintf(stderr, "slab-stress: SLAB_BUGS: %s\n", err);
		return 2;
	}
	draw_shape();
	platform_config_default(&cfg);
	cfg.nr_cpus = opt.cpus;
	cfg.nr_nodes = opt.nodes;
	cfg.memoryless_nodes = opt.memoryless;
	cfg.kasan = opt.kasan;
	cfg.report_mode = REPORT_COUNT;
	cfg.rcu = RCU_LIBURCU;
	cfg.arena_pages = opt.pages;
	cfg.min_free_pages = opt.min_free;
	why = platform_config_valid(&cfg);
	if (why)
		bad_usage("bad machine: %s", why);

	machine_default(&stress_machine);
	stress_machine.cpus = (uint8_t)opt.cpus;
	stress_machine.nodes = (uint8_t)opt.nodes;
	stress_machine.memoryless = (uint8_t)opt.memoryless;
	stress_machine.kasan = opt.kasan;
	stress_machine.qidx = 0;	/* 1M: the platform's default quarantine */
	for (unsigned int q = 0; q < PROG_NR_QSIZES; q++)
		if (prog_quarantine_sizes[q] == cfg.quarantine_bytes)
			stress_machine.qidx = (uint8_t)q;
	stress_machine.misuse = 0;
	stress_machine.pages = opt.pages == PROG_MAX_PAGES ? 0 : (uint16_t)opt.pages;
	stress_machine.min_free = (uint16_t)opt.min_free;
	machine_format(&stress_machine, shape, sizeof(shape));
	build_cmdline();
	fprintf(stderr, "slab-stress: seed %lu, %s, %u workers\nslab-stress: rerun: %s\n", opt.seed,
		shape, opt.threads, stress_cmdline);

	platform_init(&cfg);
	report_set_context_hook(stress_report_context, "seq");
	actor_init(&driver_actor, ACT_DRIVER, 0, "main");
	task_init(&driver_actor.task, "main", 0);
	task_switch(&driver_actor.task);
	rcu_thread_online();
	kmem_cache_init();

	for (unsigned int i = 0; i < opt.threads; i++) {
		char name[32];

		snprintf(name, sizeof(name), "worker%u", i);
		actor_init(&workers[i], ACT_WORKER, (int)i, name);
		add_actor(&workers[i]);
	}
	actor_init(&destroy_actor, ACT_DESTROY, 0, "destroy");
	actor_init(&hotplug_actor, ACT_HOTPLUG, 0, "hotplug");
	actor_init(&pressure_actor, ACT_PRESSURE, 0, "pressure");
	add_actor(&destroy_actor);
	add_actor(&hotplug_actor);
	add_actor(&pressure_actor);
	add_actor(&driver_actor);

	/* the shared caches, created by the driver's own create ops */
	pstate_init(&driver_actor.st, &stress_machine);
	for (unsigned int i = 0; i < NR_SHARED; i++) {
		struct op op = shared_create[i];

		if (!actor_exec(&driver_actor, &op) || !(shared_caches[i] = driver_actor.cache[i].s)) {
			fprintf(stderr, "slab-stress: kmem_cache_create of shared cache c%u failed\n", i);
			return 1;
		}
	}
	start_epoch();

	pthread_rwlockattr_init(&world_attr);
	pthread_rwlockattr_setkind_np(&world_attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&world, &world_attr);
	for (unsigned int i = 0; i < opt.threads; i++)
		pthread_create(&workers[i].th, NULL, worker_main, &workers[i]);
	for (unsigned int i = 0; i < nr_readers; i++)
		pthread_create(&readers[i], NULL, reader_main, (void *)(uintptr_t)i);
	if (opt.hotplug_ms)
		pthread_create(&hp_th, NULL, hotplug_main, NULL);
	if (opt.pressure_ms)
		pthread_create(&pressure_th, NULL, pressure_main, NULL);
	pthread_create(&destroy_th, NULL, destroy_main, NULL);

	t0 = last = last_validate = last_quiesce = now_sec();
	while (!stopping()) {
		double t;

		sleep_ms(10);
		t = now_sec();
		if (t - t0 >= opt.seconds || stopping())
			break;
		if (report_count())
			break;
		observe_rcu(&last_gp);
		if (opt.validate_ms && (t - last_validate) * 1000 >= opt.validate_ms) {
			validate_world();
			last_validate = now_sec();
		}
		if ((t - last_quiesce) * 1000 >= opt.quiesce_ms || epoch_ops() >= opt.epoch_ops) {
			quiesce();
			last_quiesce = now_sec();
		}
		if (t - last >= 1.0) {
			unsigned long ops = total_ops();

			fprintf(stderr,
				"[%5.1fs] ops/s %9.0f  hotplug %6lu  gp %7lu  live %6lu  reports %d  dyn-caches %lu\n",
				t - t0, (double)(ops - last_ops) / (t - last), hotplug_events(),
				rcu_grace_periods(), total_live(), report_count(),
				__atomic_load_n(&dyn_cycles, __ATOMIC_RELAXED));
			last_ops = ops;
			last = t;
		}
	}
	request_stop();
	elapsed = now_sec() - t0;

	workers_wait_parked(opt.threads);
	for (unsigned int i = 0; i < nr_readers; i++)
		pthread_join(readers[i], NULL);
	if (opt.hotplug_ms)
		pthread_join(hp_th, NULL);
	if (opt.pressure_ms)
		pthread_join(pressure_th, NULL);
	pthread_join(destroy_th, NULL);

	/* Teardown on the main task, logged: give everything back, destroy every cache. */
	pthread_rwlock_wrlock(&world);
	give_back_all();
	if (destroy_actor.dyn_cache >= 0 && destroy_actor.cache[destroy_actor.dyn_cache].s) {
		struct op d = { .kind = OP_DESTROY, .cache = (uint32_t)destroy_actor.dyn_cache, .node = -1 };

		actor_exec(&destroy_actor, &d);
	}
	for (unsigned int i = 0; i < NR_SHARED; i++) {
		struct op d = { .kind = OP_DESTROY, .cache = i, .node = -1 };

		actor_exec(&driver_actor, &d);
	}
	pthread_rwlock_unlock(&world);
	rcu_barrier();

	/* kmalloc caches are never destroyed: their empty slabs may stay cached. */
	for (unsigned int i = 0; i < slab_nr_caches(); i++) {
		struct kmem_cache *s = slab_cache_at(i);
		struct slab_cache_info info;
		struct slab_object_counts oc;

		if (!s)
			continue;
		slab_cache_info(s, &info);
		if (strncmp(info.name, "kmalloc-", 8))
			continue;
		slab_count_objects(s, &oc);
		kmalloc_pages += info.pages;
		kmalloc_allocated += oc.allocated;
	}
	pages = pages_in_use();
	findings = validate_all_caches();
	reports = report_count();
	end_ok = !findings && pages == kmalloc_pages && !kmalloc_allocated && slab_nr_caches() >= 1;
	if (!end_ok && !reports)
		stress_fail("STRESS_END in teardown");
	ok = !stress_failed() && !reports && end_ok;

	sig[0] = 0;
	if (!ok) {
		if (reports)
			report_signature(report_get(0), sig, sizeof(sig));
		else
			snprintf(sig, sizeof(sig), "%s", stress_fail_sig());
		fprintf(stderr, "slab-stress: FAILED: %s\n", sig);
		failure_trace(sig);
	}

	unsigned long ops = total_ops();
	unsigned long op_total[NR_OP_KINDS] = { 0 }, h_out = 0, nulls = 0;

	for (unsigned int i = 0; i < nr_actors; i++) {
		for (int k = 0; k < NR_OP_KINDS; k++)
			op_total[k] += actors[i]->op_count[k];
		h_out += actors[i]->handoffs_out;
		nulls += actors[i]->nulls;
	}

	printf("\nslab-stress summary (%s%s%s)\n", ok ? "CLEAN" : "FAILED: ", ok ? "" : sig, "");
	printf("  %-28s %.1f s\n", "elapsed", elapsed);
	printf("  %-28s %s; %u workers, %u readers\n", "machine", shape + strlen("machine "), opt.threads, nr_readers);
	printf("  %-28s %lu (%.0f ops/s)\n", "ops", ops, (double)ops / (elapsed > 0 ? elapsed : 1));
	for (int k = 0; k < NR_OP_KINDS; k++)
		if (op_total[k])
			printf("    %-26s %lu\n", op_name((enum op_kind)k), op_total[k]);
	printf("  %-28s %lu\n", "hand-offs between workers", h_out);
	printf("  %-28s %lu\n", "allocations returning NULL", nulls);
	printf("  %-28s %lu (down %lu, up %lu, -EBUSY %lu)\n", "hotplug events", hotplug_events(),
	       hp_down, hp_up, hp_busy);
	printf("  %-28s %lu swings, %lu reserve pages given, %lu refused by a watermark, %lu reclaimer workers\n",
	       "memory pressure", __atomic_load_n(&pressure_swings, __ATOMIC_RELAXED),
	       page_alloc_reserve_pages(), page_alloc_refused(), (unsigned long)opt.reclaimers);
	printf("  %-28s %lu\n", "grace periods", rcu_grace_periods());
	printf("  %-28s %lu\n", "rcu callbacks invoked", rcu_callbacks_invoked());
	printf("  %-28s %lu checks, %lu with stable slot\n", "rcu reader checks",
	       __atomic_load_n(&reader_checks, __ATOMIC_RELAXED),
	       __atomic_load_n(&reader_hits, __ATOMIC_RELAXED));
	printf("  %-28s %lu caches, %lu objects\n", "destroy/recreate",
	       __atomic_load_n(&dyn_cycles, __ATOMIC_RELAXED),
	       __atomic_load_n(&dyn_objects, __ATOMIC_RELAXED));
	printf("  %-28s %d\n", "reports", reports);
	printf("  %-28s %lu (every %u ms, world stopped)\n", "mid-run validations", validations,
	       opt.validate_ms);
	printf("  %-28s %d\n", "validate_all_caches findings", findings);
	printf("  %-28s %lu (kmalloc caches hold %lu)\n", "pages in use at end", pages,
	       kmalloc_pages);
	printf("  %-28s %lu\n", "kmalloc objects still owned", kmalloc_allocated);
	printf("  %-28s %s\n", "driver checks", stress_failed() ? stress_fail_sig() : "ok");
	trace_summary(stdout);
	printf("  seed %lu\n  rerun: %s\n", opt.seed, stress_cmdline);
	if (!ok) {
		for (int i = 0; i < reports && i < 64; i++) {
			const struct report *r = report_get(i);

			if (r)
				report_print(r, stdout);
		}
		print_last_ops(stdout, 8);
	}
	return ok ? 0 : 1;
}
