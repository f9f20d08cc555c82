#!/usr/bin/env bash
# Usage: bash benchmarks/cpu-ab-wall.sh OUT DIR_A DIR_B [...]: whole-pass wall time of the CPU backend for two (or more)
# builds of benchmarks/CudaGenre.Benchmarks (each DIR holds one build's bin/Release/net10.0), alternating build by build,
# ROUNDS rounds (3) of MODELS ("xception resnet50 cnn") at BATCH (1) on THREADS (2); appends each line to OUT. Run it under
# benchmarks/quiet.sh: this machine's speed drifts, so only back-to-back pairs compare.
out=$1; shift
for r in $(seq 1 "${ROUNDS:-3}"); do
  for m in ${MODELS:-xception resnet50 cnn}; do
    for dir in "$@"; do
      line=$(CUDAGENRE_PROFILE_PASSES=1 "$dir/CudaGenre.Benchmarks" profile "$m" "${BATCH:-1}" "${THREADS:-2}" 2>&1 | grep "whole pass median")
      echo "round $r $(basename "$dir"): $line" | tee -a "$out"
    done
  done
done
