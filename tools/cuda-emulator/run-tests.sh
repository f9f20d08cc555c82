#!/usr/bin/env bash
# Runs a GPU test project on the emulated CUDA device (what CI calls): tests/CudaGenre.Cuda.Tests, or with
# --project the CUDA backend's tests/CudaGenre.Engine.Cuda.Tests (they need the emulated cuDNN and cuBLASLt too,
# and skip, saying which library was not found, without them).
#   bash tools/cuda-emulator/run-tests.sh <plain|asan|tsan> [--project CudaGenre.Engine.Cuda.Tests] [xunit filter options…]
# Builds the emulator flavour (tools/cuda-emulator/build.sh) and the test project, then runs the built test
# executable directly with CUDAGENRE_CUDA_LIB_PATH=build/cuda-emulator/<flavour>, so the product finds the emulated
# libcuda.so.1 by its ordinary library search. For asan/tsan the sanitizer runtime is LD_PRELOADed into the test
# process only (never into dotnet build). Default filter: the whole project for plain; for asan and tsan the GPU
# tests (-namespace CudaGenre.Cuda.Tests.Gpu), or for the engine's project the tests that share a device between
# threads and replay graphs (the sanitizers' business; the rest repeat the plain run slower). Filters are the
# test executable's own, e.g.
#   -namespace CudaGenre.Cuda.Tests.Gpu   -class CudaGenre.Cuda.Tests.Gpu.KernelLaunchTests   -method "*Saxpy*"
# Set CG_EMU_SKIP_BUILD=1 to reuse what is built.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
flavour=${1:-plain}
shift || true
case "$flavour" in plain|asan|tsan) ;; *) echo "run-tests.sh: unknown flavour '$flavour' (plain, asan, tsan)" >&2; exit 2 ;; esac
project=CudaGenre.Cuda.Tests
if [ "${1:-}" = --project ]; then project=${2:?--project needs a name}; shift 2; fi
case "$project" in CudaGenre.Cuda.Tests|CudaGenre.Engine.Cuda.Tests) ;; *) echo "run-tests.sh: unknown project '$project'" >&2; exit 2 ;; esac
filters=("$@")
if [ ${#filters[@]} -eq 0 ] && [ "$flavour" != plain ]; then
  case "$project" in
    CudaGenre.Cuda.Tests) filters=(-namespace CudaGenre.Cuda.Tests.Gpu) ;;
    *) filters=(-method "*GraphReplay*" -method "*ConcurrentCallers*" -method "*TwoSessionsOnOneGpu*") ;;
  esac
fi

if [ "${CG_EMU_SKIP_BUILD:-0}" != 1 ]; then
  bash "$here/build.sh" "$flavour"
  dotnet build "$root/tests/$project" -v q -nologo
fi
exe="$root/tests/$project/bin/Debug/net10.0/$project"
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
