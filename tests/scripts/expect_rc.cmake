# Run CMD (a ;-list) and require exit code RC and, if given, output matching REGEX.
# cmake -DCMD="a;b" -DRC=2 [-DREGEX=...] -P expect_rc.cmake
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc STREQUAL "${RC}")
  message(FATAL_ERROR "exit code ${rc}, expected ${RC}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(DEFINED REGEX AND NOT "${out}${err}" MATCHES "${REGEX}")
  message(FATAL_ERROR "output does not match `${REGEX}`\nstdout:\n${out}\nstderr:\n${err}")
endif()
