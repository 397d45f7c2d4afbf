#!/usr/bin/env bash
# Runs ONNX backend test suites; fails if any non-skipped case fails or fewer than MIN pass.
# Usage: node_suite.sh EDGESERVE DIR[:DIR...] SKIP_LIST MIN_PASS [PROVIDER] [SAMPLE]
# SAMPLE N > 1 runs every Nth case only (in name order) and needs MIN_PASS / N passes: the
# sanitizer build, where each case costs seconds, checks memory safety on a third of the suite.
set -uo pipefail
edgeserve=$1 node_dirs=$2 skip_list=$3 min_pass=$4 provider=${5:-reference} sample=${6:-1}
IFS=: read -ra dirs <<< "$node_dirs"
for d in "${dirs[@]}"; do
  if [ ! -d "$d" ]; then echo "missing $d (install libonnx-testdata)"; exit 1; fi
done
if [ "$sample" -gt 1 ]; then
  picked=$(mktemp -d)
  trap 'rm -rf "$picked"' EXIT
  i=0
  for d in "${dirs[@]}"; do
    for case_dir in "$d"/*/; do
      [ -f "$case_dir/model.onnx" ] || continue
      if [ $((i % sample)) -eq 0 ]; then ln -s "${case_dir%/}" "$picked/"; fi
      i=$((i + 1))
    done
  done
  dirs=("$picked")
  min_pass=$((min_pass / sample))
fi
out=$("$edgeserve" conformance "${dirs[@]}" --skip-list "$skip_list" --provider "$provider")
status=$?
echo "$out" | grep -v '^PASS' | tail -n 50
summary=$(echo "$out" | tail -n 1)
passed=${summary%% passed*}
if [ "$status" -ne 0 ]; then echo "node suite: failures outside the skip list"; exit 1; fi
if [ "$passed" -lt "$min_pass" ]; then echo "node suite: $passed passed, need at least $min_pass"; exit 1; fi
scope=""
if [ "$sample" -gt 1 ]; then scope=", 1 case in $sample"; fi
echo "node suite OK ($provider provider$scope): $summary"
