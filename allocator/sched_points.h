/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The allocator's scheduling points: SP(name, kernel function, where).
 *
 * Each is a place where the kernel (mm/slub.c, mm/slab_common.c of Linux 7.0) can be
 * preempted, migrated or interrupted between two steps another CPU or an interrupt could
 * observe. Inside a local lock, a spinlock or with IRQs off (task_preemptible() false) a
 * scheduler may only inject an interrupt there. The platform's own points (SP_LOCK before
 * every blocking acquire, SP_UNLOCK after every release, SP_CALL_RCU, SP_QUEUE_WORK,
 * SP_FLUSH_WORK, SP_HOTPLUG_STEP) come first; kmem_cache_init() registers this table right
 * after them, so SP_<name> == NR_PLATFORM_SCHED_POINTS + its index here, stable across
 * runs and builds (a trace names points by name; append new points at the end).
 *
 * "~L" is the approximate line in 7.0's mm/slub.c (function names are the better guide).
 */
#ifndef SLAB_SCHED_POINTS_H
#define SLAB_SCHED_POINTS_H

#define SLAB_SCHED_POINTS(SP) \
	/* allocation */ \
	SP(replace_empty_unlocked, "__pcs_replace_empty_main (slub.c ~L4700)", \
	   "after local_unlock, before refilling the empty sheaf: may migrate") \
	SP(replace_empty_relock, "__pcs_replace_empty_main (slub.c ~L4740)", \
	   "after the refill, before local_lock of the (possibly new) CPU's pcs") \
	SP(alloc_bulk_batch, "alloc_from_pcs_bulk (slub.c ~L4900)", \
	   "between batches: after local_unlock, before the next local_trylock") \
	SP(refill_isolated, "__refill_objects_node (slub.c ~L3850)", \
	   "partial slabs isolated, list_lock dropped, before taking their freelists") \
	SP(refill_new_slab, "refill_objects (slub.c ~L3920)", \
	   "between two new slabs of one refill") \
	SP(freelist_cmpxchg_retry, "slab_update_freelist / __slab_update_freelist (slub.c ~L780)", \
	   "a cmpxchg of slab->freelist+counters failed, before the caller re-reads") \
	/* freeing */ \
	SP(slab_free_before_cmpxchg, "__slab_free (slub.c ~L5500)", \
	   "old freelist+counters read (and list_lock maybe taken), before the cmpxchg") \
	SP(slab_free_retry, "__slab_free (slub.c ~L5480)", \
	   "the cmpxchg failed and list_lock is dropped, before the re-read") \
	SP(replace_full_unlocked, "__pcs_replace_full_main (slub.c ~L5620)", \
	   "after local_unlock, before alloc_empty_sheaf / sheaf_flush_main: may migrate") \
	SP(replace_full_relock, "__pcs_replace_full_main (slub.c ~L5660)", \
	   "got an empty sheaf (or flushed main), before local_trylock of the current CPU") \
	SP(replace_full_spare_flush, "__pcs_replace_full_main (slub.c ~L5610)", \
	   "barn full: spare detached and unlocked, before flushing it to slabs") \
	SP(free_bulk_batch, "free_to_pcs_bulk (slub.c ~L5800)", \
	   "after local_unlock, before the next batch / the remote-node and fallback frees") \
	/* kfree_rcu */ \
	SP(kfree_rcu_unlocked, "__kfree_rcu_sheaf (slub.c ~L5950)", \
	   "no empty sheaf in the barn: unlocked, before alloc_empty_sheaf") \
	SP(kfree_rcu_relock, "__kfree_rcu_sheaf (slub.c ~L5960)", \
	   "allocated an empty sheaf, before local_trylock of the current CPU") \
	SP(kfree_rcu_before_call_rcu, "__kfree_rcu_sheaf (slub.c ~L5990)", \
	   "rcu_free sheaf full and detached, before call_rcu (pcs locked: interrupts only)") \
	SP(kfree_rcu_after_unlock, "__kfree_rcu_sheaf (slub.c ~L6000)", \
	   "after local_unlock, object queued (and maybe the sheaf submitted)") \
	SP(flush_rcu_sheaf_before_call_rcu, "flush_rcu_sheaf work (slub.c ~L4040)", \
	   "rcu_free detached and unlocked, before call_rcu(rcu_free_sheaf_nobarn)") \
	SP(flush_rcu_sheaf_after_call_rcu, "flush_rcu_sheaf work (slub.c ~L4045)", \
	   "after call_rcu of the detached rcu_free sheaf") \
	SP(flush_rcu_queue_walk, "flush_rcu_sheaves_on_cache (slub.c ~L4060)", \
	   "first for_each_online_cpu walk, after queue_work_on() for one CPU") \
	SP(flush_rcu_flush_walk, "flush_rcu_sheaves_on_cache (slub.c ~L4075)", \
	   "second for_each_online_cpu walk, after flush_work() for one CPU") \
	SP(flush_all_rcu_sheaves_cache, "flush_all_rcu_sheaves (slub.c ~L4090)", \
	   "between two caches of the slab_caches walk (slab_mutex held)") \
	SP(flush_all_rcu_sheaves_before_barrier, "flush_all_rcu_sheaves (slub.c ~L4100)", \
	   "locks dropped, before rcu_barrier()") \
	/* flushing, hotplug, shrink */ \
	SP(pcs_flush_all_detached, "pcs_flush_all (slub.c ~L3990)", \
	   "spare and rcu_free detached, unlocked, before flushing them") \
	SP(pcs_flush_all_after_call_rcu, "pcs_flush_all (slub.c ~L4000)", \
	   "after call_rcu of the detached rcu_free sheaf") \
	SP(pcs_flush_all_batch, "sheaf_flush_main (slub.c ~L3960)", \
	   "a batch of main taken and unlocked, before freeing it to slabs") \
	SP(flush_all_queue_walk, "flush_all_cpus_locked (slub.c ~L4010)", \
	   "first for_each_online_cpu walk, after has_pcs_used/queue_work_on for one CPU") \
	SP(flush_all_flush_walk, "flush_all_cpus_locked (slub.c ~L4025)", \
	   "second for_each_online_cpu walk, after flush_work() for one CPU") \
	SP(slub_cpu_dead_cache, "slub_cpu_dead (slub.c ~L4150)", \
	   "between two caches of the dead CPU's flush (slab_mutex held)") \
	SP(shrink_node, "__kmem_cache_do_shrink (slub.c ~L7600)", \
	   "between two nodes' list_lock sections") \
	SP(shutdown_after_flush, "__kmem_cache_shutdown (slub.c ~L7540)", \
	   "after flush_all_cpus_locked(), before rcu_barrier()") \
	SP(shutdown_after_rcu_barrier, "__kmem_cache_shutdown (slub.c ~L7545)", \
	   "after rcu_barrier(), before the barns and partial lists are freed") \
	/* mm/slab_common.c */ \
	SP(kvfree_rcu_barrier_on_cache_flushed, "kvfree_rcu_barrier_on_cache (slab_common.c ~L2080)", \
	   "after flush_rcu_sheaves_on_cache() and cpus_read_unlock(), before rcu_barrier()") \
	SP(kvfree_rcu_barrier_on_cache_done, "kvfree_rcu_barrier_on_cache (slab_common.c ~L2090)", \
	   "after rcu_barrier(), before __kvfree_rcu_barrier()") \
	SP(kvfree_rcu_barrier_flushed, "kvfree_rcu_barrier (slab_common.c ~L2060)", \
	   "after flush_all_rcu_sheaves(), before the classic batches' barrier") \
	SP(destroy_after_kvfree_rcu_barrier, "kmem_cache_destroy (slab_common.c ~L520)", \
	   "after kvfree_rcu_barrier_on_cache(), before the deferred-free barrier") \
	SP(destroy_before_lock, "kmem_cache_destroy (slab_common.c ~L525)", \
	   "barriers done, before cpus_read_lock + slab_mutex") \
	SP(destroy_before_kasan_shutdown, "kmem_cache_destroy (slab_common.c ~L535)", \
	   "refcount dropped to 0 (locks held), before kasan_cache_shutdown()") \
	SP(destroy_before_shutdown, "kmem_cache_destroy (slab_common.c ~L538)", \
	   "after kasan_cache_shutdown(), before __kmem_cache_shutdown()") \
	SP(destroy_after_unlock, "kmem_cache_destroy (slab_common.c ~L550)", \
	   "cache unlisted, locks dropped, before the TYPESAFE_BY_RCU barrier and release") \
	/* prefilled sheaves, kmalloc_nolock */ \
	SP(prefill_unlocked, "kmem_cache_prefill_sheaf (slub.c ~L5200)", \
	   "after local_unlock, before allocating/refilling the sheaf to lend") \
	SP(return_sheaf_unlocked, "kmem_cache_return_sheaf (slub.c ~L5270)", \
	   "pcs unlocked, before handing the sheaf to the barn or flushing it") \
	SP(kmalloc_nolock_retry, "kmalloc_nolock_noprof (slub.c ~L5400)", \
	   "first attempt failed, before the retry with another size class")

#define SP_ENUM(name, func, where) SP_##name,
enum slab_sched_point {
	SLAB_SCHED_POINT_FIRST = NR_PLATFORM_SCHED_POINTS - 1,
	SLAB_SCHED_POINTS(SP_ENUM)
	SLAB_SCHED_POINT_END
};
#undef SP_ENUM
#define NR_SLAB_SCHED_POINTS	(SLAB_SCHED_POINT_END - NR_PLATFORM_SCHED_POINTS)

/* kmem_cache_init(): register the table (BUG unless the ids come out as above). */
void slab_sched_points_init(void);

#endif
