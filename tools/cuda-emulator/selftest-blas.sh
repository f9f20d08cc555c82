#!/usr/bin/env bash
# The emulated cuBLASLt and cuBLAS selftest (selftest/blas_selftest.cpp), natively, no .NET, no GPU: linked
# against build/cuda-emulator/<flavour>/ (libcuda.so.1, libcublasLt.so.12, libcublas.so.12) and run there.
# Usage: bash tools/cuda-emulator/selftest-blas.sh [plain|asan|tsan|all] (default plain); builds the flavour first
# unless CG_EMU_NO_BUILD=1.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/kernel-tu.sh"
flavours=${1:-plain}
[ "$flavours" = all ] && flavours="plain asan tsan"
for flavour in $flavours; do
  cg_emu_flavour "$flavour" || exit 2
  lib="$root/build/cuda-emulator/$flavour"
  [ "${CG_EMU_NO_BUILD:-0}" = 1 ] || bash "$here/build.sh" "$flavour"
  exe="$lib/blas_selftest"
  g++ -std=c++17 -g -Wall "${cg_emu_flavour_flags[@]}" "$here/selftest/blas_selftest.cpp" -o "$exe" -L"$lib" -l:libcublasLt.so.12 -l:libcublas.so.12 -l:libcuda.so.1 \
    -Wl,-rpath,"$lib" -pthread
  case "$flavour" in
    plain) "$exe" 2> "$lib/blas_selftest.stderr" || { cat "$lib/blas_selftest.stderr" >&2; exit 1; } ;;
    asan) ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} "$exe" 2> "$lib/blas_selftest.stderr" \
            || { cat "$lib/blas_selftest.stderr" >&2; exit 1; } ;;
    tsan) TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:exitcode=66} "$exe" 2> "$lib/blas_selftest.stderr" || { cat "$lib/blas_selftest.stderr" >&2; exit 1; } ;;
  esac
done
