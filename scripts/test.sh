#!/usr/bin/env bash
# Builds tfe and runs the whole test suite (the README's test command: bash scripts/test.sh).
#   TFE_BUILD_DIR  build directory (default: build)
#   extra arguments are passed to ctest, e.g.: bash scripts/test.sh -R test_ring
# ccache (when installed) keeps its default, repository-independent cache dir (~/.cache/ccache).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

# ccache keys on relative paths below the checkout, so a fresh clone elsewhere (CI) reuses the cache.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1

build_dir="${TFE_BUILD_DIR:-build}"
configure_args=(-S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DTFE_BUILD_TESTS=ON)
have_ccache=0
if command -v ccache >/dev/null 2>&1; then
  have_ccache=1
  configure_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

cmake "${configure_args[@]}"
cmake --build "$build_dir" -j 2
rc=0
ctest --test-dir "$build_dir" --output-on-failure -j 2 "$@" || rc=$?

if [[ $have_ccache -eq 1 ]]; then
  ccache -s || true
fi
exit "$rc"
