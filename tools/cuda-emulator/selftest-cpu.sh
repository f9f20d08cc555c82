#!/usr/bin/env bash
# The CPU half of the emulated device, checked natively (no .NET, no driver, no GPU): builds the flavour with
# build.sh, compiles the selftest's own kernels (selftest/cpu/kernels/*.cu, assembled like the project's) and
# program, links them with the flavour's kernel objects and block runtime, and runs it. What it checks:
# selftest/cpu/main.cpp. Usage: bash tools/cuda-emulator/selftest-cpu.sh [plain|asan|tsan|all] (default plain).
# CG_EMU_NO_BUILD=1 reuses the flavour's existing build.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/kernel-tu.sh"
flavours=${1:-plain}
[ "$flavours" = all ] && flavours="plain asan tsan"

for flavour in $flavours; do
  cg_emu_flavour "$flavour" || exit 2
  flags=("${cg_emu_flavour_flags[@]}")
  out="$root/build/cuda-emulator/$flavour"
  [ "${CG_EMU_NO_BUILD:-0}" = 1 ] && [ -f "$out/libcuda.so.1" ] || bash "$here/build.sh" "$flavour"
  st="$out/selftest-cpu"
  rm -rf "$st"; mkdir -p "$st"
  start=$(date +%s%N)
  objects=()
  for cu in "$here"/selftest/cpu/kernels/*.cu; do
    name=$(basename "$cu" .cu)
    cg_emu_kernel_tu "$cu" "$st/$name.cpp" "" "${cg_emu_common[@]}"
    { g++ "${cg_emu_common[@]}" "${cg_emu_kernel_flags[@]}" "${flags[@]}" -DCG_EMU_FILE="\"$name.cu\"" -c "$st/$name.cpp" -o "$st/$name.o" &&
      cg_emu_shared_sections "$st/$name.o"; } &
    objects+=("$st/$name.o")
  done
  for src in "$here"/selftest/cpu/*.cpp; do
    g++ "${cg_emu_common[@]}" "${flags[@]}" -c "$src" -o "$st/$(basename "$src" .cpp).o" &
    objects+=("$st/$(basename "$src" .cpp).o")
  done
  # The project's kernels and the block runtime, as built into libcuda.so.1 (the driver is not needed).
  for cu in "$root"/kernels/*.cu; do objects+=("$out/gen/$(basename "$cu" .cu).o"); done
  objects+=("$out/gen/runtime.o")
  for job in $(jobs -p); do wait "$job" || { echo "selftest-cpu.sh: compiling the $flavour selftest failed" >&2; exit 1; }; done
  g++ "${flags[@]}" -pthread -o "$st/selftest-cpu" "${objects[@]}"
  built=$(date +%s%N)
  echo "selftest-cpu ($flavour): compiled in $(( (built - start) / 1000000 )) ms"
  "$st/selftest-cpu"
  echo "selftest-cpu ($flavour): ran in $(( ($(date +%s%N) - built) / 1000000 )) ms"
done
