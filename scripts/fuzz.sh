#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, ASan + UBSan, build/fuzz) and runs each for a while
# on a copy of its seed corpus (fuzz/corpus/<target>), one target at a time, in one process each
# (libFuzzer's default; -jobs/-workers would fork a child writing to a log file). Prints per target
# the executions and whether it crashed; exits 1 if any target crashed, leaked, hung or ran out of
# memory. docs/fuzzing.md describes the targets.
#   bash scripts/fuzz.sh [--seconds N] [--runs N] [--skip T] [target ...]
#     --seconds N  fuzz each target for N seconds (default 60)
#     --runs N     stop each target after N executions instead (no time limit)
#     --skip T     leave target T out (repeatable)
#     target       frame hosts npy npz idx model peer_json onnx wire (default: every target built)
#   TFE_FUZZ_BUILD_DIR  build directory (default build/fuzz)
#   TFE_FUZZ_WORK_DIR   scratch directory for corpora, logs and crash artifacts (default: a new
#                       directory under $TMPDIR, kept when a target crashed, removed otherwise)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=60
runs=""
targets=()
skip=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --skip) skip+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

bash scripts/setup.sh >/dev/null  # clang and libclang-rt-14-dev (libFuzzer) among the packages
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
export CCACHE_DEPEND="${CCACHE_DEPEND:-1}"  # the compiler's depfile, no extra preprocessor run (scripts/test.sh)
build_dir="${TFE_FUZZ_BUILD_DIR:-build/fuzz}"
cxx="$(command -v clang++ || command -v clang++-14 || true)"
if [[ -z "$cxx" ]]; then
  echo "fuzz.sh: clang++ not found (install clang and libclang-rt-dev: bash scripts/setup.sh)" >&2
  exit 2
fi
configure_args=(-S fuzz -B "$build_dir" -DCMAKE_CXX_COMPILER="$cxx")
if command -v ccache >/dev/null 2>&1; then
  configure_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake "${configure_args[@]}" >/dev/null
all_targets=0
[[ ${#targets[@]} -eq 0 && ${#skip[@]} -eq 0 ]] && all_targets=1
if [[ ${#targets[@]} -eq 0 ]]; then
  for t in frame hosts npy npz idx model peer_json onnx wire; do
    if [[ "$t" != onnx ]] || grep -q '^TFE_HAVE_ONNX:INTERNAL=ON$' "$build_dir/CMakeCache.txt"; then
      targets+=("$t")
    fi
  done
fi
kept=()
for t in "${targets[@]}"; do
  [[ " ${skip[*]} " == *" $t "* ]] || kept+=("$t")
done
targets=("${kept[@]}")
if [[ $all_targets -eq 1 ]]; then
  cmake --build "$build_dir" -j 2 --target fuzz_all  # one goal: both cores compile
else
  cmake --build "$build_dir" -j 2 --target "${targets[@]/#/fuzz_}"
fi

# The longest input per target: a few times its largest seed.
max_len_of() {
  case "$1" in
    npz|model|onnx) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

work="${TFE_FUZZ_WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tfe_fuzz.XXXXXX")}"
mkdir -p "$work"
failed=()
printf '%-10s %12s %8s %s\n' target executions crashes result
for t in "${targets[@]}"; do
  dir="$work/$t"
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp fuzz/corpus/"$t"/* "$dir/corpus/"
  args=(-rss_limit_mb=2048 -timeout=10 -max_len="$(max_len_of "$t")" -print_final_stats=1
        -artifact_prefix="$dir/artifacts/")
  if [[ -n "$runs" ]]; then args+=(-runs="$runs"); else args+=(-max_total_time="$seconds"); fi
  if [[ -f "fuzz/dict/$t.dict" ]]; then args+=(-dict="fuzz/dict/$t.dict"); fi
  rc=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build_dir/fuzz_$t" "${args[@]}" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$dir/log" | tail -1)"
  if [[ -z "$execs" ]]; then execs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$dir/log" | tail -1)"; fi
  crashes="$(find "$dir/artifacts" -type f | wc -l)"
  if [[ $rc -ne 0 || $crashes -ne 0 ]]; then
    [[ $crashes -eq 0 ]] && crashes=1
    failed+=("$t")
    printf '%-10s %12s %8s %s\n' "$t" "${execs:-?}" "$crashes" "FAILED (exit $rc; log: $dir/log)"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz property|terminate called|  what\(\))' "$dir/log" | head -5 || true
    find "$dir/artifacts" -type f | sed 's/^/  artifact: /'
  else
    printf '%-10s %12s %8s %s\n' "$t" "${execs:-?}" 0 ok
  fi
done

if [[ ${#failed[@]} -ne 0 ]]; then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]} (logs and artifacts in $work)"
  exit 1
fi
[[ -n "${TFE_FUZZ_WORK_DIR:-}" ]] || rm -rf "$work"
echo "fuzz.sh: ${#targets[@]} target(s), 0 crashes"
