# Real-thread stress runs (tests/CMakeLists.txt includes every tests/*.cmake): a clean run
# of the correct allocator (20 s under the sanitizers, 5 s otherwise), one with the machine
# shape drawn from the seed, the flag checks and, where seeded bugs are compiled in,
# bounded detection runs for the bugs that need real concurrency and a check that a
# detecting run writes a failure trace slabtorture replays.
if(TARGET slab-stress)
  if(SLAB_SANITIZE)
    set(_stress_secs 20)
  else()
    set(_stress_secs 5)
  endif()
  set(_stress_out ${CMAKE_CURRENT_BINARY_DIR}/stress-out)
  add_test(NAME stress.short_clean
           COMMAND slab-stress --seconds ${_stress_secs} --threads 4 --cpus 4 --hotplug-ms 10 --seed 1
                   --out ${_stress_out})
  # nodes, memoryless nodes and CPUs drawn from the seed
  add_test(NAME stress.short_clean_shape
           COMMAND slab-stress --seconds ${_stress_secs} --seed 7 --out ${_stress_out})
  # memory pressure swinging around the watermarks, a reclaiming worker
  add_test(NAME stress.short_clean_pressure
           COMMAND slab-stress --seconds ${_stress_secs} --threads 4 --cpus 4 --hotplug-ms 10 --seed 3
                   --pressure-ms 5 --out ${_stress_out})
  # out-of-range, negative, non-numeric, overflowing and empty values: exit 2
  add_test(NAME stress.bad_flags
           COMMAND sh -c "for a in '--seconds -1' '--seconds 0' '--seconds x' '--seconds 99999999999999999999' '--threads 0' '--cpus 9' '--nodes 0' '--nodes 1 --memoryless 0x1' '--validate-ms -5' '--hotplug-ms 1e3' '--bug=' '--pages 8' '--pages 20000' '--pages 64 --min-free 17' '--pressure-ms 5 --min-free 0' '--threads 2 --reclaimers 3' '--pressure-ms -1'; do $<TARGET_FILE:slab-stress> $a >/dev/null 2>&1; rc=$?; [ $rc -eq 2 ] || { echo \"$a: exit $rc, want 2\"; exit 1; }; done")
  set_tests_properties(stress.short_clean stress.short_clean_shape stress.short_clean_pressure
                       stress.bad_flags PROPERTIES
                       TIMEOUT 180)

  if(SLAB_SEEDED_BUGS)
    set(_detect ${CMAKE_CURRENT_SOURCE_DIR}/stress_detect.sh $<TARGET_FILE:slab-stress>)
    add_test(NAME stress.detects_destroy_no_rcu_barrier
             COMMAND ${_detect} destroy_no_rcu_barrier "SLAB_LEAK in kmem_cache_destroy" 3 5)
    # the detecting run's failure.trace: `slabtorture --bug B run` fails it (1, not 2)
    add_test(NAME stress.failure_trace_replays
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stress_detect.sh --trace $<TARGET_FILE:slab-stress>
                     destroy_no_rcu_barrier "SLAB_LEAK in" 5 5)
    # a reclaimer's refill of a returned sheaf fills the barn from the reserves
    add_test(NAME stress.detects_return_sheaf_refill_reserves
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stress_detect.sh --pressure-ms 5 $<TARGET_FILE:slab-stress>
                     return_sheaf_refill_reserves "MODEL_PFMEMALLOC in" 3 5)
    set(_detect_tests stress.detects_destroy_no_rcu_barrier stress.failure_trace_replays
                      stress.detects_return_sheaf_refill_reserves)
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
