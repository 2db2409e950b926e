#!/usr/bin/env bash
# Builds and runs the security, file-reader, session and runner tests under AddressSanitizer and
# UndefinedBehaviorSanitizer with TFE_ASSERTs on (CMakePresets.json: asan-ubsan): the release test
# build compiles the internal assertions out. CI runs it (.ci/run).
#   extra arguments go to ctest, e.g. -R test_idx
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
tests=(test_io_security test_reveal_security test_runner test_protocol_contract test_aby3_security
       test_pond_security test_nn_io test_idx test_session test_securenn_costs)
cmake --preset asan-ubsan -DTFE_BUILD_EXAMPLES=OFF -DTFE_BUILD_BENCHMARKS=OFF >/dev/null
# The ONNX reader (tfe::onnx) parses untrusted files too; it is built when ONNX and Protobuf are found.
if grep -q '^TFE_HAVE_ONNX:INTERNAL=ON$' build/asan-ubsan/CMakeCache.txt; then
  tests+=(test_onnx_reader)
fi
cmake --build build/asan-ubsan -j 2 --target "${tests[@]}"
regex="^($(IFS='|'; echo "${tests[*]}"))\$"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/asan-ubsan --output-on-failure -j 2 -R "$regex" "$@"
