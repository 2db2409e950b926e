#!/usr/bin/env bash
# Compiles every public header of include/tfe on its own (target tfe_header_check): a header that
# uses something it does not include fails here. CI runs it (.ci/run).
#   TFE_BUILD_DIR  build directory (default: build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
export CCACHE_DEPEND="${CCACHE_DEPEND:-1}"  # the compiler's depfile, no extra preprocessor run (scripts/test.sh)
build_dir="${TFE_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DTFE_CHECK_HEADERS=ON >/dev/null
cmake --build "$build_dir" -j 2 --target tfe_header_check
