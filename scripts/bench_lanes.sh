#!/usr/bin/env bash
# The measured table of docs/scaleout.md: Fashion-MNIST CNN inference (lanes_predict, ABY3) with
# K = 1, 2, 4 lanes per party on this machine (every party's K ranks here: oversubscribed, so the wall
# time shows the overhead of lanes, not their speed-up), and the projection to K machines per party
# from the simulated network: each lane's slice run on its own (lanes are independent MPC instances),
# its slowest player's simulated time (computation + network) on a LAN and a WAN.
#   bash scripts/bench_lanes.sh [BUILD_DIR] [IMAGES]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}" images="${2:-256}"
program="$build/examples/scaleout/lanes_predict"
work="$(mktemp -d "${TMPDIR:-/tmp}/tfe-bench-lanes-XXXXXX")"
echo "| K lanes per party | processes | wall time here (s) | images/s here |"
echo "|---|---|---|---|"
for k in 1 2 4; do
  start=$(date +%s.%N)
  bash "$root/scripts/launch_local.sh" --lanes "$k" --timeout 600 --dir "$work/k$k" --quiet -- "$program" \
    --images "$images" --batch 32 >/dev/null
  end=$(date +%s.%N)
  python3 -c "import sys; k, n, s = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[4]) - float(sys.argv[3]); \
print(f'| {k} | {5 * k} | {s:.2f} | {n / s:.1f} |')" "$k" "$images" "$start" "$end"
done
echo
echo "| K machines per party | images per lane | LAN: time (s) | LAN: images/s | WAN: time (s) | WAN: images/s |"
echo "|---|---|---|---|---|---|"
for k in 1 2 4 8; do
  row="| $k | $((images / k))"
  for net in lan wan; do
    dir="$work/sim-$net-$k"
    mkdir -p "$dir"
    "$program" --images $((images / k)) --batch 32 --simulate "$net" --stats "$dir" >/dev/null 2>&1
    row="$row | $(python3 -c "import glob, json, sys; t = max(json.load(open(f))['simulated_seconds'] \
for f in glob.glob(sys.argv[1] + '/*.json')); print(f'{t:.2f} | {int(sys.argv[2]) / t:.1f}')" "$dir" "$images")"
  done
  echo "$row |"
done
rm -rf "$work"
