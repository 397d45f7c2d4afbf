#!/usr/bin/env bash
# Runs the ONNX backend node tests; fails if any non-skipped case fails or fewer than MIN pass.
# Usage: node_suite.sh EDGESERVE NODE_DIR SKIP_LIST MIN_PASS
set -uo pipefail
edgeserve=$1 node_dir=$2 skip_list=$3 min_pass=$4 provider=${5:-reference}
if [ ! -d "$node_dir" ]; then echo "missing $node_dir (install libonnx-testdata)"; exit 1; fi
out=$("$edgeserve" conformance "$node_dir" --skip-list "$skip_list" --provider "$provider")
status=$?
echo "$out" | grep -v '^PASS' | tail -n 50
summary=$(echo "$out" | tail -n 1)
passed=${summary%% passed*}
if [ "$status" -ne 0 ]; then echo "node suite: failures outside the skip list"; exit 1; fi
if [ "$passed" -lt "$min_pass" ]; then echo "node suite: $passed passed, need at least $min_pass"; exit 1; fi
echo "node suite OK ($provider provider): $summary"
