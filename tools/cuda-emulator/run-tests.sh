#!/usr/bin/env bash
# Runs tests/CudaGenre.Cuda.Tests on the emulated CUDA device (what CI calls).
#   bash tools/cuda-emulator/run-tests.sh <plain|asan|tsan> [xunit filter options…]
# Builds the emulator flavour (tools/cuda-emulator/build.sh) and the test project, then runs the built test
# executable directly with CUDAGENRE_CUDA_LIB_PATH=build/cuda-emulator/<flavour>, so the product finds the emulated
# libcuda.so.1 by its ordinary library search. For asan/tsan the sanitizer runtime is LD_PRELOADed into the test
# process only (never into dotnet build). Default filter: the whole project for plain, the GPU tests
# (-namespace CudaGenre.Cuda.Tests.Gpu) for asan and tsan. Filters are the test executable's own, e.g.
#   -namespace CudaGenre.Cuda.Tests.Gpu   -class CudaGenre.Cuda.Tests.Gpu.KernelLaunchTests   -method "*Saxpy*"
# Set CG_EMU_SKIP_BUILD=1 to reuse what is built.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
flavour=${1:-plain}
shift || true
case "$flavour" in plain|asan|tsan) ;; *) echo "run-tests.sh: unknown flavour '$flavour' (plain, asan, tsan)" >&2; exit 2 ;; esac
filters=("$@")
[ ${#filters[@]} -eq 0 ] && [ "$flavour" != plain ] && filters=(-namespace CudaGenre.Cuda.Tests.Gpu)

if [ "${CG_EMU_SKIP_BUILD:-0}" != 1 ]; then
  bash "$here/build.sh" "$flavour"
  dotnet build "$root/tests/CudaGenre.Cuda.Tests" -v q -nologo
fi
exe="$root/tests/CudaGenre.Cuda.Tests/bin/Debug/net10.0/CudaGenre.Cuda.Tests"
export CUDAGENRE_CUDA_LIB_PATH="$root/build/cuda-emulator/$flavour"
# CI must not pass by skipping: NVRTC is required (the GPU tests compile kernels with it).
export CUDAGENRE_REQUIRE_NVRTC=${CUDAGENRE_REQUIRE_NVRTC:-1}

case "$flavour" in
  plain)
    exec "$exe" "${filters[@]}" ;;
  asan)
    # The CLR handles SIGSEGV itself (null references) and leaks by design at exit.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:use_sigaltstack=0:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    LD_PRELOAD="$(g++ -print-file-name=libasan.so)" exec "$exe" "${filters[@]}" ;;
  tsan)
    supp="$root/build/cuda-emulator/tsan/tsan.supp"
    # The runtime and JIT are not instrumented: races inside them, or through them, are not ours to report.
    printf 'called_from_lib:libcoreclr.so\ncalled_from_lib:libclrjit.so\nrace:libcoreclr.so\nrace:libclrjit.so\ndeadlock:libcoreclr.so\n' > "$supp"
    export TSAN_OPTIONS=${TSAN_OPTIONS:-suppressions=$supp:ignore_noninstrumented_modules=1:report_signal_unsafe=0:halt_on_error=1:exitcode=66}
    LD_PRELOAD="$(g++ -print-file-name=libtsan.so)" exec "$exe" "${filters[@]}" ;;
esac
