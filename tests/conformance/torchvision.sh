#!/usr/bin/env bash
# Checks torchvision models exported by gen_torchvision.py against PyTorch eager outputs:
# every output within 1e-4 of the reference output's range. Generates missing fixtures.
# EDGE_FIXTURES overrides the fixture directory (the sanitizer run reuses the release one).
# Usage: torchvision.sh EDGESERVE GENERATOR FIXTURE_DIR
set -euo pipefail
edgeserve=$1 generator=$2 dir=${EDGE_FIXTURES:+$EDGE_FIXTURES/torchvision}
dir=${dir:-$3}
provider=${4:-reference}
/usr/bin/python3 "$generator" "$dir" >/dev/null
"$edgeserve" conformance "$dir" --rtol 0 --atol 0 --range-tol 1e-4 --timeout-s 1200 --provider "$provider" --verbose
