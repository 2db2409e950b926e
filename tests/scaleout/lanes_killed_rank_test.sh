#!/usr/bin/env bash
# A killed rank ends the whole scale-out run, never a hang (docs/scaleout.md), as a ctest test:
# lanes_predict with K = 2 lanes per party (one mpirun job per party on 127.0.0.1); once server1's
# lane 1 is predicting, it is killed with SIGKILL. Then every party's job must exit non-zero within
# LIMIT seconds (not by launch_local's timeout), server1's mpirun must name the killed rank (lane 1),
# and every other party must print an error naming itself and a lane ("lane I of 2 of player 'NAME'").
# The run classifies 4000 images so that it cannot end before the kill on a loaded machine (with 400
# it once did: every player had finished when the victim was found); the kill ends it at once.
#   lanes_killed_rank_test.sh PROGRAM WORKDIR [LIMIT]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
program="$1" work="$2" limit="${3:-60}"
victim=server1
rm -rf "$work"
mkdir -p "$work"

bash "$root/scripts/launch_local.sh" --lanes 2 --timeout 240 --dir "$work" --quiet -- "$program" --images 4000 \
  --batch 8 >"$work/launch.out" 2>&1 &
launcher=$!

# The victim: the rank of lane 1 (Open MPI's OMPI_COMM_WORLD_RANK) of the victim's job of this run.
find_victim() {
  local pid
  for pid in $(pgrep -f -- "--hosts $work/hosts.json --player $victim" || true); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" &&
      tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$(basename "$program")"; then
      echo "$pid"
      return
    fi
  done
}
pid=""
for ((i = 0; i < 1200; ++i)); do
  if grep -q "lane 1 of 2 of player '$victim': predicting" "$work/$victim.log" 2>/dev/null; then
    pid="$(find_victim)"
    [[ -n "$pid" ]] && break
  fi
  if ! kill -0 "$launcher" 2>/dev/null; then break; fi
  sleep 0.1
done
if [[ -z "$pid" ]]; then
  cat "$work/launch.out" "$work"/*.log
  echo "FAILED: lane 1 of $victim never started predicting (or the run ended first)" >&2
  exit 1
fi
kill -KILL "$pid"
killed_at=$SECONDS
echo "killed lane 1 of $victim (pid $pid)"
rc=0
wait "$launcher" || rc=$?
elapsed=$((SECONDS - killed_at))
cat "$work/launch.out"
failures=()
[[ $rc -ne 0 ]] || failures+=("launch_local exited 0 after a rank was killed")
[[ $elapsed -le $limit ]] || failures+=("the run took $elapsed s to end after the kill (limit $limit s)")
for log in "$work"/*.log; do
  name="$(basename "$log" .log)"
  status="$(grep -E "^launch_local: $name: exit " "$work/launch.out" | sed 's/.*exit \([0-9]*\).*/\1/')"
  echo "--- $name: exit $status"
  grep -E "error|rank 1|signal" "$log" | head -5 || true
  if [[ -z "$status" || "$status" == 0 || "$status" == 124 ]]; then failures+=("$name exited '$status'"); fi
  if [[ "$name" == "$victim" ]]; then
    grep -qE "rank 1 .*(signal 9|Killed)" "$log" || failures+=("$victim's mpirun does not name the killed rank 1")
  elif ! grep -qE "error: lane [01] of 2 of player '$name'" "$log"; then
    failures+=("$name printed no error naming its player and lane")
  fi
done
if [[ ${#failures[@]} -gt 0 ]]; then
  printf 'FAILED: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "OK: every job of the run exited non-zero $elapsed s after the kill, naming its player and lane"
