#!/usr/bin/env bash
# Builds the BF16 micro-kernel (src/CudaGenre.Engine/Cpu/Native/bf16_kernel.c) with MR = 8, 12 and 14 rows and times
# each on one core with its operands in cache (kbench.c), then one core's FP32 FMA and VDPBF16PS rates (peak.c).
# Needs gcc and a CPU with AVX512_BF16. Usage: bash benchmarks/bf16-kernel/run.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_file=$here/../../src/CudaGenre.Engine/Cpu/Native/bf16_kernel.c
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags="-O2 -mavx512f -mavx512bw -mavx512vl -mavx512bf16"
echo "load: $(cat /proc/loadavg)"
for mr in 12 14 8; do
  rows=$(for i in $(seq 0 $((mr - 1))); do printf 'X(%d) ' "$i"; done)
  sed "s/#define MR 12/#define MR $mr/; s/#define ROWS(X) .*/#define ROWS(X) $rows/" "$source_file" >"$work/k$mr.c"
  # shellcheck disable=SC2086
  gcc $flags -DMRB=$mr "$here/kbench.c" "$work/k$mr.c" -o "$work/kb$mr"
done
for round in 1 2; do for mr in 12 14 8; do "$work/kb$mr"; done; done
# shellcheck disable=SC2086
gcc $flags "$here/peak.c" -o "$work/peak"
for round in 1 2 3; do "$work/peak"; done
echo "load: $(cat /proc/loadavg)"
