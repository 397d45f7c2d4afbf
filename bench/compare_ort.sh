#!/usr/bin/env bash
# Side by side: ONNX Runtime 1.30 (onnxruntime-node, CPU, all optimizations) and `edgeserve bench`
# on the same models, threads, batch, shapes and run counts, alternating ORT, edgeserve, ORT,
# edgeserve... for R rounds per model, then a table of medians over the rounds and ratios
# (edgeserve / ORT: < 1 means edgeserve is faster or smaller). See bench/README.md.
#
# usage: bench/compare_ort.sh [--threads T] [--batch N] [--iterations K] [--warmup W] [--rounds R]
#                             [--provider P] [--edgeserve PATH] [--out DIR] MODEL[:NAME=DIMS[,NAME=DIMS]]...
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
ort_version=1.30.0
threads=0 batch=1 iterations=100 warmup=10 rounds=3 provider="" out=""
edgeserve="$here/../build/edgeserve"

die() { echo "compare_ort: $*" >&2; exit 2; }
need_uint() { [[ "$2" =~ ^[0-9]+$ ]] || die "$1 expects a non-negative integer, got '$2'"; }

models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads|--batch|--iterations|--warmup|--rounds|--provider|--edgeserve|--out)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --threads) need_uint "$1" "$2"; threads=$2 ;;
        --batch) need_uint "$1" "$2"; batch=$2 ;;
        --iterations) need_uint "$1" "$2"; iterations=$2 ;;
        --warmup) need_uint "$1" "$2"; warmup=$2 ;;
        --rounds) need_uint "$1" "$2"; rounds=$2 ;;
        --provider) provider=$2 ;;
        --edgeserve) edgeserve=$2 ;;
        --out) out=$2 ;;
      esac
      shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1'" ;;
    *) models+=("$1"); shift ;;
  esac
done
[ ${#models[@]} -gt 0 ] || die "no MODEL given (try --help)"
# MODEL:NAME=DIMS,NAME=DIMS gives input shapes (passed as --shape to both sides).
model_shapes=()
for i in "${!models[@]}"; do
  model_shapes[$i]=""
  if [[ "${models[$i]}" == *:*=* ]]; then
    model_shapes[$i]="${models[$i]##*:}"
    models[$i]="${models[$i]%:*}"
  fi
  [ -f "${models[$i]}" ] || die "no such model file: ${models[$i]}"
done
[ "$rounds" -ge 1 ] && [ "$iterations" -ge 1 ] && [ "$batch" -ge 1 ] || die "--rounds, --iterations, --batch must be >= 1"
[ -x "$edgeserve" ] || die "$edgeserve is not built (scripts/build.sh)"
command -v node >/dev/null && command -v npm >/dev/null || die "needs node and npm"

# The same thread count for both sides: 0 means the cores this process may use, as in edgeserve.
[ "$threads" -gt 0 ] || threads=$(nproc)

# Installs onnxruntime-node once into the cache. --ignore-scripts skips its postinstall, which
# would download more; the npm package itself carries the native binaries we need.
install_ort() {
  local dir="${EDGE_CACHE_DIR:-$HOME/.cache/edgeserve}/ort-node"
  local pkg="$dir/node_modules/onnxruntime-node"
  if ! grep -q "\"version\": \"$ort_version\"" "$pkg/package.json" 2>/dev/null; then
    mkdir -p "$dir"
    # Its own package.json keeps npm from installing into a project found further up the tree.
    [ -f "$dir/package.json" ] || echo '{"name": "edgeserve-ort-bench", "private": true}' > "$dir/package.json"
    (cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
      "onnxruntime-node@$ort_version" >&2) || { echo "compare_ort: npm install onnxruntime-node@$ort_version failed" >&2; exit 1; }
  fi
  local arch
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
  local bin="$pkg/bin/napi-v6/linux/$arch"
  if [ ! -f "$bin/onnxruntime_binding.node" ] || ! ls "$bin"/libonnxruntime.so* >/dev/null 2>&1; then
    echo "compare_ort: onnxruntime-node@$ort_version installed with --ignore-scripts has no native binary for" \
      "linux-$arch in $bin (expected onnxruntime_binding.node and libonnxruntime.so*)" >&2
    exit 1
  fi
  echo "$pkg"
}

# `cpu` once the cpu provider exists, else `reference`: edgeserve bench rejects an unknown
# provider (exit 2) before it tries to load the model (exit 1).
default_provider() {
  local rc=0
  "$edgeserve" bench /nonexistent.onnx --provider cpu >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 2 ] && echo reference || echo cpu
}

ort_pkg="$(install_ort)"
[ -n "$provider" ] || provider="$(default_provider)"
if [ -z "$out" ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
else
  mkdir -p "$out"
  rm -f "$out"/*.ort.jsonl "$out"/*.edgeserve.jsonl
fi

header="ONNX Runtime $ort_version (onnxruntime-node) vs edgeserve --provider $provider; threads $threads,"
header+=" batch $batch, $iterations runs after $warmup warmup, medians of $rounds rounds; ratio = edgeserve / ORT"
echo "$header" >&2
for i in "${!models[@]}"; do
  model="${models[$i]}" shape_args=()
  if [ -n "${model_shapes[$i]}" ]; then
    IFS=, read -ra shapes <<< "${model_shapes[$i]}"
    for s in "${shapes[@]}"; do shape_args+=(--shape "$s"); done
  fi
  common=(--threads "$threads" --batch "$batch" --iterations "$iterations" --warmup "$warmup" "${shape_args[@]}")
  for r in $(seq "$rounds"); do
    echo "  $model round $r/$rounds: ORT, edgeserve" >&2
    node "$here/ort_bench.mjs" --ort-dir "$ort_pkg" "${common[@]}" "$model" >> "$out/$i.ort.jsonl"
    "$edgeserve" bench "$model" --provider "$provider" "${common[@]}" --json >> "$out/$i.edgeserve.jsonl"
  done
done
echo "$header"
node "$here/compare_table.mjs" "$out"
