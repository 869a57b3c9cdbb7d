# Real-thread stress runs (tests/CMakeLists.txt includes every tests/*.cmake): a clean run
# of the correct allocator (20 s under the sanitizers, 5 s otherwise) and, where seeded
# bugs are compiled in, bounded detection runs for the bugs that need real concurrency.
if(TARGET slab-stress)
  if(SLAB_SANITIZE)
    set(_stress_secs 20)
  else()
    set(_stress_secs 5)
  endif()
  add_test(NAME stress.short_clean
           COMMAND slab-stress --seconds ${_stress_secs} --threads 4 --cpus 4 --hotplug-ms 10 --seed 1)
  set_tests_properties(stress.short_clean PROPERTIES TIMEOUT 180)

  if(SLAB_SEEDED_BUGS)
    set(_detect ${CMAKE_CURRENT_SOURCE_DIR}/stress_detect.sh $<TARGET_FILE:slab-stress>)
    add_test(NAME stress.detects_destroy_no_rcu_barrier
             COMMAND ${_detect} destroy_no_rcu_barrier "SLAB_LEAK in kmem_cache_destroy" 3 5)
    set(_detect_tests stress.detects_destroy_no_rcu_barrier)
    if(SLAB_LOCKDEP)
      add_test(NAME stress.detects_flush_rcu_no_cpus_lock
               COMMAND ${_detect} flush_rcu_no_cpus_lock "LOCK_NOT_HELD in lockdep_assert_cpus_held" 3 5)
      add_test(NAME stress.detects_free_no_list_lock
               COMMAND ${_detect} free_no_list_lock "LOCK_NOT_HELD in" 3 5)
      list(APPEND _detect_tests stress.detects_flush_rcu_no_cpus_lock stress.detects_free_no_list_lock)
    endif()
    set_tests_properties(${_detect_tests} PROPERTIES TIMEOUT 180)
  endif()
endif()
