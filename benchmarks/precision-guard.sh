#!/usr/bin/env bash
# The accuracy guard of a reduced CPU precision (bf16, int8 or int16) on trained runs: for each run folder, `cudagenre verify`
# in FP32 and in the precision against the trainer's reference logits (the precision must stay finite with the same
# top-1 on >= 99.5 % of the inputs) and `cudagenre evaluate` on the run's test split in both (balanced accuracy within
# 0.5 points of FP32's), and for information the same top-1 comparison on every image of DATA with the smallest FP32
# margins (benchmarks/precision-margins.py). BF16 where the CPU lacks AVX512_BF16 runs the kernel's managed emulation
# (CUDAGENRE_CPU_BF16=emulate: the instruction's arithmetic, not its speed) and says so. Saves the raw output under
# benchmarks/results/.
# Usage: bash benchmarks/precision-guard.sh bf16|int8|int16 DATA RUN_FOLDER...
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
precision=$1; data=$2; shift 2
case $precision in bf16|int8|int16) ;; *) echo "error: the precision must be bf16, int8 or int16; got '$precision'" >&2; exit 2 ;; esac
stamp=$(date -u +%Y-%m-%dT%H%MZ)
result="benchmarks/results/${precision}-guard-${stamp}.txt"
dotnet build -c Release src/CudaGenre.Cli -v q -nologo >/dev/null
bin=src/CudaGenre.Cli/bin/Release/net10.0/cudagenre
mode="integer GEMMs (AVX2: INT8 with VPMADDUBSW, INT16 with VPMADDWD)"
if [[ $precision == bf16 ]]; then
  if grep -qw avx512_bf16 /proc/cpuinfo; then mode="AVX512_BF16 machine code"; else mode="emulated (no AVX512_BF16 here)"; export CUDAGENRE_CPU_BF16=emulate; fi
fi
upper=${precision^^}
ba() { grep -oE "balanced accuracy [0-9.]+ %" | grep -oE "[0-9.]+" || echo "?"; }
{
  echo "# CPU $upper accuracy guard on trained runs; kernel: $mode"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "machine: $(bash benchmarks/machine.sh)"
  for run in "$@"; do
    name=$(basename "$run")
    echo
    echo "## $name"
    for p in fp32 "$precision"; do
      echo "\$ cudagenre verify $run/model.safetensors --backend cpu --precision $p"
      # A failing verify (exit code 1) is a result to record, not a reason to stop.
      { "$bin" verify "$run/model.safetensors" --backend cpu --precision "$p" 2>&1 || true; } | tr '\n' ' ' | sed 's/  */ /g'; echo
    done
    fp32=$("$bin" evaluate "$run/model.safetensors" --data "$data" --manifest "$run/split.json" --backend cpu --precision fp32 --out "/tmp/guard-$name-fp32" 2>&1 | tr '\n' ' ' | ba)
    reduced=$("$bin" evaluate "$run/model.safetensors" --data "$data" --manifest "$run/split.json" --backend cpu --precision "$precision" --out "/tmp/guard-$name-$precision" 2>&1 | tr '\n' ' ' | ba)
    same=$(python3 -c "import json;a,b=(json.load(open(f'/tmp/guard-$name-{p}/report.json')) for p in ('fp32','$precision'));print('yes' if a['confusionMatrix']==b['confusionMatrix'] else 'no')" 2>/dev/null || echo "?")
    echo "evaluate on the test split: FP32 $fp32 %, $upper $reduced %, difference $(python3 -c "print(f'{abs($reduced-$fp32):.2f}')" 2>/dev/null || echo '?') points (criterion <= 0.5); identical confusion matrices: $same"
    # With 90 reference inputs the 99.5 % criterion tolerates no flip, so one image whose first two logits are closer
    # than the precision's noise decides it; the whole data set (mostly training images) shows the rate, and the
    # smallest FP32 margins show whether a flip was such an image.
    for p in fp32 "$precision"; do
      "$bin" classify "$run/model.safetensors" "$data" --json --top 10 --backend cpu --precision "$p" >"/tmp/guard-$name-$p-all.json" 2>/dev/null || true
    done
    echo "whole data set ($data, every image; top-1 of $upper against FP32; for information, not the criterion):"
    { python3 benchmarks/precision-margins.py "/tmp/guard-$name-fp32-all.json" "$upper=/tmp/guard-$name-$precision-all.json" --smallest 3 2>&1 \
      || echo "(not compared: a classify run above failed)"; } | sed 's/^/  /'
  done
} | tee "$result"
echo "saved $result"
