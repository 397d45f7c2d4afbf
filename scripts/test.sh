#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: unit tests, CLI error handling, the ONNX
# backend node suite, the real models of ../shared/models (skipped when absent) and torchvision
# models against PyTorch. Then the same suite under ASan+UBSan (set EDGE_SKIP_ASAN=1 to skip).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
/usr/bin/python3 tests/fixtures/gen_torchvision.py build/fixtures/torchvision
(cd build && ctest --output-on-failure -j2)
if [ "${EDGE_SKIP_ASAN:-0}" != 1 ]; then
  bash scripts/build.sh asan
  # The sanitizer run reuses the release build's fixtures.
  (cd build-asan && EDGE_FIXTURES="$PWD/../build/fixtures" ctest --output-on-failure -j2)
fi
echo "all tests passed"
