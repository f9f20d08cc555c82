#!/usr/bin/env bash
# The emulated cuDNN's native selftest (selftest/cudnn_selftest.cpp) against build/cuda-emulator/<flavour>/libcudnn.so.9
# and that flavour's libcuda.so.1 (built here when missing). No .NET, no GPU.
# Usage: bash tools/cuda-emulator/selftest-cudnn.sh [plain|asan|tsan] (default plain)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/kernel-tu.sh"
flavour=${1:-plain}
cg_emu_flavour "$flavour" || exit 2
lib="$root/build/cuda-emulator/$flavour"
[ -f "$lib/libcudnn.so.9" ] || bash "$here/build.sh" "$flavour"
out="$root/build/cuda-emulator/selftest"
mkdir -p "$out"
g++ -std=c++17 -g -Wall "${cg_emu_flavour_flags[@]}" "$here/selftest/cudnn_selftest.cpp" -L"$lib" -l:libcudnn.so.9 -l:libcuda.so.1 \
  -Wl,-rpath,"$lib" -pthread -o "$out/cudnn_selftest-$flavour"
case "$flavour" in
  plain) "$out/cudnn_selftest-$flavour" ;;
  asan) ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$out/cudnn_selftest-$flavour" ;;
  tsan) TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:exitcode=66} "$out/cudnn_selftest-$flavour" ;;
esac
