#!/usr/bin/env bash
# The README's main job (cudagenre-train demo) with its output, time, date, commit and machine saved under
# benchmarks/results/: synthesize → train the CNN → export → the engine reproduces the trainer.
# Usage: bash benchmarks/demo.sh [demo options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stamp=$(date -u +%Y-%m-%dT%H%MZ)
result="benchmarks/results/demo-${stamp}.txt"
dotnet build -c Release tools/CudaGenre.Trainer -v q -nologo >/dev/null
out=$(mktemp -d)
{
  echo "# cudagenre-train demo"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "machine: $(bash benchmarks/machine.sh)"
  start=$(date +%s)
  tools/CudaGenre.Trainer/bin/Release/net10.0/cudagenre-train demo --out "$out" "$@" 2>&1 \
    | grep -vE "step [0-9]+/[0-9]+: running" || true
  echo "wall time (build done before): $(( $(date +%s) - start )) s"
} | tee "$result"
rm -rf "$out"
echo "saved $result"
