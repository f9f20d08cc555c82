// precision.cuh — the storage types and conversions shared by every kernel in this folder.
//
// Prepend rule: the host prepends this file's text (then a newline) to each kernels/*.cu before
// handing it to NVRTC; the .cu files contain no #include at all. This keeps the kernels free of
// toolkit headers: NVRTC 11.8 has no built-in cuda_fp16.h / cuda_bf16.h, and users need not install
// them.
//
// Storage types (16-bit payloads, bit-identical to IEEE binary16 and bfloat16, so host arrays of
// System.Half / raw bf16 ushorts can be copied in unchanged):
//   cg_half  — IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits)
//   cg_bf16  — bfloat16 (the upper 16 bits of an IEEE binary32)
// All arithmetic is done in float (FP32); these types are only loaded and stored.
//
// Conversions:
//   cg_to_float(cg_half)       exact (every binary16 is a binary32)          PTX cvt.f32.f16
//   cg_to_float(cg_bf16)       exact: bits << 16
//   cg_from_float<cg_half>(f)  round to nearest even, overflow → ±inf, NaN stays NaN   PTX cvt.rn.f16.f32
//   cg_from_float<cg_bf16>(f)  round to nearest even, overflow → ±inf, NaN stays NaN
//                              sm_80 and later: PTX cvt.rn.bf16.f32;
//                              older targets: the same rounding in integer arithmetic.
//
// The inline PTX goes through one macro, CG_PTX_CVT, so that the CPU build of these kernels
// (tools/cuda-emulator) can define it as a bit-exact emulation; NVRTC sees the same asm statement.

#ifndef CG_PTX_CVT
#define CG_PTX_CVT(op, out_c, out, in_c, in) asm(op " %0, %1;" : out_c(out) : in_c(in))
#endif

struct __align__(2) cg_half
{
    unsigned short bits;
};

struct __align__(2) cg_bf16
{
    unsigned short bits;
};

__device__ __forceinline__ float cg_to_float(float x)
{
    return x;
}

__device__ __forceinline__ float cg_to_float(cg_half x)
{
    float f;
    CG_PTX_CVT("cvt.f32.f16", "=f", f, "h", x.bits);
    return f;
}

__device__ __forceinline__ float cg_to_float(cg_bf16 x)
{
    return __uint_as_float(static_cast<unsigned int>(x.bits) << 16);
}

template <typename T>
__device__ __forceinline__ T cg_from_float(float x);

template <>
__device__ __forceinline__ float cg_from_float<float>(float x)
{
    return x;
}

template <>
__device__ __forceinline__ cg_half cg_from_float<cg_half>(float x)
{
    cg_half h;
    CG_PTX_CVT("cvt.rn.f16.f32", "=h", h.bits, "f", x);
    return h;
}

template <>
__device__ __forceinline__ cg_bf16 cg_from_float<cg_bf16>(float x)
{
    cg_bf16 b;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    CG_PTX_CVT("cvt.rn.bf16.f32", "=h", b.bits, "f", x);
#else
    // Round to nearest even on the dropped 16 bits; a NaN becomes a quiet NaN with the same sign.
    const unsigned int u = __float_as_uint(x);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        b.bits = static_cast<unsigned short>((u >> 16) | 0x0040u);
    else
        b.bits = static_cast<unsigned short>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
#endif
    return b;
}

// ReLU that lets NaN through (as torch.relu does): x < 0 ? 0 : x. fmaxf(x, 0) would turn NaN into 0.
__device__ __forceinline__ float cg_relu(float x)
{
    return x < 0.0f ? 0.0f : x;
}

// The (n, c, h, w) coordinates of flat element i of an [N, C, H, W] tensor stored NHWC: the one index
// decomposition of the one-thread-per-output-element kernels (depthwise conv, max pool, the input conversion).
__device__ __forceinline__ void cg_unravel_nhwc(long long i, int channels, int height, int width, int& n, int& c, int& h, int& w)
{
    c = static_cast<int>(i % channels); i /= channels;
    w = static_cast<int>(i % width); i /= width;
    h = static_cast<int>(i % height); i /= height;
    n = static_cast<int>(i);
}
