#!/usr/bin/env bash
# Wall time of `edgeserve run` (load + one inference + writing outputs) on the reference
# provider, median of N runs, for each ONNX-test-style case directory given. For the record
# only: the reference provider is the correctness oracle, not the fast path (`edgeserve bench`
# and the cpu provider come with the next issue).
# Usage: bench/reference_wall_time.sh [-n N] CASE_DIR...
set -euo pipefail
runs=5
if [ "${1:-}" = "-n" ]; then runs=$2; shift 2; fi
edgeserve="$(dirname "$0")/../build/edgeserve"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-20s %10s\n' model "median_ms"
for dir in "$@"; do
  inputs=()
  for f in "$dir"/test_data_set_0/input_*.pb; do inputs+=(--input "$f"); done
  times=()
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "$edgeserve" run "$dir/model.onnx" "${inputs[@]}" --output-dir "$out"
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  printf '%-20s %10s\n' "$(basename "$dir")" "$median"
done
