// SPDX-License-Identifier: GPL-2.0
/*
 * Machine configuration and (re)initialisation. platform_init() runs once per fuzz input,
 * so every step is a reset of existing state, never a fresh mapping (see page_alloc.c).
 */
#include <string.h>
#include "platform.h"

#define DEFAULT_NR_CPUS		4
#define DEFAULT_QUARANTINE	(1UL << 20)
#define DEFAULT_ARENA_PAGES	16384UL

static struct platform_config the_config;

void platform_config_default(struct platform_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_cpus = DEFAULT_NR_CPUS;
	cfg->nr_nodes = 1;
	/* -1: cpu % nr_nodes, resolved at init so a caller may change nr_nodes alone */
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		cfg->cpu_node[cpu] = -1;
	cfg->memoryless_nodes = 0;
	cfg->kasan = true;
	cfg->quarantine_bytes = DEFAULT_QUARANTINE;
	cfg->report_mode = REPORT_COUNT;
	cfg->rcu = RCU_DETERMINISTIC;
	cfg->cmpxchg_double = true;
	cfg->arena_pages = DEFAULT_ARENA_PAGES;
	cfg->min_free_pages = 0;
}

static unsigned long node_mask(unsigned int nr_nodes)
{
	return nr_nodes >= 8 * sizeof(unsigned long) ? ~0UL : BIT(nr_nodes) - 1;
}

const char *platform_config_valid(const struct platform_config *cfg)
{
	if (cfg->nr_cpus < 1 || cfg->nr_cpus > MAX_CPUS)
		return "nr_cpus must be between 1 and 64";
	if (cfg->nr_nodes < 1 || cfg->nr_nodes > MAX_NUMNODES)
		return "nr_nodes must be between 1 and 8";
	for (unsigned int cpu = 0; cpu < cfg->nr_cpus; cpu++) {
		if (cfg->cpu_node[cpu] < -1 || cfg->cpu_node[cpu] >= (int)cfg->nr_nodes)
			return "a CPU's node is out of range (cpu_node[i] must be < nr_nodes, or -1)";
	}
	if ((cfg->memoryless_nodes & node_mask(cfg->nr_nodes)) == node_mask(cfg->nr_nodes))
		return "every node is memoryless: at least one node needs memory";
	if (cfg->arena_pages == 0)
		return "arena_pages must be at least 1";
	if (cfg->min_free_pages > cfg->arena_pages / 4)
		return "min_free_pages must be at most a quarter of arena_pages (the high watermark stays below the budget)";
	return NULL;
}

/* The nearest valid config: out-of-range values are pulled into range. */
static void platform_config_clamp(struct platform_config *cfg)
{
	cfg->nr_cpus = clamp(cfg->nr_cpus, 1u, (unsigned int)MAX_CPUS);
	cfg->nr_nodes = clamp(cfg->nr_nodes, 1u, (unsigned int)MAX_NUMNODES);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (cfg->cpu_node[cpu] < 0 || cfg->cpu_node[cpu] >= (int)cfg->nr_nodes)
			cfg->cpu_node[cpu] = cpu % (int)cfg->nr_nodes;
	}
	cfg->memoryless_nodes &= node_mask(cfg->nr_nodes);
	if (cfg->memoryless_nodes == node_mask(cfg->nr_nodes))
		cfg->memoryless_nodes &= ~BIT(0);
	if (!cfg->arena_pages)
		cfg->arena_pages = DEFAULT_ARENA_PAGES;
	cfg->min_free_pages = min(cfg->min_free_pages, cfg->arena_pages / 4);
}

void platform_init(const struct platform_config *cfg)
{
	struct platform_config c = *cfg;

	platform_config_clamp(&c);
	the_config = c;

	platform_mem_reset();
	/* The machine shape first: the page allocator maps arenas for nodes with memory. */
	cpu_platform_init(c.nr_cpus, c.nr_nodes, c.cpu_node, c.memoryless_nodes);
	page_alloc_init(c.arena_pages, c.min_free_pages);
	fault_reset();
	report_reset();
	report_set_mode(c.report_mode);
	lockdep_reset();
	hotplug_reset();
	workqueue_reset();
	rcu_init(c.rcu);
	kasan_init(c.kasan, c.quarantine_bytes);
}

const struct platform_config *platform_config(void)
{
	return &the_config;
}
