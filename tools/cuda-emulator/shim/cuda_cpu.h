// cuda_cpu.h — lets g++ compile kernels/*.cu unchanged for the emulated CUDA device (compute capability 9.0).
// build.sh puts `#include "cuda_cpu.h"` first, then precision.cuh and a kernel file exactly as the engine hands
// them to NVRTC (with #line directives, so __FILE__/__LINE__ name the .cu file), then CG_EMU_REGISTER(entry) for
// each extern "C" entry point. Each CUDA thread runs on its own OS thread (runtime.cpp).
#pragma once

#include "cuda_cpu_device.h"

#define __CUDA_ARCH__ 900

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
// One copy per variable, shared by the threads of the running block (blocks run one at a time). build.sh
// moves every function-local static of a kernel object into the section "cg_shared" (see kernel-tu.sh), which
// the runtime fills with 0xFF bytes (NaN in float, cg_half, cg_bf16) before every block.
#define __shared__ static

#define threadIdx (static_cast<const uint3&>(::cg_emu::builtin_thread_idx))
#define blockIdx (static_cast<const uint3&>(::cg_emu::builtin_block_idx))
#define blockDim (static_cast<const dim3&>(::cg_emu::builtin_block_dim))
#define gridDim (static_cast<const dim3&>(::cg_emu::builtin_grid_dim))

// Real barriers: every thread of the block (every lane named in the mask) must reach the same one, or the
// launch fails naming both file:line sites.
#define __syncthreads() ::cg_emu::syncthreads(__FILE__, __LINE__)
#define __shfl_xor_sync(...) ::cg_emu::shfl_xor_sync(__FILE__, __LINE__, __VA_ARGS__)

// precision.cuh's inline PTX, emulated (an unknown conversion fails the build).
#define CG_PTX_CVT(op, out_c, out, in_c, in) ((out) = ::cg_emu::ptx_cvt<::cg_emu::ptx_cvt_op(op, out_c, in_c)>(in))

// Any other inline assembly is PTX the CPU cannot run: fail the build, quoting it.
#define asm(...) static_assert(false, "inline asm is not emulated on the CPU (route it through a macro the shim defines): " #__VA_ARGS__)
#define __asm__(...) asm(__VA_ARGS__)
#define __asm(...) asm(__VA_ARGS__)

#ifndef CG_EMU_FILE
#define CG_EMU_FILE __FILE__
#endif

// Registers an extern "C" entry point under its own name, with its parameter layout deduced from its type.
#define CG_EMU_REGISTER(entry)                                                                                 \
    static ::cg_emu::Registrar cg_emu_registrar_##entry(                                                       \
        ::cg_emu::EntrySignature<decltype(entry)>::describe<entry>(#entry, CG_EMU_FILE),                       \
        ::cg_emu::module_shared_section());
