# cmake -P script behind the ctest test `consumer_package`:
#   1. cmake --install the tfe build tree into <work>/prefix,
#   2. configure + build tests/consumer against it (-DCMAKE_PREFIX_PATH=<work>/prefix),
#   3. run the consumer program.
# Any failing step fails the test. Inputs (-D...): TFE_BINARY_DIR, TFE_CONSUMER_SOURCE_DIR,
# TFE_WORK_DIR, and optionally TFE_CONFIG, TFE_GENERATOR, TFE_CXX_COMPILER, TFE_CXX_COMPILER_LAUNCHER,
# TFE_CONSUMER_ONNX (ON: also find the onnx component, build and run consumer_onnx).
cmake_minimum_required(VERSION 3.25)

foreach(var TFE_BINARY_DIR TFE_CONSUMER_SOURCE_DIR TFE_WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "consumer_package: ${var} is not set")
  endif()
endforeach()
if(NOT TFE_CONFIG)
  set(TFE_CONFIG Release)
endif()

set(prefix "${TFE_WORK_DIR}/prefix")
set(build "${TFE_WORK_DIR}/build")
file(REMOVE_RECURSE "${TFE_WORK_DIR}")
file(MAKE_DIRECTORY "${TFE_WORK_DIR}")

function(run_step name)
  message(STATUS "consumer_package: ${name}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc COMMAND_ECHO NONE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer_package: step '${name}' failed (${rc})")
  endif()
endfunction()

run_step(install
  "${CMAKE_COMMAND}" --install "${TFE_BINARY_DIR}" --prefix "${prefix}" --config "${TFE_CONFIG}")

set(configure_args
  -S "${TFE_CONSUMER_SOURCE_DIR}" -B "${build}"
  "-DCMAKE_PREFIX_PATH=${prefix}"
  "-DCMAKE_BUILD_TYPE=${TFE_CONFIG}"
  # Only the freshly installed package may satisfy find_package(tfe).
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(TFE_GENERATOR)
  list(APPEND configure_args -G "${TFE_GENERATOR}")
endif()
if(TFE_CXX_COMPILER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${TFE_CXX_COMPILER}")
endif()
if(TFE_CXX_COMPILER_LAUNCHER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER_LAUNCHER=${TFE_CXX_COMPILER_LAUNCHER}")
endif()
if(TFE_CONSUMER_ONNX)
  list(APPEND configure_args -DTFE_CONSUMER_ONNX=ON)
endif()
run_step(configure "${CMAKE_COMMAND}" ${configure_args})

# The consumer must have found tfe in the scratch prefix, not somewhere else.
file(STRINGS "${build}/CMakeCache.txt" tfe_dir_line REGEX "^tfe_DIR:")
string(REGEX REPLACE "^tfe_DIR:[A-Z]+=" "" tfe_dir "${tfe_dir_line}")
file(REAL_PATH "${prefix}" real_prefix)
if(EXISTS "${tfe_dir}")
  file(REAL_PATH "${tfe_dir}" tfe_dir)
endif()
string(FIND "${tfe_dir}" "${real_prefix}/" pos)
if(NOT pos EQUAL 0)
  message(FATAL_ERROR "consumer_package: tfe was found at '${tfe_dir}', not under '${real_prefix}'")
endif()

run_step(build "${CMAKE_COMMAND}" --build "${build}" --config "${TFE_CONFIG}")

set(exe "${build}/consumer")
if(NOT EXISTS "${exe}" AND EXISTS "${build}/${TFE_CONFIG}/consumer")
  set(exe "${build}/${TFE_CONFIG}/consumer")
endif()
run_step(run "${exe}")
if(TFE_CONSUMER_ONNX)
  run_step(run_onnx "${build}/consumer_onnx")
endif()
message(STATUS "consumer_package: OK")
