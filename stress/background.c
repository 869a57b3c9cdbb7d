// SPDX-License-Identifier: GPL-2.0
/*
 * The background threads: RCU readers of published SLAB_TYPESAFE_BY_RCU objects, the
 * hotplug thread (the only source of cpu_down / cpu_up ops), the destroy/recreate thread
 * (the only source of create / destroy ops after the epoch head) and the memory-pressure
 * thread (the only source of pressure ops).
 */
#include <errno.h>
#include <string.h>

#include "stress.h"
#include "platform.h"

/* ---- RCU readers ------------------------------------------------------------------------ */

/*
 * Read published typesafe objects inside rcu_read_lock(): with SLAB_TYPESAFE_BY_RCU the
 * memory stays an object of its cache (ctor word intact) even if freed and reused
 * meanwhile, and when the slot generation did not move, the first tagged word must be the
 * one of the tag published with it.
 */
void *reader_main(void *arg)
{
	struct task t;
	char name[32];
	uint64_t rng = slab_rng_seed(opt.seed, 1100 + (unsigned int)(uintptr_t)arg);
	unsigned long checks = 0, hits = 0;

	snprintf(name, sizeof(name), "reader%u", (unsigned int)(uintptr_t)arg);
	task_init(&t, name, 0);
	task_switch(&t);
	rcu_thread_online();
	while (!stopping()) {
		rcu_read_lock();
		for (int n = 0; n < 64; n++) {
			struct rcu_slot *s = &rcu_slots[slab_rng_below(&rng, opt.threads * SLOTS_PER_THREAD)];
			unsigned long g1 = __atomic_load_n(&s->gen, __ATOMIC_SEQ_CST);
			uint64_t *p = __atomic_load_n(&s->ptr, __ATOMIC_SEQ_CST);
			uint64_t want = __atomic_load_n(&s->tag, __ATOMIC_SEQ_CST);

			if ((g1 & 1) || !p)
				continue;
			uint64_t magic = __atomic_load_n(&p[0], __ATOMIC_SEQ_CST);
			uint64_t word = __atomic_load_n(&p[1], __ATOMIC_SEQ_CST);
			bool stable = __atomic_load_n(&s->gen, __ATOMIC_SEQ_CST) == g1;

			checks++;
			if (magic != SLAB_CTOR_MAGIC || (stable && word != slab_tag_word(want, 8))) {
				pthread_mutex_lock(&print_lock);
				fprintf(stderr,
					"slab-stress: RCU READER MISMATCH (%s): object %p word0 %#llx (want %#llx) word1 %#llx (want %#llx, slot stable %d)\n",
					name, (void *)p, (unsigned long long)magic,
					(unsigned long long)SLAB_CTOR_MAGIC, (unsigned long long)word,
					(unsigned long long)slab_tag_word(want, 8), stable);
				pthread_mutex_unlock(&print_lock);
				stress_fail("STRESS_READER in rcu_read_lock");
			}
			hits += stable;
		}
		rcu_read_unlock();
		if ((checks & 0xff) == 0)
			sched_yield();
	}
	__atomic_add_fetch(&reader_checks, checks, __ATOMIC_RELAXED);
	__atomic_add_fetch(&reader_hits, hits, __ATOMIC_RELAXED);
	rcu_thread_offline();
	task_exit(&t);
	return NULL;
}

/* ---- hotplug ------------------------------------------------------------------------------ */

unsigned long hp_down, hp_up, hp_busy;

/* An online CPU other than `not` to name as the one running a hotplug op. */
static int runner_cpu(int not)
{
	for (int c = 0; c < (int)opt.cpus; c++)
		if (c != not && cpu_online(c))
			return c;
	return 0;
}

/*
 * Log order: a cpu_down is logged after it returned (every op that ran on the CPU came
 * before: cpu_down waited for them), a cpu_up before it starts (every op on the CPU comes
 * after). The caller holds `world` for read, or for write (the driver).
 */
static int hotplug_one(struct actor *a, int cpu, bool up)
{
	struct op op = { .kind = up ? OP_CPU_UP : OP_CPU_DOWN, .target = (uint8_t)cpu, .node = -1 };
	uint64_t seq = 0;
	int ret;

	op.cpu = (uint8_t)runner_cpu(cpu);
	if (up) {
		seq = log_seq_take();
		ret = cpu_up(cpu);
	} else {
		ret = cpu_down(cpu);
		if (!ret) {
			op.cpu = (uint8_t)runner_cpu(cpu);
			seq = log_seq_take();
		}
	}
	if (!ret) {
		char err[160];

		if (prog_check(&a->st, &op, err, sizeof(err))) {
			fprintf(stderr, "slab-stress: hotplug op out of step with the log: %s\n", err);
			stress_fail("STRESS_DRIVER in %s", op_name((enum op_kind)op.kind));
		}
		prog_apply(&a->st, &op);
		log_put(a, seq, &op);
		a->op_count[op.kind]++;
		__atomic_add_fetch(&a->ops, 1, __ATOMIC_RELAXED);
	}
	return ret;
}

void hotplug_all_up(void)
{
	for (int cpu = 0; cpu < (int)opt.cpus; cpu++)
		if (!cpu_online(cpu) && !hotplug_one(&hotplug_actor, cpu, true))
			__atomic_add_fetch(&hp_up, 1, __ATOMIC_RELAXED);
}

void *hotplug_main(void *arg)
{
	struct actor *a = &hotplug_actor;

	task_init(&a->task, "hotplug", 0);
	task_switch(&a->task);
	rcu_thread_online();
	while (sleep_ms(opt.hotplug_ms)) {
		int cpu = (int)slab_rng_below(&a->rng, opt.cpus);
		bool up = !cpu_online(cpu);
		int ret;

		op_begin();
		ret = hotplug_one(a, cpu, up);
		op_end();
		if (!ret)
			__atomic_add_fetch(up ? &hp_up : &hp_down, 1, __ATOMIC_RELAXED);
		else if (ret == -EBUSY)
			__atomic_add_fetch(&hp_busy, 1, __ATOMIC_RELAXED);
		else if (ret != -EINVAL)
			fprintf(stderr, "slab-stress: hotplug of cpu %d returned %d\n", cpu, ret);
	}
	rcu_thread_offline();
	task_exit(&a->task);
	return NULL;
}

/* ---- destroy / recreate ------------------------------------------------------------------- */

/*
 * Ownership rule: the dynamic cache is private to this thread, so when it has freed (or
 * kfree_rcu'd) every object it allocated, no one else can own one and destroying it is
 * legal. kmem_cache_destroy() itself must wait for the kfree_rcu'd ones. One op per step
 * (create, alloc x n, free or kfree_rcu each, destroy), so a quiescent point can come
 * between any two; the driver gives back the objects and the cycle goes on.
 */
static void destroy_step(struct actor *a)
{
	struct op op = { .node = -1 };

	if (a->dyn_cache < 0) {
		op.kind = OP_CREATE;
		op.size = (int32_t)(64 + 8 * slab_rng_below(&a->rng, 60));
		op.flags = (int32_t)(CF_NO_MERGE | (slab_rng_below(&a->rng, 2) ? CF_TYPESAFE : 0));
		op.dst = a->st.next_cache;
		a->dyn_want = 1 + slab_rng_below(&a->rng, 64);
		a->dyn_done = 0;
		if (actor_exec(a, &op) && a->cache[op.dst].s)
			a->dyn_cache = (int)op.dst;
		return;
	}
	if (a->dyn_done < a->dyn_want) {
		op.kind = OP_ALLOC;
		op.cache = (uint32_t)a->dyn_cache;
		op.dst = a->st.next_obj;
		a->dyn_done++;
		actor_exec(a, &op);
		__atomic_add_fetch(&dyn_objects, 1, __ATOMIC_RELAXED);
		return;
	}
	for (uint32_t h = 0; a->live && h < a->st.nr_obj && h < a->cap_obj; h++) {
		if (!a->obj[h].p || pstate_obj(&a->st, h)->state != OS_LIVE)
			continue;
		op.obj = h;
		op.kind = !(pstate_cache(&a->st, (uint32_t)a->dyn_cache)->flags & CF_TYPESAFE) &&
				  slab_rng_below(&a->rng, 2) ? OP_KFREE_RCU : OP_FREE;
		actor_exec(a, &op);
		return;
	}
	op.kind = OP_DESTROY;
	op.cache = (uint32_t)a->dyn_cache;
	actor_exec(a, &op);
	a->dyn_cache = -1;
	__atomic_add_fetch(&dyn_cycles, 1, __ATOMIC_RELAXED);
}

void *destroy_main(void *arg)
{
	struct actor *a = &destroy_actor;

	task_init(&a->task, "destroy", 0);
	task_switch(&a->task);
	rcu_thread_online();
	/* a started cycle runs to its destroy, so no dynamic cache outlives the run */
	while (!stopping() || a->dyn_cache >= 0) {
		op_begin();
		destroy_step(a);
		op_end();
		if (stress_failed())
			break;
	}
	check_reports(a);
	rcu_thread_offline();
	task_exit(&a->task);
	return NULL;
}

/* ---- memory pressure ---------------------------------------------------------------------- */

unsigned long pressure_swings;

/*
 * Every --pressure-ms, one node with memory gets a new free level: below min (only the
 * reserves serve), between min and low, between low and high, or above high, each as
 * likely; other users take or give back the pages that make it so. The level holds until
 * the node's next swing, whatever the workers allocate and free meanwhile.
 */
static void pressure_step(struct actor *a)
{
	struct op op = { .kind = OP_PRESSURE, .node = -1 };
	struct node_watermarks wm;
	unsigned long used, budget, target, band;
	int nid;

	do
		nid = (int)slab_rng_below(&a->rng, opt.nodes);
	while (!node_state_memory(nid));
	node_watermarks(nid, &wm);
	budget = node_pages_total(nid);
	used = node_pages_in_use(nid);
	switch (slab_rng_below(&a->rng, 4)) {
	case 0: target = slab_rng_below(&a->rng, (unsigned int)wm.min); break;
	case 1: target = wm.min + slab_rng_below(&a->rng, (unsigned int)(wm.low - wm.min)); break;
	case 2: target = wm.low + slab_rng_below(&a->rng, (unsigned int)(wm.high - wm.low)); break;
	default: target = wm.high + slab_rng_below(&a->rng, (unsigned int)wm.high + 1); break;
	}
	band = used + target < budget ? budget - used - target : 0;
	op.node = nid;
	op.n = (int32_t)band;
	actor_exec(a, &op);
	__atomic_add_fetch(&pressure_swings, 1, __ATOMIC_RELAXED);
}

void *pressure_main(void *arg)
{
	struct actor *a = &pressure_actor;

	task_init(&a->task, "pressure", 0);
	task_switch(&a->task);
	rcu_thread_online();
	while (sleep_ms(opt.pressure_ms)) {
		op_begin();
		pressure_step(a);
		op_end();
	}
	/* the others leave: the teardown frees into a machine without pressure */
	op_begin();
	for (int nid = 0; nid < (int)opt.nodes; nid++) {
		struct op op = { .kind = OP_PRESSURE, .node = nid, .n = 0 };

		if (node_state_memory(nid) && page_alloc_pressure(nid))
			actor_exec(a, &op);
	}
	op_end();
	rcu_thread_offline();
	task_exit(&a->task);
	return NULL;
}
