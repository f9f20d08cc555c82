#!/usr/bin/env bash
# Digests of the exact logits of the CPU and emulated-CUDA backends (tools/LogitDigest), for showing that a
# refactoring changes no output bit: run it before and after, and diff the two files.
# Usage: bash tools/logit-digest.sh OUT.txt [cpu|cuda|all]. Needs the emulated device built
# (bash tools/cuda-emulator/build.sh plain) unless CUDAGENRE_CUDA_LIB_PATH points at another driver.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:?usage: logit-digest.sh OUT.txt [cpu|cuda|all]}
export CUDAGENRE_CUDA_LIB_PATH=${CUDAGENRE_CUDA_LIB_PATH:-$PWD/build/cuda-emulator/plain}
# Kernels compiled in a private cache, so that the digests never depend on another checkout's cache.
export CUDAGENRE_CACHE_DIR=${CUDAGENRE_CACHE_DIR:-$(mktemp -d)}
dotnet build tools/LogitDigest -v q -nologo >/dev/null
{
  echo "# logit digests: commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)'), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  tools/LogitDigest/bin/Debug/net10.0/CudaGenre.LogitDigest "${2:-all}"
} > "$out"
echo "saved $out ($(grep -vc '^#' "$out") lines)"
