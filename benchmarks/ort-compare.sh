#!/usr/bin/env bash
# The engine's CPU backend (FP32, and BF16 where the engine accepts it on the CPU) side by side with ONNX Runtime
# 1.31.1 FP32 on the same network, weights and input: CNN, ResNet50, Xception at their real input sizes and the
# ImageNet ResNet18 (converted weights, ~/cudagenre-runs/resnet18_imagenet.safetensors), batch 1 and 16, 2 threads
# each, warm, alternating in rounds; plus ORT on the NuGet ResNet18.onnx as its own row. The model files are exported
# to ONNX with our exporter (`cudagenre export-onnx`'s code), so both sides compute the same function; each row's
# logits are compared (relative L2). It runs in PROCESSES separate processes (default 3: the engine's speed differs
# from one process to the next) and ends with the spread of the medians over them. Each row also has the ratio
# round by round (the two sides run back to back in each round, so it cancels the machine's drift within a process;
# its median over the rounds is the figure to read on a noisy machine). Raw output, machine, date,
# commit and load go to benchmarks/results/ort-compare-<stamp>.txt. Run it on a quiet machine (about 6–8 minutes).
# Usage: bash benchmarks/ort-compare.sh [PROCESSES] [extra ortcompare options, e.g. --models cnn --batches 1]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
processes=${1:-3}
[ $# -gt 0 ] && shift
stamp=$(date -u +%Y-%m-%dT%H%MZ)
result="benchmarks/results/ort-compare-${stamp}.txt"
mkdir -p benchmarks/results
# CUDAGENRE_NO_BUILD=1: the binary is already built (e.g. when other processes are paused while it runs).
[ "${CUDAGENRE_NO_BUILD:-}" = 1 ] || dotnet build -c Release benchmarks/CudaGenre.Benchmarks -v q -nologo >/dev/null
bin=benchmarks/CudaGenre.Benchmarks/bin/Release/net10.0
export CUDAGENRE_COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
{
  echo "# engine vs ONNX Runtime (CPU), $processes processes"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $CUDAGENRE_COMMIT"
  echo "machine: $(bash benchmarks/machine.sh), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) before the run"
  echo
  for p in $(seq 1 "$processes"); do
    echo "## process $p of $processes"
    (cd "$bin" && dotnet CudaGenre.Benchmarks.dll ortcompare "$@" 2>&1)
    echo
  done
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) after the run"
} | tee "$result"
# The spread over processes: per row, the min–max of the per-process medians (ms per image) and of the ratio to ORT.
summary=$(
  echo
  echo "## over the $processes processes: median ms/image (min–max over processes), ratio to ORT (min–max)"
  echo "| model | batch | side | ms/image | vs ORT | vs ORT per round (medians) |"
  echo "|---|---:|---|---:|---:|---:|"
  # Only the per-process tables' rows (9 columns), read before anything is appended. The last column's leading
  # figure is each process's median of the per-round ratios.
  awk -F'|' 'NF == 11 && /^\| [a-z]/ && $3 ~ /[0-9]/ {
      key = $2 "|" $3 "|" $4; gsub(/^ +| +$/, "", $6); gsub(/^ +| +$/, "", $8); split($10, pr, " "); p = pr[1]
      if (!(key in lo)) { order[++n] = key; lo[key] = hi[key] = $6; rlo[key] = rhi[key] = $8; plo[key] = phi[key] = p }
      if ($6 + 0 < lo[key] + 0) lo[key] = $6; if ($6 + 0 > hi[key] + 0) hi[key] = $6
      if ($8 + 0 < rlo[key] + 0) rlo[key] = $8; if ($8 + 0 > rhi[key] + 0) rhi[key] = $8
      if (p + 0 < plo[key] + 0) plo[key] = p; if (p + 0 > phi[key] + 0) phi[key] = p
    }
    END { for (i = 1; i <= n; i++) { k = order[i]; printf "|%s| %s–%s | %s | %s |\n", k, lo[k], hi[k], rlo[k] == "—" ? "—" : rlo[k] "–" rhi[k], plo[k] == "—" ? "—" : plo[k] "–" phi[k] } }' "$result"
)
echo "$summary" | tee -a "$result"
echo "saved $result"
