#!/usr/bin/env bash
# Runs every player of a tfe program as its own process on 127.0.0.1, over TLS (or plain TCP), and
# exits non-zero when any player fails.
#
#   bash scripts/launch_local.sh [options] -- PROGRAM [ARGS...]
#
# PROGRAM must accept tfe's launch flags (tfe::launch_flags: --hosts FILE --player NAME, and
# --list-players). Steps:
#   1. the player list: --players a,b,c, or else `PROGRAM ARGS --list-players`;
#   2. a free port per player on 127.0.0.1;
#   3. certificates (unless --insecure-plaintext): scripts/make_certs.sh DIR/certs (kept and reused);
#   4. DIR/hosts.json with a fresh run id;
#   5. `PROGRAM ARGS --hosts DIR/hosts.json --player NAME` per player, in the background, output to
#      DIR/NAME.log; every player is killed after --timeout seconds;
#   6. each player's output, prefixed with its name, then its exit status; the script's exit status is 0
#      only when every player exited 0.
# Options:
#   --players LIST          comma-separated players in role order (default: ask the program)
#   --insecure-plaintext    plain TCP, no certificates (passed on to every player)
#   --dir DIR               where hosts file, certificates and logs go (default: a new temporary directory)
#   --timeout SEC           kill the players after SEC seconds (default 600)
#   --quiet                 do not print the players' output (it stays in DIR/NAME.log)
#   --lanes K               scale-out lanes (docs/scaleout.md): every player is an `mpirun -np K` job of
#                           K ranks, lane i of every player one MPC instance; the hosts file gets a
#                           "lanes" array of K free ports per player (oversubscribed: for correctness)
#   --mpirun-args "ARGS"    extra arguments for every mpirun (with --lanes)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
players_csv=""
plaintext=0
dir=""
timeout_s=600
quiet=0
lanes=0
mpirun_extra=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --players) players_csv="$2"; shift 2 ;;
    --insecure-plaintext) plaintext=1; shift ;;
    --dir) dir="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --quiet) quiet=1; shift ;;
    --lanes) lanes="$2"; shift 2 ;;
    --mpirun-args) mpirun_extra="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "launch_local: unknown option '$1' (the program comes after --)" >&2; exit 2 ;;
  esac
done
if [[ $# -lt 1 ]]; then
  echo "usage: $0 [--players a,b,c] [--insecure-plaintext] [--dir DIR] [--timeout SEC] -- PROGRAM [ARGS...]" >&2
  exit 2
fi
program=("$@")
command -v python3 >/dev/null 2>&1 || { echo "launch_local: python3 is required" >&2; exit 1; }

if [[ -z "$dir" ]]; then
  dir="$(mktemp -d "${TMPDIR:-/tmp}/tfe-launch-XXXXXX")"
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

# 1. players
if [[ -n "$players_csv" ]]; then
  IFS=',' read -r -a players <<<"$players_csv"
else
  mapfile -t players < <("${program[@]}" --list-players)
fi
if [[ ${#players[@]} -eq 0 ]]; then
  echo "launch_local: no players (give --players, or make the program support --list-players)" >&2
  exit 1
fi

# 2.-4. ports, certificates, hosts file
if [[ $plaintext -eq 0 ]]; then
  bash "$here/make_certs.sh" "$dir/certs" "${players[@]}" >/dev/null
fi
run_id="launch-$(date +%Y%m%d-%H%M%S)-$$-$RANDOM"
if [[ -n "$lanes" && ! "$lanes" =~ ^[0-9]+$ ]]; then echo "launch_local: --lanes takes a count, not '$lanes'" >&2; exit 2; fi
python3 - "$dir/hosts.json" "$run_id" "$plaintext" "$lanes" "${players[@]}" <<'EOF'
import json, socket, sys
path, run_id, plaintext, lanes, names = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4]), sys.argv[5:]
import random
# Ports below the kernel's ephemeral range: a port picked there and released could be taken by any
# outgoing connection (of this run or of another) before the player binds it.
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_low = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    ephemeral_low = 32768
socks = []
for _ in range(len(names) * max(lanes, 1)):  # hold them all at once so the ports are distinct
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    for attempt in range(200):
        port = random.randrange(10000, ephemeral_low) if ephemeral_low > 11000 and attempt < 199 else 0
        try:
            s.bind(("127.0.0.1", port))
            break
        except OSError:
            continue
    socks.append(s)
ports = [s.getsockname()[1] for s in socks]
for s in socks:
    s.close()
hosts = {"run_id": run_id, "players": []}
if not plaintext:
    hosts["ca"] = "certs/ca.pem"
for i, name in enumerate(names):
    entry = {"name": name, "host": "127.0.0.1", "port": ports[i]}
    if lanes > 0:
        entry["lanes"] = [{"host": "127.0.0.1", "port": ports[i * lanes + l]} for l in range(lanes)]
        entry["port"] = entry["lanes"][0]["port"]
    if not plaintext:
        entry["cert"] = "certs/%s.pem" % name
        entry["key"] = "certs/%s.key" % name
    hosts["players"].append(entry)
with open(path, "w") as f:
    json.dump(hosts, f, indent=2)
EOF

# 5. one process per player
extra=()
if [[ $plaintext -eq 1 ]]; then extra+=(--insecure-plaintext); fi
launcher=()
if [[ "$lanes" -gt 0 ]]; then
  command -v mpirun >/dev/null 2>&1 || { echo "launch_local: --lanes needs mpirun (openmpi-bin)" >&2; exit 1; }
  # One mpirun job per player (its ranks are its lanes, one trust domain). Open MPI refuses root
  # without these (harmless otherwise); --oversubscribe and --bind-to none: more ranks than cores.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  # shellcheck disable=SC2206
  launcher=(mpirun -np "$lanes" --oversubscribe --bind-to none $mpirun_extra)
fi
pids=()
for name in "${players[@]}"; do
  # Each player its own Open MPI session directory (an mpirun job, or an MPI program started alone):
  # processes started together otherwise race to create a shared one in /tmp and fail. Programs
  # without MPI ignore the variable.
  mkdir -p "$dir/mpi-$name"
  OMPI_MCA_orte_tmpdir_base="$dir/mpi-$name" timeout --kill-after=5 "$timeout_s" "${launcher[@]}" "${program[@]}" \
    --hosts "$dir/hosts.json" --player "$name" "${extra[@]}" >"$dir/$name.log" 2>&1 &
  pids+=("$!")
done

# 6. collect
failed=0
statuses=()
for i in "${!players[@]}"; do
  rc=0
  wait "${pids[$i]}" || rc=$?
  statuses+=("$rc")
  if [[ $rc -ne 0 ]]; then failed=1; fi
done
for i in "${!players[@]}"; do
  name="${players[$i]}"
  if [[ $quiet -eq 0 ]]; then
    sed "s/^/[$name] /" "$dir/$name.log"
  fi
done
echo "launch_local: run $run_id in $dir"
for i in "${!players[@]}"; do
  rc="${statuses[$i]}"
  note=""
  if [[ $rc -eq 124 ]]; then note=" (killed after ${timeout_s} s)"; fi
  if [[ $rc -gt 128 && $rc -ne 124 ]]; then note=" (signal $((rc - 128)))"; fi
  echo "launch_local: ${players[$i]}: exit $rc$note"
done
if [[ $failed -ne 0 ]]; then
  echo "launch_local: FAILED: at least one player exited non-zero" >&2
  exit 1
fi
