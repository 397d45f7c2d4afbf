#!/usr/bin/env bash
# Serving overhead and dynamic batching, side by side in one run:
#   in-process `edgeserve bench` (batch 1) vs `edgeserve perf` against `edgeserve serve` over HTTP
#   and gRPC (concurrency 1), alternating in rounds so machine drift hits all three alike; then
#   the server's throughput at concurrency C (dynamic batching) vs the best offline batch
#   throughput of `edgeserve bench` over batch sizes 1..8.
# Usage: bench/serve_overhead.sh MODEL [--rounds R] [--duration S] [--concurrency C] [--edgeserve BIN]
set -euo pipefail
model="$1"; shift
rounds=3; duration=5; concurrency=16; bin="build/edgeserve"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --edgeserve) bin="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
repo=$(mktemp -d); log="$repo/serve.log"
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$repo"' EXIT
mkdir -p "$repo/m/1"; ln -s "$(realpath "$model")" "$repo/m/1/model.onnx"
"$bin" serve --model-repository "$repo" --http-port 0 --grpc-port 0 --metrics-port 0 > "$log" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q '^ready' "$log" && break; sleep 0.5; done
grep -q '^ready' "$log" || { cat "$log"; exit 1; }
http=$(sed -n 's/^listening http \(.*\)$/\1/p' "$log"); grpc=$(sed -n 's/^listening grpc \(.*\)$/\1/p' "$log")
iters=$(/usr/bin/python3 -c "print(max(50, int($duration * 1000 / 30)))")
p50() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['latency_ms']['p50'])"; }
tput() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(d.get('inferences_per_s', d.get('items_per_s')))"; }
echo "round bench_p50_ms http_p50_ms grpc_p50_ms"
for r in $(seq "$rounds"); do
  b=$("$bin" bench "$model" --iterations "$iters" --json 2>/dev/null | p50)
  h=$("$bin" perf --url "$http" --model m --protocol http --concurrency 1 --duration "$duration" --warmup-s 1 --json-report | p50)
  g=$("$bin" perf --url "$grpc" --model m --protocol grpc --concurrency 1 --duration "$duration" --warmup-s 1 --json-report | p50)
  echo "$r $b $h $g"
done
echo "batch offline_inferences_per_s"
best=0
for b in 1 2 4 8; do
  t=$("$bin" bench "$model" --batch "$b" --iterations $((iters / b + 10)) --json 2>/dev/null | tput)
  echo "$b $t"
  best=$(/usr/bin/python3 -c "print(max($best, $t))")
done
for proto in http grpc; do
  addr=$([ $proto = http ] && echo "$http" || echo "$grpc")
  t=$("$bin" perf --url "$addr" --model m --protocol $proto --concurrency "$concurrency" --duration "$duration" --warmup-s 2 --json-report | tput)
  echo "server $proto concurrency $concurrency: $t inferences/s = $(/usr/bin/python3 -c "print(round($t / $best, 3))") x best offline ($best)"
done
