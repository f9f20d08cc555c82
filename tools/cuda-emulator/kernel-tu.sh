# kernel-tu.sh — sourced by build.sh and selftest-cpu.sh: turns a kernel file into a C++ translation unit for the
# emulated device, assembled exactly as KernelSources.Combine assembles it for NVRTC (precision.cuh's text, a
# newline, the file's text, with #line directives), after `#include "cuda_cpu.h"`, followed by
# CG_EMU_REGISTER(entry) for each extern "C" entry point found in the preprocessed text (entry macros expanded).
# Usage: cg_emu_kernel_tu <file.cu> <out.cpp> <precision.cuh or ""> <g++ options…>
cg_emu_kernel_tu() {
  local cu=$1 tu=$2 header=$3; shift 3
  local name entries
  name=$(basename "$cu")
  {
    echo '#include "cuda_cpu.h"'
    if [ -n "$header" ]; then printf '#line 1 "%s"\n' "$(basename "$header")"; cat "$header"; printf '\n'; fi
    printf '#line 1 "%s"\n' "$name"; cat "$cu"; printf '\n'
  } > "$tu.body"
  entries=$(g++ "$@" -DCG_EMU_FILE="\"$name\"" -E -P -x c++ "$tu.body" \
    | grep -oE 'extern "C" +void +[A-Za-z_][A-Za-z0-9_]* *\(' | sed -E 's/.*void +([A-Za-z0-9_]+).*/\1/' | sort -u)
  { cat "$tu.body"; for e in $entries; do echo "CG_EMU_REGISTER($e)"; done; } > "$tu"
  rm "$tu.body"
}

# The g++ options of every object of the emulator (kernels, runtime, driver, selftest).
cg_emu_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cg_emu_common=(-std=c++17 -g -fPIC -pthread -ffp-contract=off -fno-strict-aliasing -Wall -Wno-unused-function -Wno-unknown-pragmas
               -I"$cg_emu_dir/shim" -I"$cg_emu_dir/src")

# Options for kernel objects only: each static in a section of its own (.bss.<mangled name>), so that
# cg_emu_shared_sections can find the __shared__ arrays.
cg_emu_kernel_flags=(-fdata-sections)

# Moves the __shared__ arrays of a kernel object into the section "cg_shared": in a kernel object every
# function-local static (mangled _ZZ…) is a __shared__ array, device code has no other statics. (g++ ignores a
# section attribute on the statics of templates and inline functions, so __shared__ cannot name the section.)
# Usage: cg_emu_shared_sections <kernel.o>
cg_emu_shared_sections() {
  local args=() section
  for section in $(readelf -SW "$1" | grep -oE '\.bss\._ZZ[^ ]+' | sort -u); do
    args+=(--rename-section "$section=cg_shared")
  done
  [ ${#args[@]} -eq 0 ] || objcopy "${args[@]}" "$1"
}

# The compiler options of a flavour, into the array cg_emu_flavour_flags.
cg_emu_flavour() {
  case "$1" in
    plain) cg_emu_flavour_flags=(-O2) ;;
    asan)  cg_emu_flavour_flags=(-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all) ;;
    tsan)  cg_emu_flavour_flags=(-O1 -fno-omit-frame-pointer -fsanitize=thread) ;;
    *) echo "unknown flavour '$1' (plain, asan, tsan, all)" >&2; return 2 ;;
  esac
}
