#!/usr/bin/env bash
# `edgeserve count` throughput and latency (issue 5):
#  1. unthrottled: S copies of vtest.avi (default 4) counted with YOLOX-nano, frames/s end to end,
#     against `edgeserve bench` of the same model at batch S, alternating per round (this VM's
#     speed drifts by tens of percent within minutes, so each round's ratio is taken, then the
#     median);
#  2. real time: N sources paced at their own 10 fps for DURATION seconds, for each N in
#     REALTIME_SOURCES: frames dropped, frame-to-result and frame-to-event latency p50/p99.
# usage: bench/count_throughput.sh [--rounds R] [--sources S] [--realtime "4 8 12"] [--realtime-s SEC]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/edgeserve
MODEL=${MODEL:-../shared/models/yolox-nano/yolox_nano.onnx}
VIDEO=/usr/share/doc/opencv-doc/examples/data/vtest.avi
ROUNDS=3 SOURCES=4 REALTIME="4 8 12" REALTIME_S=30
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --sources) SOURCES=$2; shift 2 ;;
    --realtime) REALTIME=$2; shift 2 ;;
    --realtime-s) REALTIME_S=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$MODEL" ] || { echo "no model at $MODEL (../shared absent?)" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

sources() { for i in $(seq 1 "$1"); do printf -- "--source cam%d=%s " "$i" "$VIDEO"; done; }
field() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))" "$@"; }

echo "== unthrottled: $SOURCES x vtest.avi ($(nproc) cores), YOLOX-nano batch $SOURCES vs edgeserve bench"
ratios=()
for r in $(seq 1 "$ROUNDS"); do
  $BIN bench "$MODEL" --free-batch --batch "$SOURCES" --duration 15 --json > "$tmp/bench.json" 2>/dev/null
  bench_fps=$(field "$tmp/bench.json" "items_per_s")
  # shellcheck disable=SC2046
  $BIN count $(sources "$SOURCES") --model "$MODEL" --max-batch "$SOURCES" --report-interval 0 \
    --json "$tmp/count.json" > /dev/null 2>&1
  count_fps=$(field "$tmp/count.json" "performance['frames_per_second']")
  batch=$(field "$tmp/count.json" "performance['mean_batch']")
  ratio=$(/usr/bin/python3 -c "print(f'{$count_fps / $bench_fps:.3f}')")
  ratios+=("$ratio")
  printf "round %d: count %.1f frames/s (mean batch %.2f), bench %.1f items/s, ratio %s\n" "$r" "$count_fps" "$batch" "$bench_fps" "$ratio"
done
[ "${#ratios[@]}" -gt 0 ] && /usr/bin/python3 -c "import statistics,sys; print('median ratio count/bench:', statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}"

echo; echo "== real time: N sources at 10 fps each for ${REALTIME_S} s"
for n in $REALTIME; do
  # shellcheck disable=SC2046
  $BIN count $(sources "$n") --model "$MODEL" --max-batch "$n" --realtime --loop --duration "$REALTIME_S" \
    --report-interval 0 --json "$tmp/rt.json" > /dev/null 2>&1
  /usr/bin/python3 - "$tmp/rt.json" "$n" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); p = d["performance"]
dropped = sum(s["frames_dropped"] for s in d["sources"])
print(f"{sys.argv[2]:>3} sources: {p['frames_per_second']:.1f} frames/s, dropped {dropped}, mean batch {p['mean_batch']:.2f}, "
      f"frame->result p50 {p['frame_to_result']['p50_ms']:.0f} ms p99 {p['frame_to_result']['p99_ms']:.0f} ms, "
      f"frame->event p50 {p['frame_to_event']['p50_ms']:.0f} ms p99 {p['frame_to_event']['p99_ms']:.0f} ms")
PY
done
