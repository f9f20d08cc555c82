#!/usr/bin/env bash
# One line naming the CPU a benchmark ran on: cores, model name, family/model (the VMs here all say "AMD EPYC", and
# on 2026-12-06 one session had a Zen 5 with AVX-512 and the next a Zen 3 with AVX2 only) and the widest vector ISA,
# which picks the engine's kernels (512-bit 7×32 GEMM and BF16, or 256-bit 6×16).
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
isa=avx2
[[ $flags == *" avx512f "* ]] && isa=avx512f
[[ $flags == *" avx512_bf16 "* ]] && isa="$isa+bf16"
[[ $flags == *" avx2 "* ]] || isa="no avx2"
field() { grep -m1 "^$1[[:space:]]*:" /proc/cpuinfo | cut -d: -f2 | xargs; }
echo "$(nproc) cores, $(field 'model name') (family $(field 'cpu family') model $(field model), $isa)"
