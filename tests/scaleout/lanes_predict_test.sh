#!/usr/bin/env bash
# Scale-out inference over real mpirun jobs on 127.0.0.1 (docs/scaleout.md), as a ctest test:
#   1. K = 1: every player one process (the ordinary hosts file, no lanes): the reference logits;
#   2. K lanes (default 2): every player an `mpirun -np K` job (scripts/launch_local.sh --lanes K); the client's
#      lane 0 compares the gathered logits with the reference (lanes_predict --expect: within the
#      spread of two K = 1 runs, same predicted classes) and fails otherwise;
#   3. K = 1 on each lane's slice of the images;
#   4. every lane's bytes and rounds (its own MPC instance) equal those of the K = 1 run of its slice
#      (lane 0 including the model sharing, the other lanes with no MPC traffic for the model), and
#      each party's internal bytes equal the documented cost of its collectives.
#   lanes_predict_test.sh PROGRAM WORKDIR [PROTOCOL] [IMAGES] [LANES]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
program="$1" work="$2" protocol="${3:-aby3}" images="${4:-16}" lanes="${5:-2}"
rm -rf "$work"
mkdir -p "$work"

args=(--protocol "$protocol")

launch "$work/k1" -- "$program" "${args[@]}" --images "$images" --out "$work/k1/y.npy" --stats "$work/k1"
launch "$work/k2" --lanes "$lanes" -- "$program" "${args[@]}" --images "$images" --expect "$work/k1/y.npy" \
  --stats "$work/k2"
grep -h "client: " "$work/k2/client.log"
for ((lane = 0; lane < lanes; ++lane)); do
  lo=$((images * lane / lanes)) hi=$((images * (lane + 1) / lanes))
  launch "$work/slice$lane" -- "$program" "${args[@]}" --images $((hi - lo)) --first "$lo" --stats "$work/slice$lane"
done

python3 "$root/tests/scaleout/check_lane_stats.py" "$work" "$lanes" "$protocol" predict "$images"
