#!/usr/bin/env bash
# Runs every benchmark binary for every protocol and regenerates docs/benchmarks/ (tables and plots).
#   bash scripts/bench.sh            full sizes (minutes)
#   bash scripts/bench.sh --quick    small sizes (smoke run)
# Results: docs/benchmarks/results.jsonl (one JSON line per run), docs/benchmarks/results.md and
# PNG plots made by tools/bench_report.py with Debian's python3-matplotlib (installed here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
if ! dpkg-query -W -f='${Status}' python3-matplotlib 2>/dev/null | grep -q "install ok installed"; then
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends python3-matplotlib
fi
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

build_dir="${TFE_BUILD_DIR:-build}"
args=(-S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DTFE_BUILD_BENCHMARKS=ON)
command -v ccache >/dev/null 2>&1 && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake "${args[@]}"
cmake --build "$build_dir" -j 2 --target bench_ring_matmul bench_micro bench_networks

out=docs/benchmarks
mkdir -p "$out"
results="$out/results.jsonl"
: > "$results"
protocols=plain,pond,securenn,aby3
"$build_dir/benchmarks/bench_ring_matmul" | grep '^{' >> "$results"
"$build_dir/benchmarks/bench_micro" --protocol "$protocols" "$@" --trace "$out/trace_micro.json" >> "$results"
"$build_dir/benchmarks/bench_micro" --protocol pond128,aby3_128 "$@" >> "$results"
"$build_dir/benchmarks/bench_networks" --protocol "$protocols" "$@" --trace "$out/trace_networks.json" >> "$results"
/usr/bin/python3 tools/bench_report.py "$results" "$out"
