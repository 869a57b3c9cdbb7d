# Short real-thread stress run (tests/CMakeLists.txt includes every tests/*.cmake).
if(TARGET slab-stress)
  set(_stress_env "")
  if(EXISTS ${CMAKE_SOURCE_DIR}/sanitizers/tsan.supp)
    set(_stress_env "TSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/sanitizers/tsan.supp")
  endif()
  add_test(NAME stress.short_clean
           COMMAND slab-stress --seconds 5 --threads 4 --cpus 4 --hotplug-ms 10 --seed 1)
  set_tests_properties(stress.short_clean PROPERTIES TIMEOUT 120 ENVIRONMENT "${_stress_env}")
endif()
