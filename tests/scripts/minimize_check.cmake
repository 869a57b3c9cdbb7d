# With seeded bug BUG on, IN minimises to at most MAX ops (default 10) with the same
# signature, the result replays to that signature, and without the bug it is clean (the
# minimiser records both). The minimiser reruns the failing program hundreds of times in
# count mode, so under ASan this also checks that nothing reads what a report said is gone.
# cmake -DST=slabtorture -DBUG=name -DIN=trace -DOUT=file [-DMAX=n] -P minimize_check.cmake
if(NOT DEFINED MAX)
  set(MAX 10)
endif()
execute_process(COMMAND ${ST} --bug ${BUG} minimize ${IN} -o ${OUT} RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "minimize failed (${rc}): ${err}")
endif()
file(STRINGS ${OUT} ops REGEX "^cpu")
list(LENGTH ops n)
if(n GREATER MAX)
  message(FATAL_ERROR "minimised trace has ${n} ops, more than ${MAX}")
endif()
execute_process(COMMAND ${ST} --bug ${BUG} run --quiet --expect ${OUT} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "minimised trace does not replay its expectation with the bug: ${out}")
endif()
execute_process(COMMAND ${ST} run --quiet --expect ${OUT} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "minimised trace does not meet its expectation without the bug: ${out}")
endif()
