#!/usr/bin/env bash
# Runs the fp32 and fp16 rows of ../shared/models/CASES.txt against their reference outputs
# (fp32: rtol 1e-3 atol 1e-3; fp16: 1e-2). Exit 77 (skipped) when the models are absent.
# Usage: real_models.sh EDGESERVE MODELS_DIR
set -uo pipefail
edgeserve=$1 models=$2 provider=${3:-reference}
if [ ! -f "$models/CASES.txt" ]; then echo "skipped: $models/CASES.txt not found"; exit 77; fi
failed=0
while read -r model data tol; do
  case "$model" in ''|'#'*) continue ;; esac
  case "$tol" in
    fp32) rtol=1e-3 ;;
    fp16) rtol=1e-2 ;;
    *) echo "SKIP $model ($tol: the int8 kernels are a later issue)"; continue ;;
  esac
  if ! "$edgeserve" conformance --case "$models/$model=$models/$data" --rtol $rtol --atol $rtol --provider "$provider" --verbose; then
    failed=1
  fi
done < "$models/CASES.txt"
exit $failed
