#!/usr/bin/env bash
# Data-parallel training over real mpirun jobs on 127.0.0.1 (docs/scaleout.md), as a ctest test:
#   1. K = 1: every player one process: STEPS steps of SGD on batches of BATCH images -> weights;
#   2. K = 2: every player an `mpirun -np 2` job, each lane on half of every batch, the lanes summing
#      their gradient shares; the model owner compares the trained weights with step 1's (within
#      lanes_train's --bound and --mean-bound: the fixed-point noise of two runs) and fails otherwise;
#   3. K = 1 on batches of one lane's slice (BATCH / 2 images): every lane's bytes and rounds of the
#      training equal this run's, and each party's internal bytes the documented cost
#      (tests/scaleout/check_lane_stats.py).
#   lanes_train_test.sh PROGRAM WORKDIR [PROTOCOL] [STEPS] [BATCH]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
program="$1" work="$2" protocol="${3:-aby3}" steps="${4:-3}" batch="${5:-16}"
lanes=2
rm -rf "$work"
mkdir -p "$work"
args=(--protocol "$protocol" --steps "$steps")

launch "$work/k1" -- "$program" "${args[@]}" --batch "$batch" --out "$work/k1/w.npz"
launch "$work/k2" --lanes "$lanes" -- "$program" "${args[@]}" --batch "$batch" --expect "$work/k1/w.npz" \
  --stats "$work/k2"
grep -h "model-owner: " "$work/k2/model-owner.log"
# Both lanes hold batch / 2 rows of every batch (batch even): one K = 1 run is the slice of each.
launch "$work/slice0" -- "$program" "${args[@]}" --batch $((batch / lanes)) --stats "$work/slice0"
ln -sfn slice0 "$work/slice1"
python3 "$root/tests/scaleout/check_lane_stats.py" "$work" "$lanes" "$protocol" train "$batch"
