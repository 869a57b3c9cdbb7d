# Corpus replay and CLI behaviour, as ctest cases (included from tests/CMakeLists.txt).
if(NOT TARGET slabtorture OR NOT TARGET fuzz_ops_replay)
  return()
endif()
set(_st $<TARGET_FILE:slabtorture>)
set(_rc ${CMAKE_CURRENT_SOURCE_DIR}/scripts/expect_rc.cmake)
set(_corpus ${CMAKE_SOURCE_DIR}/corpus)

# Every regression trace with its expectation: bug off, and bug on for the bug it names.
file(GLOB _regress CONFIGURE_DEPENDS ${_corpus}/regress/*.trace)
foreach(t ${_regress})
  get_filename_component(name ${t} NAME_WE)
  add_test(NAME regress.${name} COMMAND ${_st} run --quiet --expect ${t})
  file(STRINGS ${t} _bug REGEX "^# bug: ")
  if(_bug AND SLAB_SEEDED_BUGS)
    string(REGEX REPLACE "^# bug: *" "" _bug "${_bug}")
    add_test(NAME regress.${name}.with_bug COMMAND ${_st} --bug ${_bug} run --quiet --expect ${t})
    # the minimiser survives what the bug does to the allocator, in every build
    add_test(NAME regress.${name}.minimize_with_bug
             COMMAND ${CMAKE_COMMAND} -DST=${_st} -DBUG=${_bug} -DIN=${t}
                     -DOUT=${CMAKE_CURRENT_BINARY_DIR}/min_${name}.trace -DMAX=30
                     -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/minimize_check.cmake)
  endif()
  # the same trace three times must give the same outcome
  add_test(NAME regress.${name}.repeat COMMAND ${_st} run --quiet --repeat 3 --expect ${t})
endforeach()

# the generated many-reports traces match their generator
add_test(NAME regress.generated_up_to_date
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scripts/gen_many_reports.sh --check)

# Seeds and clean regression traces through the fuzz target's own path.
add_test(NAME seeds.replay COMMAND fuzz_ops_replay ${_corpus}/seeds/fuzz_ops)
add_test(NAME regress.replay COMMAND fuzz_ops_replay ${_corpus}/regress)
# An input's path must not depend on what ran before it in the process, or a crash file
# would not replay what the fuzzer saw: every input forwards, then backwards, in one process.
foreach(_target fuzz_ops fuzz_sched)
  if(TARGET ${_target}_replay)
    add_test(NAME determinism.${_target}
             COMMAND ${_target}_replay --check-determinism ${_corpus}/seeds/${_target}
                     ${_corpus}/regress ${_corpus}/grown/${_target})
  endif()
endforeach()
add_test(NAME seeds.up_to_date
         COMMAND ${CMAKE_SOURCE_DIR}/scripts/gen_seeds.sh --check ${_st})
foreach(_target fuzz_ops fuzz_sched)
  add_test(NAME dict.${_target}.up_to_date
           COMMAND ${CMAKE_COMMAND} -DST=${_st} -DTARGET=${_target}
                   -DDICT=${CMAKE_SOURCE_DIR}/fuzz/${_target}.dict
                   -DTMP=${CMAKE_CURRENT_BINARY_DIR}/${_target}.dict
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/dict_check.cmake)
endforeach()
file(GLOB _seed_src CONFIGURE_DEPENDS ${_corpus}/seed-src/fuzz_ops/*.trace)
foreach(t ${_seed_src})
  get_filename_component(name ${t} NAME_WE)
  add_test(NAME seeds.${name} COMMAND ${_st} run --quiet ${t})
endforeach()

# CLI: exit codes 0 / 1 / 2, help, errors.
macro(cli_test name rc regex)
  add_test(NAME cli.${name} COMMAND ${CMAKE_COMMAND} "-DCMD=${ARGN}" -DRC=${rc}
           "-DREGEX=${regex}" -P ${_rc})
endmacro()
cli_test(help 0 "usage: slabtorture" ${_st} --help)
cli_test(run_help 0 "usage: slabtorture run" ${_st} run --help)
cli_test(decode_help 0 "usage: slabtorture decode" ${_st} decode --help)
cli_test(encode_help 0 "usage: slabtorture encode" ${_st} encode --help)
cli_test(minimize_help 0 "usage: slabtorture minimize" ${_st} minimize --help)
cli_test(help_run 0 "--expect" ${_st} help run)
cli_test(dict_help 0 "usage: slabtorture dict" ${_st} dict --help)
cli_test(help_dict 0 "usage: slabtorture dict" ${_st} help dict)
cli_test(dict_stdout 0 "kfree_nolock=" ${_st} dict)
cli_test(dict_bad_arg 2 "unexpected argument" ${_st} dict extra)
cli_test(no_command 2 "a COMMAND is needed" ${_st})
cli_test(bad_command 2 "unknown command" ${_st} frobnicate)
cli_test(bad_flag 2 "unknown option" ${_st} --frob run x)
cli_test(run_bad_flag 2 "unknown option" ${_st} run --frob x)
cli_test(run_no_file 2 "needs a FILE" ${_st} run)
cli_test(missing_file 2 "No such file" ${_st} run ${_corpus}/does-not-exist.trace)
cli_test(parse_error 2 "bad_op.trace:3:6: unknown op" ${_st} run ${CMAKE_CURRENT_SOURCE_DIR}/data/bad_op.trace)
cli_test(clean 0 "clean" ${_st} run ${_corpus}/regress/double_free.trace)
# The form comes from the name and the flags, never from the bytes.
cli_test(crlf_latin1 0 "expectation met" ${_st} run --expect ${CMAKE_CURRENT_SOURCE_DIR}/data/crlf_latin1.trace)
cli_test(cr_only 0 "expectation met" ${_st} run --expect ${CMAKE_CURRENT_SOURCE_DIR}/data/cr_only.trace)
cli_test(text_not_named_trace_is_bytes 0 "text_named_crash: clean"
         ${_st} run ${CMAKE_CURRENT_SOURCE_DIR}/data/text_named_crash)
cli_test(text_forced 0 "0. cpu0 create size=64 -> c0"
         ${_st} --trace run --text ${CMAKE_CURRENT_SOURCE_DIR}/data/text_named_crash)
cli_test(binary_forced 0 "clean" ${_st} run --binary ${CMAKE_CURRENT_SOURCE_DIR}/data/crlf_latin1.trace)
cli_test(trace_parse_error_is_not_bytes 2 "bad_op.trace:3:6: unknown op"
         ${_st} run ${CMAKE_CURRENT_SOURCE_DIR}/data/bad_op.trace)
cli_test(directory 2 "is a directory" ${_st} run ${CMAKE_CURRENT_SOURCE_DIR}/data)
cli_test(directory_trace 2 "is a directory" ${_st} run --text ${CMAKE_CURRENT_SOURCE_DIR}/data)
add_test(NAME cli.long_text_trace
         COMMAND ${CMAKE_COMMAND} -DST=${_st} -DTMP=${CMAKE_CURRENT_BINARY_DIR}/long_trace
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/long_trace.cmake)
add_test(NAME cli.input_size_limit
         COMMAND ${CMAKE_COMMAND} -DST=${_st} -DTMP=${CMAKE_CURRENT_BINARY_DIR}/input_size
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/input_size.cmake)
cli_test(bugs 0 "destroy_no_rcu_barrier" ${_st} bugs)
if(SLAB_SEEDED_BUGS)
  cli_test(unknown_bug 2 "known bugs:.*destroy_no_rcu_barrier" ${_st} --bug no_such_bug run x)
  cli_test(report_exit_1 1 "SLAB_LEAK in __kmem_cache_shutdown.*at op 3"
           ${_st} --bug destroy_no_rcu_barrier run ${_corpus}/regress/destroy_no_rcu_barrier.trace)
  cli_test(trace 1 "2. cpu0 kfree_rcu o0"
           ${_st} --trace --bug destroy_no_rcu_barrier run ${_corpus}/regress/destroy_no_rcu_barrier.trace)
  add_test(NAME cli.minimize_keeps_signature
           COMMAND ${CMAKE_COMMAND} -DST=${_st} -DBUG=destroy_no_rcu_barrier
                   -DIN=${_corpus}/seed-src/fuzz_ops/kfree_rcu_destroy.trace
                   -DOUT=${CMAKE_CURRENT_BINARY_DIR}/min_kfree_rcu.trace
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/minimize_check.cmake)
endif()
add_test(NAME cli.encode_decode_round_trip
         COMMAND ${CMAKE_COMMAND} -DST=${_st} -DIN=${_corpus}/seed-src/fuzz_ops/hotplug_numa.trace
                 -DTMP=${CMAKE_CURRENT_BINARY_DIR}/rt
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/round_trip.cmake)
