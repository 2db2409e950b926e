# Helpers for tfe's own targets (tests, examples, benchmarks). Never applied to tfe::tfe itself.
include_guard(GLOBAL)

# tfe_set_warnings(<target>): -Wall -Wextra -Wpedantic, plus -Werror when TFE_WARNINGS_AS_ERRORS.
function(tfe_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    if(TFE_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
    # GCC 12 false positive (GCC PR105651): -Wrestrict fires inside libstdc++'s
    # std::string::insert when inlined at -O2/-O3, e.g. from xtensor's operator<< (xio.hpp).
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU"
       AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
       AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      target_compile_options(${target} PRIVATE -Wno-restrict)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4)
    if(TFE_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  endif()
endfunction()

# tfe_set_native(<target>): -O3 -march=native when TFE_NATIVE (benchmarks only).
function(tfe_set_native target)
  if(TFE_NATIVE AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -O3 -march=native)
  endif()
endfunction()

# tfe_link_ring_kernels(<target>): links tfe_ring_kernels (the matmul kernel compiled once, with its
# definition TFE_COMPILED_RING_KERNELS) when TFE_COMPILED_RING_KERNELS built it; a target and the
# precompiled header it reuses must agree.
function(tfe_link_ring_kernels target)
  if(TARGET tfe_ring_kernels)
    target_link_libraries(${target} PRIVATE tfe_ring_kernels)
  endif()
endfunction()

# _tfe_program_setup(<target> <native> <opt-flags>...): what tfe's programs and their precompiled
# headers share (the flags must match for REUSE_FROM): tfe::tfe and `link` (and tfe_ring_kernels when
# built, unless `native`), warnings, -O3 -march=native when `native`, then the extra optimization flags.
function(_tfe_program_setup target native link opt_flags)
  target_link_libraries(${target} PRIVATE tfe::tfe ${link})
  if(NOT native)  # never with -march=native
    tfe_link_ring_kernels(${target})
  endif()
  tfe_set_warnings(${target})
  if(native)
    tfe_set_native(${target})
  endif()
  if(opt_flags)
    target_compile_options(${target} PRIVATE ${opt_flags})
  endif()
endfunction()

# tfe_add_pch(<target> <headers>...): an object library <target> that only precompiles `headers`
# (tfe.hpp and friends take about 5 s to parse in every unit); targets built with the same flags
# reuse it with target_precompile_headers(<t> REUSE_FROM <target>). Off with TFE_PCH=OFF.
function(tfe_add_pch target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NATIVE" "OPT_FLAGS" "LINK;HEADERS")
  set(_src "${CMAKE_CURRENT_BINARY_DIR}/${target}.cpp")
  if(NOT EXISTS "${_src}")
    file(WRITE "${_src}" "// precompiled headers only (tfe_add_pch)\n")
  endif()
  add_library(${target} OBJECT "${_src}")
  _tfe_program_setup(${target} "${arg_NATIVE}" "${arg_LINK}" "${arg_OPT_FLAGS}")
  target_precompile_headers(${target} PRIVATE ${arg_HEADERS})
endfunction()

# tfe_reuse_program_pch(<target>...): programs compiled with TFE_PROGRAM_OPT_FLAGS reuse the examples'
# precompiled header (tfe.hpp, keras.hpp, the runtime and CLI11, tfe_example_pch: the same flags) when
# the examples are built: about 3 s of parsing less per unit (Clang -O0).
function(tfe_reuse_program_pch)
  if(TFE_PCH AND TARGET tfe_example_pch)
    foreach(_target IN LISTS ARGN)
      target_precompile_headers(${_target} REUSE_FROM tfe_example_pch)
    endforeach()
  endif()
endfunction()

# tfe_test_costs(<test> <seconds> ...): the longest tests' seconds in a clean run of scripts/test.sh
# (ctest's COST), for the tests of the calling directory that exist. ctest starts the costliest first;
# a fresh clone (CI) has no Testing/Temporary/CTestCostData.txt, and without these it would start them
# in declaration order, the programs' and examples' long tests last, one of them alone at the end.
function(tfe_test_costs)
  set(_args ${ARGN})
  while(_args)
    list(POP_FRONT _args _test _seconds)
    if(TEST ${_test})
      set_tests_properties(${_test} PROPERTIES COST ${_seconds})
    endif()
  endwhile()
endfunction()

# tfe_shared_headers(<target> <headers>...): the units of one multi-unit target (the graph kernels, the
# graph runner, the serving models, the Python module) parse tfe's headers once. With TFE_UNITY_BUILD:
# all of them compiled as one unit (they also share most template instantiations: 3-4 times less
# compile time); else a precompiled header of `headers` (clang -O0: 3.6 s for the header, 2.1 s saved
# per unit; off with TFE_PCH=OFF).
function(tfe_shared_headers target)
  if(TFE_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_MODE BATCH UNITY_BUILD_BATCH_SIZE 0)
  elseif(TFE_PCH AND ARGN)
    target_precompile_headers(${target} PRIVATE ${ARGN})
  endif()
endfunction()

# tfe_add_programs(<glob-pattern> [NATIVE] [OUT_VAR <var>] [OPT_FLAGS <flags>] [PCH <pch-target>]):
# one executable per matching .cpp, named after the file stem, linked with tfe::tfe and warning
# flags. OUT_VAR receives the targets. OPT_FLAGS are added after the build type's (e.g. -O1 for
# the test build); PCH names a tfe_add_pch target made with the same flags.
function(tfe_add_programs pattern)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NATIVE" "OUT_VAR;PCH;OPT_FLAGS" "LINK")
  file(GLOB _sources CONFIGURE_DEPENDS "${pattern}")
  list(SORT _sources)
  set(_targets)
  foreach(_src IN LISTS _sources)
    get_filename_component(_stem "${_src}" NAME_WE)
    add_executable(${_stem} "${_src}")
    _tfe_program_setup(${_stem} "${arg_NATIVE}" "${arg_LINK}" "${arg_OPT_FLAGS}")
    if(arg_PCH AND TFE_PCH)
      target_precompile_headers(${_stem} REUSE_FROM ${arg_PCH})
    endif()
    list(APPEND _targets ${_stem})
  endforeach()
  if(arg_OUT_VAR)
    set(${arg_OUT_VAR} "${_targets}" PARENT_SCOPE)
  endif()
endfunction()
