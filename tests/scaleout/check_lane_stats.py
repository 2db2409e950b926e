#!/usr/bin/env python3
"""Checks the per-lane statistics of a scale-out run (docs/scaleout.md) written with --stats.

    check_lane_stats.py WORK LANES PROTOCOL KIND N

WORK/k2 holds the K-lane run's PLAYER.lane-I.json; WORK/sliceI the K = 1 run of lane I's slice
(PLAYER.lane-0.json). KIND is predict (lanes_predict, N images) or train (lanes_train, N examples per
step). Checked, for every player and lane:
  - the lane's bytes and rounds of the work phase (predict/train) equal the K = 1 run of its slice;
  - the model phase: lane 0's equals the K = 1 run's, the other lanes have no MPC traffic for it;
  - the party's internal bytes (the sum over its lanes) equal the documented cost of its collectives:
      broadcast of the model     (K-1) * (architecture bytes [predict] + params * 8 * parts)
      gather of the logits       (N - N_0) * 10 * 8                        [predict, client]
      gradient sums per step     2 (K-1) * (params * 8 * parts + 8)         [train]
"""
import glob
import json
import os
import sys

work, lanes, protocol, kind, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])


def load(path):
    with open(path) as f:
        return json.load(f)


# Share parts a player holds of a private tensor (include/tfe/tensor.hpp): ABY3 servers 2, Pond's servers 1.
parts = {"aby3": {"server0": 2, "server1": 2, "server2": 2}, "pond": {"server0": 1, "server1": 1}}[protocol]
players = sorted({os.path.basename(p).split(".lane-")[0] for p in glob.glob(work + "/k2/*.lane-*.json")})
failures = []
if len(players) < 5:
    failures.append(f"statistics of {len(players)} players only: {players}")
zero = {"bytes_sent": 0, "bytes_received": 0, "rounds": 0}
for p in players:
    party_sent = 0
    for lane in range(lanes):
        mine = load(f"{work}/k2/{p}.lane-{lane}.json")
        ref = load(f"{work}/slice{lane}/{p}.lane-0.json")
        party_sent += mine["party_internal"]["bytes_sent"]
        if mine[kind] != ref[kind]:
            failures.append(f"{p} lane {lane}: {kind} {mine[kind]} != K=1 on its slice {ref[kind]}")
        want_model = ref["model"] if lane == 0 else zero
        if mine["model"] != want_model:
            failures.append(f"{p} lane {lane}: model sharing {mine['model']} != {want_model}")
    m = load(f"{work}/k2/{p}.lane-0.json")
    weights = m["params"] * 8 * parts.get(p, 0)
    if kind == "predict":
        want = (lanes - 1) * (m["architecture_bytes"] + weights)
        if p == "client":
            want += (n - n // lanes) * 10 * 8
    else:
        want = (lanes - 1) * weights + m["steps"] * 2 * (lanes - 1) * (weights + 8)
    print(f"{p}: party-internal bytes {party_sent} (documented {want}); per lane {kind} {m[kind]}")
    if party_sent != want:
        failures.append(f"{p}: party-internal bytes {party_sent} != documented {want}")
if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"OK: {len(players)} players x {lanes} lanes: bytes and rounds per lane equal K=1 on the lane's slice")
