#!/usr/bin/env bash
# The engine's CPU backend vs TorchSharp (libtorch CPU) on the same weights: CNN, ResNet50 and Xception at
# their real input sizes, batch 1 and 16, BenchmarkDotNet in-process. Saves the raw output with machine,
# date and commit under benchmarks/results/. Run it on a quiet machine: both sides use every core.
# Usage: bash benchmarks/cpu-models.sh [extra BenchmarkDotNet arguments, e.g. --filter '*resnet50*']
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stamp=$(date -u +%Y-%m-%dT%H%MZ)
result="benchmarks/results/cpu-models-${stamp}.txt"
mkdir -p benchmarks/results
dotnet build -c Release benchmarks/CudaGenre.Benchmarks -v q -nologo >/dev/null
bin=benchmarks/CudaGenre.Benchmarks/bin/Release/net10.0
filter=("--filter" "*CpuModelBenchmarks*")
[ $# -gt 0 ] && filter=("$@")
{
  echo "# CPU models: engine vs TorchSharp"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "machine: $(bash benchmarks/machine.sh), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) before the run"
  echo
  (cd "$bin" && dotnet CudaGenre.Benchmarks.dll "${filter[@]}" 2>&1) | grep -vE '^(// |OverheadJitting|WorkloadJitting|WorkloadPilot|OverheadWarmup|OverheadActual|WorkloadWarmup|WorkloadActual|WorkloadResult|GC: |Threading: |Mean = |Min = |Q1 = |Median = |Q3 = |Max = |IQR = |LowerFence|UpperFence|ConfidenceInterval|Percentiles|Skewness|-+$|\[|$)' || true
} | tee "$result"
echo "saved $result"
