// cuda_cpu_device.h — what a CUDA kernel sees of the device, for kernels compiled by g++ for the emulated
// device: CUDA's vector types, the built-in indices, the intrinsics the kernels use, bit-exact emulations of
// precision.cuh's PTX conversions, and the hooks into the block runtime (runtime.cpp). No macros here, so the
// runtime and the selftest can include it; cuda_cpu.h adds the CUDA keywords on top.
#pragma once

#include "emulator.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

// ---- Vector types, with CUDA's alignment (vector_types.h): 1 and 3 lanes: the scalar's; 2 lanes: twice it;
// 4 lanes: four times it, at most 16. A misaligned float4/uint2 access is then undefined behaviour here too,
// which UBSan reports.
#define CG_EMU_VECTOR_TYPES(T, name)                                                                       \
    struct alignas(sizeof(T)) name##1 { T x; };                                                            \
    struct alignas(2 * sizeof(T)) name##2 { T x, y; };                                                     \
    struct alignas(sizeof(T)) name##3 { T x, y, z; };                                                      \
    struct alignas(4 * sizeof(T) < 16 ? 4 * sizeof(T) : 16) name##4 { T x, y, z, w; };                     \
    inline name##1 make_##name##1(T x) { return {x}; }                                                     \
    inline name##2 make_##name##2(T x, T y) { return {x, y}; }                                             \
    inline name##3 make_##name##3(T x, T y, T z) { return {x, y, z}; }                                     \
    inline name##4 make_##name##4(T x, T y, T z, T w) { return {x, y, z, w}; }

CG_EMU_VECTOR_TYPES(signed char, char)
CG_EMU_VECTOR_TYPES(unsigned char, uchar)
CG_EMU_VECTOR_TYPES(short, short)
CG_EMU_VECTOR_TYPES(unsigned short, ushort)
CG_EMU_VECTOR_TYPES(int, int)
CG_EMU_VECTOR_TYPES(unsigned int, uint)
CG_EMU_VECTOR_TYPES(long, long)
CG_EMU_VECTOR_TYPES(unsigned long, ulong)
CG_EMU_VECTOR_TYPES(long long, longlong)
CG_EMU_VECTOR_TYPES(unsigned long long, ulonglong)
CG_EMU_VECTOR_TYPES(float, float)
CG_EMU_VECTOR_TYPES(double, double)
#undef CG_EMU_VECTOR_TYPES

struct dim3
{
    unsigned int x, y, z;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
    constexpr operator uint3() const { return {x, y, z}; }
};

constexpr int warpSize = 32;

// ---- Intrinsics. The build uses -ffp-contract=off, so a * b and a + b are single IEEE operations, as the
// _rn intrinsics are on the device; fmaf, expf, fmaxf … are <cmath>'s (expf may differ from CUDA's by an ulp).
inline unsigned int __float_as_uint(float x) { return __builtin_bit_cast(unsigned int, x); }
inline float __uint_as_float(unsigned int x) { return __builtin_bit_cast(float, x); }
inline int __float_as_int(float x) { return __builtin_bit_cast(int, x); }
inline float __int_as_float(int x) { return __builtin_bit_cast(float, x); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }

// CUDA's device min/max overloads (same-type arguments).
inline int min(int a, int b) { return a < b ? a : b; }
inline unsigned int min(unsigned int a, unsigned int b) { return a < b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline float min(float a, float b) { return std::fmin(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned int max(unsigned int a, unsigned int b) { return a > b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }

namespace cg_emu
{
// ---- Built-in indices of the calling CUDA thread, set by the block runtime on each of its OS threads (defined
// in runtime.cpp). __thread, not thread_local: constant-initialized, so no TLS wrapper call on each access;
// hidden: each module (libcuda.so.1, the selftest) reaches its own without a dynamic TLS lookup.
extern __thread uint3 builtin_thread_idx __attribute__((visibility("hidden")));
extern __thread uint3 builtin_block_idx __attribute__((visibility("hidden")));
extern __thread dim3 builtin_block_dim __attribute__((visibility("hidden")));
extern __thread dim3 builtin_grid_dim __attribute__((visibility("hidden")));

// ---- Block runtime hooks (runtime.cpp). Both block the calling CUDA thread until the barrier completes; both
// throw BlockAborted when the block has failed (divergence, early exit, deadlock), unwinding the kernel.
struct BlockAborted
{
};
void syncthreads(const char* file, int line);
std::uint64_t shfl_xor_bits(const char* file, int line, unsigned mask, std::uint64_t value, int lane_mask, int width);

template <typename T>
T shfl_xor_sync(const char* file, int line, unsigned mask, T var, int lane_mask, int width = warpSize)
{
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "__shfl_xor_sync moves at most 8 bytes");
    std::uint64_t bits = 0;
    std::memcpy(&bits, &var, sizeof(T));
    bits = shfl_xor_bits(file, line, mask, bits, lane_mask, width);
    std::memcpy(&var, &bits, sizeof(T));
    return var;
}

// ---- precision.cuh's inline PTX, emulated bit for bit (PTX ISA cvt, no .ftz: subnormals kept). A NaN
// becomes the canonical NaN the device produces (0x7fffffff, 0x7fff), which is also what cuda_fp16.hpp and
// cuda_bf16.hpp compute in their host paths (__internal_half2float, __internal_float2half,
// __internal_float2bfloat16).
enum class PtxCvt
{
    f32_f16,    // cvt.f32.f16: exact
    rn_f16_f32, // cvt.rn.f16.f32: round to nearest even, |x| ≥ 65520 → ±inf
    rn_bf16_f32 // cvt.rn.bf16.f32: round to nearest even
};

constexpr bool same_text(const char* a, const char* b)
{
    while (*a != '\0' && *a == *b)
        ++a, ++b;
    return *a == *b;
}

// The conversion named by CG_PTX_CVT's operands. Anything else is not a constant expression: the build fails
// at the kernel's CG_PTX_CVT, naming the operands.
constexpr PtxCvt ptx_cvt_op(const char* op, const char* out_constraint, const char* in_constraint)
{
    return same_text(op, "cvt.f32.f16") && same_text(out_constraint, "=f") && same_text(in_constraint, "h") ? PtxCvt::f32_f16
         : same_text(op, "cvt.rn.f16.f32") && same_text(out_constraint, "=h") && same_text(in_constraint, "f") ? PtxCvt::rn_f16_f32
         : same_text(op, "cvt.rn.bf16.f32") && same_text(out_constraint, "=h") && same_text(in_constraint, "f") ? PtxCvt::rn_bf16_f32
         : throw "CG_PTX_CVT: this PTX conversion, or these operand constraints, are not emulated (shim/cuda_cpu_device.h)";
}

inline float cvt_f32_f16(std::uint16_t h)
{
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    std::uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0x1fu)
        return __uint_as_float(mantissa != 0 ? 0x7fffffffu : sign | 0x7f800000u);
    if (exponent != 0)
        return __uint_as_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
    if (mantissa == 0)
        return __uint_as_float(sign);
    // Subnormal m·2^-24: shift the leading 1 up to bit 10, one exponent step per shift.
    std::uint32_t biased = 113;
    while ((mantissa & 0x400u) == 0)
    {
        mantissa <<= 1;
        --biased;
    }
    return __uint_as_float(sign | (biased << 23) | ((mantissa & 0x3ffu) << 13));
}

// Keeps the bits of `value` above `shift`, rounding the dropped ones to nearest even (shift 1 … 31).
inline std::uint32_t round_shift_rne(std::uint32_t value, unsigned shift)
{
    const std::uint32_t kept = value >> shift;
    const std::uint32_t dropped = value & ((1u << shift) - 1);
    const std::uint32_t half = 1u << (shift - 1);
    return kept + ((dropped > half || (dropped == half && (kept & 1u) != 0)) ? 1u : 0u);
}

inline std::uint16_t cvt_rn_f16_f32(float x)
{
    const std::uint32_t u = __float_as_uint(x);
    const std::uint32_t sign = (u >> 16) & 0x8000u;
    const std::uint32_t magnitude = u & 0x7fffffffu;
    if (magnitude > 0x7f800000u)
        return 0x7fff;
    if (magnitude >= 0x477ff000u) // 65520 = halfway from 65504 (odd mantissa) to 2^16: ties go to inf
        return static_cast<std::uint16_t>(sign | 0x7c00u);
    if (magnitude >= 0x38800000u) // 2^-14 and above: normal; a carry out of the mantissa bumps the exponent
        return static_cast<std::uint16_t>(sign | round_shift_rne(magnitude - (112u << 23), 13));
    const std::uint32_t exponent = magnitude >> 23;
    if (exponent < 101) // below 2^-25 (half the smallest subnormal), f32 subnormals included: ±0
        return static_cast<std::uint16_t>(sign);
    // A half subnormal counts units of 2^-24: (1.m · 2^(e-127)) / 2^-24 = (m | 2^23) >> (126 - e).
    return static_cast<std::uint16_t>(sign | round_shift_rne((magnitude & 0x7fffffu) | 0x800000u, 126 - exponent));
}

inline std::uint16_t cvt_rn_bf16_f32(float x)
{
    const std::uint32_t u = __float_as_uint(x);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return 0x7fff;
    // The same exponent range as f32, so rounding the low 16 bits is the whole conversion (a carry out of the
    // largest finite value gives inf).
    return static_cast<std::uint16_t>(round_shift_rne(u, 16));
}

template <PtxCvt Op, typename In>
auto ptx_cvt(In in)
{
    if constexpr (Op == PtxCvt::f32_f16)
    {
        static_assert(std::is_same_v<In, unsigned short>, "cvt.f32.f16 takes a 16-bit register (\"h\")");
        return cvt_f32_f16(in);
    }
    else
    {
        static_assert(std::is_same_v<In, float>, "cvt.rn.{f16,bf16}.f32 takes an f32 register (\"f\")");
        return Op == PtxCvt::rn_f16_f32 ? cvt_rn_f16_f32(in) : cvt_rn_bf16_f32(in);
    }
}

// ---- Registration of a CPU-compiled entry point (CG_EMU_REGISTER in cuda_cpu.h).
// The module's __shared__ storage: every __shared__ variable is in the ELF section "cg_shared", which the linker
// brackets with these symbols (weak: a module without __shared__ has no section).
extern "C" unsigned char __start_cg_shared[] __attribute__((weak, visibility("hidden")));
extern "C" unsigned char __stop_cg_shared[] __attribute__((weak, visibility("hidden")));

struct SharedSection
{
    unsigned char* begin;
    unsigned char* end;
};

static inline SharedSection module_shared_section()
{
    return {__start_cg_shared, __stop_cg_shared};
}

// Adds a kernel to the registry (find_kernel); `shared` is the __shared__ storage of its module, poisoned at
// the start of every block.
void register_kernel(const Kernel* kernel, SharedSection shared);

template <typename Signature>
struct EntrySignature;

template <typename... A>
struct EntrySignature<void(A...)>
{
    static_assert(sizeof...(A) <= kMaxParams, "more kernel parameters than emulator.h's kMaxParams");

    template <void (*Entry)(A...), std::size_t... I>
    static void call(void* const* args, std::index_sequence<I...>)
    {
        Entry(*static_cast<A*>(args[I])...);
    }

    template <void (*Entry)(A...)>
    static void thread_body([[maybe_unused]] void* const* args)
    {
        call<Entry>(args, std::index_sequence_for<A...>{});
    }

    template <void (*Entry)(A...)>
    static Kernel describe(const char* name, const char* file)
    {
        Kernel kernel{name, file, static_cast<int>(sizeof...(A)), {}, &thread_body<Entry>};
        const Param params[] = {Param{sizeof(A), alignof(A), std::is_pointer_v<A>}..., Param{}};
        for (std::size_t i = 0; i < sizeof...(A); ++i)
            kernel.params[i] = params[i];
        return kernel;
    }
};

struct Registrar
{
    Kernel kernel;
    Registrar(const Kernel& k, SharedSection shared) : kernel(k)
    {
        register_kernel(&kernel, shared);
    }
};
} // namespace cg_emu
