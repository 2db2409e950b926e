#!/usr/bin/env bash
# Installs the Debian packages tfe needs to build, test and run its examples.
# Does nothing (no apt-get at all) when every package is already present.
set -euo pipefail

packages=(
  g++ cmake ccache make pkg-config
  xtensor-dev xtl-dev libxsimd-dev
  libboost-dev libssl-dev libasio-dev
  doctest-dev nlohmann-json3-dev libcli11-dev zlib1g-dev
  openssl python3 clang-format
  libonnx-dev libprotobuf-dev libonnx-testdata
  clang libclang-rt-14-dev clang-16
  dataset-fashion-mnist
  pybind11-dev python3-dev python3-numpy
  libopenmpi-dev openmpi-bin
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
