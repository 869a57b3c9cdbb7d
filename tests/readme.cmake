# README.md's generated parts are what their sources give (included from tests/CMakeLists.txt):
# the seeded bugs' time-to-detect table, from bench/results/ (scripts/seeded_table.py).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
  add_test(NAME readme.seeded_table.up_to_date
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/scripts/seeded_table.py --check)
else()
  message(WARNING "no python3: the test readme.seeded_table.up_to_date is not defined")
endif()
