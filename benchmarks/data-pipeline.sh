#!/usr/bin/env bash
# Times the data half of the pipeline on this machine and saves the raw output under
# benchmarks/results/: synthesizing a full GTZAN-sized set (10 × 100 clips × 30 s, images + WAVs),
# then reading and verifying the real GTZAN images when ../shared/data/gtzan is present.
# Usage: bash benchmarks/data-pipeline.sh [output-folder-for-the-synthetic-set]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out_data=${1:-$(mktemp -d)/synth}
stamp=$(date -u +%Y-%m-%dT%H%MZ)
result="benchmarks/results/data-pipeline-${stamp}.txt"
mkdir -p benchmarks/results

dotnet build -c Release src/CudaGenre.Cli -v q -nologo >/dev/null
cli=src/CudaGenre.Cli/bin/Release/net10.0/cudagenre
{
  echo "# data pipeline timing"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "machine: $(bash benchmarks/machine.sh), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
  echo "dotnet:  $(dotnet --version)"
  echo
  echo "## cudagenre data synth --count-per-genre 100 --seconds 30 --wav --split"
  /usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KiB" \
    "$cli" data synth --out "$out_data" --count-per-genre 100 --seconds 30 --wav --split 2>&1
  echo
  echo "## size on disk"
  du -sh "$out_data/images_original" "$out_data/genres_original"
  if [ -d ../shared/data/gtzan ]; then
    echo
    echo "## cudagenre data info ../shared/data/gtzan (decodes all 899 real images)"
    /usr/bin/time -f "wall %e s, user %U s, sys %S s" "$cli" data info ../shared/data/gtzan 2>&1
  fi
} | tee "$result"
echo "saved to $result"
