/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Seeded bugs: known kernel bugs re-introduced behind named switches, so the suite can
 * show that it finds them. Compiled in only with -DSLAB_SEEDED_BUGS (the default, asan,
 * tsan and fuzz-seeded presets); release and fuzz builds of the correct allocator contain
 * none of them (SLAB_BUG() is the constant false there).
 *
 * Selected at run time: SLAB_BUGS=name[,name] in the environment (read by
 * slab_bugs_from_env()) or slab_bug_enable() (`--bug NAME` in the tools).
 */
#ifndef SLAB_BUGS_H
#define SLAB_BUGS_H

#include <stdbool.h>

#define SLAB_BUG_LIST(X) \
	X(destroy_no_rcu_barrier, "kvfree_rcu_barrier_on_cache() without rcu_barrier() after flush_rcu_sheaves_on_cache() (seed bug B1, fixed by 'mm/slab: add rcu_barrier() to kvfree_rcu_barrier_on_cache()')") \
	X(flush_rcu_no_cpus_lock, "flush_rcu_sheaves_on_cache() walks online CPUs without cpus_read_lock() (B2, fixed by 67ea9d353d0b)") \
	X(memoryless_node_barn, "the barn lookup does not tolerate a CPU on a memoryless node (B5, NULL barn)") \
	X(nolock_alloc_sheaf, "__pcs_replace_full_main() allocates an empty sheaf even when !allow_spin (B9)") \
	X(free_no_list_lock, "__slab_free() updates the partial list without list_lock (test-only unsafe change)") \
	X(replace_empty_stale_pcs, "__pcs_replace_empty_main() relocks after refilling but keeps the pcs of the CPU it unlocked: a task that migrated meanwhile installs the sheaf into, and allocates from, another CPU's sheaves under the wrong lock (interleaving-only)") \
	X(kfree_rcu_relock_no_recheck, "__kfree_rcu_sheaf() installs the sheaf it allocated with the lock dropped without looking again: an rcu_free sheaf another task or interrupt installed meanwhile is lost with its objects (interleaving-only)") \
	X(nolock_list_lock_spins, "node_list_lock() spins on list_lock even when !allow_spin: a kmalloc_nolock/kfree_nolock in an interrupt that arrived while its task holds that lock waits forever for itself (interleaving-only; a DEADLOCK report)") \
	X(shutdown_barn_per_node, "__kmem_cache_shutdown()/__kmem_cache_do_shrink() shrink node N's barn just before node N's partial list, as 7.0 does: objects of other nodes in that barn look leaked (found by fuzz_ops, not yet reported upstream)") \
	X(thisnode_drops_nomemalloc, "___slab_alloc()'s first pass for a given node uses GFP_NOWAIT | __GFP_THISNODE as 7.0 does, dropping the caller's __GFP_NOMEMALLOC: in a PF_MEMALLOC task below the min watermark a caller that forbade the reserves gets a reserve (pfmemalloc) object (not yet reported upstream)") \
	X(return_sheaf_refill_reserves, "kmem_cache_return_sheaf() refills the returned sheaf for the barn with the caller's gfp, as 7.0 does: a PF_MEMALLOC caller below the min watermark fills a barn sheaf from reserve slabs, and any allocation then gets reserve objects (not yet reported upstream)") \
	X(slowpath_nomemalloc, "slab_alloc_node() falls back to ___slab_alloc() with the __GFP_NOMEMALLOC of the sheaf refill it just tried: a caller that may use the reserves fails below the min watermark") \
	X(pfmemalloc_to_pcs, "slab_free() caches objects of reserve (pfmemalloc) slabs in the percpu sheaves, so an ordinary allocation gets one (the check can_free_to_pcs() makes, left out)")

enum slab_bug {
#define X(name, desc) SLAB_BUG_##name,
	SLAB_BUG_LIST(X)
#undef X
	NR_SLAB_BUGS,
};

#ifdef SLAB_SEEDED_BUGS
extern unsigned long slab_bugs_enabled;
#define SLAB_BUG(name)	__builtin_expect(!!(slab_bugs_enabled & (1UL << SLAB_BUG_##name)), 0)
#else
#define SLAB_BUG(name)	false
#endif

const char *slab_bug_name(enum slab_bug bug);
const char *slab_bug_description(enum slab_bug bug);
bool slab_bugs_compiled_in(void);
/* Enable a bug by name: 0, or -1 if the name is unknown (or bugs are not compiled in). */
int slab_bug_enable(const char *name);
/* Parse a comma-separated list; on error writes a message listing the known names to
 * err (err_len bytes) and returns -1. */
int slab_bugs_parse(const char *list, char *err, unsigned long err_len);
int slab_bugs_from_env(char *err, unsigned long err_len);	/* SLAB_BUGS */
void slab_bugs_clear(void);
unsigned long slab_bugs_mask(void);
void slab_bugs_set_mask(unsigned long mask);

#endif
