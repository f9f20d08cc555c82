#!/usr/bin/env bash
# The CPU BF16 mode's accuracy guard on trained runs: for each run folder, `cudagenre verify` in FP32 and BF16 against
# the trainer's reference logits (BF16 must stay finite with the same top-1 on >= 99.5 % of the inputs) and
# `cudagenre evaluate` on the run's test split in both precisions (BF16's balanced accuracy within 0.5 points of
# FP32's). Where the CPU lacks AVX512_BF16 it runs the kernel's managed emulation (CUDAGENRE_CPU_BF16=emulate: the
# instruction's arithmetic, not its speed) and says so. Saves the raw output under benchmarks/results/.
# Usage: bash benchmarks/bf16-guard.sh DATA RUN_FOLDER...
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data=$1; shift
stamp=$(date -u +%Y-%m-%dT%H%MZ)
result="benchmarks/results/bf16-guard-${stamp}.txt"
dotnet build -c Release src/CudaGenre.Cli -v q -nologo >/dev/null
bin=src/CudaGenre.Cli/bin/Release/net10.0/cudagenre
if grep -qw avx512_bf16 /proc/cpuinfo; then mode="AVX512_BF16 machine code"; else mode="emulated (no AVX512_BF16 here)"; export CUDAGENRE_CPU_BF16=emulate; fi
ba() { grep -oE "balanced accuracy [0-9.]+ %" | grep -oE "[0-9.]+" || echo "?"; }
{
  echo "# CPU BF16 accuracy guard on trained runs; BF16 kernel: $mode"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "machine: $(bash benchmarks/machine.sh)"
  for run in "$@"; do
    name=$(basename "$run")
    echo
    echo "## $name"
    for precision in fp32 bf16; do
      echo "\$ cudagenre verify $run/model.safetensors --backend cpu --precision $precision"
      "$bin" verify "$run/model.safetensors" --backend cpu --precision "$precision" 2>&1 | tr '\n' ' ' | sed 's/  */ /g'; echo
    done
    fp32=$("$bin" evaluate "$run/model.safetensors" --data "$data" --manifest "$run/split.json" --backend cpu --precision fp32 --out "/tmp/bf16-guard-$name-fp32" 2>&1 | tr '\n' ' ' | ba)
    bf16=$("$bin" evaluate "$run/model.safetensors" --data "$data" --manifest "$run/split.json" --backend cpu --precision bf16 --out "/tmp/bf16-guard-$name-bf16" 2>&1 | tr '\n' ' ' | ba)
    same=$(python3 -c "import json;a,b=(json.load(open(f'/tmp/bf16-guard-$name-{p}/report.json')) for p in ('fp32','bf16'));print('yes' if a['confusionMatrix']==b['confusionMatrix'] else 'no')" 2>/dev/null || echo "?")
    echo "evaluate on the test split: FP32 $fp32 %, BF16 $bf16 %, difference $(python3 -c "print(f'{abs($bf16-$fp32):.2f}')" 2>/dev/null || echo '?') points (criterion <= 0.5); identical confusion matrices: $same"
  done
} | tee "$result"
echo "saved $result"
