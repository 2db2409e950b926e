#!/usr/bin/env bash
# Builds tfe and runs the whole test suite (the README's test command: bash scripts/test.sh).
#   TFE_BUILD_DIR  build directory (default: build)
#   extra arguments are passed to ctest, e.g.: bash scripts/test.sh -R test_ring
# ccache (when installed) keeps its default, repository-independent cache dir (~/.cache/ccache).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

# ccache keys on relative paths below the checkout, so a fresh clone elsewhere (CI) reuses the cache;
# the sloppiness lets it cache units built with the precompiled headers (TFE_PCH).
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
# Depend mode: ccache takes the headers from the compiler's depfile (-MD, which CMake passes) instead of
# running the preprocessor once more to hash the unit: 0.68 s less per compiled unit on a cache miss
# (an example at -O0: 6.20 -> 5.57 s; the unit alone 5.52 s).
export CCACHE_DEPEND="${CCACHE_DEPEND:-1}"

build_dir="${TFE_BUILD_DIR:-build}"
# What the tests need: the tests, examples and programs (they run as ctest tests, on small inputs).
# The benchmarks are not tests: .ci/run builds them after the tests (scripts/build_benchmarks.sh).
# Compiler and optimization (docs/building.md, "How the build is arranged"): Clang 16 at -O0 compiles
# tfe's template-heavy units in less than half of GCC's -O1 time; the matmul kernel, where the graph
# tests spent much of their time, is compiled once, optimized (TFE_COMPILED_RING_KERNELS). Without
# clang++-16, or with TFE_TEST_CXX set to another compiler: that one (or CMake's default), at -O1. GCC
# stays covered: the sanitizer builds of .ci/run use it.
test_cxx="${TFE_TEST_CXX:-clang++-16}"
opt=-O1
compiler_args=()
if command -v "$test_cxx" >/dev/null 2>&1; then
  compiler_args=(-DCMAKE_CXX_COMPILER="$test_cxx")
  if [[ "$test_cxx" == clang* ]]; then
    opt=-O0
    compiler_args+=(-DTFE_COMPILED_RING_KERNELS=ON)
  fi
fi
opt_args=("${compiler_args[@]}" -DTFE_TEST_OPT_FLAGS="$opt" -DTFE_PROGRAM_OPT_FLAGS="$opt")
# One unit per multi-unit library and per test theme (TFE_UNITY_BUILD, docs/building.md).
configure_args=(-S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DTFE_BUILD_TESTS=ON -DTFE_BUILD_EXAMPLES=ON
                -DTFE_BUILD_BENCHMARKS=OFF -DTFE_UNITY_BUILD=ON "${opt_args[@]}")
have_ccache=0
if command -v ccache >/dev/null 2>&1; then
  have_ccache=1
  configure_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

cmake "${configure_args[@]}"
cmake --build "$build_dir" -j 2
# The tests labelled "waits" (tests/CMakeLists.txt: timeouts, players killed or stopped, liveness; a
# tenth of a core each) run in a second ctest beside the others, which keep both cores busy; its output
# follows the first's.
rc=0
waits_log="$build_dir/ctest-waits.log"
ctest --test-dir "$build_dir" --output-on-failure -L waits -j 8 "$@" > "$waits_log" 2>&1 &
waits_pid=$!
ctest --test-dir "$build_dir" --output-on-failure -LE waits -j 2 "$@" || rc=$?
waits_rc=0
wait "$waits_pid" || waits_rc=$?
echo "---- the tests labelled waits (run beside the others) ----"
cat "$waits_log"
if [[ $rc -eq 0 ]]; then rc=$waits_rc; fi

if [[ $have_ccache -eq 1 ]]; then
  ccache -s || true
fi
exit "$rc"
