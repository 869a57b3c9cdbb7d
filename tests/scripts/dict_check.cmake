# The committed dictionary of fuzz target TARGET is what `slabtorture --target TARGET dict`
# writes (regenerate it with `slabtorture --target TARGET dict -o fuzz/TARGET.dict`).
# cmake -DST=slabtorture -DTARGET=fuzz_ops -DDICT=fuzz/fuzz_ops.dict -DTMP=out.dict -P dict_check.cmake
execute_process(COMMAND ${ST} --target ${TARGET} dict -o ${TMP} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "slabtorture dict failed (${rc}): ${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${TMP} ${DICT} RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "${DICT} is stale: run `slabtorture --target ${TARGET} dict -o ${DICT}`")
endif()
