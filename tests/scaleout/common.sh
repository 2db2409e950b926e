# Sourced by the scale-out test scripts: the source root, and launch DIR [launch_local options] -- PROGRAM ARGS
# (scripts/launch_local.sh with its output in DIR/launch.out, shown when it fails, and the test ends).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
launch() {
  local dir="$1"
  shift
  mkdir -p "$dir"
  if ! bash "$root/scripts/launch_local.sh" --timeout 200 --dir "$dir" "$@" >"$dir/launch.out" 2>&1; then
    cat "$dir/launch.out"
    echo "FAILED: launch_local $*" >&2
    exit 1
  fi
}
