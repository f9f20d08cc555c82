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

# Moves the __shared__ arrays of template and inline kernel functions into the section "cg_shared". g++ ignores
# __shared__'s section attribute on such statics (vague linkage: each has its own COMDAT section .bss._ZZ…), and
# in a kernel object every function-local static is a __shared__ array (device code has no other statics).
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
