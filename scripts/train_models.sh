#!/usr/bin/env bash
# Re-trains the pre-trained Fashion-MNIST models in models/ (see models/README.md) with tfe's own
# training code on the plain protocol: examples/train_models.cpp, CMake Release build.
#   TFE_BUILD_DIR  build directory (default: build, shared with scripts/test.sh and scripts/demo.sh)
#   extra arguments go to train_models, e.g.: bash scripts/train_models.sh --model mlp
# Defaults (deterministic, seed 1): MLP 10 epochs, CNN 5 epochs, batch 64, SGD lr 0.05 momentum 0.9
# decay 5e-4.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

build_dir="${TFE_BUILD_DIR:-build}"
configure_args=(-S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DTFE_BUILD_EXAMPLES=ON -DTFE_PROGRAM_OPT_FLAGS=)
if command -v ccache >/dev/null 2>&1; then
  configure_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake "${configure_args[@]}"
cmake --build "$build_dir" -j 2 --target train_models

exec "$build_dir/examples/train_models" --out models --seed 1 "$@"
