# The committed dictionary is what `slabtorture dict` writes (regenerate it with
# `slabtorture dict -o fuzz/fuzz_ops.dict`).
# cmake -DST=slabtorture -DDICT=fuzz/fuzz_ops.dict -DTMP=out.dict -P dict_check.cmake
execute_process(COMMAND ${ST} dict -o ${TMP} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "slabtorture dict failed (${rc}): ${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${TMP} ${DICT} RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "${DICT} is stale: run `slabtorture dict -o fuzz/fuzz_ops.dict`")
endif()
