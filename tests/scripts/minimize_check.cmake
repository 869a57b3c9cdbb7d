# With the seed bug on, a seed that hits it minimises to <= 10 ops with the same signature,
# and the result replays to that signature.
execute_process(COMMAND ${ST} --bug destroy_no_rcu_barrier minimize ${IN} -o ${OUT} RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "minimize failed (${rc}): ${err}")
endif()
file(STRINGS ${OUT} ops REGEX "^cpu")
list(LENGTH ops n)
if(n GREATER 10)
  message(FATAL_ERROR "minimised trace has ${n} ops")
endif()
execute_process(COMMAND ${ST} --bug destroy_no_rcu_barrier run --quiet --expect ${OUT} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "minimised trace does not replay its expectation: ${out}")
endif()
