#!/usr/bin/env bash
# Scale-out inference over real mpirun jobs on 127.0.0.1 (docs/scaleout.md), as a ctest test:
#   1. K = 1: every player one process (the ordinary hosts file, no lanes): the reference logits;
#   2. K = 2: every player an `mpirun -np 2` job (scripts/launch_local.sh --lanes 2); the client's
#      lane 0 compares the gathered logits with the reference (lanes_predict --expect: within the
#      spread of two K = 1 runs, same predicted classes) and fails otherwise;
#   3. K = 1 on each lane's slice of the images;
#   4. every lane's bytes and rounds (its own MPC instance) equal those of the K = 1 run of its slice
#      (lane 0 including the model sharing, the other lanes with no MPC traffic for the model), and
#      each party's internal bytes equal the documented cost of its collectives.
#   lanes_predict_test.sh PROGRAM WORKDIR [PROTOCOL] [IMAGES]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
program="$1" work="$2" protocol="${3:-aby3}" images="${4:-16}"
lanes=2
rm -rf "$work"
mkdir -p "$work"

launch() {  # launch_local with its output in a file, shown when it fails
  local dir="$1"
  shift
  mkdir -p "$dir"
  if ! bash "$root/scripts/launch_local.sh" --timeout 120 --dir "$dir" "$@" >"$dir/launch.out" 2>&1; then
    cat "$dir/launch.out"
    echo "FAILED: launch_local $*" >&2
    exit 1
  fi
}
args=(--protocol "$protocol")

launch "$work/k1" -- "$program" "${args[@]}" --images "$images" --out "$work/k1/y.npy" --stats "$work/k1"
launch "$work/k2" --lanes "$lanes" -- "$program" "${args[@]}" --images "$images" --expect "$work/k1/y.npy" \
  --stats "$work/k2"
grep -h "client: " "$work/k2/client.log"
for ((lane = 0; lane < lanes; ++lane)); do
  lo=$((images * lane / lanes)) hi=$((images * (lane + 1) / lanes))
  launch "$work/slice$lane" -- "$program" "${args[@]}" --images $((hi - lo)) --first "$lo" --stats "$work/slice$lane"
done

python3 - "$work" "$lanes" "$protocol" "$images" <<'PY'
import glob, json, os, sys
work, lanes, protocol, images = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def load(path):
    with open(path) as f:
        return json.load(f)
# Share parts a player holds of a private tensor (tensor.hpp): ABY3 servers 2, Pond's two servers 1.
parts = {"aby3": {"server0": 2, "server1": 2, "server2": 2}, "pond": {"server0": 1, "server1": 1}}[protocol]
players = sorted({os.path.basename(p).split(".lane-")[0] for p in glob.glob(work + "/k2/*.lane-*.json")})
assert len(players) >= 5, players
failures = []
zero = {"bytes_sent": 0, "bytes_received": 0, "rounds": 0}
for p in players:
    party_sent = 0
    for lane in range(lanes):
        mine = load(f"{work}/k2/{p}.lane-{lane}.json")
        ref = load(f"{work}/slice{lane}/{p}.lane-0.json")
        party_sent += mine["party_internal"]["bytes_sent"]
        if mine["rows"] != ref["rows"]:
            failures.append(f"{p} lane {lane}: rows {mine['rows']} but the slice run has {ref['rows']}")
        if mine["predict"] != ref["predict"]:
            failures.append(f"{p} lane {lane}: predict {mine['predict']} != K=1 on its slice {ref['predict']}")
        want_model = ref["model"] if lane == 0 else zero
        if mine["model"] != want_model:
            failures.append(f"{p} lane {lane}: model sharing {mine['model']} != {want_model}")
    # docs/scaleout.md: (K-1)(architecture + params * 8 * parts) for the model, (n - n_0) * 10 * 8 for the logits
    m = load(f"{work}/k2/{p}.lane-0.json")
    want = (lanes - 1) * (m["architecture_bytes"] + m["params"] * 8 * parts.get(p, 0))
    if p == "client":
        want += (images - images // lanes) * 10 * 8
    print(f"{p}: party-internal bytes {party_sent} (documented {want}); per lane predict {m['predict']}")
    if party_sent != want:
        failures.append(f"{p}: party-internal bytes {party_sent} != documented {want}")
if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"OK: {len(players)} players x {lanes} lanes: bytes and rounds per lane equal K=1 on the lane's slice")
PY
