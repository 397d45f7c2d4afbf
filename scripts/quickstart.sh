#!/usr/bin/env bash
# Quick start: installs dependencies, builds, and runs edgeserve on built-in defaults (nothing to
# download):
#  1. `edgeserve count` counts people per zone and line in OpenCV's pedestrian video (Debian's
#     opencv-doc) with the built-in HOG people detector (examples/count/vtest.yaml);
#  2. the engine on a SqueezeNet 1.1 with seeded weights that the project exports itself: shows the
#     model (`edgeserve info`), runs it (`edgeserve run`, cpu provider), checks the result against
#     PyTorch (`edgeserve conformance`) and measures it (`edgeserve bench`, cpu vs reference).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
echo; echo "== edgeserve count examples/count/vtest.yaml (people per zone and line; about a minute)"
build/edgeserve count examples/count/vtest.yaml --events-file build/vtest-events.jsonl
echo "(events: build/vtest-events.jsonl; docs/counting.md for MQTT, the HTTP API and YOLO models)"
demo=build/demo
/usr/bin/python3 tests/fixtures/gen_torchvision.py "$demo" squeezenet1_1
model="$demo/squeezenet1_1/model.onnx"
echo; echo "== edgeserve info $model"
build/edgeserve info "$model"
echo; echo "== edgeserve run $model"
build/edgeserve run "$model" --input "$demo/squeezenet1_1/test_data_set_0/input_0.pb" --output-dir "$demo/out"
ls -l "$demo/out"
echo; echo "== edgeserve conformance (outputs vs PyTorch eager, within 1e-4 of the output range)"
build/edgeserve conformance "$demo/squeezenet1_1" --rtol 0 --atol 0 --range-tol 1e-4 --verbose
echo; echo "== edgeserve bench (cpu provider, then the reference provider it is tested against)"
build/edgeserve bench "$model" --provider cpu --iterations 50 | grep -E "options|latency|throughput"
build/edgeserve bench "$model" --provider reference --iterations 5 --warmup 1 | grep -E "options|latency"
