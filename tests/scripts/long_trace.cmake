# A text trace of 100,002 ops (1.6 MB, past the 1 MiB fuzzer-input limit) runs clean: text
# traces have no length limit. cmake -DST=slabtorture -DTMP=dir -P long_trace.cmake
file(MAKE_DIRECTORY ${TMP})
string(REPEAT "cpu0 alloc c0 -> o0\ncpu1 free o0\n" 50000 _ops)
file(WRITE ${TMP}/long.trace "machine cpus=2\ncpu0 create size=64 -> c0\n${_ops}cpu0 destroy c0\n")
execute_process(COMMAND ${ST} run --quiet ${TMP}/long.trace RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "clean \\(100002 ops\\)")
  message(FATAL_ERROR "long trace: exit ${rc}\n${out}${err}")
endif()
