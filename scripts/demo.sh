#!/usr/bin/env bash
# Builds and runs one example (the README's demo command: bash scripts/demo.sh).
#   TFE_DEMO_TARGET  example to build and run (default: fashion_mnist_demo, from
#                    examples/fashion_mnist_demo.cpp: private prediction of Fashion-MNIST test images
#                    with the pre-trained models in models/); its binary is <build>/examples/<target>
#   TFE_BUILD_DIR    build directory (default: build, shared with scripts/test.sh)
#   extra arguments are passed to the example program.
# The program runs with the repository root as its working directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

# ccache keys on relative paths below the checkout, so a fresh clone elsewhere (CI) reuses the cache.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
export CCACHE_DEPEND="${CCACHE_DEPEND:-1}"  # the compiler's depfile, no extra preprocessor run (scripts/test.sh)

target="${TFE_DEMO_TARGET:-fashion_mnist_demo}"
build_dir="${TFE_BUILD_DIR:-build}"
configure_args=(-S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DTFE_BUILD_EXAMPLES=ON -DTFE_PROGRAM_OPT_FLAGS=)
if command -v ccache >/dev/null 2>&1; then
  configure_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

cmake "${configure_args[@]}"
cmake --build "$build_dir" -j 2 --target "$target"

exe="$build_dir/examples/$target"
if [[ ! -x "$exe" ]]; then
  echo "demo: $exe was not built (is there an examples/$target.cpp?)" >&2
  exit 1
fi
echo "demo: running $exe"
exec "$exe" "$@"
