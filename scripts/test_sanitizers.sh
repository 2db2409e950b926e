#!/usr/bin/env bash
# Builds and runs tests under the sanitizers, with TFE_ASSERTs on (the release test build compiles the
# internal assertions out). CI runs both (.ci/run); each is one command for a developer too.
#   bash scripts/test_sanitizers.sh [asan|tsan|all] [ctest arguments, e.g. -R test_idx]
# asan: AddressSanitizer + UndefinedBehaviorSanitizer (CMakePresets.json: asan-ubsan) on the security,
#       file-reader, session, runner and channel tests (liveness and tampered frames too), and the ONNX
#       reader when it is built.
# tsan: ThreadSanitizer (preset tsan) on everything that runs players on threads: the in-memory and TCP
#       channels (reader and heartbeat threads, liveness), the runner, threads within a player, and the
#       simulated network, and tfe_serve with its clients (test_serve_processes).
# The whole suite does not fit CI's time under both sanitizers (a clean build of it takes ~25 minutes
# on 2 cores): these are the tests whose code paths are threads, sockets, untrusted bytes and limits.
# Both presets compile at -O1 -g1 (line tables for the reports; the sanitizers' instrumentation makes
# -O2 -g units 3-4 times as slow to compile as the release tests) without NDEBUG, so TFE_ASSERTs are on.
# The tests are built through one target (tfe_selected_tests), so that both cores compile.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
export CCACHE_DEPEND="${CCACHE_DEPEND:-1}"  # the compiler's depfile, no extra preprocessor run (scripts/test.sh)
which="all"
if [[ $# -gt 0 && ( "$1" == asan || "$1" == tsan || "$1" == all ) ]]; then which="$1"; shift; fi

run_preset() {  # preset, then the test names
  local preset="$1"; shift
  local tests=("$@")
  cmake --preset "$preset" -DTFE_BUILD_EXAMPLES=OFF -DTFE_BUILD_BENCHMARKS=OFF \
        -DTFE_SELECTED_TESTS="$(IFS=';'; echo "${tests[*]}")" >/dev/null
  if grep -q -- '^CMAKE_CXX_FLAGS_RELWITHDEBINFO:.*-DNDEBUG' "build/$preset/CMakeCache.txt"; then
    echo "test_sanitizers.sh: build/$preset defines NDEBUG, which turns the TFE_ASSERTs off (CMakePresets.json)" >&2
    exit 2
  fi
  cmake --build "build/$preset" -j 2 --target tfe_selected_tests
  local regex="^($(IFS='|'; echo "${tests[*]}"))\$"
  ctest --test-dir "build/$preset" --output-on-failure -j 2 -R "$regex" "${ctest_args[@]}"
}
ctest_args=("$@")

if [[ "$which" == asan || "$which" == all ]]; then
  tests=(test_io_security test_reveal_security test_runner test_protocol_contract test_aby3_security
         test_pond_security test_nn_io test_idx test_session test_securenn_costs test_channel test_tcp_channel
         test_tcp_liveness test_tampered_frames test_exact_truncation)
  cmake --preset asan-ubsan -DTFE_BUILD_EXAMPLES=OFF -DTFE_BUILD_BENCHMARKS=OFF >/dev/null
  # The ONNX reader (tfe::onnx) parses untrusted files too; it is built when ONNX and Protobuf are found.
  if grep -q '^TFE_HAVE_ONNX:INTERNAL=ON$' build/asan-ubsan/CMakeCache.txt; then tests+=(test_onnx_reader); fi
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_preset asan-ubsan "${tests[@]}"
fi
if [[ "$which" == tsan || "$which" == all ]]; then
  # halt_on_error: a data race fails the test (and so CI), it does not only print a report.
  tests=(test_channel test_tcp_channel test_tcp_liveness test_runner test_threads test_simulated_network)
  # Serving (programs/, built with tfe::onnx): the listener's event loop, the batch thread posting the
  # answers, concurrent clients, SIGTERM; its tfe_serve and tfe_client children inherit TSAN_OPTIONS.
  cmake --preset tsan -DTFE_BUILD_EXAMPLES=OFF -DTFE_BUILD_BENCHMARKS=OFF >/dev/null
  if grep -q '^TFE_HAVE_ONNX:INTERNAL=ON$' build/tsan/CMakeCache.txt; then tests+=(test_serve_processes); fi
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" run_preset tsan "${tests[@]}"
fi
