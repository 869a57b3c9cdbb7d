# KASAN object histories in reports (included from tests/CMakeLists.txt): the seed bug's
# report, replayed by the CLI (which records histories), shows the object's path from its
# allocation through the rcu_free sheaf and the RCU callback into the quarantine after
# kasan_cache_shutdown(); --no-history prints none.
if(NOT TARGET slabtorture OR NOT SLAB_SEEDED_BUGS)
  return()
endif()
set(_hist_trace ${CMAKE_SOURCE_DIR}/corpus/regress/destroy_no_rcu_barrier.trace)
add_test(NAME history.destroy_no_rcu_barrier
         COMMAND $<TARGET_FILE:slabtorture> --bug destroy_no_rcu_barrier run ${_hist_trace})
# one regex over the whole output, in order: kfree_rcu into the rcu_free sheaf, the sheaf
# detached and call_rcu queued, kasan_cache_shutdown(), the callback, the quarantine after it
set_tests_properties(history.destroy_no_rcu_barrier PROPERTIES
  WILL_FAIL FALSE
  PASS_REGULAR_EXPRESSION "SLAB_LEAK in __kmem_cache_shutdown: Objects remaining[^\n]*\n(.*\n)*  history of [^\n]*\n(.*\n)*[^\n]*op 1 [^\n]*allocated from a percpu sheaf[^\n]*\n(.*\n)*[^\n]*op 2 [^\n]*kfree_rcu: into the rcu_free sheaf[^\n]*\n(.*\n)*[^\n]*rcu_free sheaf detached by a flush \\[flush_rcu_sheaf\\][^\n]*\n(.*\n)*[^\n]*call_rcu\\(rcu_free_sheaf_nobarn\\) queued[^\n]*\n(.*\n)*[^\n]*kasan_cache_shutdown\\(\\) drained the quarantine of its cache[^\n]*\n(.*\n)*[^\n]*RCU callback ran \\[rcu_free_sheaf_nobarn\\][^\n]*\n(.*\n)*[^\n]*quarantined after kasan_cache_shutdown\\(\\) \\[kasan_quarantine_put\\]")
# without history: the same report, no history lines
add_test(NAME history.no_history
         COMMAND $<TARGET_FILE:slabtorture> --bug destroy_no_rcu_barrier run --no-history ${_hist_trace})
set_tests_properties(history.no_history PROPERTIES
  PASS_REGULAR_EXPRESSION "SLAB_LEAK in __kmem_cache_shutdown"
  FAIL_REGULAR_EXPRESSION "history of")
