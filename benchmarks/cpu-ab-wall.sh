#!/usr/bin/env bash
# Usage: bash benchmarks/cpu-ab-wall.sh OUT DIR_A DIR_B [...]: whole-pass wall time of the CPU backend for two (or more)
# builds of benchmarks/CudaGenre.Benchmarks (each DIR holds one build's bin/Release/net10.0), alternating build by build,
# ROUNDS rounds (3) of MODELS ("xception resnet50 cnn") at BATCH (1) on THREADS (2); appends each line to OUT. Run it under
# benchmarks/quiet.sh: this machine's speed drifts, so only back-to-back pairs compare. Even rounds run the builds in
# reverse order: on the Zen 3 VM the first build of a pair was the faster in 7 of 8 pairs, whichever build it was
# (benchmarks/results/raw-2026-12-07-session15/ab-wall-unified.txt), so a fixed order would favour build A.
out=$1; shift
builds=("$@")
for r in $(seq 1 "${ROUNDS:-3}"); do
  order=("${builds[@]}")
  (( r % 2 == 0 )) && for i in "${!builds[@]}"; do order[i]=${builds[${#builds[@]} - 1 - i]}; done
  for m in ${MODELS:-xception resnet50 cnn}; do
    for dir in "${order[@]}"; do
      line=$(CUDAGENRE_PROFILE_PASSES=1 "$dir/CudaGenre.Benchmarks" profile "$m" "${BATCH:-1}" "${THREADS:-2}" 2>&1 | grep "whole pass median")
      echo "round $r $(basename "$dir"): $line" | tee -a "$out"
    done
  done
done
