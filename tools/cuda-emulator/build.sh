#!/usr/bin/env bash
# Builds the emulated CUDA device: kernels/*.cu (and the test kernels) compiled for the CPU with
# shim/cuda_cpu.h, the block runtime and the emulated driver, linked into one libcuda.so.1 per flavour:
#   plain   -O2
#   asan    AddressSanitizer + UndefinedBehaviorSanitizer (load with LD_PRELOAD=$(g++ -print-file-name=libasan.so))
#   tsan    ThreadSanitizer                               (load with LD_PRELOAD=$(g++ -print-file-name=libtsan.so))
# Beside it, in every flavour, the emulated cuBLASLt and cuBLAS (blas/*.cpp): libcublasLt.so.12 and libcublas.so.12,
# linked against that flavour's libcuda.so.1 (found through $ORIGIN).
# Usage: bash tools/cuda-emulator/build.sh [plain|asan|tsan|all] (default plain). Output:
# build/cuda-emulator/<flavour>/libcuda.so.1 and beside it the emulated cuDNN libcudnn.so.9 (cudnn/cudnn.cpp),
# libcublasLt.so.12 and libcublas.so.12 (set CUDAGENRE_CUDA_LIB_PATH to that folder).
# Installs g++ with apt when it is missing (unless CUDAGENRE_SYSTEM_CHANGES=0: tools/system-changes.sh). Every kernel file is assembled exactly as KernelSources.Combine
# assembles it for NVRTC (precision.cuh's text, a newline, the file's text, with #line directives).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/kernel-tu.sh"
flavours=${1:-plain}
[ "$flavours" = all ] && flavours="plain asan tsan"

if ! command -v g++ >/dev/null 2>&1; then
  source "$root/tools/system-changes.sh"
  apt_update
  apt_install g++
fi

# Kernel sources: the product's kernels, then the test kernels (tests that launch kernels of their own).
kernel_files=("$root"/kernels/*.cu)
[ -d "$root/tests/CudaGenre.Cuda.Tests/TestKernels" ] && kernel_files+=("$root"/tests/CudaGenre.Cuda.Tests/TestKernels/*.cu)

common=("${cg_emu_common[@]}")
for flavour in $flavours; do
  cg_emu_flavour "$flavour" || exit 2
  flags=("${cg_emu_flavour_flags[@]}")
  out="$root/build/cuda-emulator/$flavour"
  gen="$out/gen"
  # One build of a flavour at a time (two builds in one tree would delete each other's objects).
  mkdir -p "$root/build/cuda-emulator"
  exec 9>"$root/build/cuda-emulator/.$flavour.lock"
  flock 9
  rm -rf "$out"; mkdir -p "$gen"
  objects=()
  for cu in "${kernel_files[@]}"; do
    name=$(basename "$cu" .cu)
    tu="$gen/$name.cpp"
    cg_emu_kernel_tu "$cu" "$tu" "$root/kernels/precision.cuh" "${common[@]}"
    { g++ "${common[@]}" "${cg_emu_kernel_flags[@]}" "${flags[@]}" -DCG_EMU_FILE="\"$(basename "$cu")\"" -c "$tu" -o "$gen/$name.o" &&
      cg_emu_shared_sections "$gen/$name.o"; } &
    objects+=("$gen/$name.o")
  done
  for src in "$here"/src/*.cpp; do
    g++ "${common[@]}" "${flags[@]}" -c "$src" -o "$gen/$(basename "$src" .cpp).o" &
    objects+=("$gen/$(basename "$src" .cpp).o")
  done
  # The emulated libraries: compiled beside the driver, linked after it.
  for lib in cublasLt cublas; do
    g++ "${common[@]}" "${flags[@]}" -fvisibility=hidden -I"$here/blas" -c "$here/blas/$lib.cpp" -o "$gen/blas_$lib.o" &
  done
  wait_all() { local rc=0; for job in $(jobs -p); do wait "$job" || rc=1; done; return $rc; }
  wait_all || { echo "build.sh: compiling the $flavour emulator failed" >&2; exit 1; }
  # One registry for all files (find_kernel by name): an entry point defined twice is a build error.
  duplicates=$(grep -ho 'CG_EMU_REGISTER([A-Za-z0-9_]*)' "$gen"/*.cpp | sort | uniq -d)
  [ -z "$duplicates" ] || { echo "build.sh: entry points defined in two kernel files: $duplicates" >&2; exit 1; }
  g++ "${flags[@]}" -shared -pthread -Wl,-soname,libcuda.so.1 -Wl,--no-undefined-version -o "$out/libcuda.so.1" "${objects[@]}" \
    $( [ "$flavour" = plain ] && echo -Wl,--no-undefined )
  # The emulated CUDA libraries beside it, linked against this flavour's libcuda.so.1 (found through $ORIGIN).
  g++ "${common[@]}" "${flags[@]}" -fvisibility=hidden -c "$here/cudnn/cudnn.cpp" -o "$gen/cudnn.o"
  g++ "${flags[@]}" -shared -pthread -Wl,-soname,libcudnn.so.9 -o "$out/libcudnn.so.9" "$gen/cudnn.o" -L"$out" -l:libcuda.so.1 \
    -Wl,-rpath,'$ORIGIN' $( [ "$flavour" = plain ] && echo -Wl,--no-undefined )
  for lib in cublasLt cublas; do
    g++ "${flags[@]}" -shared -pthread -Wl,-soname,lib$lib.so.12 -o "$out/lib$lib.so.12" "$gen/blas_$lib.o" -L"$out" -l:libcuda.so.1 \
      -Wl,-rpath,'$ORIGIN' $( [ "$flavour" = plain ] && echo -Wl,--no-undefined )
  done
  echo "built $out/libcuda.so.1, libcudnn.so.9, libcublasLt.so.12, libcublas.so.12 ($flavour, $(ls "$gen"/*.o | wc -l) objects)"
  exec 9>&-
done
