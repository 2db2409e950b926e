#!/usr/bin/env bash
# Builds every benchmark binary in the test build directory: a compile check for CI (.ci/run runs it
# after the tests, and a smoke run of bench_large_models). At -O1 (TFE_BENCHMARK_OPT_FLAGS, the test
# build's flags: the examples' precompiled header serves them too), which compiles in about half the
# time of -O3 -march=native; figures come from scripts/bench.sh, which builds -O3 binaries of its own.
#   TFE_BENCHMARK_OPT_FLAGS  their optimization flags (default -O1; empty: -O3 -march=native)
#   TFE_BUILD_DIR  build directory (default: build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
export CCACHE_DEPEND="${CCACHE_DEPEND:-1}"  # the compiler's depfile, no extra preprocessor run (scripts/test.sh)
build_dir="${TFE_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DTFE_BUILD_BENCHMARKS=ON -DTFE_BENCHMARK_OPT_FLAGS="${TFE_BENCHMARK_OPT_FLAGS--O1}" >/dev/null
cmake --build "$build_dir" -j 2 --target tfe_benchmarks
