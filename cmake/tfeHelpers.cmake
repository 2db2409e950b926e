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

# tfe_add_programs(<glob-pattern> [NATIVE] [OUT_VAR <var>]): one executable per matching .cpp,
# named after the file stem, linked with tfe::tfe and warning flags. OUT_VAR receives the targets.
function(tfe_add_programs pattern)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NATIVE" "OUT_VAR" "LINK")
  file(GLOB _sources CONFIGURE_DEPENDS "${pattern}")
  list(SORT _sources)
  set(_targets)
  foreach(_src IN LISTS _sources)
    get_filename_component(_stem "${_src}" NAME_WE)
    add_executable(${_stem} "${_src}")
    target_link_libraries(${_stem} PRIVATE tfe::tfe ${arg_LINK})
    tfe_set_warnings(${_stem})
    if(arg_NATIVE)
      tfe_set_native(${_stem})
    endif()
    list(APPEND _targets ${_stem})
  endforeach()
  if(arg_OUT_VAR)
    set(${arg_OUT_VAR} "${_targets}" PARENT_SCOPE)
  endif()
endfunction()
