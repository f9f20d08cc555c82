#!/usr/bin/env bash
# Usage: bash benchmarks/cpu-ab.sh OUT "MODE ARGS" DIR_A DIR_B [...]: any CudaGenre.Benchmarks mode (e.g. "gemm xc.middle",
# "pass xception 1", "profile xception 1 2") for two or more builds (each DIR holds one build, e.g. from
# `dotnet build benchmarks/CudaGenre.Benchmarks -c Release -o DIR`), alternating build by build for ROUNDS rounds (3),
# even rounds in reverse order (the first of a pair can be favoured); appends each run's whole output under a
# "== round R BUILD TIME" header to OUT. Run it under benchmarks/quiet.sh. cpu-ab-wall.sh is the whole-pass special case.
set -euo pipefail
out=$1; read -r -a args <<<"$2"; shift 2
builds=("$@")
for r in $(seq 1 "${ROUNDS:-3}"); do
  order=("${builds[@]}")
  if (( r % 2 == 0 )); then for i in "${!builds[@]}"; do order[i]=${builds[${#builds[@]} - 1 - i]}; done; fi
  for dir in "${order[@]}"; do
    echo "== round $r $(basename "$dir") $(date -u +%H:%M:%SZ)" | tee -a "$out"
    "$dir/CudaGenre.Benchmarks" "${args[@]}" 2>&1 | tee -a "$out"
  done
done
