// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated CPUs, NUMA nodes and tasks.
 *
 * The machine shape is fixed between platform_init() calls; only the online bits change
 * (hotplug.c), so they are the only state read with atomics. Tasks created with
 * task_init() are kept in a fixed registry, in creation order, so cpu_down() can move the
 * tasks of a dying CPU deterministically.
 */
#include <pthread.h>
#include <string.h>
#include "cpu.h"
#include "sched_point.h"
#include "report.h"

__thread struct task *current;

unsigned int nr_cpu_ids = 1;
unsigned int nr_node_ids = 1;

static int cpu_node_map[MAX_CPUS];
static bool cpu_online_mask[MAX_CPUS];	/* atomic */
static unsigned int nr_online;		/* atomic */
static unsigned long memoryless_mask;

/* The registry: tasks cpu_down() must migrate. Protected by registry_lock. */
#define MAX_TASKS	1024
static struct task *registry[MAX_TASKS];
static int nr_registered;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static int next_task_id;		/* atomic; 0 is the platform_init thread's boot task */

/* Each OS thread's boot task: used until the thread switches to a task of its own. */
static __thread struct task boot_task_storage;
static __thread bool boot_task_ready;

static void task_setup(struct task *t, int id, const char *name, int cpu)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->cpu = cpu;
	t->name = name;
}

static void registry_add(struct task *t)
{
	bool full = false;
	int i;

	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < nr_registered; i++) {
		if (registry[i] == t)
			break;	/* re-initialised task: keep its slot */
	}
	if (i == nr_registered) {
		if (nr_registered < MAX_TASKS)
			registry[nr_registered++] = t;
		else
			full = true;
	}
	pthread_mutex_unlock(&registry_lock);
	WARN(full, "task registry full: task %d will not migrate on cpu_down()", t->id);
}

void task_exit(struct task *t)
{
	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < nr_registered; i++) {
		if (registry[i] == t) {
			memmove(&registry[i], &registry[i + 1],
				(size_t)(nr_registered - i - 1) * sizeof(registry[0]));
			nr_registered--;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (current == t)
		current = NULL;
}

void cpu_platform_init(unsigned int nr_cpus, unsigned int nr_nodes, const int *cpu_node,
		       unsigned long memoryless_nodes)
{
	nr_cpu_ids = nr_cpus;
	nr_node_ids = nr_nodes;
	memoryless_mask = memoryless_nodes;
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		cpu_node_map[cpu] = cpu < (int)nr_cpus ? cpu_node[cpu] : 0;
		__atomic_store_n(&cpu_online_mask[cpu], cpu < (int)nr_cpus, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&nr_online, nr_cpus, __ATOMIC_RELEASE);

	pthread_mutex_lock(&registry_lock);
	nr_registered = 0;
	pthread_mutex_unlock(&registry_lock);
	__atomic_store_n(&next_task_id, 1, __ATOMIC_RELAXED);

	/* The calling thread's boot task is task 0 on CPU 0, and migratable by cpu_down(). */
	task_setup(&boot_task_storage, 0, "boot", 0);
	boot_task_ready = true;
	current = &boot_task_storage;
	registry_add(&boot_task_storage);
}

bool cpu_online(int cpu)
{
	if (cpu < 0 || cpu >= (int)nr_cpu_ids)
		return false;
	return __atomic_load_n(&cpu_online_mask[cpu], __ATOMIC_ACQUIRE);
}

void set_cpu_online(int cpu, bool online)
{
	if (cpu < 0 || cpu >= (int)nr_cpu_ids || cpu_online(cpu) == online)
		return;
	__atomic_store_n(&cpu_online_mask[cpu], online, __ATOMIC_RELEASE);
	if (online)
		__atomic_add_fetch(&nr_online, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_sub_fetch(&nr_online, 1, __ATOMIC_SEQ_CST);
}

unsigned int num_online_cpus(void)
{
	return __atomic_load_n(&nr_online, __ATOMIC_ACQUIRE);
}

int cpu_to_node(int cpu)
{
	if (cpu < 0 || cpu >= (int)nr_cpu_ids)
		return 0;
	return cpu_node_map[cpu];
}

int cpu_to_mem(int cpu)
{
	return cpu_to_node(cpu);
}

bool node_state_memory(int node)
{
	return node >= 0 && node < (int)nr_node_ids && !(memoryless_mask & BIT(node));
}

int first_memory_node(void)
{
	int node;

	for_each_node_with_memory(node)
		return node;
	return 0;	/* platform_init() guarantees a node with memory */
}

int next_memory_node(int node)
{
	for (unsigned int i = 1; i <= nr_node_ids; i++) {
		int n = (int)(((unsigned int)node + i) % nr_node_ids);

		if (node_state_memory(n))
			return n;
	}
	return first_memory_node();
}

int next_online_cpu(int cpu)
{
	for (unsigned int i = 1; i <= nr_cpu_ids; i++) {
		int c = (int)(((unsigned int)cpu + i) % nr_cpu_ids);

		if (cpu_online(c))
			return c;
	}
	return -1;
}

struct task *boot_task(void)
{
	if (!boot_task_ready) {
		int id = __atomic_fetch_add(&next_task_id, 1, __ATOMIC_RELAXED);
		int cpu = cpu_online(0) ? 0 : next_online_cpu(0);

		/* Not registered: the thread's TLS may vanish before the next cpu_down();
		 * stress threads use task_init()ed tasks and cpu_occupy() instead. */
		task_setup(&boot_task_storage, id, "boot", cpu < 0 ? 0 : cpu);
		boot_task_ready = true;
	}
	return &boot_task_storage;
}

struct task *current_task(void)
{
	if (unlikely(!current))
		current = boot_task();
	return current;
}

void task_init(struct task *t, const char *name, int cpu)
{
	int id = __atomic_fetch_add(&next_task_id, 1, __ATOMIC_RELAXED);

	if (cpu < 0 || cpu >= (int)nr_cpu_ids || !cpu_online(cpu)) {
		int c = next_online_cpu(cpu < 0 || cpu >= (int)nr_cpu_ids ? 0 : cpu);

		cpu = c < 0 ? 0 : c;
	}
	task_setup(t, id, name, cpu);
	registry_add(t);
}

void task_switch(struct task *t)
{
	current = t;
}

/* Release/acquire: the task's own later plain reads (smp_processor_id()) must be ordered
 * after a migration another thread made, and cpu_occupy() reads the CPU through here. */
void task_set_cpu(struct task *t, int cpu)
{
	__atomic_store_n(&t->cpu, cpu, __ATOMIC_RELEASE);
}

int task_get_cpu(const struct task *t)
{
	return __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
}

bool task_migrate(struct task *t, int cpu)
{
	if (!t)
		t = current_task();
	if (WARN(t->local_locks_held > 0 || t->irq_depth > 0,
		 "task %d migrating from CPU %d to %d with %d local lock(s) held, irq depth %d",
		 t->id, t->cpu, cpu, t->local_locks_held, t->irq_depth))
		return false;
	/* Only online CPUs run tasks; the driver picks among them. */
	if (!cpu_online(cpu))
		return false;
	task_set_cpu(t, cpu);
	return true;
}

/* Move every registered task on `cpu` to the next online CPU. Returns the id of a task that
 * cannot move (holds a local lock or runs an interrupt), or -1. */
int migrate_tasks_from(int cpu)
{
	int target = next_online_cpu(cpu);
	int pinned = -1;

	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < nr_registered && pinned < 0; i++) {
		struct task *t = registry[i];

		/* read across threads: hotplug looks at tasks it does not run */
		if (task_get_cpu(t) == cpu &&
		    (__atomic_load_n(&t->local_locks_held, __ATOMIC_RELAXED) > 0 ||
		     __atomic_load_n(&t->irq_depth, __ATOMIC_RELAXED) > 0))
			pinned = t->id;
	}
	for (int i = 0; i < nr_registered && pinned < 0 && target >= 0; i++) {
		if (task_get_cpu(registry[i]) == cpu)
			task_set_cpu(registry[i], target);
	}
	pthread_mutex_unlock(&registry_lock);
	if (pinned < 0 && target >= 0) {
		/* The caller's own task, even when it is an unregistered boot task. */
		struct task *self = current_task();

		if (task_get_cpu(self) == cpu)
			task_set_cpu(self, target);
	}
	return pinned;
}

void irq_enter(bool nmi)
{
	struct task *t = current_task();

	__atomic_add_fetch(&t->irq_depth, 1, __ATOMIC_RELAXED);
	/* An NMI nested in a hardirq stays NMI until the outermost exit. */
	t->in_nmi = t->in_nmi || nmi;
}

void irq_exit(void)
{
	struct task *t = current_task();

	if (WARN(t->irq_depth <= 0, "irq_exit() outside an interrupt on task %d", t->id))
		return;
	if (__atomic_sub_fetch(&t->irq_depth, 1, __ATOMIC_RELAXED) == 0)
		t->in_nmi = false;
	sched_wake();	/* a cpu_down() may wait for the interrupt to end */
}
