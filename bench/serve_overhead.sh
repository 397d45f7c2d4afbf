#!/usr/bin/env bash
# Serving overhead and dynamic batching, side by side in one run:
#   in-process `edgeserve bench` (batch 1) vs `edgeserve perf` against `edgeserve serve` over HTTP
#   and gRPC (concurrency 1), alternating in rounds so machine drift hits all three alike; then
#   the server's throughput at concurrency C (dynamic batching) vs the best offline batch
#   throughput of `edgeserve bench` over batch sizes 1..8. A model with the same inputs and no
#   compute (bench/floor_model.py) gives the transport floor of a request of that size.
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
mkdir -p "$repo/m/1" "$repo/floor/1"; ln -s "$(realpath "$model")" "$repo/m/1/model.onnx"
# The same inputs with next to no compute: what a request of this size costs in transport alone.
/usr/bin/python3 "$(dirname "$0")/floor_model.py" "$model" "$repo/floor/1/model.onnx"
: > "$log"
"$bin" serve --model-repository "$repo" --http-port 0 --grpc-port 0 --metrics-port 0 > "$log" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q '^ready' "$log" && break; sleep 0.5; done
grep -q '^ready' "$log" || { cat "$log"; exit 1; }
http=$(sed -n 's/^listening http \(.*\)$/\1/p' "$log"); grpc=$(sed -n 's/^listening grpc \(.*\)$/\1/p' "$log")
iters=$(/usr/bin/python3 -c "print(max(50, int($duration * 1000 / 30)))")
field() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
p50() { field "d['latency_ms']['p50']"; }
tput() { field "d.get('inferences_per_s', d.get('items_per_s'))"; }
median() { /usr/bin/python3 -c "import statistics,sys; print(round(statistics.median(float(x) for x in sys.argv[1:]), 3))" "$@"; }
# This machine's speed drifts by tens of percent over minutes: every figure is taken in rounds
# that alternate in-process and served runs, and each ratio compares figures of the same round.
echo "== latency, batch 1, concurrency 1 (p50 ms)"
echo "round bench http grpc http-bench grpc-bench | floor: http grpc"
dh=(); dg=(); rh=(); rg=(); fh=(); fg=()
for r in $(seq "$rounds"); do
  b=$("$bin" bench "$model" --iterations "$iters" --json 2>/dev/null | p50)
  h=$("$bin" perf --url "$http" --model m --protocol http --concurrency 1 --duration "$duration" --warmup-s 1 --json-report | p50)
  g=$("$bin" perf --url "$grpc" --model m --protocol grpc --concurrency 1 --duration "$duration" --warmup-s 1 --json-report | p50)
  dh+=("$(/usr/bin/python3 -c "print(round($h - $b, 3))")"); dg+=("$(/usr/bin/python3 -c "print(round($g - $b, 3))")")
  rh+=("$(/usr/bin/python3 -c "print($h / $b)")"); rg+=("$(/usr/bin/python3 -c "print($g / $b)")")
  fh+=("$("$bin" perf --url "$http" --model floor --protocol http --concurrency 1 --duration 2 --warmup-s 1 --json-report | p50)")
  fg+=("$("$bin" perf --url "$grpc" --model floor --protocol grpc --concurrency 1 --duration 2 --warmup-s 1 --json-report | p50)")
  echo "$r $b $h $g ${dh[-1]} ${dg[-1]} | ${fh[-1]} ${fg[-1]}"
done
echo "median over rounds: http +$(median "${dh[@]}") ms ($(median "${rh[@]}")x), grpc +$(median "${dg[@]}") ms ($(median "${rg[@]}")x)"
echo "transport floor (same request, no compute): http $(median "${fh[@]}") ms, grpc $(median "${fg[@]}") ms"
echo "== throughput: server at concurrency $concurrency vs the best offline batch (inferences/s)"
echo "round best_offline(batch) http grpc http/best grpc/best"
qh=(); qg=()
for r in $(seq "$rounds"); do
  best=0; best_b=0
  for b in 1 2 4 8; do
    t=$("$bin" bench "$model" --batch "$b" --iterations $((iters / b / 2 + 10)) --json 2>/dev/null | tput)
    if /usr/bin/python3 -c "import sys; sys.exit(0 if $t > $best else 1)"; then best=$t; best_b=$b; fi
  done
  h=$("$bin" perf --url "$http" --model m --protocol http --concurrency "$concurrency" --duration "$duration" --warmup-s 2 --json-report | tput)
  g=$("$bin" perf --url "$grpc" --model m --protocol grpc --concurrency "$concurrency" --duration "$duration" --warmup-s 2 --json-report | tput)
  qh+=("$(/usr/bin/python3 -c "print($h / $best)")"); qg+=("$(/usr/bin/python3 -c "print($g / $best)")")
  echo "$r $(printf %.1f "$best")($best_b) $(printf %.1f "$h") $(printf %.1f "$g") $(printf %.3f "${qh[-1]}") $(printf %.3f "${qg[-1]}")"
done
echo "median over rounds: http $(median "${qh[@]}")x, grpc $(median "${qg[@]}")x of the best offline batch"
