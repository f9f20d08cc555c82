#!/usr/bin/env bash
# The one-command GPU check. Two halves, because the GPU machine has no .NET:
#
#   bash tools/gpu-check.sh publish   # here: self-contained linux-x64 build of the CUDA tests and the
#                                     # cudagenre CLI, packed into .gpu/gpu-check.tar.xz (ignored by git)
#   bash tools/gpu-check.sh run       # on a machine with an NVIDIA GPU and no .NET: unpacks, finds the
#                                     # CUDA libraries (pip's nvidia-* packages or a toolkit), prints
#                                     # `cudagenre info`, runs every CUDA test (GPU tests run there
#                                     # instead of skipping), and saves the output beside the summary.
#
# With the device tool: publish here, then run `bash tools/gpu-check.sh run` there with carry [".gpu"].
# Output goes to $OUT when set (the device tool brings it back), else to benchmarks/results/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mode=${1:-}

publish() {
  rm -rf .gpu/publish && mkdir -p .gpu
  # .git is a file in a worktree: ask git where the exclude file is.
  local exclude; exclude=$(git rev-parse --git-path info/exclude)
  mkdir -p "$(dirname "$exclude")"
  grep -qxF '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >> "$exclude"
  for project in tests/CudaGenre.Cuda.Tests src/CudaGenre.Cli; do
    dotnet publish "$project" -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true \
      -o .gpu/publish -v q -nologo
  done
  git rev-parse --short HEAD > .gpu/publish/COMMIT
  tar -C .gpu -cJf .gpu/gpu-check.tar.xz publish
  rm -rf .gpu/publish
  ls -la .gpu/gpu-check.tar.xz
}

find_cuda_libs() {
  # Folders that hold libcublas/libcudnn/libnvrtc: pip's nvidia-* wheels first, then toolkits.
  local dirs=()
  for py in python3 python; do
    command -v "$py" >/dev/null || continue
    while IFS= read -r d; do dirs+=("$d"); done < <("$py" - <<'PY' 2>/dev/null
import glob, os, site
roots = set(site.getsitepackages() + [site.getusersitepackages()])
for root in sorted(roots):
    for lib in sorted(glob.glob(os.path.join(root, "nvidia", "*", "lib"))):
        print(lib)
PY
)
    break
  done
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [ -d "$d" ] && dirs+=("$d"); done
  (IFS=:; echo "${dirs[*]}")
}

run() {
  local out=${OUT:-benchmarks/results}
  local stamp; stamp=$(date -u +%Y-%m-%dT%H%MZ)
  local log="$out/gpu-check-$stamp.txt"
  mkdir -p "$out" /tmp/gpu-check
  tar -C /tmp/gpu-check -xJf .gpu/gpu-check.tar.xz
  local bin=/tmp/gpu-check/publish
  export CUDAGENRE_CUDA_LIB_PATH; CUDAGENRE_CUDA_LIB_PATH=$(find_cuda_libs)
  export CUDAGENRE_REQUIRE_GPU=1 CUDAGENRE_REQUIRE_NVRTC=1 DOTNET_gcServer=0
  {
    echo "# GPU check"
    echo "date:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(cat "$bin/COMMIT")"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "nvidia-smi: not available"
    echo "CUDAGENRE_CUDA_LIB_PATH=$CUDAGENRE_CUDA_LIB_PATH"
    echo
    echo "## cudagenre info"
    "$bin/cudagenre" info 2>&1 || echo "cudagenre info failed with exit code $?"
    echo
    echo "## CUDA tests"
    "$bin/CudaGenre.Cuda.Tests" 2>&1 || echo "CUDA tests failed with exit code $?"
  } | tee "$log"
  echo "saved to $log"
}

case "$mode" in
  publish) publish ;;
  run) run ;;
  *) echo "usage: bash tools/gpu-check.sh publish|run" >&2; exit 2 ;;
esac
