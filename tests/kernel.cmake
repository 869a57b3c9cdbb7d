# The short form of `make kernel-tests` (docs/kernel-tests.md): the kernel's own xarray test
# suite (tools/testing/radix-tree, Linux 6.12 from Debian's linux-source-6.12) built on the
# reference allocator with ASan + UBSan, our oracles at exit. It builds in build/kernel-asan/
# with gcc (the suites' compiler), whatever this preset is, so it runs in one preset only:
# asan. Exit 77 (ctest: Skipped, printed in the summary) when the kernel sources cannot be
# installed; any other failure is a failure.
if(SLAB_SANITIZE MATCHES "address" AND SLAB_SEEDED_BUGS AND HAVE_URCU)
  add_test(NAME kernel.xarray_short
           COMMAND ${CMAKE_SOURCE_DIR}/scripts/kernel-tests.sh --short)
  set_tests_properties(kernel.xarray_short PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77
                       RUN_SERIAL TRUE)
endif()
