#!/usr/bin/env bash
# Runs every benchmark binary for every protocol and regenerates docs/benchmarks.md (tables, targets,
# theory vs measurement) and its plots in docs/benchmarks/.
#   bash scripts/bench.sh            full sizes (about 15 minutes on 2 cores)
#   bash scripts/bench.sh --quick    small sizes (smoke run; writes to docs/benchmarks/quick/ instead)
# Results: docs/benchmarks/results.jsonl (one JSON line per run), docs/benchmarks/machine.json,
# docs/benchmarks.md and PNG plots made by tools/bench_report.py with Debian's python3-matplotlib
# (installed here). docs/benchmarks/analysis.md is hand-written and included in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
if ! dpkg-query -W -f='${Status}' python3-matplotlib 2>/dev/null | grep -q "install ok installed"; then
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends python3-matplotlib
fi
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
export CCACHE_DEPEND="${CCACHE_DEPEND:-1}"  # the compiler's depfile, no extra preprocessor run (scripts/test.sh)

build_dir="${TFE_BUILD_DIR:-build}"
# -O3 -march=native: an empty TFE_BENCHMARK_OPT_FLAGS (scripts/build_benchmarks.sh sets -O1 for its check)
args=(-S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DTFE_BUILD_BENCHMARKS=ON -DTFE_BENCHMARK_OPT_FLAGS=)
command -v ccache >/dev/null 2>&1 && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake "${args[@]}"
targets=(bench_ring_matmul bench_micro bench_networks)
[[ -f benchmarks/bench_tcp_roundtrip.cpp ]] && targets+=(bench_tcp_roundtrip)
cmake --build "$build_dir" -j 2 --target "${targets[@]}"

out=docs/benchmarks
md=docs/benchmarks.md
if [[ " $* " == *" --quick "* ]]; then
  out=docs/benchmarks/quick
  md=$out/benchmarks.md
fi
mkdir -p "$out"
results="$out/results.jsonl"
: > "$results"

# the machine the figures come from
/usr/bin/python3 - "$out/machine.json" "$build_dir" <<'PY'
import json, os, platform, re, subprocess, sys, datetime
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""
cpu = re.sub(r"\s+", " ", sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"))
mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
cache = sh(f"grep -E '^CMAKE_CXX_COMPILER:|^CMAKE_BUILD_TYPE:|^TFE_NATIVE:' {sys.argv[2]}/CMakeCache.txt")
info = {
    "cpu": cpu,
    "cores": os.cpu_count(),
    "memory": mem,
    "os": sh(". /etc/os-release && echo $PRETTY_NAME") + ", kernel " + platform.release(),
    "compiler": sh("c++ --version | head -1"),
    "build": "; ".join(l.split("=", 1)[0].split(":")[0] + " = " + l.split("=", 1)[1] for l in cache.splitlines()),
    "commit": sh("git rev-parse --short HEAD") + (" (with local changes)" if sh("git status --porcelain --untracked-files=no") else ""),
    "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
    "load average at start": sh("cut -d' ' -f1-3 /proc/loadavg"),
}
json.dump(info, open(sys.argv[1], "w"), indent=1)
PY

b="$build_dir/benchmarks"
"$b/bench_ring_matmul" | grep '^{' >> "$results"
"$b/bench_micro" --protocol plain,pond,securenn,aby3 "$@" --trace "$out/trace_micro.json" >> "$results"
"$b/bench_micro" --protocol pond128,securenn128,aby3_128 --networks none "$@" >> "$results"
"$b/bench_networks" --protocol plain,pond,securenn,aby3 "$@" --trace "$out/trace_networks.json" >> "$results"
if [[ -x "$b/bench_tcp_roundtrip" ]]; then
  "$b/bench_tcp_roundtrip" "$@" | grep '^{' >> "$results"
fi
/usr/bin/python3 tools/bench_report.py "$results" "$md" "$out" "$out/machine.json" docs/benchmarks/analysis.md
