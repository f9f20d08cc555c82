#!/usr/bin/env bash
# The engine (CPU backend) on trainer run folders: `cudagenre evaluate` on each run's own test split, which
# prints whether the engine's balanced accuracy equals the trainer's metrics.json. Saves the raw output with
# date, commit and machine under benchmarks/results/.
# Usage: bash benchmarks/engine-evaluate.sh DATA RUN_FOLDER...   (DATA: the data set the runs trained on)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data=$1; shift
stamp=$(date -u +%Y-%m-%dT%H%MZ)
result="benchmarks/results/engine-evaluate-${stamp}.txt"
dotnet build -c Release src/CudaGenre.Cli -v q -nologo >/dev/null
bin=src/CudaGenre.Cli/bin/Release/net10.0/cudagenre
{
  echo "# cudagenre evaluate (engine CPU backend) on trainer runs"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "machine: $(bash benchmarks/machine.sh)"
  for run in "$@"; do
    echo
    echo "## $(basename "$run")"
    echo "\$ cudagenre evaluate $run/model.safetensors --data $data --manifest $run/split.json --backend cpu"
    "$bin" evaluate "$run/model.safetensors" --data "$data" --manifest "$run/split.json" --backend cpu --out "/tmp/eval-$(basename "$run")" 2>&1 \
      | grep -E "balanced accuracy|trainer recorded" || echo "evaluate failed"
  done
} | tee "$result"
echo "saved $result"
