#!/usr/bin/env bash
# Builds every benchmark binary (-O3 -march=native) in the test build directory: a compile check for
# CI (.ci/run runs it after the tests); scripts/bench.sh builds and runs them.
#   TFE_BUILD_DIR  build directory (default: build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
build_dir="${TFE_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DTFE_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build_dir" -j 2 --target tfe_benchmarks
