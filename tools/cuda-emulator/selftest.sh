#!/usr/bin/env bash
# The emulated driver's native selftest: reads every project kernel (and test kernel) compiled by NVRTC both as
# PTX (compute_90) and as CUBIN (sm_90) and checks that the parameter lists the driver reads from the CUBIN's
# undocumented .nv.info sections equal those from the PTX. Needs NVRTC (libnvrtc), no GPU.
# Then runs selftest/driver_selftest.cpp against build/cuda-emulator/plain/libcuda.so.1.
# Usage: bash tools/cuda-emulator/selftest.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/build/cuda-emulator/selftest"
mkdir -p "$out"
g++ -std=c++17 -O1 -g -Wall -I"$here/src" "$here/selftest/selftest.cpp" "$here/src/module_image.cpp" -ldl -o "$out/selftest"
files=("$root"/kernels/*.cu)
[ -d "$root/tests/CudaGenre.Cuda.Tests/TestKernels" ] && files+=("$root"/tests/CudaGenre.Cuda.Tests/TestKernels/*.cu)
"$out/selftest" "$root/kernels/precision.cuh" "${files[@]}"

# The driver's rules through its C entry points (deferred streams, capture refusals, memory checks, launches):
# against the plain build (built here when missing).
[ -f "$root/build/cuda-emulator/plain/libcuda.so.1" ] || bash "$here/build.sh" plain
g++ -std=c++17 -O1 -g -Wall -I"$here/src" "$here/selftest/driver_selftest.cpp" -ldl -o "$out/driver_selftest"
"$out/driver_selftest" "$root/build/cuda-emulator/plain/libcuda.so.1" 2> "$out/driver_selftest.stderr" \
  || { cat "$out/driver_selftest.stderr" >&2; exit 1; }
