#!/usr/bin/env bash
# INT8 side by side: for each FP32=INT8 pair of model files, ONNX Runtime and edgeserve on both
# (bench/compare_ort.sh: same threads, batch and runs, alternating, medians of rounds), then one
# table of how many times faster edgeserve's INT8 is than ORT FP32, ORT on the same INT8 (QDQ)
# file, and edgeserve FP32, and how much smaller the INT8 file is. See bench/README.md.
#
# usage: bench/int8_compare.sh [--threads T] [--batch N] [--iterations K] [--rounds R] FP32.onnx=INT8.onnx...
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
opts=() pairs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads|--batch|--iterations|--rounds|--warmup)
      [ $# -ge 2 ] || { echo "int8_compare: $1 needs a value" >&2; exit 2; }
      opts+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) pairs+=("$1"); shift ;;
    *) echo "int8_compare: expected FP32.onnx=INT8.onnx, got '$1'" >&2; exit 2 ;;
  esac
done
[ ${#pairs[@]} -gt 0 ] || { echo "int8_compare: no FP32=INT8 pair given (try --help)" >&2; exit 2; }
models=()
for p in "${pairs[@]}"; do
  fp32="${p%%=*}" int8="${p#*=}"
  for f in "$fp32" "$int8"; do [ -f "$f" ] || { echo "int8_compare: no such model file: $f" >&2; exit 2; }; done
  models+=("$fp32" "$int8")
done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$here/compare_ort.sh" "${opts[@]}" --out "$out" "${models[@]}" >&2
node "$here/int8_table.mjs" "$out"
